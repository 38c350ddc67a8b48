"""TreeReader, read_blob_at, git_attr, is_ancestor on real repositories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prreview.change.git import git_attr, is_ancestor, read_blob_at
from prreview.change.read import read_changes, reader_for
from prreview.change.tree import TreeReader
from prreview.config.settings import Settings
from prreview.errors import GitError


@pytest.fixture
def repo(git_repo):
    repo = git_repo()
    repo.write("src/app.py", "def handler(request):\n    return helper(request)\n")
    repo.write("src/util.py", "def helper(x):\n    return x\n\nhelpers = [helper]\n")
    repo.write("docs/guide.md", "Call handler() and helper_func.\n")
    repo.write("bin.dat", b"\x00\x01helper\x00")
    repo.write("new\nline.txt", "helper in a strange file\n")
    repo.write(".gitattributes", "gen/** linguist-generated\n*.lock -linguist-generated\n")
    repo.symlink("link.py", "src/app.py")
    repo.base = repo.commit("base")
    repo.write("src/app.py", "def handler(request):\n    return helper(request) + 1\n")
    repo.write(".gitattributes", "gen/** linguist-generated=true\nsrc/** linguist-generated\n")
    repo.head_sha = repo.commit("head")
    return repo


def test_read_at_revision(repo):
    with TreeReader(repo.path, repo.base) as old, TreeReader(repo.path, "HEAD") as new:
        assert old.read_text("src/app.py") == "def handler(request):\n    return helper(request)\n"
        assert new.read_text("src/app.py").endswith("+ 1\n")
        assert new.read_text("missing.py") is None
        assert new.read_text("src") is None
        assert new.read_text("bin.dat") is None
        assert new.read_bytes("bin.dat") == b"\x00\x01helper\x00"
        assert new.read_bytes("link.py") == b"src/app.py"
        assert new.read_text("new\nline.txt") == "helper in a strange file\n"
        assert new.read_bytes("../outside") is None
        files = new.ls_files()
    assert set(files) == {
        "src/app.py",
        "src/util.py",
        "docs/guide.md",
        "bin.dat",
        "new\nline.txt",
        ".gitattributes",
        "link.py",
    }


def _child_commands() -> list[str]:
    children: list[str] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline")
            if cmdline.exists():
                children.append(cmdline.read_bytes().replace(b"\0", b" ").decode())
    return children


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_many_reads_share_one_process(repo):
    with TreeReader(repo.path, "HEAD") as reader:
        texts = [reader.read_text("src/util.py") for _ in range(300)]
        running = [c for c in _child_commands() if "cat-file" in c]
    assert len(set(texts)) == 1 and texts[0].startswith("def helper")
    assert len(running) == 1 and "--batch" in running[0]
    assert not [c for c in _child_commands() if "cat-file" in c]


def test_grep_whole_words(repo):
    with TreeReader(repo.path, "HEAD") as reader:
        found = reader.grep(["helper", "handler", "absent", "-e"])
        limited = reader.grep(["helper"], paths=["src/util.py"])
        capped = reader.grep(["helper"], max_per_word=1)
    helper_hits = sorted((p, n) for p, n, _ in found["helper"])
    assert helper_hits == [
        ("new\nline.txt", 1),
        ("src/app.py", 2),
        ("src/util.py", 1),
        ("src/util.py", 4),
    ]
    assert ("src/app.py", 2, "    return helper(request) + 1") in found["helper"]
    assert sorted(p for p, _, _ in found["handler"]) == ["docs/guide.md", "src/app.py"]
    assert found["absent"] == [] and found["-e"] == []
    assert [(p, n) for p, n, _ in limited["helper"]] == [("src/util.py", 1), ("src/util.py", 4)]
    assert len(capped["helper"]) == 1


def test_index_and_worktree_readers(repo):
    repo.write("src/util.py", "staged\n")
    repo.git("add", "src/util.py")
    repo.write("src/util.py", "worktree helper\n")
    with TreeReader(repo.path, None, index=True) as index:
        assert index.read_text("src/util.py") == "staged\n"
        assert index.grep(["staged"])["staged"] == [("src/util.py", 1, "staged")]
        assert "src/util.py" in index.ls_files()
    with TreeReader(repo.path, None) as worktree:
        assert worktree.read_text("src/util.py") == "worktree helper\n"
        assert worktree.read_bytes("link.py") == b"src/app.py"
        assert [p for p, _, _ in worktree.grep(["worktree"])["worktree"]] == ["src/util.py"]


def test_reader_for_each_side(repo):
    changes = read_changes(Settings(repo=repo.path, base=repo.base), {})
    with reader_for(changes) as new, reader_for(changes, "old") as old:
        assert new.read_text("src/app.py").endswith("+ 1\n")
        assert not old.read_text("src/app.py").endswith("+ 1\n")
    repo.write("src/app.py", "local\n")
    local = read_changes(Settings(repo=repo.path, working_tree=True), {})
    with reader_for(local) as new, reader_for(local, "old") as old:
        assert new.read_text("src/app.py") == "local\n"
        assert old.read_text("src/app.py").endswith("+ 1\n")


def test_read_blob_at(repo):
    assert read_blob_at(repo.path, repo.base, "src/app.py").endswith(b"(request)\n")
    assert read_blob_at(repo.path, repo.base, "nope.toml") is None
    with pytest.raises(GitError, match="unknown ref"):
        read_blob_at(repo.path, "no-such-branch", "src/app.py")


def test_git_attr_reads_the_tree_of_a_revision(repo):
    paths = ["gen/x.py", "src/app.py", "a.lock"]
    at_base = git_attr(repo.path, paths, "linguist-generated", repo.base)
    at_head = git_attr(repo.path, paths, "linguist-generated", repo.head_sha)
    assert at_base == {"gen/x.py": "set", "src/app.py": "unspecified", "a.lock": "unset"}
    assert at_head == {"gen/x.py": "true", "src/app.py": "set", "a.lock": "unspecified"}
    repo.write(".gitattributes", "")
    assert git_attr(repo.path, paths, "linguist-generated")["src/app.py"] == "unspecified"
    assert git_attr(repo.path, paths, "linguist-generated", index=True)["src/app.py"] == "set"


def test_is_ancestor(repo):
    assert is_ancestor(repo.path, repo.base, "HEAD")
    assert not is_ancestor(repo.path, "HEAD", repo.base)
    with pytest.raises(GitError):
        is_ancestor(repo.path, "nope", "HEAD")
