"""The diff parser on its own: hand-written patches, the unidiff/fallback split, and an oracle."""

from __future__ import annotations

import pytest
from unidiff import PatchSet

from prreview.change.diffparse import (
    PatchError,
    build_changes,
    c_quote,
    group_chunks,
    parse_chunk,
    parse_hunks,
    split_raw,
)
from prreview.change.read import read_changes
from prreview.config.settings import Settings

_SHA_A = "1" * 40
_SHA_B = "2" * 40


def _raw(status: str, path: bytes, new_path: bytes | None = None) -> bytes:
    meta = f":100644 100644 {_SHA_A} {_SHA_B} {status}".encode()
    return meta + b"\0" + path + b"\0" + (new_path + b"\0" if new_path else b"")


def test_c_quote_matches_git_rules():
    assert c_quote(b"plain name.txt") == b"plain name.txt"
    assert c_quote("ünï/файл".encode()) == "ünï/файл".encode()
    assert c_quote(b"a/new\nline") == b'"a/new\\nline"'
    assert c_quote(b'q"\\\t\x7f\x01') == b'"q\\"\\\\\\t\\177\\001"'


def test_hunks_kinds_numbers_and_markers():
    chunk = (
        b"diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n"
        b"@@ -1,3 +1,3 @@ def top():\n a\n-b\n-c\n\\ No newline at end of file\n+B\n+c\n"
        b"\\ No newline at end of file\n@@ -10 +10,2 @@\n-x\r\n+y\r\n+--- not a header\n"
    )
    hunks, binary = parse_hunks(chunk)
    assert not binary and len(hunks) == 2
    assert hunks[0].section_header == "def top():"
    assert [(ln.kind, ln.old_lineno, ln.new_lineno, ln.text) for ln in hunks[0].lines] == [
        ("context", 1, 1, "a"),
        ("removed", 2, None, "b"),
        ("removed", 3, None, "c"),
        ("added", None, 2, "B"),
        ("added", None, 3, "c"),
    ]
    assert (hunks[1].old_length, hunks[1].new_length) == (1, 2)
    assert [ln.text for ln in hunks[1].lines] == ["x\r", "y\r", "--- not a header"]


def test_unidiff_reads_normal_hunks_and_invalid_utf8_keeps_line_numbers():
    chunk = (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -4,2 +4,3 @@ class K:\r\n"
        b" caf\xe9\r\n-\xff\xfe old\n+new \xe2\x80\xa8 \x0c form\n+\n"
    )
    parsed = parse_chunk(chunk)
    assert (parsed.parser, parsed.is_binary, len(parsed.hunks)) == ("unidiff", False, 1)
    (hunk,) = parsed.hunks
    assert hunk.section_header == "class K:"
    assert [(ln.kind, ln.old_lineno, ln.new_lineno, ln.text) for ln in hunk.lines] == [
        ("context", 4, 4, "caf\ufffd\r"),
        ("removed", 5, None, "\ufffd\ufffd old"),
        ("added", None, 5, "new \u2028 \x0c form"),
        ("added", None, 6, ""),
    ]


def test_fallback_reads_what_unidiff_rejects():
    # unidiff only knows the English marker; between two hunks any other one makes it raise.
    chunk = (
        b"diff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n"
        b"\\ Kein Zeilenumbruch am Dateiende\n@@ -5 +5 @@\n-c\n+d\n"
    )
    parsed = parse_chunk(chunk)
    assert parsed.parser == "fallback"
    assert [(h.old_start, [ln.text for ln in h.lines]) for h in parsed.hunks] == [
        (1, ["a", "b"]),
        (5, ["c", "d"]),
    ]


@pytest.mark.parametrize(
    "hunks",
    [
        b"@@ -1 +1 @@\n-a\n+b\n\n",
        b"@@ -1 +1 @@\n-a\n+b\ntrailing junk\n",
        b"@@ -1 +1 @@\n-a\n+b\n--- a/f\n+++ b/f\n@@ -9 +9 @@\n-x\n+y\n",
        b"@@ -1,2 +1,2 @@\n\r\n-a\n+b\n",
    ],
    ids=["blank line after", "junk after", "second file header", "bare CR line"],
)
def test_what_unidiff_tolerates_but_git_never_writes_stays_an_error(hunks: bytes):
    assert PatchSet.from_string("--- a/f\n+++ b/f\n" + hunks.decode())
    with pytest.raises(PatchError):
        parse_hunks(b"diff --git a/f b/f\n--- a/f\n+++ b/f\n" + hunks)


