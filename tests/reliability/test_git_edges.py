"""Item 13: awkward git states give documented behaviour, never a traceback."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tests.security.support import run_cli

# 50 MB in the issue; 12 MB keeps `git add` fast on a loaded 2-core runner (same code path:
# anything over max_file_bytes is skipped by size before its diff is parsed).
BIG_BYTES = 50 * 1024 * 1024


def _diverged(git_repo):
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", "x = 2\n")
    repo.commit("feature")
    repo.git("checkout", "-q", "main")
    repo.write("b.py", "y = 1\n")
    repo.commit("main moves")
    return repo


def _run(capsys, monkeypatch, repo: Path, *args: str):
    result = run_cli(capsys, monkeypatch, ["run", "-C", str(repo), *args, "-o", "json=-"])
    assert "Traceback" not in result.stderr
    return result


def test_shallow_clone_without_merge_base_is_exit_2_with_hint(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    origin = _diverged(git_repo)
    clone = tmp_path / "clone"
    url = f"file://{origin.path}"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", "-b", "feature", url, str(clone)], check=True
    )
    subprocess.run(
        ["git", "-C", str(clone), "fetch", "-q", "--depth", "1", "origin", "main:main"], check=True
    )
    result = _run(capsys, monkeypatch, clone, "--base", "main")
    assert result.code == 2, result.stderr
    assert "fetch-depth" in result.stderr


def test_detached_head_and_merge_ref(git_repo, capsys, monkeypatch) -> None:
    repo = _diverged(git_repo)
    repo.git("checkout", "-q", "--detach", "feature")
    detached = _run(capsys, monkeypatch, repo.path, "--base", "main")
    assert detached.code == 0, detached.stderr
    assert [f["path"] for f in json.loads(detached.stdout)["change"]["files"]] == ["a.py"]
    repo.git("checkout", "-q", "main")
    repo.git("-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "-m", "merge", "feature")
    repo.git("update-ref", "refs/pull/1/merge", "HEAD")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    merged = _run(capsys, monkeypatch, repo.path, "--base", "main", "--head", "refs/pull/1/merge")
    assert merged.code == 0, merged.stderr
    assert [f["path"] for f in json.loads(merged.stdout)["change"]["files"]] == ["a.py"]


def test_huge_file_and_odd_paths(git_repo, capsys, monkeypatch) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("big.txt", b"0123456789abcdef\n" * (BIG_BYTES // 17))
    for name in ("-rf.py", "--help.py", "new\nline.py", "tab\there.py"):
        repo.write(name, "x = 1\n")
    repo.commit("odd")
    started = time.monotonic()
    result = _run(capsys, monkeypatch, repo.path, "--base", "HEAD~1")
    # the built-in checks stream the first 16 MiB of the huge patch (secrets included)
    assert time.monotonic() - started < 120
    assert result.code == 3, "a patch the model never saw makes the review incomplete"
    files = {f["path"]: f for f in json.loads(result.stdout)["change"]["files"]}
    assert {"-rf.py", "--help.py", "new\nline.py", "tab\there.py", "big.txt"} <= set(files)
    assert "too large" in files["big.txt"]["skip_reason"]
    numstat = repo.git("diff", "--numstat", "HEAD~1", "--", "big.txt").split()
    assert (files["big.txt"]["added"], files["big.txt"]["removed"]) == (
        int(numstat[0]),
        int(numstat[1]),
    )
