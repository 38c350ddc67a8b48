"""Findings about removed code sit next to the deletion; their comments land on a RIGHT-side
line of the diff that GitHub and GitLab accept. The patches come from git itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.gitlab_api import FakeGitLab
from tests.publish_support import FAST, GITHUB_TOKEN, HEAD1, GitHubPublisher, finding, review

OLD = (
    "def build(url, args):\n    if args is None:\n        return url\n    return url + '?' + args\n"
)
NEW = "def build(url, args):\n    return url + '?' + args\n"
TAIL_OLD = "a = 1\nb = 2\nc = 3\nassert a + b == c\n"
TAIL_NEW = "a = 1\nb = 2\nc = 3\n"


@pytest.fixture
def patches(git_repo) -> dict[str, str]:
    repo = git_repo()
    repo.write("url.py", OLD)
    repo.write("tail.py", TAIL_OLD)
    base = repo.commit("base")
    repo.write("url.py", NEW)
    repo.write("tail.py", TAIL_NEW)
    head = repo.commit("drop the guard")
    out = {}
    for path in ("url.py", "tail.py"):
        diff = repo.git("diff", "-U3", base, head, "--", path)
        out[path] = diff[diff.index("@@") :]
    return out


# Line 1 is the line before the deleted guard, line 2 the line after it; tail.py lost its last
# line, so "the line after the deletion" (4) does not exist any more: the comment goes on 3.
FINDINGS = (
    finding("before", "url.py", 1, title="The None guard was removed"),
    finding("after", "url.py", 2, title="args may be None here"),
    finding("eof", "tail.py", 4, title="The assertion was removed"),
)


def test_github_comments_next_to_a_deletion_land_on_right_side_lines(patches, tmp_path):
    with FakeGitHub("octo/app") as gh:
        gh.add_token(GITHUB_TOKEN)
        gh.add_pull(7, head=HEAD1, files=patches)
        GitHubPublisher(gh, tmp_path)(review(*FINDINGS))
        placed = sorted((c["path"], c["line"], c["side"]) for c in gh.review_comments)
    assert placed == [("tail.py", 3, "RIGHT"), ("url.py", 1, "RIGHT"), ("url.py", 2, "RIGHT")]


def test_gitlab_comments_next_to_a_deletion_carry_both_line_numbers(patches, tmp_path: Path):
    from prreview.publish import publish_command

    with FakeGitLab(project_id=42) as gl:
        gl.add_token("glpat-x")
        gl.add_mr(5, base="b" * 40, start="s" * 40, head=HEAD1, diffs=patches)
        report = tmp_path / "review.json"
        report.write_text(review(*FINDINGS).model_dump_json(), encoding="utf-8")
        env = {
            "GITLAB_TOKEN": "glpat-x",
            "CI_API_V4_URL": gl.api_url,
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "5",
        }
        publish_command("gitlab", report, env=env, err=lambda _m: None, retry=FAST)
        positions = sorted(
            (n["position"]["new_path"], n["position"]["new_line"], n["position"].get("old_line"))
            for n in gl.notes(5, diff=True)
        )
    # url.py line 2 is old line 4: the two deleted lines sit between them.
    assert positions == [("tail.py", 3, 3), ("url.py", 1, 1), ("url.py", 2, 4)]