def test_binary_and_hunkless_chunks_need_no_parser():
    binary = parse_chunk(b"diff --git a/x b/x\nindex 1..2\nBinary files a/x and b/x differ\n")
    mode_only = parse_chunk(b"diff --git a/y b/y\nold mode 100644\nnew mode 100755\n")
    assert (binary.parser, binary.is_binary, binary.hunks) == ("none", True, ())
    assert (mode_only.parser, mode_only.is_binary, mode_only.hunks) == ("none", False, ())


def test_malformed_chunk_becomes_a_skip_reason():
    raw = _raw("M", b"bad.txt") + _raw("M", b"good.txt") + b"\0"
    patch = (
        b"diff --git a/bad.txt b/bad.txt\n--- a/bad.txt\n+++ b/bad.txt\n@@ -1,5 +1,5 @@\n-x\n+y\n"
        b"diff --git a/good.txt b/good.txt\n--- a/good.txt\n+++ b/good.txt\n@@ -1 +1 @@\n-x\n+y\n"
    )
    records, rest = split_raw(raw + patch)
    assert rest == patch
    bad, good = build_changes(records, rest, [None, None])
    assert bad.skip_reason is not None and "could not be parsed" in bad.skip_reason
    assert (bad.added, bad.removed, bad.hunks) == (0, 0, ())
    assert (good.skip_reason, good.added, good.removed) == (None, 1, 1)


def test_record_without_a_patch_is_kept_with_a_reason():
    records, rest = split_raw(_raw("R087", b"old name", b"new name") + b"\0")
    (change,) = build_changes(records, rest, [12])
    assert (change.path, change.old_path, change.status, change.similarity) == (
        "new name",
        "old name",
        "renamed",
        87,
    )
    assert change.size == 12 and change.skip_reason == "git produced no patch for this entry"


def test_invalid_utf8_path_is_skipped_not_fatal():
    records, rest = split_raw(_raw("M", b"caf\xe9.txt") + b"\0")
    (change,) = build_changes(records, rest, [None])
    assert change.path == "caf\ufffd.txt" and change.skip_reason == "path is not valid UTF-8"


def test_parser_agrees_with_unidiff_on_real_git_output(git_repo):
    repo = git_repo()
    repo.write("a.py", "".join(f"v{i} = {i}\n" for i in range(60)))
    repo.write("b.txt", "x\r\ny\r\nz")
    repo.write("c.md", "# title\n\ntext\n")
    repo.write("d.txt", "to delete\n")
    base = repo.commit("base")
    lines = [f"v{i} = {i}\n" for i in range(60)]
    lines[3:6] = ["changed\n", "\n", "-- dashes\n", "++ plus\n"]
    lines[40] = "\\ backslash line\n"
    repo.write("a.py", "".join(lines) + "tail")
    repo.write("b.txt", "x\r\nY\r\nz\r\n")
    repo.write("c.md", "# title\n\n\ntext\nmore\n")
    repo.remove("d.txt")
    repo.write("e.txt", "brand new\n")
    head = repo.commit("head")
    ours = read_changes(Settings(repo=repo.path, base=base), {})
    patch = repo.git("diff", "--no-color", "--no-ext-diff", "-M", "-C", base, head)
    theirs = {pf.path: pf for pf in PatchSet(patch)}
    assert {f.path for f in ours.files} == set(theirs)
    for f in ours.files:
        expected = [
            (ln.line_type, ln.source_line_no, ln.target_line_no, ln.value.rstrip("\n"))
            for hunk in theirs[f.path]
            for ln in hunk
            if ln.line_type in "+- "
        ]
        kinds = {"added": "+", "removed": "-", "context": " "}
        got = [
            (kinds[ln.kind], ln.old_lineno, ln.new_lineno, ln.text)
            for h in f.hunks
            for ln in h.lines
        ]
        assert got == expected, f.path
        assert (f.added, f.removed) == (theirs[f.path].added, theirs[f.path].removed)
    raw = repo.git("diff", "--raw", "-z", "-p", "--no-color", "-M", "-C", base, head)
    _, rest = split_raw(raw.encode("utf-8", "surrogateescape"))
    chunks = [c for group in group_chunks(rest).values() for c in group]
    assert [parse_chunk(c).parser for c in chunks] == ["unidiff"] * len(ours.files)
