"""The structured summary: walkthrough table, overall risk with its reason, overview text."""

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
