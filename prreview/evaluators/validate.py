"""Turn a model's answer items into Findings, validated against the change.

A model finding survives only when its path is a reviewable file of the change set and its
lines exist in the new file. Everything else is dropped and counted. The model's text never
reaches anything but a Finding's title, message and suggestion (escaped by the reports).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from prreview.models import ChangeSet, FileChange, Finding, fingerprint

LineSource = Callable[[str], list[str] | None]
"""path -> the new file's lines (None when unreadable)."""

ANCHOR_ADDED = 1.0
ANCHOR_CONTEXT = 0.9
ANCHOR_ELSEWHERE = 0.75
"""Confidence multipliers by where the finding is anchored (docs/evaluators.md)."""

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:40] or "general"


def normalise_path(raw: str) -> str | None:
    """Repo-relative '/' path, or None for absolute paths, traversal and junk."""
    path = raw.strip().replace("\\", "/")
    if not path or "\0" in path or path.startswith("/") or re.match(r"^[A-Za-z]:/", path):
        return None
    while path.startswith("./"):
        path = path[2:]
    parts = path.split("/")
    if any(p in {"", ".", ".."} for p in parts):
        return None
    return path


def _resolve(raw: str, changes: ChangeSet) -> FileChange | None:
    path = normalise_path(raw)
    if path is None:
        return None
    found = changes.file(path)
    if found is None and path[:2] in {"a/", "b/"}:
        found = changes.file(path[2:])
    if found is None or not found.reviewable or found.status == "deleted":
        return None
    return found


def anchor_factor(file: FileChange, start: int, end: int) -> float:
    span = set(range(start, end + 1))
    if span & file.added_line_numbers():
        return ANCHOR_ADDED
    if span & file.new_lines_in_diff():
        return ANCHOR_CONTEXT
    return ANCHOR_ELSEWHERE


def to_finding(
    item: Any, *, evaluator: str, changes: ChangeSet, lines_of: LineSource
) -> Finding | None:
    """One model item (answer.ModelFinding) -> Finding, or None when it must be dropped."""
    file = _resolve(str(item.file), changes)
    if file is None:
        return None
    lines = lines_of(file.path)
    if lines is None:
        return None
    start = int(item.line)
    end = int(item.end_line) if item.end_line is not None else start
    if start < 1 or start > len(lines):
        return None
    end = min(max(end, start), len(lines))
    category = slug(str(item.category or "general"))
    rule_id = f"llm/{evaluator}/{category}"
    confidence = round(float(item.confidence) * anchor_factor(file, start, end), 4)
    return Finding(
        rule_id=rule_id,
        evaluator=evaluator,
        evaluators=(evaluator,),
        category=category,
        severity=item.severity,
        confidence=max(0.0, min(1.0, confidence)),
        title=str(item.title).strip()[:200] or category,
        message=str(item.message).strip()[:8000],
        path=file.path,
        start_line=start,
        end_line=end,
        suggestion=(str(item.suggestion)[:8000] if item.suggestion else None),
        tags=("llm", evaluator, category),
        source="llm",
        fingerprint=fingerprint(f"llm/{category}", file.path, lines[start - 1 : end]),
    )


def validate_items(
    items: Iterable[Any], *, evaluator: str, changes: ChangeSet, lines_of: LineSource
) -> tuple[list[Finding], int]:
    kept: list[Finding] = []
    dropped = 0
    for item in items:
        finding = to_finding(item, evaluator=evaluator, changes=changes, lines_of=lines_of)
        if finding is None:
            dropped += 1
        else:
            kept.append(finding)
    return kept, dropped
