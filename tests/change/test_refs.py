"""Base/head resolution: flags, CI detection (GitHub, GitLab), fallbacks, errors, --since."""

from __future__ import annotations

import json

import pytest

from prreview.change.ci import ci_base_detected
from prreview.change.read import read_changes, resolve_refs
from prreview.config.settings import Settings
from prreview.errors import EXIT_USAGE, GitError


@pytest.fixture
def branched(git_repo):
    """main: m1 - m2 ; feature (from m1): f1 - f2."""
    repo = git_repo()
    repo.write("a.txt", "one\n")
    m1 = repo.commit("m1")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("feature.txt", "f1\n")
    repo.commit("f1")
    repo.write("feature.txt", "f1\nf2\n")
    f2 = repo.commit("f2")
    repo.git("checkout", "-q", "main")
    repo.write("a.txt", "one\ntwo\n")
    m2 = repo.commit("m2")
    repo.git("checkout", "-q", "feature")
    repo.m1, repo.m2, repo.f2 = m1, m2, f2
    return repo


def _resolve(repo, env=None, base=None, head="HEAD"):
    return resolve_refs(repo.path, base=base, head=head, env=env or {})


def test_explicit_base_uses_the_merge_base(branched):
    base_ref, base_sha, head_sha, reason = _resolve(branched, base="main")
    assert (base_ref, base_sha, head_sha) == ("main", branched.m1, branched.f2)
    assert reason == "base main (from --base)"
    changes = read_changes(Settings(repo=branched.path, base="main"), {})
    assert [f.path for f in changes.files] == ["feature.txt"]


def test_github_event_payload(branched, tmp_path):
    event = tmp_path / "event.json"
    payload = {"pull_request": {"base": {"sha": branched.m2}, "head": {"sha": branched.f2}}}
    event.write_text(json.dumps(payload))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event), "GITHUB_BASE_REF": "nope"}
    assert ci_base_detected(env)
    base_ref, base_sha, head_sha, reason = _resolve(branched, env)
    assert (base_ref, base_sha, head_sha) == (branched.m2, branched.m1, branched.f2)
    assert "pull_request.base.sha" in reason


def test_github_head_sha_replaces_the_merge_commit(branched, tmp_path):
    branched.git("checkout", "-q", "--detach", branched.m2)
    branched.git("-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "-m", "merge", "feature")
    merge = branched.head()
    event = tmp_path / "event.json"
    payload = {"pull_request": {"base": {"sha": branched.m2}, "head": {"sha": branched.f2}}}
    event.write_text(json.dumps(payload))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}
    changes = read_changes(Settings(repo=branched.path), env)
    assert (changes.head_sha, changes.base_sha) == (branched.f2, branched.m1)
    assert f"HEAD is {merge[:12]}" in changes.base_reason
    explicit = read_changes(Settings(repo=branched.path, head=merge), env)
    assert explicit.head_sha == merge


def test_github_base_ref_prefers_origin(branched):
    branched.git("update-ref", "refs/remotes/origin/main", branched.m2)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "main"}
    assert ci_base_detected(env)
    base_ref, base_sha, _, reason = _resolve(branched, env)
    assert (base_ref, base_sha) == ("origin/main", branched.m1)
    assert reason == "base origin/main (GITHUB_BASE_REF=main)"
    branched.git("update-ref", "-d", "refs/remotes/origin/main")
    assert _resolve(branched, env)[0] == "main"


def test_github_missing_base_names_fetch_depth(branched, tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": "ab" * 20}}}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}
    with pytest.raises(GitError) as err:
        _resolve(branched, env)
    assert "fetch-depth: 0" in str(err.value)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_BASE_REF": "release"}
    with pytest.raises(GitError, match="release") as err:
        _resolve(branched, env)
    assert "fetch-depth: 0" in str(err.value)


def test_malformed_github_event_is_ignored(branched, tmp_path):
    event = tmp_path / "event.json"
    event.write_text("{not json")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)}
    assert not ci_base_detected(env)
    assert _resolve(branched, env)[0] == "main"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": "--output=/tmp/x"}}}))
    assert not ci_base_detected(env)


