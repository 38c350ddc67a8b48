"""Publish a Review to a GitLab merge request: one sticky summary note plus diff discussions.

REST calls (https://docs.gitlab.com/api/), `:mr` = /projects/:id/merge_requests/:iid:

    GET  :mr / PUT :mr                     description: the section of --description
    GET  :mr/versions                      latest base/start/head commit shas (first entry)
    GET  :mr/diffs                         per-file `diff` -> commentable new lines
                                           (:mr/changes on GitLab < 15.7)
    GET  :mr/discussions                   our summary note and our diff discussions (markers)
    POST :mr/discussions                   body + position (position_type text, base_sha,
                                           start_sha, head_sha, old_path, new_path, new_line,
                                           and old_line for an unchanged line)
    PUT  :mr/discussions/:id               resolved=true when the finding is gone
    POST :mr/notes / PUT :mr/notes/:id     the summary, created once and updated in place

A fixed finding's discussion is resolved (and unresolved if the finding comes back). A
replacement that covers exactly the commented lines is a ```suggestion:-0+N``` on the first of
them ("Apply suggestion"). The summary note is written last and left alone when a call fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from prreview.errors import AuthError, UsageError
from prreview.models import Review
from prreview.publish import description
from prreview.publish.anchors import (
    DiffLine,
    Existing,
    InlinePlan,
    Placement,
    patch_lines,
    plan_inline,
)
from prreview.publish.common import (
    PublishOptions,
    PublishResult,
    inline_body,
    is_summary,
    marker_key,
    summary_body,
    summary_head,
)
from prreview.publish.http import Api, RetryPolicy
from prreview.publish.suggest import applies

DEFAULT_API_URL = "https://gitlab.com/api/v4"
READ = "the api (or read_api) scope and at least the Reporter role"
WRITE = "the api scope and the Developer role (to comment and resolve threads)"
_PROJECT = re.compile(r"^(?:\d+|[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)$")


@dataclass(frozen=True)
class GitLabTarget:
    api_url: str
    project: str
    iid: int
    token: str = field(repr=False)
    token_name: str = "GITLAB_TOKEN"
    """GITLAB_TOKEN (sent as PRIVATE-TOKEN) or CI_JOB_TOKEN (sent as JOB-TOKEN)."""

    @property
    def headers(self) -> dict[str, str]:
        name = "JOB-TOKEN" if self.token_name == "CI_JOB_TOKEN" else "PRIVATE-TOKEN"
        return {name: self.token, "User-Agent": "prreview"}


def target_from_env(
    env: Mapping[str, str],
    *,
    project: str | None = None,
    iid: int | None = None,
    api_url: str | None = None,
) -> GitLabTarget:
    """Flags first, then CI_PROJECT_ID, CI_MERGE_REQUEST_IID and CI_API_V4_URL."""
    token_name = next((n for n in ("GITLAB_TOKEN", "CI_JOB_TOKEN") if env.get(n, "").strip()), "")
    if not token_name:
        raise AuthError(
            "no GitLab token: neither GITLAB_TOKEN nor CI_JOB_TOKEN is set",
            hint="store a project access token (api scope, Developer role) as the masked "
            "CI/CD variable GITLAB_TOKEN",
        )
    proj = project or env.get("CI_PROJECT_ID", "")
    if not _PROJECT.match(proj):
        raise UsageError(
            f"GitLab project {proj!r} is neither an id nor a GROUP/NAME path",
            hint="pass --repository ID|PATH or set CI_PROJECT_ID",
        )
    number = iid if iid is not None else _int(env.get("CI_MERGE_REQUEST_IID", ""))
    if number is None or number <= 0:
        raise UsageError(
            "no merge request iid",
            hint="pass --number IID, or run in a merge request pipeline (CI_MERGE_REQUEST_IID)",
        )
    base = (api_url or env.get("CI_API_V4_URL") or DEFAULT_API_URL).rstrip("/")
    return GitLabTarget(
        api_url=base, project=proj, iid=number, token=env[token_name].strip(), token_name=token_name
    )


def _int(text: str) -> int | None:
    return int(text) if text.strip().isdigit() else None


def denier(token_name: str) -> Callable[[int, str, str], AuthError]:
    def denied(status: int, need: str, endpoint: str) -> AuthError:
        job_hint = (
            "CI_JOB_TOKEN cannot write merge request comments: store a project access token "
            "as the masked CI/CD variable GITLAB_TOKEN"
            if token_name == "CI_JOB_TOKEN"
            else "give the token the api scope and the Developer role on the project"
        )
        if status == 401:
            return AuthError(
                f"GitLab rejected {token_name} (401) on {endpoint}: the token is invalid, "
                "expired or revoked",
                hint=job_hint,
            )
        if status == 403:
            return AuthError(
                f"GitLab refused {endpoint} (403): {token_name} needs {need}", hint=job_hint
            )
        return AuthError(
            f"GitLab answered 404 to {endpoint}: the project or merge request does not exist, "
            f"or {token_name} cannot see it ({token_name} needs {need})",
            hint="check --repository and --number (or CI_PROJECT_ID and CI_MERGE_REQUEST_IID)",
        )

    return denied


def publish_gitlab(
    review: Review | None, target: GitLabTarget, *, retry: RetryPolicy, options: PublishOptions
) -> PublishResult:
    """Create or update the description section, the diff discussions and the summary note."""
    denied = denier(target.token_name)
    with Api(target.api_url, target.headers, name="GitLab", denied=denied, retry=retry) as api:
        mr = f"projects/{quote(target.project, safe='')}/merge_requests/{target.iid}"
        publisher = _Publisher(api, mr)
        described = ""
        if options.description is not None:
            described = publisher.describe(options.description)
        if review is None:
            return PublishResult(platform="gitlab", summary="", description=described)
        result = publisher.run(review, options.max_comments, options.notes)
        return result.model_copy(update={"description": described})


@dataclass
class _Diff:
    lines: dict[str, dict[int, DiffLine]] = field(default_factory=dict)
    old_paths: dict[str, str] = field(default_factory=dict)


class _Publisher:
    def __init__(self, api: Api, mr: str) -> None:
        self.api = api
        self.mr = mr
        self.ours: Callable[[Mapping[str, Any]], bool] = lambda _: False
        self.refs: dict[str, str] = {}

    def run(self, review: Review, max_comments: int, notes: Sequence[str]) -> PublishResult:
        self.ours = self._author_check()
        versions = self.api.call("GET", f"{self.mr}/versions", need=READ).json()
        latest = versions[0] if isinstance(versions, list) and versions else {}
        self.refs = {
            "base_sha": str(latest.get("base_commit_sha") or ""),
            "start_sha": str(latest.get("start_commit_sha") or ""),
            "head_sha": str(latest.get("head_commit_sha") or ""),
        }
        notes = list(notes)
        diff: _Diff | None = None
        mr_head, review_head = self.refs["head_sha"], review.change.head_sha
        if not mr_head or (review_head and review_head != mr_head):
            notes.append(
                f"The merge request moved to {mr_head[:12] or 'an unknown commit'} after this "
                f"review of {(review_head or '')[:12]}; no new inline comments were posted."
            )
        else:
            diff = self._diff()
        discussions = list(self.api.pages(f"{self.mr}/discussions", need=READ))
        existing = self._existing(discussions)
        plan = plan_inline(review, diff.lines if diff else None, existing, max_new=max_comments)
        rejected = self._apply(plan, diff or _Diff())
        result = PublishResult(
            platform="gitlab",
            summary="",
            posted=len(plan.post) - len(rejected),
            kept=len(plan.kept),
            resolved=len(plan.resolve),
            reopened=len(plan.reopen),
            removed_duplicates=len(plan.duplicates),
            summary_only=plan.summary_only + tuple(rejected),
        )
        body = summary_body(review, result, notes)
        action = self._upsert_summary(discussions, body, review_head, mr_head)
        return result.model_copy(update={"summary": action})

    def describe(self, text: str) -> str:
        mr = self.api.call("GET", self.mr, need=READ).json()
        body = str((mr or {}).get("description") or "")
        merged = description.merge(body, text, limit=description.GITLAB_DESCRIPTION_LIMIT)
        if merged == body:
            return "unchanged"
        self.api.call("PUT", self.mr, need=WRITE, json={"description": merged})
        return "updated" if description.find_section(body) else "created"

    def _author_check(self) -> Callable[[Mapping[str, Any]], bool]:
        """Only our own notes count. A job token cannot read /user: then markers alone decide."""
        resp = self.api.call("GET", "user", need=READ, accept=(401, 403, 404))
        user = resp.json().get("username") if resp.status_code == 200 else None
        if isinstance(user, str) and user:
            return lambda n: (n.get("author") or {}).get("username") == user
        return lambda n: True

    def _diff(self) -> _Diff:
        diff = _Diff()
        files = self.api.pages_or_none(f"{self.mr}/diffs", need=READ)
        if files is None:  # GitLab before 15.7 has only the deprecated /changes
            changes = self.api.call("GET", f"{self.mr}/changes", need=READ).json()
            files = (changes.get("changes") or []) if isinstance(changes, dict) else []
        for item in files:
            new_path = item.get("new_path")
            if isinstance(new_path, str) and not item.get("deleted_file"):
                diff.lines[new_path] = patch_lines(item.get("diff"))
                diff.old_paths[new_path] = str(item.get("old_path") or new_path)
        return diff

    def _existing(self, discussions: list[Any]) -> list[Existing]:
        found = []
        for d in discussions:
            notes = d.get("notes") or []
            first = notes[0] if notes else {}
            key = marker_key(str(first.get("body") or ""))
            if d.get("individual_note") or not key or first.get("system") or not self.ours(first):
                continue
            found.append(
                Existing(
                    key=key,
                    id=str(d.get("id")),
                    note_id=str(first.get("id")),
                    body=str(first.get("body")),
                    resolved=bool(first.get("resolved")),
                )
            )
        return found

    def _apply(self, plan: InlinePlan, diff: _Diff) -> list[str]:
        rejected = [p for p in plan.post if not self._post(p, diff)]
        for item in plan.resolve:
            self._resolve(item.id, True)
        for item, finding in plan.reopen:
            self._resolve(item.id, False)
            url = f"{self.mr}/discussions/{item.id}/notes/{item.note_id}"
            body = {"body": inline_body(finding, item.key)}
            self.api.call("PUT", url, need=WRITE, json=body, accept=(404,))
        for item in plan.duplicates:
            url = f"{self.mr}/discussions/{item.id}/notes/{item.note_id}"
            self.api.call("DELETE", url, need=WRITE, accept=(404,))
        return [f"{p.path}:{p.start}" for p in rejected]

    def _post(self, p: Placement, diff: _Diff) -> bool:
        # A suggestion starts on the first commented line (`suggestion:-0+N` counts down).
        at = p.start if applies(p.finding, p.start, p.end) else p.end
        line = diff.lines.get(p.path, {}).get(at)
        position: dict[str, Any] = {
            "position_type": "text",
            **self.refs,
            "old_path": diff.old_paths.get(p.path, p.path),
            "new_path": p.path,
            "new_line": at,
        }
        if line is not None and line.old is not None:
            position["old_line"] = line.old
        body = inline_body(p.finding, p.key, "gitlab", (p.start, p.end))
        payload = {"body": body, "position": position}
        url = f"{self.mr}/discussions"
        resp = self.api.call("POST", url, need=WRITE, json=payload, accept=(400, 422))
        return resp.status_code not in (400, 422)

    def _resolve(self, discussion_id: str, resolved: bool) -> None:
        url = f"{self.mr}/discussions/{discussion_id}"
        self.api.call("PUT", url, need=WRITE, json={"resolved": resolved}, accept=(404,))

    def _upsert_summary(
        self, discussions: list[Any], body: str, review_head: str | None, mr_head: str
    ) -> str:
        mine = []
        for d in discussions:
            for note in d.get("notes") or []:
                text = str(note.get("body") or "")
                if is_summary(text) and not note.get("system") and self.ours(note):
                    mine.append(note)
        for extra in mine[1:]:
            self.api.call("DELETE", f"{self.mr}/notes/{extra['id']}", need=WRITE, accept=(404,))
        shown = summary_head(str(mine[0].get("body") or "")) if mine else ""
        if shown and review_head and review_head != mr_head and shown == mr_head:
            return "kept"  # the note already reports the current head; this review is older
        if mine and mine[0].get("body") == body:
            return "unchanged"
        if mine:
            url = f"{self.mr}/notes/{mine[0]['id']}"
            resp = self.api.call("PUT", url, need=WRITE, json={"body": body}, accept=(404,))
            if resp.status_code != 404:
                return "updated"
        self.api.call("POST", f"{self.mr}/notes", need=WRITE, json={"body": body})
        return "created"
