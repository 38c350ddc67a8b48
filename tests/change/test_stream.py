"""change/stream.py: the patch of a file too large to parse, read piece by piece."""

from __future__ import annotations

import io

import pytest

from prreview.change import diffparse, stream
from prreview.change.diffparse import parse_chunk
from prreview.change.read import read_changes
from prreview.config.settings import Settings


def _lines(pieces):
    return [
        (ln.kind, ln.old_lineno, ln.new_lineno, ln.text)
        for hunks in pieces
        for h in hunks
        for ln in h.lines
    ]


@pytest.mark.parametrize("size", [1, 2, 3, 100])
def test_pieces_hold_the_same_lines_as_the_parser(size: int) -> None:
    patch = (
        b"diff --git a/x b/x\nindex 1..2 100644\n--- a/x\n+++ b/x\n@@ -1,3 +1,4 @@ def f\n"
        b" a\n-b\n+c\n+d\n e\n\\ No newline at end of file\n@@ -10,2 +11,2 @@\n-x\n+y\n z\n"
    )
    pieces = list(stream.iter_pieces(io.BytesIO(patch), size))
    assert _lines(pieces) == _lines([parse_chunk(patch).hunks])
    assert all(sum(len(h.lines) for h in p) <= size for p in pieces)


def test_a_long_line_is_read_in_overlapping_segments(monkeypatch) -> None:
    monkeypatch.setattr(stream, "SEGMENT_OVERLAP", 10)
    patch = (
        b"diff --git a/x b/x\n@@ -0,0 +1,2 @@\n+" + b"A" * 50 + b"SECRET" + b"B" * 50 + b"\n+end\n"
    )
    data = io.BytesIO(patch)
    pieces = list(stream.iter_pieces(iter(lambda: data.readline(40), b""), 100))
    texts = [(ln.new_lineno, ln.text) for p in pieces for h in p for ln in h.lines]
    assert [n for n, _ in texts] == [1, 1, 1, 2]
    assert any("SECRET" in t for _, t in texts)
    # each segment of line 1 is in a piece of its own (checks key lines by number)
    assert all(len({ln.new_lineno for h in p for ln in h.lines}) == len(
        [ln for h in p for ln in h.lines]) for p in pieces)  # fmt: skip


def test_unparsed_file_between_others_is_streamed_exactly(git_repo, monkeypatch) -> None:
    monkeypatch.setattr(diffparse, "PARSE_LIMIT", 2000)
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.write("m/big.py", "".join(f"old_{i} = {i}\n" for i in range(300)))
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", "x = 2\n")
    text = "".join(f"new_{i} = {i}\n" if i % 7 == 0 else f"old_{i} = {i}\n" for i in range(300))
    repo.write("m/big.py", text)
    repo.write("z.py", "z = 1\n")
    repo.commit("change")
    changes = read_changes(Settings(repo=repo.path, base="main"), {})
    big = changes.file("m/big.py")
    assert big is not None and stream.is_unparsed(big) and big.skip_incomplete
    out = list(stream.expand_unparsed(changes))
    assert [f.path for f in out if f.path != "m/big.py"] == ["a.py", "z.py"]
    added = {ln.new_lineno: ln.text for f in out if f.path == "m/big.py" for ln in f.added_lines()}
    assert added == {i + 1: f"new_{i} = {i}" for i in range(0, 300, 7)}
