"""Small helpers shared by the report formats: a stable order and location text."""

from __future__ import annotations

from collections.abc import Iterable

from ..models import SEVERITIES, SEVERITY_RANK, Finding, SkippedItem


def sort_key(f: Finding) -> tuple[int, float, str, int, int, str, str]:
    """Worst first, then by place: the one order every format uses."""
    return (
        -SEVERITY_RANK[f.severity],
        -f.confidence,
        f.path or "",
        f.start_line or 0,
        f.end_line or 0,
        f.rule_id,
        f.fingerprint or f.title,
    )


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    return sorted(findings, key=sort_key)


def line_range(f: Finding) -> str:
    """`12`, `12-14` or `` (file level)."""
    if f.start_line is None:
        return ""
    end = f.end_line if f.end_line is not None else f.start_line
    return str(f.start_line) if end <= f.start_line else f"{f.start_line}-{end}"


def location(f: Finding) -> str:
    """`path:12-14`, `path` for a file-level finding, `(change)` when there is no path."""
    if f.path is None:
        return "(change)"
    lines = line_range(f)
    return f"{f.path}:{lines}" if lines else f.path


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def skipped_order(items: Iterable[SkippedItem]) -> list[SkippedItem]:
    """Unreviewed items, the ones that make the review incomplete first, then by place."""
    return sorted(items, key=lambda s: (not s.incomplete, s.path or "", s.kind, s.reason, s.detail))


def skipped_text(item: SkippedItem) -> str:
    """`Not reviewed: kind path: reason (detail)` as plain text (escape it for the format)."""
    what = item.kind if item.path is None else f"{item.kind} {item.path}"
    text = f"Not reviewed: {what}: {item.reason}"
    if item.detail:
        text += f" ({item.detail})"
    if item.incomplete:
        text += "; the review is incomplete"
    return text
