"""One pull request review per run: every new inline comment in one `POST :pr/reviews`.

GitHub creates a review all or nothing: one comment on a line it does not accept fails the
whole request with 422. prreview only places comments on lines the PR's own patches show, so
that is rare; when it happens the comments are split in halves and posted as smaller reviews
until the refused ones are isolated (they go to the summary), at most 2n-1 requests for n.

The event is COMMENT, or REQUEST_CHANGES with --request-changes when the gate failed. A
failed gate with no new comment still requests changes once (unless our last verdict on the
pull request already does); a passing gate dismisses our earlier request for changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from prreview.models import Review
from prreview.publish.anchors import Placement
from prreview.publish.common import inline_body, review_marker
from prreview.publish.http import Api, api_detail

COMMENT = "COMMENT"
REQUEST_CHANGES = "REQUEST_CHANGES"
_VERDICTS = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}


@dataclass
class Posted:
    rejected: list[str] = field(default_factory=list)
    """Locations of the comments GitHub refused (shown in the summary instead)."""
    requests: int = 0
    event: str = ""


class ReviewPoster:
    def __init__(
        self,
        api: Api,
        pr: str,
        ours: Callable[[Mapping[str, Any]], bool],
        *,
        read: str,
        write: str,
    ) -> None:
        self.api = api
        self.pr = pr
        self.ours = ours
        self.read = read
        self.need = write
        self.notes: list[str] = []
        self._posted = Posted()

    def post(
        self, review: Review, posts: Sequence[Placement], head_sha: str, request_changes: bool
    ) -> Posted:
        failed = request_changes and not review.gate.passed
        event = REQUEST_CHANGES if failed else COMMENT
        if failed and not posts and self._changes_requested():
            return self._posted
        if request_changes and review.gate.passed:
            self._withdraw(head_sha)
        if posts or failed:
            self._posted.event = event
            self._posted.rejected = self._submit(list(posts), head_sha, event, review)
        return self._posted

    def _submit(
        self, posts: list[Placement], head_sha: str, event: str, review: Review
    ) -> list[str]:
        payload = {
            "commit_id": head_sha,
            "event": event,
            "body": _review_body(review, len(posts), event, head_sha),
            "comments": [_comment(p) for p in posts],
        }
        resp = self.api.call(
            "POST", f"{self.pr}/reviews", need=self.need, json=payload, accept=(422,)
        )
        self._posted.requests += 1
        if resp.status_code != 422:
            return []
        detail = api_detail(resp)
        if event == REQUEST_CHANGES and "own pull request" in detail.lower():
            self.notes.append(
                "GitHub does not let this token request changes on its own pull request; "
                "the review was posted as comments."
            )
            self._posted.event = COMMENT
            return self._submit(posts, head_sha, COMMENT, review)
        if len(posts) <= 1:
            return [f"{p.path}:{p.start}" for p in posts]
        middle = len(posts) // 2
        first = self._submit(posts[:middle], head_sha, event, review)
        return first + self._submit(posts[middle:], head_sha, event, review)

    def _ours(self) -> list[Mapping[str, Any]]:
        reviews = self.api.pages(f"{self.pr}/reviews", need=self.read)
        return [r for r in reviews if self.ours(r) and r.get("state") in _VERDICTS]

    def _changes_requested(self) -> bool:
        verdicts = self._ours()
        return bool(verdicts) and verdicts[-1].get("state") == "CHANGES_REQUESTED"

    def _withdraw(self, head_sha: str) -> None:
        verdicts = self._ours()
        if not verdicts or verdicts[-1].get("state") != "CHANGES_REQUESTED":
            return
        url = f"{self.pr}/reviews/{verdicts[-1]['id']}/dismissals"
        message = f"prreview: the gate passes at {head_sha[:12] or 'the current head'}."
        self.api.call(
            "PUT", url, need=self.need, json={"message": message, "event": "DISMISS"}, accept=(404,)
        )
        self._posted.requests += 1


def _comment(p: Placement) -> dict[str, Any]:
    comment: dict[str, Any] = {
        "path": p.path,
        "body": inline_body(p.finding, p.key, "github", (p.start, p.end)),
        "line": p.end,
        "side": "RIGHT",
    }
    if p.start < p.end:
        comment.update(start_line=p.start, start_side="RIGHT")
    return comment


def _review_body(review: Review, count: int, event: str, head_sha: str) -> str:
    noun = "comment" if count == 1 else "comments"
    lines = [review_marker(head_sha)]
    if event == REQUEST_CHANGES:
        lines.append(
            f"prreview: the gate failed (fail-on {review.gate.fail_on}); changes requested."
        )
    if count:
        lines.append(f"prreview: {count} new inline {noun} on {head_sha[:12]}.")
    lines.append("The prreview summary comment has the whole report.")
    return "\n".join(lines) + "\n"
