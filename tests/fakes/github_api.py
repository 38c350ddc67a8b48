"""A loopback fake of the GitHub REST and GraphQL endpoints `prreview publish github` uses.

    with FakeGitHub("octo/app") as gh:
        gh.add_token("t-actions")                       # the Actions token: a bot, write access
        gh.add_pull(7, head="a" * 40, files={"app.py": "@@ -1,2 +1,3 @@\\n a\\n+b\\n c"})
        env = {"GITHUB_TOKEN": "t-actions", "GITHUB_API_URL": gh.api_url, ...}

Like GitHub it answers 422 to a review comment on a line that is not on the RIGHT side of
the pull request's diff (or a range across hunks, or a commit that is not the head), and to a
whole review when one of its comments is such a comment; 401 to an unknown token, 403 to a
write with a read-only token and 404 to an unknown repository. `POST /graphql` (see
`github_graphql`) serves review threads and resolves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from . import github_graphql
from .rest import Call, FakeRestServer, HttpError

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass
class Token:
    login: str = "github-actions[bot]"
    type: str = "Bot"
    write: bool = True
    personal: bool = False
    """A personal token may read GET /user; the Actions token gets 403 there."""


@dataclass
class Pull:
    head: str
    files: dict[str, str | None]
    """path -> patch (None: binary or too large, no patch)."""
    removed: set[str] = field(default_factory=set)
    body: str | None = None
    author: str = "octocat"
    reviews: list[dict[str, Any]] = field(default_factory=list)


def right_lines(patch: str | None) -> dict[int, int]:
    """RIGHT-side line -> hunk number, read from a patch the way GitHub shows it."""
    lines: dict[int, int] = {}
    new = hunk = 0
    for raw in (patch or "").splitlines():
        m = _HUNK.match(raw)
        if m:
            new, hunk = int(m.group(1)), hunk + 1
        elif hunk and not raw.startswith(("-", "\\")):
            lines[new] = hunk
            new += 1
    return lines


class FakeGitHub(FakeRestServer):
    def __init__(self, repository: str = "octo/app") -> None:
        super().__init__()
        self.repository = repository
        self.tokens: dict[str, Token] = {}
        self.pulls: dict[int, Pull] = {}
        self.issue_comments: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.resolved: dict[int, str | None] = {}
        """Top-level review comment id -> login that resolved its thread (GraphQL spelling)."""
        self.graphql_page = 100
        self.refuse: set[str] = set()
        """Paths whose review comments GitHub refuses (422), e.g. a file it stopped diffing."""
        self._ids = 1000
        repo = r"/repos/(?P<repo>[^/]+/[^/]+)"
        self.route("GET", r"/user", self._user)
        self.route("GET", repo + r"/pulls/(?P<n>\d+)", self._pull)
        self.route("GET", repo + r"/pulls/(?P<n>\d+)/files", self._files)
        self.route("GET", repo + r"/pulls/(?P<n>\d+)/comments", self._list_review)
        self.route("PATCH", repo + r"/pulls/(?P<n>\d+)", self._edit_pull)
        self.route("POST", repo + r"/pulls/(?P<n>\d+)/comments", self._create_comment)
        self.route("GET", repo + r"/pulls/(?P<n>\d+)/reviews", self._list_reviews)
        self.route("POST", repo + r"/pulls/(?P<n>\d+)/reviews", self._create_review)
        self.route(
            "PUT", repo + r"/pulls/(?P<n>\d+)/reviews/(?P<rid>\d+)/dismissals", self._dismiss
        )
        self.route("POST", r"/graphql", lambda call: github_graphql.answer(self, call))
        self.route("PATCH", repo + r"/pulls/comments/(?P<id>\d+)", self._edit_review)
        self.route("DELETE", repo + r"/pulls/comments/(?P<id>\d+)", self._delete_review)
        self.route("GET", repo + r"/issues/(?P<n>\d+)/comments", self._list_issue)
        self.route("POST", repo + r"/issues/(?P<n>\d+)/comments", self._create_issue)
        self.route("PATCH", repo + r"/issues/comments/(?P<id>\d+)", self._edit_issue)
        self.route("DELETE", repo + r"/issues/comments/(?P<id>\d+)", self._delete_issue)

    @property
    def api_url(self) -> str:
        return self.origin

    # -- state set-up

    def add_token(self, token: str, **kwargs: Any) -> None:
        self.tokens[token] = Token(**kwargs)

    def add_pull(
        self,
        number: int,
        *,
        head: str,
        files: dict[str, str | None],
        body: str | None = None,
        author: str = "octocat",
    ) -> None:
        self.pulls[number] = Pull(head=head, files=dict(files), body=body, author=author)

    def push(self, number: int, *, head: str, files: dict[str, str | None]) -> None:
        """A new head for the pull request (its comments stay)."""
        self.pulls[number].head = head
        self.pulls[number].files = dict(files)

    def post_as(self, login: str, kind: str, number: int, body: str, **extra: Any) -> None:
        """A comment written by someone else (e.g. a PR author pasting one of our markers)."""
        cid = self._id()
        item = {"id": cid, "body": body, "user": {"login": login, "type": "User"}}
        item.update(node_id=f"PRRC_{cid}", number=number, in_reply_to_id=None, **extra)
        (self.issue_comments if kind == "issue" else self.review_comments).append(item)

    def resolve_as(self, login: str, comment_id: int) -> None:
        """A person resolves the thread of a review comment in the web UI."""
        self.resolved[comment_id] = login

    def is_resolved(self, comment: dict[str, Any]) -> bool:
        return comment["id"] in self.resolved

    def token_for(self, call: Call, *, write: bool = False) -> Token:
        return self._auth(call, write=write)

    # -- helpers

    def _id(self) -> int:
        self._ids += 1
        return self._ids

    def _auth(self, call: Call, *, write: bool = False) -> Token:
        raw = call.headers.get("authorization", "")
        token = self.tokens.get(raw.split(" ", 1)[1] if " " in raw else "")
        if token is None:
            raise HttpError(401, "Bad credentials")
        if call.match.groupdict().get("repo", self.repository) != self.repository:
            raise HttpError(404, "Not Found")
        if write and not token.write:
            raise HttpError(403, "Resource not accessible by integration")
        return token

    def _pr(self, call: Call) -> Pull:
        pull = self.pulls.get(int(call.match.group("n")))
        if pull is None:
            raise HttpError(404, "Not Found")
        return pull

    def _owned(self, items: list[dict[str, Any]], call: Call, token: Token) -> dict[str, Any]:
        for item in items:
            if item["id"] == int(call.match.group("id")):
                if item["user"]["login"] != token.login:
                    raise HttpError(403, "Must have admin rights to Repository.")
                return item
        raise HttpError(404, "Not Found")

    # -- routes

    def _user(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call)
        if not token.personal:
            raise HttpError(403, "Resource not accessible by integration")
        return 200, {"login": token.login, "type": token.type}

    def _pull(self, call: Call) -> tuple[int, Any]:
        self._auth(call)
        return 200, self._pull_json(call, self._pr(call))

    def _pull_json(self, call: Call, pull: Pull) -> dict[str, Any]:
        return {
            "number": int(call.match.group("n")),
            "head": {"sha": pull.head},
            "body": pull.body,
            "user": {"login": pull.author, "type": "User"},
        }

    def _files(self, call: Call) -> Any:
        self._auth(call)
        pull = self._pr(call)
        files = []
        for path, patch in pull.files.items():
            item: dict[str, Any] = {"filename": path, "status": "modified"}
            if patch is not None:
                item["patch"] = patch
            files.append(item)
        return self.page(call, files)

    def _list_review(self, call: Call) -> Any:
        self._auth(call)
        n = int(call.match.group("n"))
        return self.page(call, [c for c in self.review_comments if c["number"] == n])

    def _check_comment(self, pull: Pull, body: dict[str, Any]) -> None:
        if body.get("path") not in pull.files or body.get("path") in self.refuse:
            raise HttpError(422, "Validation Failed: path could not be resolved")
        lines = right_lines(pull.files[body["path"]])
        line, start = body.get("line"), body.get("start_line")
        if body.get("side") != "RIGHT" or line not in lines:
            raise HttpError(422, "Validation Failed: line must be part of the diff")
        if start is not None and (
            start not in lines
            or lines[start] != lines[line]
            or start >= line
            or body.get("start_side") != "RIGHT"
        ):
            raise HttpError(422, "Validation Failed: start_line must be part of the same hunk")
        if not isinstance(body.get("body"), str) or not body["body"]:
            raise HttpError(422, "Validation Failed: body is missing")

    def _add_comment(
        self, call: Call, token: Token, body: dict[str, Any], commit: str, review: int | None
    ) -> dict[str, Any]:
        cid = self._id()
        item = {
            "id": cid,
            "node_id": f"PRRC_{cid}",
            "pull_request_review_id": review,
            "number": int(call.match.group("n")),
            "body": body["body"],
            "path": body["path"],
            "line": body["line"],
            "start_line": body.get("start_line"),
            "side": "RIGHT",
            "commit_id": commit,
            "in_reply_to_id": None,
            "user": {"login": token.login, "type": token.type},
        }
        self.review_comments.append(item)
        return item

    def _create_comment(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        pull = self._pr(call)
        body = call.body or {}
        if body.get("commit_id") != pull.head:
            raise HttpError(422, "Validation Failed: commit_id is not part of the pull request")
        self._check_comment(pull, body)
        return 201, self._add_comment(call, token, body, body["commit_id"], None)

    def _create_review(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        pull = self._pr(call)
        body = call.body or {}
        event = body.get("event")
        if body.get("commit_id") != pull.head:
            raise HttpError(422, "Unprocessable Entity: commit_id is not part of the pull request")
        if event not in ("COMMENT", "REQUEST_CHANGES", "APPROVE"):
            raise HttpError(422, "Unprocessable Entity: event must be COMMENT, ... (or pending)")
        if event in ("COMMENT", "REQUEST_CHANGES") and not body.get("body"):
            raise HttpError(422, "Unprocessable Entity: body is required for this event")
        if event != "COMMENT" and token.login == pull.author:
            raise HttpError(
                422, "Unprocessable Entity: Can not request changes on your own pull request"
            )
        comments = body.get("comments") or []
        for comment in comments:  # all or nothing, like GitHub
            self._check_comment(pull, comment)
        state = {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(
            event, "APPROVED"
        )
        rid = self._id()
        review = {
            "id": rid,
            "node_id": f"PRR_{rid}",
            "user": {"login": token.login, "type": token.type},
            "body": body["body"],
            "state": state,
            "commit_id": pull.head,
        }
        pull.reviews.append(review)
        for comment in comments:
            self._add_comment(call, token, comment, pull.head, rid)
        return 200, review

    def _list_reviews(self, call: Call) -> Any:
        self._auth(call)
        return self.page(call, self._pr(call).reviews)

    def _dismiss(self, call: Call) -> tuple[int, Any]:
        self._auth(call, write=True)
        for review in self._pr(call).reviews:
            if review["id"] == int(call.match.group("rid")):
                if (call.body or {}).get("event") != "DISMISS" or not (call.body or {}).get(
                    "message"
                ):
                    raise HttpError(422, "Validation Failed: message and event DISMISS required")
                review["state"] = "DISMISSED"
                return 200, review
        raise HttpError(404, "Not Found")

    def _edit_pull(self, call: Call) -> tuple[int, Any]:
        self._auth(call, write=True)
        pull = self._pr(call)
        body = call.body or {}
        if set(body) - {"title", "body", "state", "base", "maintainer_can_modify"}:
            raise HttpError(422, "Validation Failed: unknown field")
        pull.body = body.get("body", pull.body)
        return 200, self._pull_json(call, pull)

    def _edit_review(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        item = self._owned(self.review_comments, call, token)
        item["body"] = (call.body or {})["body"]
        return 200, item

    def _delete_review(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        self.review_comments.remove(self._owned(self.review_comments, call, token))
        return 204, None

    def _list_issue(self, call: Call) -> Any:
        self._auth(call)
        n = int(call.match.group("n"))
        return self.page(call, [c for c in self.issue_comments if c["number"] == n])

    def _create_issue(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        self._pr(call)
        item = {
            "id": self._id(),
            "number": int(call.match.group("n")),
            "body": (call.body or {})["body"],
            "user": {"login": token.login, "type": token.type},
        }
        self.issue_comments.append(item)
        return 201, item

    def _edit_issue(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        item = self._owned(self.issue_comments, call, token)
        item["body"] = (call.body or {})["body"]
        return 200, item

    def _delete_issue(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        self.issue_comments.remove(self._owned(self.issue_comments, call, token))
        return 204, None
