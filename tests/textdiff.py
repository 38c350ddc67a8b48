"""Build FileChange objects from two texts with difflib (unit tests of symbols and context)."""

from __future__ import annotations

import difflib

from prreview.models import DiffLine, FileChange, FileStatus, Hunk


def make_change(
    path: str,
    old: str | None,
    new: str | None,
    language: str | None = None,
    *,
    old_path: str | None = None,
) -> FileChange:
    old_lines = old.split("\n") if old is not None else []
    new_lines = new.split("\n") if new is not None else []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(3):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine(kind="context", old_lineno=i + 1, new_lineno=j + 1, text=old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            lines += [
                DiffLine(kind="removed", old_lineno=i + 1, text=old_lines[i]) for i in range(i1, i2)
            ]
            lines += [
                DiffLine(kind="added", new_lineno=j + 1, text=new_lines[j]) for j in range(j1, j2)
            ]
        first, last = group[0], group[-1]
        hunks.append(
            Hunk(
                old_start=first[1] + 1,
                old_length=last[2] - first[1],
                new_start=first[3] + 1,
                new_length=last[4] - first[3],
                lines=tuple(lines),
            )
        )
    status: FileStatus = "added" if old is None else "deleted" if new is None else "modified"
    added = sum(h.added for h in hunks)
    removed = sum(h.removed for h in hunks)
    return FileChange(
        path=path,
        old_path=old_path,
        status=status,
        language=language,
        added=added,
        removed=removed,
        hunks=tuple(hunks),
    )
