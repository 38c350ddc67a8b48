"""Publish a Review to a GitHub pull request: one sticky summary plus inline review comments.

REST calls (https://docs.github.com/rest):

    GET    /repos/{o}/{r}/pulls/{n}                 head sha of the PR
    GET    /repos/{o}/{r}/pulls/{n}/files           `patch` per file -> commentable RIGHT lines
    GET    /repos/{o}/{r}/pulls/{n}/comments        our inline comments (finding markers)
    POST   /repos/{o}/{r}/pulls/{n}/comments        commit_id, path, line, side (+start_line)
    PATCH  /repos/{o}/{r}/pulls/comments/{id}       mark resolved / reopen
    GET    /repos/{o}/{r}/issues/{n}/comments       our summary (summary marker)
    POST   /repos/{o}/{r}/issues/{n}/comments       create it once ...
    PATCH  /repos/{o}/{r}/issues/comments/{id}      ... and update it in place afterwards

A review comment cannot be resolved through REST (threads resolve only in GraphQL), so a fixed
finding's comment is edited to start with "✅ Resolved in <sha>" and kept as a record; it is
restored if the finding comes back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prreview.change.ci import github_pull_request
from prreview.publish.anchors import (
    DiffLine,
    Existing,
    InlinePlan,
    Placement,
    patch_lines,
    plan_inline,
)

from ..errors import AuthError, UsageError
from ..models import Review
from .common import (
    Api,
    PublishResult,
    RetryPolicy,
    inline_body,
    is_resolved,
    is_summary,
    marker_key,
    resolved_body,
    summary_body,
)

DEFAULT_API_URL = "https://api.github.com"
READ = "pull-requests: read (and contents: read on a private repository)"
WRITE = "pull-requests: write"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HEADERS = {
    "Accept": "application/vnd.github+json",
    "X-GitHub-Api-Version": "2022-11-28",
    "User-Agent": "prreview",
}


@dataclass(frozen=True)
class GitHubTarget:
    api_url: str
    repository: str
    number: int
    token: str = field(repr=False)


def target_from_env(
    env: Mapping[str, str],
    *,
    repository: str | None = None,
    number: int | None = None,
    api_url: str | None = None,
) -> GitHubTarget:
    """Flags first, then GITHUB_REPOSITORY, the event payload and GITHUB_API_URL."""
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise AuthError(
            "no GitHub token: GITHUB_TOKEN is not set",
            hint="in the workflow step: `env: GITHUB_TOKEN: ${{ github.token }}` with "
            "`permissions: pull-requests: write`",
        )
    repo = repository or env.get("GITHUB_REPOSITORY", "")
    if not _REPOSITORY.match(repo):
        raise UsageError(
            f"GitHub repository {repo!r} is not OWNER/NAME",
            hint="pass --repository OWNER/NAME or set GITHUB_REPOSITORY",
        )
    pr = number if number is not None else _event_number(env)
    if pr is None or pr <= 0:
        raise UsageError(
            "no pull request number",
            hint="pass --number N, or run on a pull_request event (GITHUB_EVENT_PATH)",
        )
    base = (api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return GitHubTarget(api_url=base, repository=repo, number=pr, token=token)


def _event_number(env: Mapping[str, str]) -> int | None:
    # The event file alone is enough: also outside Actions (a replayed event, `act`).
    pull = github_pull_request({**env, "GITHUB_ACTIONS": "true"})
    value = pull.get("number") if pull else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def denied(status: int, need: str) -> AuthError:
    if status == 401:
        return AuthError(
            "GitHub rejected GITHUB_TOKEN (401): the token is invalid, expired or revoked",
            hint="pass the job's token: `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    if status == 403:
        return AuthError(
            f"GitHub refused the request (403): GITHUB_TOKEN needs {need}",
            hint=f"add `permissions: {need.split(' (')[0]}` to the job; on a pull request from "
            "a fork the token is read-only (skip commenting there)",
        )
    return AuthError(
        "GitHub answered 404: the repository or pull request does not exist, or GITHUB_TOKEN "
        f"cannot see it (GITHUB_TOKEN needs {need})",
        hint="check --repository and --number (or GITHUB_REPOSITORY and the event)",
    )


def publish_github(
    review: Review,
    target: GitHubTarget,
    *,
    retry: RetryPolicy,
    max_comments: int = 25,
    notes: Sequence[str] = (),
) -> PublishResult:
    """Create or update the summary and the inline comments of one pull request."""
    headers = {**_HEADERS, "Authorization": f"Bearer {target.token}"}
    with Api(target.api_url, headers, name="GitHub", denied=denied, retry=retry) as api:
        return _Publisher(api, target.repository, target.number).run(review, max_comments, notes)


class _Publisher:
    def __init__(self, api: Api, repository: str, number: int) -> None:
        self.api = api
        self.repo = f"repos/{repository}"
        self.pr = f"{self.repo}/pulls/{number}"
        self.issue = f"{self.repo}/issues/{number}"
        self.ours: Callable[[Mapping[str, Any]], bool] = lambda _: False

    def run(self, review: Review, max_comments: int, notes: Sequence[str]) -> PublishResult:
        pull = self.api.call("GET", self.pr, need=READ).json()
        pr_head = str((pull.get("head") or {}).get("sha") or "")
        self.ours = self._author_check()
        notes = list(notes)
        diff: dict[str, dict[int, DiffLine]] | None = None
        review_head = review.change.head_sha
        if review_head and pr_head and review_head != pr_head:
            notes.append(
                f"The pull request moved to {pr_head[:12]} after this review of "
                f"{review_head[:12]}; no new inline comments were posted."
            )
        else:
            diff = self._diff()
        plan = plan_inline(review, diff, self._existing(), max_new=max_comments)
        rejected = self._apply(plan, review_head or pr_head)
        result = PublishResult(
            platform="github",
            summary="",
            posted=len(plan.post) - len(rejected),
            kept=len(plan.kept),
            resolved=len(plan.resolve),
            reopened=len(plan.reopen),
            removed_duplicates=len(plan.duplicates),
            summary_only=plan.summary_only + tuple(rejected),
        )
        action = self._upsert_summary(summary_body(review, result, notes))
        return result.model_copy(update={"summary": action})

    def _author_check(self) -> Callable[[Mapping[str, Any]], bool]:
        """Only our own comments count: a marker pasted by someone else is ignored.

        GET /user names the owner of a personal token; the Actions token and app tokens get
        403 there, and then any bot account counts (a person cannot post as a bot).
        """
        resp = self.api.call("GET", "user", need=READ, accept=(403, 404))
        login = resp.json().get("login") if resp.status_code == 200 else None
        if isinstance(login, str) and login:
            return lambda c: (c.get("user") or {}).get("login") == login
        return lambda c: (c.get("user") or {}).get("type") == "Bot"

    def _diff(self) -> dict[str, dict[int, DiffLine]]:
        diff = {}
        for item in self.api.pages(f"{self.pr}/files", need=READ):
            if item.get("status") != "removed" and isinstance(item.get("filename"), str):
                diff[item["filename"]] = patch_lines(item.get("patch"))
        return diff

    def _existing(self) -> list[Existing]:
        found = []
        for c in self.api.pages(f"{self.pr}/comments", need=READ):
            key = marker_key(str(c.get("body") or ""))
            if key and not c.get("in_reply_to_id") and self.ours(c):
                body = str(c["body"])
                found.append(
                    Existing(key=key, id=str(c["id"]), body=body, resolved=is_resolved(body))
                )
        return found

    def _apply(self, plan: InlinePlan, head_sha: str) -> list[str]:
        """Post, resolve, reopen, de-duplicate; return the placements GitHub refused (422)."""
        rejected = [p for p in plan.post if not self._post(p, head_sha)]
        for item in plan.resolve:
            self._edit(item.id, resolved_body(item.body, head_sha))
        for item, finding in plan.reopen:
            self._edit(item.id, inline_body(finding, item.key))
        for item in plan.duplicates:
            self.api.call("DELETE", f"{self.repo}/pulls/comments/{item.id}", need=WRITE)
        return [f"{p.path}:{p.start}" for p in rejected]

    def _post(self, p: Placement, head_sha: str) -> bool:
        payload: dict[str, Any] = {
            "body": inline_body(p.finding, p.key),
            "commit_id": head_sha,
            "path": p.path,
            "line": p.end,
            "side": "RIGHT",
        }
        if p.start < p.end:
            payload.update(start_line=p.start, start_side="RIGHT")
        resp = self.api.call("POST", f"{self.pr}/comments", need=WRITE, json=payload, accept=(422,))
        return resp.status_code != 422

    def _edit(self, comment_id: str, body: str) -> None:
        url = f"{self.repo}/pulls/comments/{comment_id}"
        self.api.call("PATCH", url, need=WRITE, json={"body": body})

    def _upsert_summary(self, body: str) -> str:
        mine = [
            c
            for c in self.api.pages(f"{self.issue}/comments", need=READ)
            if is_summary(str(c.get("body") or "")) and self.ours(c)
        ]
        for extra in mine[1:]:
            self.api.call("DELETE", f"{self.repo}/issues/comments/{extra['id']}", need=WRITE)
        if not mine:
            self.api.call("POST", f"{self.issue}/comments", need=WRITE, json={"body": body})
            return "created"
        if mine[0].get("body") == body:
            return "unchanged"
        url = f"{self.repo}/issues/comments/{mine[0]['id']}"
        self.api.call("PATCH", url, need=WRITE, json={"body": body})
        return "updated"
