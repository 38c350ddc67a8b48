"""reviewdog's rdjsonl: one Diagnostic JSON object per line (`reviewdog -f=rdjsonl`).

reviewdog posts `message` as a review comment, so it is escaped Markdown. Ranges follow the
Reviewdog Diagnostic Format: without columns a range is line-wise and includes its end line,
which is also how a suggestion replaces the finding's lines. Unreviewed items with a path
follow the findings as file-level diagnostics of code `prreview/not-reviewed`.
"""

from __future__ import annotations

import json
from typing import Any

from ..models import Finding, Review, SkippedItem
from . import escape
from .common import ordered, skipped_order, skipped_text

SEVERITIES = {
    "critical": "ERROR",
    "high": "ERROR",
    "medium": "WARNING",
    "low": "INFO",
    "info": "INFO",
}
_MESSAGE_LIMIT = 4_000


def render(review: Review) -> str:
    lines = [
        json.dumps(diagnostic(f), ensure_ascii=False, sort_keys=True)
        for f in ordered(review.findings)
        if f.path is not None
    ]
    lines += [
        json.dumps(skipped_diagnostic(s), ensure_ascii=False, sort_keys=True)
        for s in skipped_order(review.skipped)
        if s.path is not None
    ]
    return "".join(line + "\n" for line in lines)


def diagnostic(f: Finding) -> dict[str, Any]:
    title = escape.md_inline(escape.truncate(f.title, 300))
    message = f"**[{f.severity}] {title}**"
    body = escape.md_text(escape.truncate(f.message, _MESSAGE_LIMIT))
    if body:
        message += "\n\n" + body
    location: dict[str, Any] = {"path": f.path}
    if f.start_line is not None:
        location["range"] = _range(f)
    diag: dict[str, Any] = {
        "message": message,
        "location": location,
        "severity": SEVERITIES[f.severity],
        "source": {"name": "prreview"},
        "code": {"value": f.rule_id},
    }
    if f.suggestion is not None and f.start_line is not None:
        end = max(f.end_line or f.start_line, f.start_line)
        line_wise = {"start": {"line": f.start_line}, "end": {"line": end}}
        diag["suggestions"] = [{"range": line_wise, "text": f.suggestion.rstrip("\n")}]
    return diag


def skipped_diagnostic(item: SkippedItem) -> dict[str, Any]:
    """An unreviewed item as a file-level diagnostic (WARNING when it makes the review
    incomplete)."""
    return {
        "message": escape.md_inline(escape.truncate(skipped_text(item), 1_000)),
        "location": {"path": item.path},
        "severity": "WARNING" if item.incomplete else "INFO",
        "source": {"name": "prreview"},
        "code": {"value": "prreview/not-reviewed"},
    }


def _range(f: Finding) -> dict[str, Any]:
    start_line = f.start_line or 1
    end_line = max(f.end_line or start_line, start_line)
    if f.start_column is None:
        return {"start": {"line": start_line}, "end": {"line": end_line}}
    start = {"line": start_line, "column": f.start_column}
    if f.end_column is None:
        return {"start": start, "end": {"line": end_line + 1, "column": 1}}
    return {"start": start, "end": {"line": end_line, "column": f.end_column}}
