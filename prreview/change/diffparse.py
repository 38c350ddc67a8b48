"""Turn the bytes of `git diff --raw -z -p` into FileChange models. Pure: runs no git.

The raw records (NUL-separated, exact paths, modes, blob ids, status, similarity) are
the source of truth for every file's metadata. The patch text is split into one chunk
per `diff --git` header; each record finds its chunks by the header git writes for it
(C-quoted paths), so exotic names never confuse the mapping. unidiff parses each chunk's
hunks behind placeholder file headers; where it raises or accepts lines git never writes,
the small loop in `_parse_hunk` decides instead, exactly as it did before unidiff took
over. A malformed chunk becomes a file-level change with a skip reason, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from unidiff import Hunk as UnidiffHunk
from unidiff import PatchSet, UnidiffParseError

from prreview.change.languages import detect_language
from prreview.models import FileChange, FileStatus, Hunk, LineKind

_STATUS: dict[str, FileStatus] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "modified",
    "U": "modified",
    "X": "modified",
}
_CHUNK_START = re.compile(rb"^diff --git ", re.MULTILINE)
_HUNK_START = re.compile(rb"^@@ -", re.MULTILINE)
_BINARY = re.compile(rb"^(?:Binary files |GIT binary patch)", re.MULTILINE)
HUNK_HEADER = re.compile(r"@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)")
_UNIDIFF_KINDS: dict[str, LineKind] = {"+": "added", "-": "removed", " ": "context"}
_ESCAPES = {7: b"\\a", 8: b"\\b", 9: b"\\t", 10: b"\\n", 11: b"\\v", 12: b"\\f", 13: b"\\r"}
_ESCAPES.update({0x22: b'\\"', 0x5C: b"\\\\"})
SUBMODULE_MODE = "160000"
SYMLINK_MODE = "120000"


@dataclass(frozen=True)
class RawRecord:
    """One `git diff --raw -z` entry; shas and modes are None for a missing side."""

    status: str
    score: int | None
    old_mode: str | None
    new_mode: str | None
    old_sha: str | None
    new_sha: str | None
    old_path: bytes
    new_path: bytes


def split_raw(data: bytes) -> tuple[list[RawRecord], bytes]:
    """Split `--raw -z -p` output into its raw records and the patch text after them."""
    records: list[RawRecord] = []
    pos = 0
    while data.startswith(b":", pos):
        end = data.index(b"\0", pos)
        old_mode, new_mode, old_sha, new_sha, status = data[pos + 1 : end].decode().split(" ")
        pos = end + 1
        end = data.index(b"\0", pos)
        old_path = new_path = data[pos:end]
        pos = end + 1
        if status[0] in "RC":
            end = data.index(b"\0", pos)
            new_path = data[pos:end]
            pos = end + 1
        records.append(
            RawRecord(
                status=status[0],
                score=int(status[1:]) if status[1:].isdigit() else None,
                old_mode=None if set(old_mode) == {"0"} else old_mode,
                new_mode=None if set(new_mode) == {"0"} else new_mode,
                old_sha=None if set(old_sha) == {"0"} else old_sha,
                new_sha=None if set(new_sha) == {"0"} else new_sha,
                old_path=old_path,
                new_path=new_path,
            )
        )
    if data.startswith(b"\0", pos):
        pos += 1
    return records, data[pos:]


def c_quote(name: bytes) -> bytes:
    """Quote a path the way git writes it in patch headers (with core.quotepath=off)."""
    if not any(b < 0x20 or b in (0x22, 0x5C, 0x7F) for b in name):
        return name
    out = bytearray(b'"')
    for b in name:
        if b in _ESCAPES:
            out += _ESCAPES[b]
        elif b < 0x20 or b == 0x7F:
            out += b"\\%03o" % b
        else:
            out.append(b)
    return bytes(out + b'"')


def patch_header(record: RawRecord) -> bytes:
    """The `diff --git` line git writes for `record` (with a/ and b/ prefixes)."""
    return (
        b"diff --git " + c_quote(b"a/" + record.old_path) + b" " + c_quote(b"b/" + record.new_path)
    )


def group_chunks(patch: bytes) -> dict[bytes, list[bytes]]:
    """Patch chunks keyed by their `diff --git` line (a type change yields two chunks)."""
    starts = [m.start() for m in _CHUNK_START.finditer(patch)]
    groups: dict[bytes, list[bytes]] = {}
    ends = [*starts[1:], len(patch)] if starts else []
    for start, end in zip(starts, ends, strict=True):
        chunk = patch[start:end]
        header = chunk[: chunk.find(b"\n")] if b"\n" in chunk else chunk
        groups.setdefault(header, []).append(chunk)
    return groups


class PatchError(ValueError):
    """A chunk whose hunks do not add up (a truncated or hand-made patch)."""


ChunkParser = Literal["none", "unidiff", "fallback"]


@dataclass(frozen=True)
class ParsedChunk:
    """The hunks of one `diff --git` chunk and which parser read them."""

    hunks: tuple[Hunk, ...]
    is_binary: bool
    parser: ChunkParser
    """"unidiff" normally; "fallback" when unidiff rejected the hunks; "none" without hunks."""


def parse_chunk(chunk: bytes) -> ParsedChunk:
    """Parse one chunk with unidiff, or with `_fallback_hunks` where unidiff refuses it."""
    match = _HUNK_START.search(chunk)
    head = chunk if match is None else chunk[: match.start()]
    if _BINARY.search(head):
        return ParsedChunk((), True, "none")
    if match is None:
        return ParsedChunk((), False, "none")
    # Split the bytes on LF before decoding: CR, form feeds and U+2028 stay content, and a
    # replaced invalid byte can never add or remove a line.
    lines = [raw.decode("utf-8", "replace") for raw in chunk[match.start() :].split(b"\n")]
    if lines[-1] == "":
        lines.pop()
    hunks = _unidiff_hunks(lines)
    if hunks is not None:
        return ParsedChunk(hunks, False, "unidiff")
    return ParsedChunk(tuple(_fallback_hunks(lines)), False, "fallback")


def parse_hunks(chunk: bytes) -> tuple[list[Hunk], bool]:
    """(hunks, is_binary) of one `diff --git` chunk; PatchError when it is malformed."""
    parsed = parse_chunk(chunk)
    return list(parsed.hunks), parsed.is_binary


def _unidiff_hunks(lines: list[str]) -> tuple[Hunk, ...] | None:
    """The hunks as unidiff reads them, or None when it rejects them or leaves lines over."""
    # unidiff reads a line starting with CR as an empty context line; git never writes one,
    # and the fallback keeps rejecting it.
    if any(line[:1] == "\r" for line in lines):
        return None
    # The raw records own the paths, so unidiff only sees placeholder file headers.
    try:
        patch = PatchSet(["--- a/f\n", "+++ b/f\n", *(line + "\n" for line in lines)])
    except UnidiffParseError:
        return None
    if len(patch) != 1:
        return None
    # Trailing lines unidiff keeps as patch info or as empty lines are errors for us.
    parsed = patch[0]
    if sum(1 + len(h) for h in parsed) != len(lines):
        return None
    if any(ln.line_type not in _UNIDIFF_KINDS and ln.line_type != "\\" for h in parsed for ln in h):
        return None
    return tuple(_from_unidiff(h) for h in parsed)


def _from_unidiff(hunk: UnidiffHunk) -> Hunk:
    lines = [
        {
            "kind": _UNIDIFF_KINDS[ln.line_type],
            "old_lineno": ln.source_line_no,
            "new_lineno": ln.target_line_no,
            "text": ln.value[:-1],
        }
        for ln in hunk
        if ln.line_type in _UNIDIFF_KINDS
    ]
    return Hunk(
        old_start=hunk.source_start,
        old_length=hunk.source_length,
        new_start=hunk.target_start,
        new_length=hunk.target_length,
        section_header=hunk.section_header.rstrip("\r"),
        lines=lines,  # type: ignore[arg-type]  # validated into DiffLine by pydantic
    )


def _fallback_hunks(lines: list[str]) -> list[Hunk]:
    hunks: list[Hunk] = []
    pos = 0
    while pos < len(lines):
        hunk, pos = _parse_hunk(lines, pos)
        hunks.append(hunk)
    return hunks


def _parse_hunk(lines: list[str], pos: int) -> tuple[Hunk, int]:
    header = HUNK_HEADER.match(lines[pos])
    if header is None:
        raise PatchError(f"expected a hunk header at patch line {pos + 1}")
    old_start, old_len, new_start, new_len = (
        int(g) if g is not None else 1 for g in header.groups()[:4]
    )
    old_no, new_no, old_left, new_left = old_start, new_start, old_len, new_len
    out: list[dict[str, object]] = []
    pos += 1
    while (old_left > 0 or new_left > 0) and pos < len(lines):
        line = lines[pos]
        pos += 1
        tag = line[:1]
        if tag == "+":
            out.append({"kind": "added", "new_lineno": new_no, "text": line[1:]})
            new_no, new_left = new_no + 1, new_left - 1
        elif tag == "-":
            out.append({"kind": "removed", "old_lineno": old_no, "text": line[1:]})
            old_no, old_left = old_no + 1, old_left - 1
        elif tag == " " or not line:
            out.append(
                {"kind": "context", "old_lineno": old_no, "new_lineno": new_no, "text": line[1:]}
            )
            old_no, new_no, old_left, new_left = old_no + 1, new_no + 1, old_left - 1, new_left - 1
        elif tag != "\\":
            raise PatchError(f"unexpected line in hunk at patch line {pos}")
    if old_left or new_left:
        raise PatchError("hunk is shorter than its header says")
    while pos < len(lines) and lines[pos].startswith("\\"):
        pos += 1
    hunk = Hunk(
        old_start=old_start,
        old_length=old_len,
        new_start=new_start,
        new_length=new_len,
        section_header=header.group(5).rstrip("\r"),
        lines=out,  # type: ignore[arg-type]  # validated into DiffLine by pydantic
    )
    return hunk, pos


def decode_path(raw: bytes) -> tuple[str, bool]:
    """(path, ok): ok is False when the name is not valid UTF-8 (shown with U+FFFD)."""
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), False


PARSE_LIMIT = 8 * 2**20
"""Patch text per file above which hunks are not parsed (counted only) and the file is skipped:
a 50 MB generated file would otherwise cost millions of line objects and gigabytes of memory.
The built-in checks still read such a file, streaming (change/stream.py)."""
STREAM_CHECK_BYTES = 16 * 2**20
"""Patch text per unparsed file that the built-in checks read, streaming; the rest of a larger
patch is named in the skip reason (the review is incomplete either way)."""


def build_changes(
    records: Sequence[RawRecord], patch: bytes, sizes: Sequence[int | None]
) -> list[FileChange]:
    """One FileChange per raw record, in git's order; `sizes` is aligned with `records`."""
    groups = group_chunks(patch)
    return [
        _file_change(rec, groups.pop(patch_header(rec), None), size)
        for rec, size in zip(records, sizes, strict=True)
    ]