def test_gitlab_variables(branched):
    env = {"CI_MERGE_REQUEST_DIFF_BASE_SHA": branched.m1}
    assert ci_base_detected(env)
    base_ref, base_sha, _, reason = _resolve(branched, env)
    assert (base_ref, base_sha) == (branched.m1, branched.m1)
    assert "CI_MERGE_REQUEST_DIFF_BASE_SHA" in reason
    env = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    base_ref, base_sha, _, reason = _resolve(branched, env)
    assert (base_ref, base_sha) == ("main", branched.m1)
    assert "CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main" in reason
    with pytest.raises(GitError, match="GIT_DEPTH: 0"):
        _resolve(branched, {"CI_MERGE_REQUEST_DIFF_BASE_SHA": "cd" * 20})


def test_fallback_order(branched):
    assert not ci_base_detected({})
    base_ref, _, _, reason = _resolve(branched)
    assert base_ref == "main"
    assert reason == (
        "base main (fallback: no CI base detected, first of origin/HEAD, main, master)"
    )
    branched.git("update-ref", "refs/remotes/origin/trunk", branched.m2)
    branched.git("symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
    assert _resolve(branched)[0] == "origin/HEAD"
    branched.git("symbolic-ref", "--delete", "refs/remotes/origin/HEAD")
    branched.git("branch", "-q", "-m", "main", "master")
    assert _resolve(branched)[0] == "master"


def test_no_base_at_all(git_repo):
    repo = git_repo(branch="work")
    repo.write("a", "1\n")
    repo.commit()
    with pytest.raises(GitError) as err:
        _resolve(repo)
    assert "--base" in str(err.value) and err.value.exit_code == EXIT_USAGE


def test_not_a_repository(tmp_path):
    with pytest.raises(GitError, match="not a git repository") as err:
        resolve_refs(tmp_path, base="main", head="HEAD", env={})
    assert "--repo" in str(err.value)
    with pytest.raises(GitError, match="does not exist"):
        resolve_refs(tmp_path / "missing", base="main", head="HEAD", env={})


def test_unknown_refs_name_the_flag(branched):
    with pytest.raises(GitError, match=r"unknown ref 'nope' \(given by --base\)"):
        _resolve(branched, base="nope")
    with pytest.raises(GitError, match=r"unknown ref 'nope' \(given by --head\)"):
        _resolve(branched, base="main", head="nope")
    with pytest.raises(GitError, match="unknown ref '--output=x'"):
        _resolve(branched, base="--output=x")


def test_no_commits_yet(git_repo):
    repo = git_repo()
    with pytest.raises(GitError, match="no commits yet") as err:
        read_changes(Settings(repo=repo.path, base="main"), {})
    assert "--staged" in str(err.value)


def test_shallow_clone_without_merge_base(branched, git_repo, tmp_path):
    clone = tmp_path / "clone"
    branched.git(
        "clone", "-q", "--depth", "1", "--no-single-branch", f"file://{branched.path}", str(clone)
    )
    with pytest.raises(GitError, match="shallow") as err:
        resolve_refs(clone, base="origin/main", head="origin/feature", env={})
    text = str(err.value)
    assert "fetch-depth: 0" in text and "git fetch --deepen" in text


def test_unrelated_histories(branched):
    branched.git("checkout", "-q", "--orphan", "other")
    branched.write("z.txt", "z\n")
    branched.commit("orphan")
    with pytest.raises(GitError, match="unrelated"):
        _resolve(branched, base="main")


def test_since_is_incremental_when_it_is_an_ancestor(branched):
    f1 = branched.git("rev-parse", "HEAD~1").strip()
    changes = read_changes(Settings(repo=branched.path, base="main", since=f1), {})
    assert changes.base_sha == f1 and "incremental" in changes.base_reason
    assert [(f.path, f.added) for f in changes.files] == [("feature.txt", 1)]


def test_since_not_an_ancestor_falls_back(branched):
    settings = Settings(repo=branched.path, base="main", since=branched.m2)
    changes = read_changes(settings, {})
    assert changes.base_sha == branched.m1
    assert "not an ancestor" in changes.base_reason
    unknown = read_changes(Settings(repo=branched.path, base="main", since="gone"), {})
    assert unknown.base_sha == branched.m1 and "unknown" in unknown.base_reason
