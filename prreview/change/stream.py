"""Reading the patch of a file too large to parse (diffparse.PARSE_LIMIT), piece by piece.

The built-in checks (secrets above all) must see every added line, however large the file.
`expand_unparsed(changes)` yields the files of `changes` with each unparsed file replaced by
copies that carry its hunks one piece at a time (diffparse.PIECE_LINES lines each). The
pieces come from a second `git diff` with the same options as the first, read line by line
from the pipe: memory stays bounded by one piece, whatever the size of the patch.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from prreview.change.diffparse import HUNK_HEADER, STREAM_CHECK_BYTES, c_quote
from prreview.change.git import DIFF_OPTS, argv, empty_tree, git_env, no_filters_env
from prreview.errors import GitError
from prreview.models import ChangeSet, DiffLine, FileChange, Hunk

_PIPE_BUFFER = 2**20
"""Read the pipe in large blocks: one GIL hand-off per MiB, not per line."""
_PATCH_OPTS = tuple(o for o in DIFF_OPTS if o not in ("--raw", "-z"))
"""The reader's diff options without the raw records: the same patch text, headers included."""


def expand_unparsed(changes: ChangeSet) -> Iterator[FileChange]:
    """Every file of `changes`; an unparsed one as a run of copies holding one piece each."""
    wanted = {_header(f): f for f in changes.files if is_unparsed(f)}
    wanted.pop(None, None)
    for f in changes.files:
        if not is_unparsed(f):
            yield f
    if not wanted:
        return
    for path, segments in _file_segments(changes, wanted):  # type: ignore[arg-type]
        f = wanted[path]
        for hunks in iter_pieces(_capped(segments, STREAM_CHECK_BYTES)):
            yield f.model_copy(update={"hunks": hunks})


