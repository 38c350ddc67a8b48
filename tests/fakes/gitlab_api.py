"""A loopback fake of the GitLab REST v4 endpoints `prreview publish gitlab` uses, with state.

    with FakeGitLab(project_id=42, path="group/app") as gl:
        gl.add_token("glpat-x", username="prreview-bot")
        gl.add_mr(5, base="b" * 40, start="s" * 40, head="h" * 40, diffs={"app.py": patch})
        env = {"GITLAB_TOKEN": "glpat-x", "CI_API_V4_URL": gl.api_url, ...}

Like GitLab it answers 400 to a diff note whose position is not a line of the MR diff (or an
unchanged line without its old_line, or stale diff refs), 401 to an unknown token and to
/user with a job token, 403 to a write by a token without write access, 404 to an unknown
project or merge request. `legacy=True` serves /changes instead of /diffs (GitLab < 15.7).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .rest import Call, FakeRestServer, HttpError

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_SUGGESTION = re.compile(r"^`{3,}suggestion:-(\d+)\+(\d+)$", re.MULTILINE)


@dataclass
class Token:
    username: str = "prreview-bot"
    write: bool = True
    job: bool = False


@dataclass
class MergeRequest:
    base: str
    start: str
    head: str
    diffs: dict[str, str]
    renamed_from: dict[str, str] = field(default_factory=dict)
    discussions: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""


def new_lines(diff: str) -> dict[int, int | None]:
    """New line -> old line for an unchanged line, None for an added one."""
    lines: dict[int, int | None] = {}
    old = new = 0
    started = False
    for raw in diff.splitlines():
        m = _HUNK.match(raw)
        if m:
            old, new, started = int(m.group(1)), int(m.group(2)), True
        elif not started or raw.startswith("\\"):
            continue
        elif raw.startswith("+"):
            lines[new] = None
            new += 1
        elif raw.startswith("-"):
            old += 1
        else:
            lines[new] = old
            old, new = old + 1, new + 1
    return lines


class FakeGitLab(FakeRestServer):
    def __init__(self, project_id: int = 42, path: str = "group/app", legacy: bool = False) -> None:
        super().__init__()
        self.project_ids = {str(project_id), path}
        self.legacy = legacy
        self.tokens: dict[str, Token] = {}
        self.mrs: dict[int, MergeRequest] = {}
        self._ids = 500
        mr = r"/api/v4/projects/(?P<project>.+?)/merge_requests/(?P<iid>\d+)"
        self.route("GET", r"/api/v4/user", self._user)
        self.route("GET", mr, self._get_mr)
        self.route("PUT", mr, self._update_mr)
        self.route("GET", mr + r"/versions", self._versions)
        self.route("GET", mr + r"/diffs", self._diffs)
        self.route("GET", mr + r"/changes", self._changes)
        self.route("GET", mr + r"/discussions", self._list_discussions)
        self.route("POST", mr + r"/discussions", self._create_discussion)
        self.route("PUT", mr + r"/discussions/(?P<did>[0-9a-f]+)", self._resolve)
        self.route("PUT", mr + r"/discussions/(?P<did>[0-9a-f]+)/notes/(?P<nid>\d+)", self._edit)
        self.route(
            "DELETE", mr + r"/discussions/(?P<did>[0-9a-f]+)/notes/(?P<nid>\d+)", self._delete
        )
        self.route("POST", mr + r"/notes", self._create_note)
        self.route("PUT", mr + r"/notes/(?P<nid>\d+)", self._edit)
        self.route("DELETE", mr + r"/notes/(?P<nid>\d+)", self._delete)

    @property
    def api_url(self) -> str:
        return f"{self.origin}/api/v4"

    # -- state set-up and queries

    def add_token(self, token: str, **kwargs: Any) -> None:
        self.tokens[token] = Token(**kwargs)

    def add_mr(
        self,
        iid: int,
        *,
        base: str,
        start: str,
        head: str,
        diffs: dict[str, str],
        description: str = "",
    ) -> None:
        self.mrs[iid] = MergeRequest(
            base=base, start=start, head=head, diffs=dict(diffs), description=description
        )

    def push(self, iid: int, *, head: str, diffs: dict[str, str]) -> None:
        self.mrs[iid].head = head
        self.mrs[iid].diffs = dict(diffs)

    def notes(self, iid: int, *, diff: bool) -> list[dict[str, Any]]:
        """First notes of the diff discussions (diff=True) or the plain MR notes."""
        return [
            d["notes"][0]
            for d in self.mrs[iid].discussions
            if d["notes"] and (not d["individual_note"]) == diff
        ]

    def note_as(self, username: str, iid: int, body: str, *, diff: bool = False) -> None:
        self._add(self.mrs[iid], username, body, position=None, individual=not diff)

    # -- helpers

    def _auth(self, call: Call, *, write: bool = False) -> Token:
        headers = call.headers
        token = self.tokens.get(headers.get("private-token") or headers.get("job-token") or "")
        if token is None or (token.job and "job-token" not in headers):
            raise HttpError(401, "401 Unauthorized")
        if (
            call.match.groupdict().get("project", next(iter(self.project_ids)))
            not in self.project_ids
        ):
            raise HttpError(404, "404 Project Not Found")
        if write and (not token.write or token.job):
            raise HttpError(403, "403 Forbidden")
        return token

    def _mr(self, call: Call) -> MergeRequest:
        mr = self.mrs.get(int(call.match.group("iid")))
        if mr is None:
            raise HttpError(404, "404 Not found")
        return mr

    def _add(
        self, mr: MergeRequest, username: str, body: str, *, position: Any, individual: bool
    ) -> dict[str, Any]:
        self._ids += 1
        note = {
            "id": self._ids,
            "body": body,
            "author": {"username": username},
            "system": False,
            "resolvable": not individual,
            "resolved": False,
            "position": position,
        }
        discussion = {"id": uuid.uuid4().hex, "individual_note": individual, "notes": [note]}
        mr.discussions.append(discussion)
        return discussion

    def _find(self, mr: MergeRequest, call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
        did, nid = call.match.groupdict().get("did"), int(call.match.group("nid"))
        for d in mr.discussions:
            for note in d["notes"]:
                if note["id"] == nid and (did is None or d["id"] == did):
                    return d, note
        raise HttpError(404, "404 Not found")

    # -- routes

    def _user(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call)
        if token.job:
            raise HttpError(401, "401 Unauthorized")
        return 200, {"username": token.username}

    def _get_mr(self, call: Call) -> tuple[int, Any]:
        self._auth(call)
        mr = self._mr(call)
        return 200, {"iid": int(call.match.group("iid")), "description": mr.description}

    def _update_mr(self, call: Call) -> tuple[int, Any]:
        self._auth(call, write=True)
        mr = self._mr(call)
        body = call.body or {}
        if set(body) - {"title", "description", "labels", "target_branch", "state_event"}:
            raise HttpError(400, "400 Bad request - unknown parameter")
        mr.description = str(body.get("description", mr.description))
        return 200, {"iid": int(call.match.group("iid")), "description": mr.description}

    def _versions(self, call: Call) -> tuple[int, Any]:
        self._auth(call)
        mr = self._mr(call)
        latest = {"id": 2, "head_commit_sha": mr.head, "base_commit_sha": mr.base}
        latest.update(start_commit_sha=mr.start, state="collected")
        return 200, [latest, {"id": 1, "head_commit_sha": "0" * 40, "state": "collected"}]

    def _files(self, mr: MergeRequest) -> list[dict[str, Any]]:
        return [
            {"old_path": path, "new_path": path, "diff": diff, "new_file": False}
            | {"renamed_file": False, "deleted_file": False}
            for path, diff in mr.diffs.items()
        ]

    def _diffs(self, call: Call) -> Any:
        self._auth(call)
        if self.legacy:
            raise HttpError(404, "404 Not found")
        return self.page(call, self._files(self._mr(call)))

    def _changes(self, call: Call) -> tuple[int, Any]:
        self._auth(call)
        return 200, {"iid": int(call.match.group("iid")), "changes": self._files(self._mr(call))}

    def _list_discussions(self, call: Call) -> Any:
        self._auth(call)
        return self.page(call, self._mr(call).discussions)

    def _create_discussion(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        mr = self._mr(call)
        body = call.body or {}
        position = body.get("position")
        if position is not None:
            self._check_position(mr, position)
            self._check_suggestions(mr, position, str(body.get("body") or ""))
        return 201, self._add(mr, token.username, body["body"], position=position, individual=False)

    def _check_position(self, mr: MergeRequest, pos: dict[str, Any]) -> None:
        refs = (pos.get("base_sha"), pos.get("start_sha"), pos.get("head_sha"))
        if pos.get("position_type") != "text" or refs != (mr.base, mr.start, mr.head):
            raise HttpError(400, '400 Bad request - Note {:position=>["is invalid"]}')
        lines = new_lines(mr.diffs.get(pos.get("new_path", ""), ""))
        line = pos.get("new_line")
        if pos.get("old_path") not in mr.diffs or line not in lines:
            raise HttpError(400, '400 Bad request - Note {:line_code=>["can\'t be blank"]}')
        if lines[line] is not None and pos.get("old_line") != lines[line]:
            raise HttpError(400, '400 Bad request - Note {:line_code=>["must be valid"]}')

    def _check_suggestions(self, mr: MergeRequest, pos: dict[str, Any], body: str) -> None:
        """A suggestion `-A+B` may only span lines of the diff (GitLab cannot apply others)."""
        lines = new_lines(mr.diffs.get(pos.get("new_path", ""), ""))
        for above, below in _SUGGESTION.findall(body):
            line = int(pos["new_line"])
            wanted = range(line - int(above), line + int(below) + 1)
            if any(n not in lines for n in wanted):
                raise HttpError(400, "400 Bad request - suggestion lines are outside the diff")

    def _resolve(self, call: Call) -> tuple[int, Any]:
        self._auth(call, write=True)
        for d in self._mr(call).discussions:
            if d["id"] == call.match.group("did"):
                for note in d["notes"]:
                    if note["resolvable"]:
                        note["resolved"] = bool((call.body or {}).get("resolved"))
                return 200, d
        raise HttpError(404, "404 Not found")

    def _edit(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        _, note = self._find(self._mr(call), call)
        if note["author"]["username"] != token.username:
            raise HttpError(403, "403 Forbidden")
        note["body"] = (call.body or {})["body"]
        return 200, note

    def _delete(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        mr = self._mr(call)
        discussion, note = self._find(mr, call)
        if note["author"]["username"] != token.username:
            raise HttpError(403, "403 Forbidden")
        discussion["notes"].remove(note)
        if not discussion["notes"]:
            mr.discussions.remove(discussion)
        return 204, None

    def _create_note(self, call: Call) -> tuple[int, Any]:
        token = self._auth(call, write=True)
        mr = self._mr(call)
        d = self._add(mr, token.username, (call.body or {})["body"], position=None, individual=True)
        return 201, d["notes"][0]
