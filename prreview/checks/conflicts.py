"""Merge-conflict markers left in added lines.

Runs on every file (skipped ones included): a conflict committed into a lock file or a
vendored file breaks the build just the same. `=======` alone is a Markdown/RST heading
underline, so it only counts inside a conflict or next to the other markers in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import added_lines, line_finding, make_rule

RULE = make_rule(
    "conflicts/merge-marker",
    "Merge-conflict marker",
    "A merge-conflict marker is added",
    "An added line is a merge-conflict marker (<<<<<<<, |||||||, ======= or >>>>>>>): "
    "a conflict was committed unresolved.",
    "Resolve the conflict and remove the markers.",
    severity="high",
    category="correctness",
    tags=("correctness", "merge-conflict"),
    precision="very-high",
)

_MARKER = re.compile(r"^(<{7}|\|{7}|>{7})(?: |$)|^(={7})$")
_OPEN, _BASE, _SEP, _CLOSE = "<", "|", "=", ">"


def _markers(file: FileChange) -> list[tuple[int, str, str]]:
    """(line, marker kind, anchor text: the marker and the added line after it)."""
    lines = dict(added_lines(file))
    found = []
    for lineno, text in lines.items():
        if not text or text[0] not in "<|=>":
            continue
        match = _MARKER.match(text)
        if match:
            anchor = f"{text} {lines.get(lineno + 1, '')}"
            found.append((lineno, (match.group(1) or match.group(2))[0], anchor))
    return found


def _finding(file: FileChange, start: int, end: int, anchor: str) -> Finding:
    span = f"lines {start}-{end}" if end != start else f"line {start}"
    return line_finding(
        RULE,
        file,
        start,
        title="Unresolved merge conflict",
        message=f"A merge-conflict marker is added ({span}). Resolve the conflict and remove "
        "the `<<<<<<<`, `=======` and `>>>>>>>` markers.",
        confidence=0.95,
        anchor=anchor,
        end_line=end,
    )


@dataclass(frozen=True)
class ConflictsCheck:
    family: str = "conflicts"
    rules: tuple[Rule, ...] = (RULE,)
    all_files: bool = True

    def check(self, file: FileChange) -> Iterator[Finding]:
        markers = _markers(file)
        if not any(kind != _SEP for _, kind, _ in markers):
            return
        open_at: tuple[int, str] | None = None
        for lineno, kind, text in markers:
            if kind == _OPEN:
                if open_at is not None:
                    yield _finding(file, open_at[0], open_at[0], open_at[1])
                open_at = (lineno, text)
            elif kind == _CLOSE and open_at is not None:
                yield _finding(file, open_at[0], lineno, open_at[1])
                open_at = None
            elif open_at is None:
                yield _finding(file, lineno, lineno, text)
        if open_at is not None:
            yield _finding(file, open_at[0], open_at[0], open_at[1])
