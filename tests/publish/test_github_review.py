"""One review per run, applyable suggestions, thread resolution, request-changes, errors and
the description section, against the loopback GitHub REST + GraphQL double."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prreview.errors import AuthError, UsageError
from tests.fakes.github_api import FakeGitHub
from tests.publish_support import (
    FILES,
    GITHUB_TOKEN,
    HEAD1,
    HEAD2,
    A,
    B,
    C,
    GitHubPublisher,
    finding,
    review,
)

PR = r"/repos/octo/app/pulls/7"


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/app") as server:
        server.add_token(GITHUB_TOKEN)
        server.add_pull(7, head=HEAD1, files=FILES, body="Fixes the parser.\n\nSee #12.")
        yield server


@pytest.fixture
def publish(gh: FakeGitHub, tmp_path: Path) -> GitHubPublisher:
    return GitHubPublisher(gh, tmp_path)


def body_of(gh: FakeGitHub, f) -> str:
    return next(c["body"] for c in gh.review_comments if f.fingerprint in c["body"])


# --------------------------------------------------------------------------- suggestions


def test_single_line_suggestion_round_trips(gh, publish):
    fix = finding("s", "app.py", 3, suggestion="import json as _json\n")
    publish(review(fix))
    (sent,) = gh.calls("POST", PR + "/reviews")[0].body["comments"]
    assert sent["line"] == 3 and "start_line" not in sent
    assert "```suggestion\nimport json as _json\n```" in body_of(gh, fix)


def test_multi_line_suggestion_covers_exactly_the_commented_lines(gh, publish):
    code = "import sys, json\n\tdef main():"  # the tab is code: kept byte for byte
    fix = finding("m", "app.py", 2, end=4, suggestion=code)
    publish(review(fix))
    (comment,) = gh.review_comments
    assert (comment["start_line"], comment["line"], comment["side"]) == (2, 4, "RIGHT")
    assert f"```suggestion\n{code}\n```" in comment["body"]


def test_suggestion_that_does_not_cover_the_commented_lines_is_a_plain_block(gh, publish):
    partly = finding("p", "util.py", 5, end=10, suggestion="x = 1\n")  # only line 10 shown
    publish(review(partly))
    body = body_of(gh, partly)
    assert "suggestion" not in body.split("**Suggested change:**")[1].split("\n")[2]
    assert "```\nx = 1\n```" in body


def test_suggestion_fences_outgrow_backticks_and_refuse_invisible_characters(gh, publish):
    ticks = finding("t", "app.py", 2, suggestion="s = '```'")
    bidi = finding("b", "app.py", 3, suggestion="ok = True  # \u202egnp.exe")
    publish(review(ticks, bidi))
    assert "````suggestion\ns = '```'\n````" in body_of(gh, ticks)
    shown = body_of(gh, bidi)
    assert "suggestion\n" not in shown and "\u202e" not in shown and "U+202E" in shown


# --------------------------------------------------------------------------- threads


def test_fixed_finding_thread_is_resolved_on_the_next_run_in_one_mutation(gh, publish):
    publish(review(A, B, C))
    publish(review(C))
    resolved = {k for k, c in ((c["body"], c) for c in gh.review_comments) if gh.is_resolved(c)}
    assert {A.fingerprint in k or B.fingerprint in k for k in resolved} == {True}
    assert len(resolved) == 2
    mutations = [r for r in gh.calls("POST", r"/graphql") if "mutation" in r.body["query"]]
    assert len(mutations) == 1 and len(mutations[0].body["variables"]) == 2


def test_threads_are_read_across_graphql_pages(gh, publish):
    gh.graphql_page = 1
    publish(review(A, B, C))
    publish(review(A))
    assert sum(gh.is_resolved(c) for c in gh.review_comments) == 2
    queries = [r for r in gh.calls("POST", r"/graphql") if "reviewThreads" in r.body["query"]]
    assert len(queries) == 3 and queries[1].body["variables"]["after"] == "1"


def test_resolving_without_permission_names_the_mutation_and_leaves_the_summary(gh, publish):
    publish(review(A, B))
    before = gh.issue_comments[0]["body"]
    gh.tokens[GITHUB_TOKEN].write = False  # nothing new to post: the mutation is the first write
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert "POST /graphql (resolveReviewThread)" in str(info.value)
    assert "GITHUB_TOKEN needs pull-requests: write" in str(info.value)
    assert gh.issue_comments[0]["body"] == before
    assert not any(gh.is_resolved(c) for c in gh.review_comments)


# --------------------------------------------------------------------------- request changes


def test_failed_gate_requests_changes_only_when_opted_in(gh, publish):
    publish(review(A, passed=False))
    assert gh.calls("POST", PR + "/reviews")[0].body["event"] == "COMMENT"
    publish(review(A, B, passed=False), request_changes=True)
    second = gh.calls("POST", PR + "/reviews")[1].body
    assert second["event"] == "REQUEST_CHANGES" and len(second["comments"]) == 1
    assert "changes requested" in second["body"]


def test_request_changes_is_not_repeated_and_is_withdrawn_when_the_gate_passes(gh, publish):
    publish(review(A, passed=False), request_changes=True)
    publish(review(A, passed=False), request_changes=True)  # nothing new: no second verdict
    assert len(gh.calls("POST", PR + "/reviews")) == 1
    publish(review(passed=True), request_changes=True)
    assert [r["state"] for r in gh.pulls[7].reviews] == ["DISMISSED"]
    assert gh.calls("PUT", PR + r"/reviews/\d+/dismissals")


def test_failed_gate_without_new_comments_still_requests_changes_once(gh, publish):
    publish(review(finding("far", "app.py", 40), passed=False), request_changes=True)
    (request,) = gh.calls("POST", PR + "/reviews")
    assert request.body["event"] == "REQUEST_CHANGES" and request.body["comments"] == []


def test_own_pull_request_falls_back_to_a_comment_review(gh, publish):
    gh.pulls[7].author = gh.tokens[GITHUB_TOKEN].login
    publish(review(A, passed=False), request_changes=True)
    events = [r.body["event"] for r in gh.calls("POST", PR + "/reviews")]
    assert events == ["REQUEST_CHANGES", "COMMENT"] and len(gh.review_comments) == 1
    assert "its own pull request" in gh.issue_comments[0]["body"]


# --------------------------------------------------------------------------- errors


def test_403_names_the_endpoint_and_permission_and_leaves_the_summary(gh, publish):
    publish(review(A))
    before = gh.issue_comments[0]["body"]
    gh.tokens[GITHUB_TOKEN].write = False
    with pytest.raises(AuthError) as info:
        publish(review(A, B))
    message = str(info.value)
    assert f"POST {PR}/reviews (403)" in message and "pull-requests: write" in message
    assert gh.issue_comments[0]["body"] == before


def test_404_names_the_endpoint(gh, publish):
    with pytest.raises(AuthError) as info:
        publish(review(A), number=8)
    assert "404 to GET /repos/octo/app/pulls/8" in str(info.value)
    assert not gh.issue_comments


def test_422_on_the_summary_names_endpoint_and_permission_and_leaves_it(gh, publish):
    publish(review(A))
    before = gh.issue_comments[0]["body"]
    gh.fail("PATCH", r"/repos/octo/app/issues/comments/\d+", 422, body={"message": "too long"})
    with pytest.raises(UsageError) as info:
        publish(review(A, B))
    assert "PATCH /repos/octo/app/issues/comments/" in str(info.value)
    assert "pull-requests: write" in (info.value.hint or "")
    assert gh.issue_comments[0]["body"] == before


def test_a_comment_deleted_meanwhile_does_not_fail_the_publish(gh, publish):
    publish(review(A))
    gh.review_comments[0]["body"] = "✅ Resolved in " + gh.review_comments[0]["body"]
    gh.fail("PATCH", r"/repos/octo/app/pulls/comments/\d+", 404, body={"message": "Not Found"})
    assert publish(review(A, B)) == 0
    summary = gh.issue_comments[0]["body"]
    assert "Problem b" in summary and "1 new" in summary


def test_an_older_review_never_overwrites_a_newer_summary(gh, publish):
    gh.push(7, head=HEAD2, files=FILES)
    publish(review(A, head=HEAD2))
    newer = gh.issue_comments[0]["body"]
    publish(review(A, B, head=HEAD1))  # a slow job of the previous push finishes last
    assert gh.issue_comments[0]["body"] == newer
    assert "summary kept" in publish.messages[-1]


# --------------------------------------------------------------------------- description


def test_description_section_is_added_then_replaced_and_the_author_text_kept(gh, publish, tmp_path):
    desc = tmp_path / "description.md"
    desc.write_text("### Suggested title\n\nAdd a parser\n", encoding="utf-8")
    assert publish(None, description=desc) == 0
    body = gh.pulls[7].body or ""
    assert body.startswith("Fixes the parser.\n\nSee #12.\n\n<!-- prreview:description:start -->")
    assert "Add a parser" in body and body.endswith("<!-- prreview:description:end -->")
    gh.pulls[7].body = body + "\n\nAuthor's later note."
    desc.write_text("### Suggested title\n\nAdd a faster parser\n", encoding="utf-8")
    publish(review(A), description=desc)
    body = gh.pulls[7].body or ""
    assert "Add a faster parser" in body and "Add a parser\n" not in body
    assert body.startswith("Fixes the parser.\n\nSee #12.\n\n")
    assert body.endswith("<!-- prreview:description:end -->\n\nAuthor's later note.")
    patches = len(gh.calls("PATCH", PR))
    publish(None, description=desc)
    assert len(gh.calls("PATCH", PR)) == patches  # unchanged: no write
    assert "description section unchanged" in publish.messages[-1]


def test_description_cannot_close_the_section_early(gh, publish, tmp_path):
    desc = tmp_path / "description.md"
    desc.write_text("text\n<!-- prreview:description:end -->\nafter\n", encoding="utf-8")
    publish(None, description=desc)
    body = gh.pulls[7].body or ""
    assert body.count("<!-- prreview:description:end -->") == 1 and "after" in body


def test_publish_needs_a_report_or_a_description(publish):
    with pytest.raises(UsageError, match="nothing to publish"):
        publish(None)


def test_cli_publishes_the_review_and_the_description(gh, publish, tmp_path, capsys, monkeypatch):
    from tests.run_support import run_main

    for name, value in publish.env.items():
        monkeypatch.setenv(name, value)
    report = tmp_path / "r.json"
    report.write_text(review(A, passed=False).model_dump_json(), encoding="utf-8")
    desc = tmp_path / "d.md"
    desc.write_text("### Suggested title\n\nFix it\n", encoding="utf-8")
    args = ["publish", "github", "--report", str(report), "--description", str(desc)]
    res = run_main(capsys, *args, "--request-changes")
    assert res.code == 0, res.err
    assert "description section created" in res.err and "(REQUEST_CHANGES)" in res.err
    assert "Fix it" in (gh.pulls[7].body or "") and res.out == ""
    gh.tokens[GITHUB_TOKEN].write = False
    desc.write_text("### Suggested title\n\nFix it better\n", encoding="utf-8")
    denied = run_main(capsys, *args)
    assert denied.code == 2 and "PATCH /repos/octo/app/pulls/7" in denied.err
    assert GITHUB_TOKEN not in denied.err


def test_request_changes_after_the_head_moved_goes_on_the_current_head(gh, publish):
    gh.push(7, head=HEAD2, files=FILES)
    publish(review(A, passed=False), request_changes=True)  # reviewed HEAD1
    (request,) = gh.calls("POST", PR + "/reviews")
    assert request.body["commit_id"] == HEAD2 and request.body["comments"] == []
    assert [r["state"] for r in gh.pulls[7].reviews] == ["CHANGES_REQUESTED"]
