"""Publish a Review to a GitHub pull request: one review per run plus one sticky summary.

REST calls (https://docs.github.com/rest), `:pr` = /repos/{o}/{r}/pulls/{n}:

    GET    :pr                                  head sha and body of the PR
    PATCH  :pr                                  body: the description section (--description)
    GET    :pr/files                            `patch` per file -> commentable RIGHT lines
    GET    :pr/comments                         our inline comments (finding markers, node_id)
    POST   :pr/reviews                          ONE review: commit_id, event, body, comments[]
                                                (path, line, side, start_line, start_side)
    GET    :pr/reviews                          only with --request-changes: our last verdict
    PUT    :pr/reviews/{id}/dismissals          ... withdrawn once the gate passes
    DELETE /repos/{o}/{r}/pulls/comments/{id}   a duplicate comment
    GET    /repos/{o}/{r}/issues/{n}/comments   our summary (summary marker)
    POST   /repos/{o}/{r}/issues/{n}/comments   create it once ...
    PATCH  /repos/{o}/{r}/issues/comments/{id}  ... and update it in place afterwards

GraphQL (`github_threads`): the review threads of our comments, and resolveReviewThread /
unresolveReviewThread for fixed findings and findings that came back. A thread a person
resolved stays resolved. The summary is written last: when any call fails, the summary is
left as it was, and the error names the endpoint and the permission it needs.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from prreview.change.ci import github_pull_request
from prreview.errors import AuthError, UsageError
from prreview.models import Review
from prreview.publish import description
from prreview.publish.anchors import DiffLine, Existing, InlinePlan, patch_lines, plan_inline
from prreview.publish.common import (
    PublishOptions,
    PublishResult,
    inline_body,
    is_resolved,
    is_summary,
    marker_key,
    resolved_body,
    summary_body,
    summary_head,
)
from prreview.publish.github_review import ReviewPoster
from prreview.publish.github_threads import GraphQL, graphql_url
from prreview.publish.http import Api, RetryPolicy

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


def denied(status: int, need: str, endpoint: str) -> AuthError:
    if status == 401:
        return AuthError(
            f"GitHub rejected GITHUB_TOKEN (401) on {endpoint}: the token is invalid, expired "
            "or revoked",
            hint="pass the job's token: `env: GITHUB_TOKEN: ${{ github.token }}`",
        )
    if status == 403:
        return AuthError(
            f"GitHub refused {endpoint} (403): GITHUB_TOKEN needs {need}",
            hint=f"add `permissions: {need.split(' (')[0]}` to the job; on a pull request from "
            "a fork the token is read-only (skip commenting there)",
        )
    return AuthError(
        f"GitHub answered 404 to {endpoint}: the repository or pull request does not exist, "
        f"or GITHUB_TOKEN cannot see it (GITHUB_TOKEN needs {need})",
        hint="check --repository and --number (or GITHUB_REPOSITORY and the event)",
    )


def publish_github(
    review: Review | None, target: GitHubTarget, *, retry: RetryPolicy, options: PublishOptions
) -> PublishResult:
    """Create or update the description section, the review threads and the summary."""
    headers = {**_HEADERS, "Authorization": f"Bearer {target.token}"}
    with Api(target.api_url, headers, name="GitHub", denied=denied, retry=retry) as api:
        gql = GraphQL(api, graphql_url(target.api_url), denied)
        return _Publisher(api, gql, target.repository, target.number).run(review, options)


class _Publisher:
    def __init__(self, api: Api, gql: GraphQL, repository: str, number: int) -> None:
        self.api = api
        self.gql = gql
        self.repository = repository
        self.number = number
        self.repo = f"repos/{repository}"
        self.pr = f"{self.repo}/pulls/{number}"
        self.issue = f"{self.repo}/issues/{number}"
        self.ours: Callable[[Mapping[str, Any]], bool] = lambda _: False

    def run(self, review: Review | None, options: PublishOptions) -> PublishResult:
        pull = self.api.call("GET", self.pr, need=READ).json()
        described = ""
        if options.description is not None:
            described = self._describe(pull, options.description)
        if review is None:
            return PublishResult(platform="github", summary="", description=described)
        pr_head = str((pull.get("head") or {}).get("sha") or "")
        self.ours = self._author_check()
        notes = list(options.notes)
        diff: dict[str, dict[int, DiffLine]] | None = None
        review_head = review.change.head_sha
        if review_head and pr_head and review_head != pr_head:
            notes.append(
                f"The pull request moved to {pr_head[:12]} after this review of "
                f"{review_head[:12]}; no new inline comments were posted."
            )
        else:
            diff = self._diff()
        plan = plan_inline(review, diff, self._existing(), max_new=options.max_comments)
        poster = ReviewPoster(self.api, self.pr, self.ours, read=READ, write=WRITE)
        posted = poster.post(
            review, plan.post, pr_head or review_head or "", options.request_changes
        )
        notes.extend(poster.notes)
        self._apply(plan, review_head or pr_head)
        result = PublishResult(
            platform="github",
            summary="",
            description=described,
            posted=len(plan.post) - len(posted.rejected),
            kept=len(plan.kept),
            resolved=len(plan.resolve),
            reopened=len(plan.reopen),
            removed_duplicates=len(plan.duplicates),
            summary_only=plan.summary_only + tuple(posted.rejected),
            review_requests=posted.requests,
            event=posted.event,
        )
        action = self._upsert_summary(summary_body(review, result, notes), review_head, pr_head)
        return result.model_copy(update={"summary": action})

    def _describe(self, pull: Mapping[str, Any], text: str) -> str:
        body = str(pull.get("body") or "")
        merged = description.merge(body, text, limit=description.GITHUB_BODY_LIMIT)
        if merged == body:
            return "unchanged"
        self.api.call("PATCH", self.pr, need=WRITE, json={"body": merged})
        return "updated" if description.find_section(body) else "created"

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
        comments = [
            c
            for c in self.api.pages(f"{self.pr}/comments", need=READ)
            if marker_key(str(c.get("body") or "")) and not c.get("in_reply_to_id") and self.ours(c)
        ]
        threads = self.gql.threads(self.repository, self.number) if comments else {}
        found = []
        for c in comments:
            body = str(c["body"])
            legacy = is_resolved(body)
            thread = threads.get(str(c.get("node_id") or ""))
            resolved = legacy or (thread is not None and thread.resolved)
            by_us = legacy or thread is None or not thread.resolved or thread.resolved_by_author
            found.append(
                Existing(
                    key=marker_key(body) or "",
                    id=str(c["id"]),
                    body=body,
                    resolved=resolved,
                    thread=thread.id if thread else "",
                    resolved_by_us=by_us,
                )
            )
        return found

    def _apply(self, plan: InlinePlan, head_sha: str) -> None:
        """Resolve fixed findings' threads, reopen returning ones, delete duplicates.

        A comment deleted meanwhile (404) is skipped: there is nothing left to update.
        """
        changes = [(item.thread, True) for item in plan.resolve if item.thread]
        for item in plan.resolve:
            if not item.thread:  # no thread known: mark the text instead
                self._edit(item.id, resolved_body(item.body, head_sha))
        for item, finding in plan.reopen:
            if is_resolved(item.body):  # resolved by editing its text (prreview < 0.2)
                self._edit(item.id, inline_body(finding, item.key))
            if item.thread and not is_resolved(item.body):
                changes.append((item.thread, False))
        if changes:
            self.gql.set_resolved(changes)
        for item in plan.duplicates:
            url = f"{self.repo}/pulls/comments/{item.id}"
            self.api.call("DELETE", url, need=WRITE, accept=(404,))

    def _edit(self, comment_id: str, body: str) -> None:
        url = f"{self.repo}/pulls/comments/{comment_id}"
        self.api.call("PATCH", url, need=WRITE, json={"body": body}, accept=(404,))

    def _upsert_summary(self, body: str, review_head: str | None, pr_head: str) -> str:
        mine = [
            c
            for c in self.api.pages(f"{self.issue}/comments", need=READ)
            if is_summary(str(c.get("body") or "")) and self.ours(c)
        ]
        for extra in mine[1:]:
            url = f"{self.repo}/issues/comments/{extra['id']}"
            self.api.call("DELETE", url, need=WRITE, accept=(404,))
        if mine and _newer(str(mine[0].get("body") or ""), review_head, pr_head):
            return "kept"
        if mine and mine[0].get("body") == body:
            return "unchanged"
        if mine:
            url = f"{self.repo}/issues/comments/{mine[0]['id']}"
            resp = self.api.call("PATCH", url, need=WRITE, json={"body": body}, accept=(404,))
            if resp.status_code != 404:
                return "updated"
        self.api.call("POST", f"{self.issue}/comments", need=WRITE, json={"body": body})
        return "created"


def _newer(summary: str, review_head: str | None, pr_head: str) -> bool:
    """The summary already reports the PR's current head, and this review is of an older one."""
    shown = summary_head(summary)
    return bool(shown and pr_head and review_head and review_head != pr_head and shown == pr_head)