def _file_change(rec: RawRecord, chunks: list[bytes] | None, size: int | None) -> FileChange:
    hunks: list[Hunk] = []
    binary = False
    skip: str | None = None
    if chunks is None:
        skip = "unmerged path" if rec.status == "U" else "git produced no patch for this entry"
    elif sum(len(c) for c in chunks) > PARSE_LIMIT:
        counted = [_count_lines(c) for c in chunks]
        size_mb = sum(len(c) for c in chunks) / 2**20
        skip = f"diff too large to review ({size_mb:.0f} MiB of patch text)"
        if sum(len(c) for c in chunks) > STREAM_CHECK_BYTES:
            skip = (
                f"diff too large to review ({size_mb:.0f} MiB of patch text; the built-in "
                f"checks read its first {STREAM_CHECK_BYTES // 2**20} MiB only)"
            )
        return _change(rec, [], False, skip, size, counted)
    else:
        try:
            for chunk in chunks:
                chunk_hunks, chunk_binary = parse_hunks(chunk)
                hunks += chunk_hunks
                binary = binary or chunk_binary
        except PatchError as exc:
            hunks, skip = [], f"diff could not be parsed: {exc}"
    return _change(rec, hunks, binary, skip, size, None)


def _count_lines(chunk: bytes) -> tuple[int, int]:
    """(added, removed) of a patch chunk without building its lines (for huge diffs)."""
    start = chunk.find(b"\n@@")
    if start < 0:
        return 0, 0
    body = chunk[start:]
    return body.count(b"\n+"), body.count(b"\n-")


