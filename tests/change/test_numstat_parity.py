"""Added/removed counts equal `git diff --numstat` on a seeded random history.

50 commits of adds, edits, deletes, renames, copies, binaries, mode changes and
symlinks, with content built to trip a diff parser (lines that look like diff headers,
CRLF, no final newline, Latin-1 bytes, form feeds, U+2028, odd file names). Every
consecutive pair, and the whole range, is compared file by file.
"""

from __future__ import annotations

import itertools
import os
import random

from prreview.change.read import read_changes
from prreview.config.settings import Settings
from prreview.models import FileChange

COMMITS = 50
_TRICKY_LINES = [
    b"",
    b"plain text",
    b"    indented code()",
    b"-starts with a dash",
    b"+starts with a plus",
    b"--- a/looks/like/a/header",
    b"+++ b/looks/like/a/header",
    b"@@ -1,2 +1,2 @@ fake hunk",
    b"diff --git a/x b/x",
    b"\\ No newline at end of file",
    b"crlf line\r",
    b"tab\tseparated",
    "unicode ünïcödé ✓".encode(),
    b"latin-1 caf\xe9",
    b"form\x0cfeed",
    "line\u2028separator".encode(),
    b"lone\rcarriage return",
]
_NAMES = ["mod.py", "dir/notes.txt", "with space.md", "ünï/data.rs", "-dash.txt", "odd\nname.go"]


def _content(rnd: random.Random) -> bytes:
    lines = [
        rnd.choice(_TRICKY_LINES) + str(rnd.randrange(5)).encode()
        for _ in range(rnd.randrange(1, 30))
    ]
    text = b"\n".join(lines)
    return text if rnd.random() < 0.2 else text + b"\n"


def _edit(rnd: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    for _ in range(rnd.randrange(1, 6)):
        op = rnd.random()
        pos = rnd.randrange(len(lines) + 1)
        if op < 0.4:
            lines.insert(pos, rnd.choice(_TRICKY_LINES))
        elif op < 0.7 and len(lines) > 1:
            del lines[min(pos, len(lines) - 1)]
        else:
            lines[min(pos, len(lines) - 1)] = rnd.choice(_TRICKY_LINES) + b" changed"
    return b"\n".join(lines)


class _History:
    def __init__(self, repo, rnd: random.Random) -> None:
        self.repo, self.rnd, self.counter = repo, rnd, 0

    def files(self) -> list[str]:
        """Regular files in the work tree (walked, not listed by git: this runs often)."""
        found = []
        for top, dirs, names in os.walk(self.repo.path):
            dirs[:] = [d for d in dirs if d != ".git"]
            for name in names:
                full = os.path.join(top, name)
                if not os.path.islink(full):
                    found.append(os.path.relpath(full, self.repo.path))
        return sorted(found)

    def new_name(self) -> str:
        self.counter += 1
        stem, dot, ext = self.rnd.choice(_NAMES).rpartition(".")
        return f"{stem}{self.counter}{dot}{ext}"

    def step(self) -> None:
        files = self.files()
        op = self.rnd.choice(
            ["add", "edit", "edit", "edit", "delete", "rename", "copy", "binary", "chmod", "link"]
        )
        if op == "add" or not files:
            self.repo.write(self.new_name(), _content(self.rnd))
            return
        path = self.rnd.choice(files)
        full = self.repo.path / path
        if op == "edit":
            full.write_bytes(_edit(self.rnd, full.read_bytes()))
        elif op == "delete":
            full.unlink()
        elif op == "rename":
            data = full.read_bytes()
            full.unlink()
            self.repo.write(
                self.new_name(), _edit(self.rnd, data) if self.rnd.random() < 0.5 else data
            )
        elif op == "copy":
            data = full.read_bytes()
            self.repo.write(self.new_name(), data)
            full.write_bytes(_edit(self.rnd, data))
        elif op == "binary":
            self.repo.write(
                self.new_name() + ".bin", bytes(self.rnd.randrange(256) for _ in range(64)) + b"\0"
            )
        elif op == "chmod":
            full.chmod(full.stat().st_mode ^ 0o111)
        else:
            self.repo.symlink(self.new_name(), path)


def _compare(repo, base: str, head: str) -> list[FileChange]:
    changes = read_changes(Settings(repo=repo.path, base=base, head=head), {})
    expected = repo.numstat(base, head)
    got = {f.path: (f.added, f.removed) for f in changes.files}
    assert got == expected, (base, head)
    assert all(f.skip_reason is None for f in changes.files)
    for f in changes.files:
        assert f.added == sum(h.added for h in f.hunks) and f.removed == sum(
            h.removed for h in f.hunks
        )
        for hunk in f.hunks:
            old = [ln.old_lineno for ln in hunk.lines if ln.old_lineno is not None]
            new = [ln.new_lineno for ln in hunk.lines if ln.new_lineno is not None]
            assert old == list(range(hunk.old_start, hunk.old_start + hunk.old_length))
            assert new == list(range(hunk.new_start, hunk.new_start + hunk.new_length))
    return list(changes.files)


def test_counts_match_numstat_on_random_history(git_repo):
    repo = git_repo()
    rnd = random.Random(20240101)
    history = _History(repo, rnd)
    for _ in range(4):
        repo.write(history.new_name(), _content(rnd))
    shas = [repo.commit("initial")]
    for n in range(COMMITS):
        for _ in range(rnd.randrange(1, 5)):
            history.step()
        shas.append(repo.commit(f"commit {n}"))
    seen = [f for a, b in itertools.pairwise(shas) for f in _compare(repo, a, b)]
    seen += _compare(repo, shas[0], shas[-1])
    assert {f.status for f in seen} == {"added", "modified", "deleted", "renamed", "copied"}
    assert any(f.is_binary for f in seen) and any(f.is_symlink for f in seen)
    assert any(f.old_mode != f.new_mode and f.status == "modified" for f in seen)
    assert any("\n" in f.path for f in seen)