def _capped(segments: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The segments up to `limit` bytes in all (the skip reason says where reading stops)."""
    used = 0
    for seg in segments:
        used += len(seg)
        if used > limit:
            return
        yield seg


def _header(f: FileChange) -> bytes | None:
    """The `diff --git` line git writes for `f`, or None when its path is not UTF-8."""
    try:
        old = (f.old_path or f.path).encode("utf-8")
        new = f.path.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return b"diff --git " + c_quote(b"a/" + old) + b" " + c_quote(b"b/" + new)


def _revs(changes: ChangeSet) -> list[str] | None:
    root = Path(changes.repo_root)
    if changes.mode == "range":
        if not changes.base_sha or not changes.head_sha or changes.base_sha == changes.head_sha:
            return None
        return [changes.base_sha, changes.head_sha]
    old = changes.base_sha or empty_tree(root)
    return ["--cached", old] if changes.mode == "staged" else [old]


def _file_segments(
    changes: ChangeSet, wanted: dict[bytes, FileChange]
) -> Iterator[tuple[bytes, Iterable[bytes]]]:
    """(header, the segments of that file's patch) for each wanted file, in git's order."""
    revs = _revs(changes)
    if revs is None:
        return
    root = Path(changes.repo_root)
    args = argv(root, [*_PATCH_OPTS, *revs, "--"])
    # a working-tree or index diff reads work-tree files: no filter driver may run
    extra = no_filters_env(root) if changes.mode in {"working-tree", "staged"} else None
    try:
        proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=git_env(extra),
            bufsize=_PIPE_BUFFER,
        )
    except FileNotFoundError:
        raise GitError("git executable not found", hint="install git and put it on PATH") from None
    assert proc.stdout is not None
    try:
        lines = _Lines(proc.stdout)
        while (header := lines.next_header()) is not None:
            if header in wanted:
                yield header, lines.until_header()
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


class _Lines:
    """Segments of a patch stream, with one segment of look-ahead for chunk boundaries."""

    def __init__(self, stream: object) -> None:
        self._read = stream.readline  # type: ignore[attr-defined]
        self._peek: bytes | None = None
        self._header: bytes | None = None
        self._at_start = True

    def _next(self) -> bytes:
        if self._peek is not None:
            seg, self._peek = self._peek, None
            return seg
        return self._read(SEGMENT_BYTES)

    def next_header(self) -> bytes | None:
        """Skip to the next `diff --git` line; its text without LF, or None at the end."""
        self._header = None
        while seg := self._next():
            start, self._at_start = self._at_start, seg.endswith(b"\n")
            if start and seg.startswith(b"diff --git "):
                self._header = seg
                return seg.rstrip(b"\n")
        return None

    def until_header(self) -> Iterator[bytes]:
        """This chunk's segments (its own header first), up to the next `diff --git` line."""
        if self._header is not None:
            yield self._header
            self._header = None
        while seg := self._next():
            if self._at_start and seg.startswith(b"diff --git "):
                self._peek = seg  # next_header reads it again
                return
            self._at_start = seg.endswith(b"\n")
            yield seg


# --------------------------------------------------------------------------- pieces

PIECE_LINES = 2000
"""Diff lines per piece when a file's patch is too large to parse at once (PARSE_LIMIT)."""
SEGMENT_BYTES = 2**20
"""A patch line longer than this is read in segments (each one in a piece of its own)."""
SEGMENT_OVERLAP = 256
"""Bytes of the previous segment repeated at the start of the next, so that a token on the
boundary is seen whole by the line checks."""


def is_unparsed(f: FileChange) -> bool:
    """True for a file whose patch was too large to parse: lines counted, no hunks kept."""
    return not f.hunks and not f.is_binary and (f.added + f.removed) > 0


@dataclass
class _PieceState:
    old_no: int = 0
    new_no: int = 0
    in_hunk: bool = False
    tag: str = ""
    section: str = ""
    lines: list[dict[str, object]] | None = None
    hunks: list[Hunk] | None = None
    count: int = 0


def iter_pieces(
    segments: Iterable[bytes], max_lines: int = PIECE_LINES
) -> Iterator[tuple[Hunk, ...]]:
    """The hunks of one file's patch text, at most `max_lines` diff lines per piece.

    `segments` are `readline(SEGMENT_BYTES)` results (a line longer than the limit arrives
    in several segments, only the last ending in LF). Line numbers are exact; a long line's
    later segments repeat its number and start with the previous segment's last bytes.
    Lines outside hunks (headers, `\\ No newline`) are passed over; nothing is kept between
    pieces but the current line numbers.
    """
    st = _PieceState(lines=[], hunks=[])
    continued = False
    tail = b""
    for seg in segments:
        ends = seg.endswith(b"\n")
        body = seg[:-1] if ends else seg
        if continued and st.in_hunk:
            if st.count:
                yield from _flush(st)
            _add_line(st, st.tag, (tail + body).decode("utf-8", "replace"), advance=False)
        elif not continued:
            header = HUNK_HEADER.match(body[:200].decode("utf-8", "replace"))
            if header is not None and body.startswith(b"@@ -"):
                _close_hunk(st)
                old, _ol, new, _nl = (int(g) if g else 1 for g in header.groups()[:4])
                st.old_no, st.new_no, st.in_hunk = old, new, True
                st.section = header.group(5).rstrip("\r")
            elif st.in_hunk and body[:1] in (b"+", b"-", b" "):
                st.tag = body[:1].decode()
                _add_line(st, st.tag, body[1:].decode("utf-8", "replace"), advance=True)
            elif not body.startswith(b"\\"):
                st.in_hunk = False
        if st.count >= max_lines or (not ends and st.in_hunk and st.count):
            yield from _flush(st)
        tail = body[-SEGMENT_OVERLAP:] if not ends else b""
        continued = not ends
    yield from _flush(st)


def _add_line(st: _PieceState, tag: str, text: str, *, advance: bool) -> None:
    """One diff line; a later segment of a long line (advance False) repeats its numbers."""
    assert st.lines is not None
    step = 1 if advance else 0
    old, new = st.old_no - 1 + step, st.new_no - 1 + step
    if tag == "+":
        line: dict[str, object] = {"kind": "added", "new_lineno": new}
        st.new_no += step
    elif tag == "-":
        line = {"kind": "removed", "old_lineno": old}
        st.old_no += step
    else:
        line = {"kind": "context", "old_lineno": old, "new_lineno": new}
        st.old_no, st.new_no = st.old_no + step, st.new_no + step
    line["text"] = text
    st.lines.append(line)
    st.count += 1


def _close_hunk(st: _PieceState) -> None:
    """Turn the lines gathered so far into one (partial) hunk of the current piece."""
    assert st.lines is not None and st.hunks is not None
    if not st.lines:
        return
    olds = [int(x["old_lineno"]) for x in st.lines if x.get("old_lineno") is not None]  # type: ignore[call-overload]
    news = [int(x["new_lineno"]) for x in st.lines if x.get("new_lineno") is not None]  # type: ignore[call-overload]
    # built from values this parser made itself: no validation, a million lines stay cheap
    st.hunks.append(
        Hunk.model_construct(
            old_start=olds[0] if olds else st.old_no,
            old_length=len(set(olds)),
            new_start=news[0] if news else st.new_no,
            new_length=len(set(news)),
            section_header=st.section,
            lines=tuple(DiffLine.model_construct(**line) for line in st.lines),  # type: ignore[arg-type]
        )
    )
    st.lines = []


def _flush(st: _PieceState) -> Iterator[tuple[Hunk, ...]]:
    _close_hunk(st)
    assert st.hunks is not None
    if st.hunks:
        yield tuple(st.hunks)
    st.hunks, st.count = [], 0
