"""TODO, FIXME, XXX and HACK markers in added lines (informational).

Runs on reviewable files only. Markers must be upper case and stand alone
(`TODO:`, `# FIXME(bob)`), so identifiers like `todo_list` or `XXX-XX-XXXX` do not count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import HEURISTIC_SCAN_CHARS, added_lines, line_finding, make_rule

RULE = make_rule(
    "todo/marker",
    "TODO marker",
    "A TODO, FIXME, XXX or HACK marker is added",
    "An added line leaves a TODO, FIXME, XXX or HACK marker: work the author knows is unfinished.",
    "Finish the work, or link the marker to a tracked issue.",
    severity="info",
    category="maintainability",
    tags=("todo",),
    precision="high",
)

_MARKER = re.compile(r"(?<![\w\-])(TODO|FIXME|XXX|HACK)(?![\w\-])")
_WORDS = ("TODO", "FIXME", "XXX", "HACK")


@dataclass(frozen=True)
class TodoCheck:
    family: str = "todo"
    rules: tuple[Rule, ...] = (RULE,)
    all_files: bool = False

    def check(self, file: FileChange) -> Iterator[Finding]:
        for lineno, text in added_lines(file, limit=HEURISTIC_SCAN_CHARS):
            if not any(w in text for w in _WORDS):
                continue
            match = _MARKER.search(text)
            if match is None:
                continue
            word = match.group(1)
            yield line_finding(
                RULE,
                file,
                lineno,
                title=f"{word} added",
                message=f"This line adds a `{word}` marker. Finish the work or link it to a "
                "tracked issue.",
                confidence=0.9,
                anchor=text,
                columns=(match.start() + 1, match.end()),
            )
