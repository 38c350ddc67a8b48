"""The structured summary: walkthrough table, overall risk with its reason, overview text.

The overview is built from the unit answers (each carries a one-paragraph summary of its part
of the change), so it needs no extra whole-change call; `summary_call = true` asks for one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from prreview.models import (
    SEVERITY_RANK,
    ChangeSummary,
    Finding,
    SkippedItem,
    Summary,
    WalkthroughRow,
)

OVERVIEW_CHARS = 2000
_RISK_OF = {"critical": "critical", "high": "high", "medium": "medium", "low": "low", "info": "low"}


def walkthrough(change: ChangeSummary, findings: Sequence[Finding]) -> tuple[WalkthroughRow, ...]:
    per_file = Counter(f.path for f in findings if f.path)
    return tuple(
        WalkthroughRow(
            path=f.path,
            status=f.status,
            added=f.added,
            removed=f.removed,
            symbols=f.symbols,
            findings=per_file.get(f.path, 0),
        )
        for f in change.files
    )


def assess_risk(
    change: ChangeSummary, findings: Sequence[Finding], skipped: Sequence[SkippedItem]
) -> tuple[str, str]:
    if findings:
        worst = max(findings, key=lambda f: (SEVERITY_RANK[f.severity], f.confidence))
        count = sum(1 for f in findings if f.severity == worst.severity)
        where = f" in {worst.path}" if worst.path else ""
        plural = "s" if count > 1 else ""
        return _RISK_OF[worst.severity], f"{count} {worst.severity} finding{plural}, first{where}"
    size = change.additions + change.deletions
    if size > 1000:
        return "medium", f"no findings, but a large change ({size} changed lines)"
    hunks_skipped = sum(1 for s in skipped if s.kind in {"hunk", "unit"})
    if hunks_skipped:
        return "medium", f"no findings, but {hunks_skipped} parts of the change were not reviewed"
    return "low", f"no findings in {len(change.files)} changed files"


def build_summary(
    change: ChangeSummary,
    findings: Sequence[Finding],
    skipped: Sequence[SkippedItem],
    overview: str = "",
) -> Summary:
    risk, reason = assess_risk(change, findings, skipped)
    return Summary(
        overview=overview.strip(),
        risk=risk,  # type: ignore[arg-type]
        risk_reason=reason,
        walkthrough=walkthrough(change, findings),
    )


def overview_from_units(parts: Sequence[tuple[Sequence[str], str]]) -> str:
    """The overview from the unit answers' summaries, in unit order.

    One unit: its paragraph. Several: one bullet per unit, led by its files. Repeated
    paragraphs are dropped; the text is cut at OVERVIEW_CHARS on a bullet boundary.
    """
    seen: set[str] = set()
    items: list[tuple[Sequence[str], str]] = []
    for paths, text in parts:
        clean = " ".join(text.split())
        if clean and clean not in seen:
            seen.add(clean)
            items.append((paths, text.strip()))
    if not items:
        return ""
    if len(items) == 1:
        return items[0][1][:OVERVIEW_CHARS]
    lines: list[str] = []
    used = 0
    for paths, paragraph in items:
        text = " ".join(paragraph.split())
        where = ", ".join(f"`{p}`" for p in list(paths)[:3])
        more = f" +{len(paths) - 3}" if len(paths) > 3 else ""
        line = f"- {where}{more}: {text}" if where else f"- {text}"
        if used + len(line) > OVERVIEW_CHARS:
            lines.append(f"- ... {len(items) - len(lines)} more part(s) of the change")
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join(lines)
