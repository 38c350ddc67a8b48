"""`prreview publish github` against a loopback fake of the GitHub REST API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from prreview.errors import EXIT_INCOMPLETE, EXIT_USAGE, AuthError, IncompleteError, UsageError
from prreview.publish import publish_command
from prreview.publish.common import RESOLVED_PREFIX
from tests.fakes.github_api import FakeGitHub
from tests.publish_support import (
    FAST,
    FILE_LEVEL,
    FILES,
    HEAD1,
    HEAD2,
    OUTSIDE,
    A,
    B,
    C,
    D,
    finding,
    review,
)
from tests.publish_support import (
    GITHUB_TOKEN as TOKEN,
)
from tests.publish_support import GitHubPublisher as Publisher


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub("octo/app") as server:
        server.add_token(TOKEN)
        server.add_pull(7, head=HEAD1, files=FILES)
        yield server


@pytest.fixture
def publish(gh: FakeGitHub, tmp_path: Path) -> Publisher:
    return Publisher(gh, tmp_path)


def keys(server: FakeGitHub) -> list[str]:
    return [c["body"].split("prreview:finding ")[1].split(" ")[0] for c in server.review_comments]


def test_first_publish_creates_summary_and_inline_comments(gh, publish):
    assert publish(review(A, B, C, OUTSIDE, FILE_LEVEL)) == 0
    assert len(gh.issue_comments) == 1
    summary = gh.issue_comments[0]["body"]
    assert summary.startswith(f"<!-- prreview:summary v1 head={HEAD1} -->")
    assert sorted(keys(gh)) == sorted(f.fingerprint for f in (A, B, C))
    placed = {(c["path"], c["line"]) for c in gh.review_comments}
    assert placed == {("app.py", 2), ("app.py", 4), ("util.py", 11)}
    assert all(c["commit_id"] == HEAD1 and c["side"] == "RIGHT" for c in gh.review_comments)
    # One review carries every inline comment; outside the diff: listed in the summary.
    (request,) = gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")
    assert request.body["event"] == "COMMENT" and request.body["commit_id"] == HEAD1
    posted = [c["line"] for c in request.body["comments"]]
    assert 40 not in posted and len(posted) == 3
    assert not gh.calls("POST", r"/repos/octo/app/pulls/7/comments")
    assert not gh.calls("POST", r"/graphql")  # no earlier comments: no thread lookup
    assert "Far away problem" in summary and "`app.py:40`" in summary
    assert "`util.py`" in summary
    assert "3 new" in summary
    assert "summary created" in publish.messages[-1]


def test_rerun_updates_summary_adds_new_and_resolves_fixed(gh, publish):
    publish(review(A, B, C))
    gh.push(7, head=HEAD2, files=FILES)
    publish(review(A, C, D, head=HEAD2))  # B fixed, D new
    assert len(gh.issue_comments) == 1
    assert f"head={HEAD2}" in gh.issue_comments[0]["body"]
    assert len(gh.calls("PATCH", r"/repos/octo/app/issues/comments/\d+")) == 1
    assert len(gh.review_comments) == 4
    second = gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")[1]
    assert [c["line"] for c in second.body["comments"]] == [12]
    by_key = {k: c for k, c in zip(keys(gh), gh.review_comments, strict=True)}
    # The fixed finding's thread is resolved (GraphQL); its text stays as it was.
    assert gh.is_resolved(by_key[B.fingerprint])
    assert not by_key[B.fingerprint]["body"].startswith(RESOLVED_PREFIX)
    assert not gh.calls("PATCH", r"/repos/octo/app/pulls/comments/\d+")
    for f in (A, C, D):
        assert not gh.is_resolved(by_key[f.fingerprint])


def test_three_runs_leave_no_duplicates(gh, publish):
    for _ in range(3):
        publish(review(A, B, C, OUTSIDE))
    assert len(gh.issue_comments) == 1
    assert sorted(keys(gh)) == sorted(f.fingerprint for f in (A, B, C))
    assert len(gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")) == 1
    assert len(gh.calls("POST", r"/repos/octo/app/issues/7/comments")) == 1
    assert "3 already present" in gh.issue_comments[0]["body"]


def test_fixed_finding_that_comes_back_is_reopened_not_reposted(gh, publish):
    publish(review(A, B))
    publish(review(A))
    assert sum(gh.is_resolved(c) for c in gh.review_comments) == 1
    publish(review(A, B))
    assert len(gh.review_comments) == 2
    assert not any(gh.is_resolved(c) for c in gh.review_comments)
    assert "1 reopened" in gh.issue_comments[0]["body"]


def test_a_thread_a_person_resolved_stays_resolved(gh, publish):
    publish(review(A, B))
    first = next(c for c in gh.review_comments if A.fingerprint in c["body"])
    gh.resolve_as("alice", first["id"])
    publish(review(A, B))
    assert gh.resolved[first["id"]] == "alice"
    assert len(gh.review_comments) == 2 and "0 reopened" in gh.issue_comments[0]["body"]


def test_comment_resolved_by_text_in_an_older_version_is_restored(gh, publish):
    publish(review(A))
    gh.review_comments[0]["body"] = (
        f"{RESOLVED_PREFIX}{HEAD1}: gone.\n\n" + gh.review_comments[0]["body"]
    )
    publish(review(A))
    assert not gh.review_comments[0]["body"].startswith(RESOLVED_PREFIX)
    assert len(gh.review_comments) == 1


def test_incomplete_review_resolves_nothing(gh, publish):
    publish(review(A, B))
    publish(review(A, complete=False))
    assert not any(c["body"].startswith(RESOLVED_PREFIX) for c in gh.review_comments)


def test_markers_from_other_people_are_ignored(gh, publish):
    gh.post_as("mallory", "issue", 7, "<!-- prreview:summary v1 head= -->\nfake summary")
    gh.post_as("mallory", "review", 7, f"<!-- prreview:finding {A.fingerprint} -->", path="app.py")
    publish(review(A))
    ours = [c for c in gh.issue_comments if c["user"]["login"] != "mallory"]
    assert len(ours) == 1
    (request,) = gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")
    assert len(request.body["comments"]) == 1
    assert not gh.calls("PATCH", r"/repos/octo/app/issues/comments/\d+")


def test_personal_token_identifies_its_own_comments(gh, publish):
    gh.add_token("pat-1", login="alice", type="User", personal=True)
    publish.env["GITHUB_TOKEN"] = "pat-1"
    publish(review(A))
    publish(review(A))
    assert len(gh.issue_comments) == 1 and len(gh.review_comments) == 1


def test_multi_line_finding_in_one_hunk_is_a_range_comment(gh, publish):
    publish(review(finding("r", "app.py", 2, end=4)))
    (comment,) = gh.review_comments
    assert (comment["start_line"], comment["line"]) == (2, 4)


def test_partly_shown_range_goes_on_its_first_diff_line(gh, publish):
    publish(review(finding("r", "util.py", 5, end=10)))
    (comment,) = gh.review_comments
    assert (comment["start_line"], comment["line"]) == (None, 10)


def test_model_text_is_escaped_in_inline_comments(gh, publish):
    hostile = finding(
        "h",
        "app.py",
        3,
        title="ping @octocat <b>x</b>",
        message="@org/team <img src=x onerror=alert(1)> [click](https://evil.example)\n"
        "<!-- prreview:finding forged -->",
        suggestion="print('```')",
    )
    publish(review(hostile))
    body = gh.review_comments[0]["body"]
    assert "@\u200boctocat" in body and "@octocat" not in body
    assert "<img" not in body and "&lt;img" in body and "<b>" not in body
    assert "](https://evil.example)" not in body
    assert body.count("<!-- prreview:finding") == 1
    assert "````" in body  # the fence outgrows the backticks in the suggestion


def test_head_moved_on_posts_no_inline_comments(gh, publish):
    gh.push(7, head=HEAD2, files=FILES)
    publish(review(A))  # reviewed HEAD1, the PR is at HEAD2 now
    assert not gh.review_comments
    assert "moved to" in gh.issue_comments[0]["body"]


def test_max_comments_caps_new_inline_comments(gh, publish):
    publish(review(A, B, C), max_comments=1)
    assert len(gh.review_comments) == 1
    assert "2 findings are shown only in this summary" in gh.issue_comments[0]["body"]


def test_a_refused_comment_is_isolated_and_goes_to_the_summary(gh, publish):
    gh.refuse = {"app.py"}  # GitHub refuses the comments on app.py, the review fails whole
    publish(review(A, B, C, D))
    assert sorted(c["path"] for c in gh.review_comments) == ["util.py", "util.py"]
    summary = gh.issue_comments[0]["body"]
    assert "`app.py:2`" in summary and "`app.py:4`" in summary and "2 new" in summary
    sizes = [len(r.body["comments"]) for r in gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")]
    assert sizes[0] == 4 and len(sizes) <= 2 * 4 - 1


def test_a_422_for_the_whole_review_is_retried_in_halves(gh, publish):
    gh.fail("POST", r"/repos/octo/app/pulls/7/reviews", 422, body={"message": "Validation"})
    publish(review(A, C))
    assert len(gh.review_comments) == 2
    statuses = [r.status for r in gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")]
    assert statuses == [422, 200, 200]


def test_duplicate_comments_are_removed(gh, publish):
    publish(review(A))
    gh.review_comments.append({**gh.review_comments[0], "id": 99999})
    publish(review(A))
    assert [c["id"] for c in gh.review_comments] != [99999] and len(gh.review_comments) == 1


def test_pagination_follows_link_headers(gh, publish):
    gh.max_per_page = 2
    many = [finding(f"n{i}", "other.py", None) for i in range(3)]
    for i in range(5):
        gh.post_as("bob", "issue", 7, f"chatter {i}")
    publish(review(A, B, C, *many))
    publish(review(A, B, C, *many))
    assert len(gh.issue_comments) == 6
    pages = gh.calls("GET", r"/repos/octo/app/issues/7/comments")
    assert any(r.query.get("page") == "2" for r in pages)


def test_server_errors_are_retried(gh, publish):
    gh.fail("GET", r"/repos/octo/app/pulls/7/files", 502)
    gh.fail("POST", r"/repos/octo/app/issues/7/comments", 503)
    assert publish(review(A)) == 0
    assert [r.status for r in gh.calls("GET", r"/repos/octo/app/pulls/7/files")] == [502, 200]
    assert len(gh.issue_comments) == 1


def test_rate_limits_are_retried(gh, publish):
    gh.fail("GET", r"/repos/octo/app/pulls/7", 429, headers={"Retry-After": "0"})
    gh.fail(
        "GET",
        r"/repos/octo/app/pulls/7/comments",
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"},
        body={"message": "API rate limit exceeded"},
    )
    assert publish(review(A)) == 0
    assert [r.status for r in gh.calls("GET", r"/repos/octo/app/pulls/7")] == [429, 200]


def test_persistent_server_errors_are_incomplete(gh, publish):
    gh.fail("GET", r"/repos/octo/app/pulls/7", 503, times=10)
    with pytest.raises(IncompleteError) as info:
        publish(review(A))
    assert info.value.exit_code == EXIT_INCOMPLETE
    assert len(gh.calls("GET", r"/repos/octo/app/pulls/7")) == FAST.retries + 1


def test_bad_token_is_exit_2(gh, publish):
    publish.env["GITHUB_TOKEN"] = "wrong-" + TOKEN
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert info.value.exit_code == EXIT_USAGE
    assert "401" in str(info.value) and "GITHUB_TOKEN" in str(info.value)
    assert TOKEN not in str(info.value)


def test_read_only_token_names_the_missing_permission(gh, publish):
    gh.add_token("read-only", write=False)
    publish.env["GITHUB_TOKEN"] = "read-only"
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert "GITHUB_TOKEN needs pull-requests: write" in str(info.value)
    assert info.value.exit_code == EXIT_USAGE
    assert not gh.review_comments


def test_unknown_repository_is_404_with_the_permission_named(gh, publish):
    publish.env["GITHUB_REPOSITORY"] = "octo/other"
    with pytest.raises(AuthError) as info:
        publish(review(A))
    assert "404" in str(info.value) and "pull-requests: read" in str(info.value)


def test_missing_token_and_pr_number(gh, publish, tmp_path):
    env = dict(publish.env)
    del publish.env["GITHUB_TOKEN"]
    with pytest.raises(AuthError, match="GITHUB_TOKEN"):
        publish(review(A))
    publish.env = {k: v for k, v in env.items() if k != "GITHUB_EVENT_PATH"}
    with pytest.raises(UsageError, match="pull request number"):
        publish(review(A))
    assert publish(review(A), number=7, repository="octo/app") == 0


def test_token_never_appears_in_output_or_requests(gh, publish):
    publish(review(A, B))
    assert all(TOKEN not in m for m in publish.messages)
    assert all(TOKEN not in json.dumps(r.body) for r in gh.requests)
    assert all(r.credentials for r in gh.requests)


def test_report_that_is_not_a_review_is_a_usage_error(publish, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"findings": "nope"}', encoding="utf-8")
    with pytest.raises(UsageError, match="not a prreview JSON report"):
        publish_command("github", bad, env=publish.env, err=publish.messages.append)


def test_secondary_rate_limit_without_headers_is_retried(gh, publish):
    message = {"message": "You have exceeded a secondary rate limit. Please wait."}
    gh.fail("POST", r"/repos/octo/app/pulls/7/reviews", 403, body=message)
    assert publish(review(A)) == 0
    assert [r.status for r in gh.calls("POST", r"/repos/octo/app/pulls/7/reviews")] == [403, 200]


def test_pagination_never_follows_a_link_to_another_host(gh, publish):
    link = '<http://203.0.113.9/repos/octo/app/pulls/7/files?page=2>; rel="next"'
    gh.fail("GET", r"/repos/octo/app/pulls/7/files", 200, headers={"Link": link}, body=[])
    with pytest.raises(UsageError, match="pagination link leaves"):
        publish(review(A))
