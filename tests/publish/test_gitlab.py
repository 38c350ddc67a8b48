"""`prreview publish gitlab` against a loopback fake of the GitLab REST v4 API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from prreview.errors import EXIT_INCOMPLETE, EXIT_USAGE, AuthError, IncompleteError, UsageError
from prreview.models import Review
from prreview.publish import publish_command
from tests.fakes.gitlab_api import FakeGitLab
from tests.publish_support import (
    APP_PATCH,
    FAST,
    HEAD1,
    HEAD2,
    OUTSIDE,
    UTIL_PATCH,
    A,
    B,
    C,
    D,
    finding,
    review,
)

TOKEN = "glpat-secretTOKENvalue456"
BASE = "b" * 40
START = "5" * 40
DIFFS = {"app.py": APP_PATCH, "util.py": UTIL_PATCH}


@pytest.fixture
def gl() -> Iterator[FakeGitLab]:
    with FakeGitLab(project_id=42, path="group/app") as server:
        server.add_token(TOKEN, username="prreview-bot")
        server.add_mr(5, base=BASE, start=START, head=HEAD1, diffs=DIFFS)
        yield server


class Publisher:
    def __init__(self, server: FakeGitLab, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.messages: list[str] = []
        self.env = {
            "GITLAB_TOKEN": TOKEN,
            "CI_API_V4_URL": server.api_url,
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "5",
        }

    def __call__(self, rv: Review | None, **kw) -> int:
        report = None
        if rv is not None:
            report = self.tmp / "review.json"
            report.write_text(rv.model_dump_json(), encoding="utf-8")
        kw.setdefault("retry", FAST)
        return publish_command("gitlab", report, env=self.env, err=self.messages.append, **kw)


@pytest.fixture
def publish(gl: FakeGitLab, tmp_path: Path) -> Publisher:
    return Publisher(gl, tmp_path)


def keys(notes: list[dict]) -> list[str]:
    return [n["body"].split("prreview:finding ")[1].split(" ")[0] for n in notes]


MR = r"/api/v4/projects/42/merge_requests/5"


def test_first_publish_creates_summary_and_diff_discussions(gl, publish):
    assert publish(review(A, B, C, OUTSIDE)) == 0
    (summary,) = gl.notes(5, diff=False)
    assert summary["body"].startswith(f"<!-- prreview:summary v1 head={HEAD1} -->")
    threads = gl.notes(5, diff=True)
    assert sorted(keys(threads)) == sorted(f.fingerprint for f in (A, B, C))
    positions = {(n["position"]["new_path"], n["position"]["new_line"]) for n in threads}
    assert positions == {("app.py", 2), ("app.py", 4), ("util.py", 11)}
    context = next(n["position"] for n in threads if n["position"]["new_line"] == 4)
    assert context["old_line"] == 2  # an unchanged line needs both sides
    added = next(n["position"] for n in threads if n["position"]["new_line"] == 2)
    assert "old_line" not in added
    assert added["base_sha"] == BASE and added["start_sha"] == START and added["head_sha"] == HEAD1
    posted = [r.body["position"]["new_line"] for r in gl.calls("POST", MR + "/discussions")]
    assert 40 not in posted and len(posted) == 3
    assert "Far away problem" in summary["body"] and "`app.py:40`" in summary["body"]


def test_rerun_updates_summary_adds_new_and_resolves_fixed(gl, publish):
    publish(review(A, B, C))
    gl.push(5, head=HEAD2, diffs=DIFFS)
    publish(review(A, C, D, head=HEAD2))
    (summary,) = gl.notes(5, diff=False)
    assert f"head={HEAD2}" in summary["body"]
    assert len(gl.calls("PUT", MR + r"/notes/\d+")) == 1
    threads = {
        k: n for k, n in zip(keys(gl.notes(5, diff=True)), gl.notes(5, diff=True), strict=True)
    }
    assert set(threads) == {f.fingerprint for f in (A, B, C, D)}
    assert threads[B.fingerprint]["resolved"] is True
    assert not any(threads[f.fingerprint]["resolved"] for f in (A, C, D))
    assert threads[D.fingerprint]["position"]["head_sha"] == HEAD2


def test_three_runs_leave_no_duplicates(gl, publish):
    for _ in range(3):
        publish(review(A, B, C, OUTSIDE))
    assert len(gl.notes(5, diff=False)) == 1
    assert len(gl.notes(5, diff=True)) == 3
    assert len(gl.calls("POST", MR + "/discussions")) == 3
    assert len(gl.calls("POST", MR + "/notes")) == 1


def test_fixed_finding_that_comes_back_is_unresolved(gl, publish):
    publish(review(A, B))
    publish(review(A))
    assert sum(n["resolved"] for n in gl.notes(5, diff=True)) == 1
    publish(review(A, B))
    assert len(gl.notes(5, diff=True)) == 2
    assert not any(n["resolved"] for n in gl.notes(5, diff=True))


def test_notes_of_other_users_are_ignored(gl, publish):
    gl.note_as("mallory", 5, "<!-- prreview:summary v1 head= -->\nfake")
    gl.note_as("mallory", 5, f"<!-- prreview:finding {A.fingerprint} -->", diff=True)
    publish(review(A))
    assert len(gl.calls("POST", MR + "/discussions")) == 1
    assert len(gl.calls("POST", MR + "/notes")) == 1


def test_project_path_and_legacy_changes_endpoint(tmp_path):
    with FakeGitLab(project_id=42, path="group/app", legacy=True) as server:
        server.add_token(TOKEN)
        server.add_mr(5, base=BASE, start=START, head=HEAD1, diffs=DIFFS)
        pub = Publisher(server, tmp_path)
        del pub.env["CI_PROJECT_ID"]
        assert pub(review(A), repository="group/app") == 0
        assert server.calls("GET", r"/api/v4/projects/group/app/merge_requests/5/changes")
        assert len(server.notes(5, diff=True)) == 1


def test_line_outside_the_diff_is_rejected_by_the_fake(gl, publish):
    gl.fail("POST", MR + "/discussions", 400, body={"message": "400 Bad request - line_code"})
    publish(review(A, C))
    assert len(gl.notes(5, diff=True)) == 1
    assert "`app.py:2`" in gl.notes(5, diff=False)[0]["body"]


def test_pagination_of_discussions(gl, publish):
    gl.max_per_page = 2
    for i in range(5):
        gl.note_as("bob", 5, f"chatter {i}")
    publish(review(A, B, C))
    publish(review(A, B, C))
    assert len(gl.notes(5, diff=True)) == 3
    assert any(r.query.get("page") == "3" for r in gl.calls("GET", MR + "/discussions"))


def test_server_errors_and_rate_limits_are_retried(gl, publish):
    gl.fail("GET", MR + "/versions", 500)
    gl.fail("GET", MR + "/discussions", 429, headers={"Retry-After": "0"})
    assert publish(review(A)) == 0
    assert [r.status for r in gl.calls("GET", MR + "/versions")] == [500, 200]


def test_persistent_server_errors_are_incomplete(gl, publish):
    gl.fail("GET", MR + "/versions", 502, times=10)
    with pytest.raises(IncompleteError) as info:
        publish(review(A))
    assert info.value.exit_code == EXIT_INCOMPLETE


def test_bad_token_is_exit_2(gl, publish):
    publish.env["GITLAB_TOKEN"] = "nope"
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert info.value.exit_code == EXIT_USAGE and "GITLAB_TOKEN" in str(info.value)


def test_token_without_write_names_the_permission(gl, publish):
    gl.add_token("reader", username="reader", write=False)
    publish.env["GITLAB_TOKEN"] = "reader"
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert "403" in str(info.value) and "api scope and the Developer role" in str(info.value)


def test_job_token_is_sent_as_job_token_and_explained(gl, publish):
    gl.add_token("job-123", job=True)
    del publish.env["GITLAB_TOKEN"]
    publish.env["CI_JOB_TOKEN"] = "job-123"
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert "CI_JOB_TOKEN" in str(info.value) and "GITLAB_TOKEN" in str(info.value)
    assert gl.calls("GET", MR + "/versions")[0].status == 200  # reads work with JOB-TOKEN


def test_unknown_project_is_404(gl, publish):
    publish.env["CI_PROJECT_ID"] = "77"
    with pytest.raises(AuthError, match="404"):
        publish(review(A))


def test_missing_iid(gl, publish):
    del publish.env["CI_MERGE_REQUEST_IID"]
    with pytest.raises(UsageError, match="merge request iid"):
        publish(review(A))
    assert publish(review(A), number=5) == 0


def test_model_text_is_escaped_and_token_never_leaks(gl, publish):
    hostile = finding("h", "app.py", 3, message="@all please <script>x</script>\n/approve\n/merge")
    publish(review(hostile))
    body = gl.notes(5, diff=True)[0]["body"]
    assert "@\u200ball" in body and "<script>" not in body
    assert not any(line.startswith("/") for line in body.splitlines())
    assert all(TOKEN not in m for m in publish.messages)
    assert all(TOKEN not in json.dumps(r.body) for r in gl.requests)


# --------------------------------------------------------------------------- suggestions


def test_suggestion_is_a_gitlab_suggestion_on_the_first_line(gl, publish):
    fix = finding("s", "app.py", 2, end=4, suggestion="import sys, json\ndef main():\n")
    publish(review(fix))
    (note,) = gl.notes(5, diff=True)
    assert note["position"]["new_line"] == 2 and "old_line" not in note["position"]
    assert "```suggestion:-0+2\nimport sys, json\ndef main():\n```" in note["body"]


def test_single_line_suggestion_on_a_context_line(gl, publish):
    fix = finding("c", "app.py", 4, suggestion="def main() -> None:")
    publish(review(fix))
    (note,) = gl.notes(5, diff=True)
    assert (note["position"]["new_line"], note["position"]["old_line"]) == (4, 2)
    assert "```suggestion:-0+0\ndef main() -> None:\n```" in note["body"]


def test_suggestion_not_covering_the_commented_lines_is_a_plain_block(gl, publish):
    partly = finding("p", "util.py", 5, end=10, suggestion="x = 1\n")
    publish(review(partly))
    (note,) = gl.notes(5, diff=True)
    assert "suggestion:" not in note["body"] and "```\nx = 1\n```" in note["body"]


# --------------------------------------------------------------------------- description


def test_description_section_updates_without_touching_the_author_text(gl, publish, tmp_path):
    gl.mrs[5].description = "Closes #3.\n\n/label ~bug stays the author's"
    desc = tmp_path / "d.md"
    desc.write_text("### Suggested title\n\nFix the cache\n", encoding="utf-8")
    assert publish(review(A), description=desc) == 0
    text = gl.mrs[5].description
    assert text.startswith("Closes #3.\n\n/label ~bug stays the author's\n\n<!-- prreview:")
    desc.write_text("### Suggested title\n\nFix the cache key\n", encoding="utf-8")
    publish(None, description=desc)
    text = gl.mrs[5].description
    assert text.count("<!-- prreview:description:start -->") == 1 and "cache key" in text
    assert text.startswith("Closes #3.\n\n/label ~bug stays the author's\n\n")
    assert len(gl.notes(5, diff=False)) == 1  # the summary note is untouched by --description


def test_errors_name_the_endpoint(gl, publish):
    gl.add_token("reader", username="prreview-bot", write=False)
    publish(review(A))
    before = gl.notes(5, diff=False)[0]["body"]
    publish.env["GITLAB_TOKEN"] = "reader"
    with pytest.raises(AuthError) as info:
        publish(review(A, B))
    assert f"POST {MR}/discussions (403)" in str(info.value)
    assert gl.notes(5, diff=False)[0]["body"] == before