def _change(
    rec: RawRecord,
    hunks: list[Hunk],
    binary: bool,
    skip: str | None,
    size: int | None,
    counted: list[tuple[int, int]] | None,
) -> FileChange:
    status = _STATUS.get(rec.status, "modified")
    new_path, new_ok = decode_path(rec.new_path)
    old_path, old_ok = decode_path(rec.old_path)
    if not (new_ok and old_ok):
        skip = "path is not valid UTF-8"
    modes = (rec.old_mode, rec.new_mode)
    return FileChange(
        path=old_path if status == "deleted" else new_path,
        old_path=old_path if status in ("renamed", "copied") else None,
        status=status,
        old_mode=rec.old_mode,
        new_mode=rec.new_mode,
        similarity=rec.score if status in ("renamed", "copied") else None,
        is_binary=binary,
        is_submodule=SUBMODULE_MODE in modes,
        is_symlink=(rec.new_mode or rec.old_mode) == SYMLINK_MODE,
        language=detect_language(new_path),
        size=size,
        added=sum(a for a, _ in counted) if counted else sum(h.added for h in hunks),
        removed=sum(r for _, r in counted) if counted else sum(h.removed for h in hunks),
        hunks=tuple(hunks),
        skip_reason=skip,
        # every skip decided here means the model cannot see changed code
        skip_incomplete=skip is not None,
    )
