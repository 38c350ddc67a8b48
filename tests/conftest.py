"""Shared fixtures. `git_repo` builds real repositories in tmp_path (no mocks).

    def test_x(git_repo):
        repo = git_repo()                      # empty repo on branch main
        repo.write("src/a.py", "x = 1\\n")
        base = repo.commit("base")              # -> full sha
        repo.git("checkout", "-q", "-b", "feature")
        repo.write("src/a.py", b"x = 2\\n")      # str or bytes
        head = repo.commit("change")

Git runs isolated from the machine's config (GIT_CONFIG_GLOBAL points at an empty
file, no system config) with a fixed identity and dates, so shas are reproducible.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from prreview.config.trust import CI_VARIABLES

pytest_plugins = ["tests.fakes.openai_server"]

_GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.com",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00+00:00",
    "GIT_TERMINAL_PROMPT": "0",
}
_CI_VARS = (
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_PATH",
    "GITHUB_BASE_REF",
    "GITHUB_HEAD_REF",
    "GITLAB_CI",
    "CI_MERGE_REQUEST_DIFF_BASE_SHA",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
    *CI_VARIABLES,  # a test run on a CI machine sees the same local/range rules as on a laptop
)


class GitRepo:
    """A real git repository in a temporary directory."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, input: bytes | None = None) -> str:
        """Run git in the repository; returns stdout (text, surrogate-escaped)."""
        proc = subprocess.run(
            ["git", "-C", str(self.path), *args],
            input=input,
            capture_output=True,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"git {' '.join(args)} failed ({proc.returncode}): "
                f"{proc.stderr.decode('utf-8', 'replace')}"
            )
        return proc.stdout.decode("utf-8", "surrogateescape")

    def write(self, path: str, content: str | bytes) -> Path:
        """Write a file (parents created); str is written as UTF-8 without newline translation."""
        full = self.path / path
        full.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        full.write_bytes(data)
        return full

    def move(self, src: str, dst: str) -> None:
        """`git mv`, creating the destination's directories first."""
        (self.path / dst).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", src, dst)

    def remove(self, path: str) -> None:
        (self.path / path).unlink()

    def symlink(self, path: str, target: str) -> None:
        full = self.path / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if full.is_symlink() or full.exists():
            full.unlink()
        os.symlink(target, full)

    def commit(self, msg: str = "commit", *, stage_all: bool = True) -> str:
        """Stage everything (unless stage_all=False) and commit; returns the new HEAD sha."""
        if stage_all:
            self.git("add", "-A")
        self.git(
            "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "--allow-empty", "-m", msg
        )
        return self.head()

    def numstat(self, base: str, head: str) -> dict[str, tuple[int, int]]:
        """git's own +/- counts per path (-M -C like read_changes); binary files count 0/0."""
        out = self.git("diff", "--numstat", "-z", "-M", "-C", base, head).split("\0")
        counts: dict[str, tuple[int, int]] = {}
        i = 0
        while i < len(out) - 1:
            added, removed, path = out[i].split("\t", 2)
            i += 1
            if not path:  # rename/copy: old and new paths follow
                path = out[i + 1]
                i += 2
            counts[path] = (0, 0) if added == "-" else (int(added), int(removed))
        return counts

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture(autouse=True)
def _own_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Each test gets its own default cache and state directory (prreview keeps them outside
    the checkout, under $XDG_CACHE_HOME), so no model answer leaks from one test to another."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    for name in ("RUNNER_TEMP", "CI_PROJECT_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def git_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., GitRepo]]:
    """Factory: git_repo(name="repo", branch="main") -> GitRepo, isolated from user config."""
    global_config = tmp_path / "gitconfig"
    global_config.write_text(
        '[init]\n\tdefaultBranch = main\n[protocol "file"]\n\tallow = always\n'
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))
    for name, value in _GIT_ENV.items():
        monkeypatch.setenv(name, value)
    for name in _CI_VARS:
        monkeypatch.delenv(name, raising=False)

    def make(name: str = "repo", branch: str = "main") -> GitRepo:
        path = tmp_path / name
        path.mkdir(parents=True)
        repo = GitRepo(path)
        repo.git("init", "-q", "-b", branch)
        return repo

    yield make
