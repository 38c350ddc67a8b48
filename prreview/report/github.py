"""GitHub Actions workflow-command annotations (`::error file=...,line=...::message`).

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step (50 per job).
The highest-ranked findings are annotated first; when some do not fit, the last notice slot
says how many were left out. Levels: critical/high -> error, medium -> warning,
low/info -> notice. Unreviewed items come first, in one annotation (a warning when they make
the review incomplete) that takes one slot of its level. The job summary (see `prreview.output.append_step_summary`) carries the
full Markdown report.
"""

from __future__ import annotations

from ..models import Finding, Review
from .common import ordered, skipped_order, skipped_text

LEVELS = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "notice",
    "info": "notice",
}
PER_LEVEL = 10
_MESSAGE_LIMIT = 4_000
_TITLE_LIMIT = 200


def escape_data(text: str) -> str:
    """Escape the message part of a workflow command (as @actions/core does)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: data escaping plus ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(review: Review, *, per_level: int = PER_LEVEL) -> str:
    """One annotation per line, worst first, within GitHub's per-step budget."""
    findings = ordered(review.findings)
    totals = {"error": 0, "warning": 0, "notice": 0}
    for f in findings:
        totals[LEVELS[f.severity]] += 1
    overflowing = any(n > per_level for n in totals.values())
    caps = {"error": per_level, "warning": per_level, "notice": per_level}
    if overflowing:
        caps["notice"] = per_level - 1  # the overflow line is itself a notice
    unreviewed = unreviewed_annotation(review)
    if unreviewed:
        caps[unreviewed[2:].split(" ", 1)[0]] -= 1  # it takes one slot of its level
    used = {"error": 0, "warning": 0, "notice": 0}
    lines = []
    for f in findings:
        level = LEVELS[f.severity]
        if used[level] < caps[level]:
            used[level] += 1
            lines.append(annotation(f))
    left_out = len(findings) - len(lines)
    if left_out:
        noun = "finding" if left_out == 1 else "findings"
        lines.append(
            f"::notice title=prreview::prreview: {left_out} more {noun} not annotated "
            "(GitHub shows 10 annotations per level and step); see the job summary"
        )
    if unreviewed:
        lines.insert(0, unreviewed)
    return "\n".join(lines) + "\n" if lines else ""


def unreviewed_annotation(review: Review, limit: int = 20) -> str:
    """One annotation listing what was not reviewed (a warning when the review is incomplete)."""
    items = skipped_order(review.skipped)
    if not items:
        return ""
    level = "warning" if any(s.incomplete for s in items) else "notice"
    shown = [skipped_text(s).removeprefix("Not reviewed: ") for s in items[:limit]]
    more = f"\n… and {len(items) - limit} more" if len(items) > limit else ""
    body = _cut(f"{len(items)} item(s) not reviewed:\n" + "\n".join(shown) + more, _MESSAGE_LIMIT)
    title = escape_property("prreview: not reviewed")
    return f"::{level} title={title}::{escape_data(body)}"


def annotation(f: Finding) -> str:
    props = []
    if f.path is not None:
        props.append(f"file={escape_property(f.path)}")
        if f.start_line is not None:
            end = max(f.end_line or f.start_line, f.start_line)
            props.append(f"line={f.start_line}")
            props.append(f"endLine={end}")
            if f.start_column is not None:
                props.append(f"col={f.start_column}")
                if f.end_column is not None and end == f.start_line:
                    props.append(f"endColumn={f.end_column}")
    title = _cut(" ".join(f.title.split()), _TITLE_LIMIT)
    props.append(f"title={escape_property(f'[{f.severity}] {title}')}")
    body = f.message.strip() or title
    message = _cut(f"{body}\n\n{f.rule_id} · confidence {f.confidence:.2f}", _MESSAGE_LIMIT)
    return f"::{LEVELS[f.severity]} {','.join(props)}::{escape_data(message)}"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
