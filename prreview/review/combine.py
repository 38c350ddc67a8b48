"""Combine reviews: shards of one change (`prreview merge`) and incremental carry-forward.

Sharding uses the CI's own matrix as the distributed engine: each job runs
`prreview run --shard I/N --output json=part-I.json`, then one job runs
`prreview merge part-*.json --output ...`, which applies the gate to the union.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from prreview.errors import UsageError
from prreview.models import FileChange, Finding, Review, Stats
from prreview.review import gate
from prreview.review.merge import merge_findings
from prreview.review.summary import build_summary


def load_review(path: Path) -> Review:

    try:
        return Review.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read report {path}: {exc.strerror}") from None
    except ValidationError as exc:
        raise UsageError(
            f"{path} is not a prreview JSON report: {exc.errors()[0]['msg']}",
            hint="write reports with --output json=PATH",
        ) from None


def _sum_stats(parts: Sequence[Stats]) -> Stats:
    first = parts[0]
    added = {
        name: sum(getattr(p, name) for p in parts)
        for name in (
            "units", "units_failed", "calls", "cache_hits", "prompt_tokens", "completion_tokens",
            "shared_prefix_tokens", "cached_tokens", "findings_dropped", "suppressed", "filtered",
        )
    }  # fmt: skip
    return first.model_copy(
        update={
            **added,
            "hunks_reviewed": min(first.hunks, sum(p.hunks_reviewed for p in parts)),
            "cost_usd": round(sum(p.cost_usd for p in parts), 6),
            "latency_max_s": max(p.latency_max_s for p in parts),
            "latency_median_s": max(p.latency_median_s for p in parts),
            "duration_s": max(p.duration_s for p in parts),
        }
    )


def merge_reviews(
    reviews: Sequence[Review], *, fail_on: str | None = None, min_confidence: float | None = None
) -> Review:
    """One review from shards of the same change; the gate is applied to the union."""

    if not reviews:
        raise UsageError("prreview merge needs at least one report")
    heads = {r.change.head_sha for r in reviews}
    if len(heads) > 1:
        raise UsageError(
            "the reports are for different head commits: "
            + ", ".join(sorted(h or "?" for h in heads))
        )
    first = reviews[0]
    findings = merge_findings(f for r in reviews for f in r.findings)
    rules = {rule.id: rule for r in reviews for rule in r.rules}
    skipped = tuple(dict.fromkeys(s for r in reviews for s in r.skipped))
    incomplete = [r.incomplete_reason or "incomplete" for r in reviews if not r.complete]
    decision = gate.decide(
        findings,
        fail_on=fail_on or first.gate.fail_on,
        min_confidence=first.gate.min_confidence if min_confidence is None else min_confidence,
    )
    overview = " ".join(r.summary.overview for r in reviews if r.summary.overview)
    return first.model_copy(
        update={
            "findings": tuple(findings),
            "rules": tuple(sorted(rules.values(), key=lambda x: x.id)),
            "skipped": skipped,
            "stats": _sum_stats([r.stats for r in reviews]),
            "summary": build_summary(first.change, findings, skipped, overview),
            "gate": decision,
            "complete": not incomplete,
            "incomplete_reason": "; ".join(incomplete) or None,
            "fail_open": any(r.fail_open for r in reviews) and bool(incomplete),
            "notes": (
                *tuple(dict.fromkeys(n for r in reviews for n in r.notes)),
                f"merged from {len(reviews)} reports",
            ),
        }
    )


def shift_line(file: FileChange, old_line: int) -> int | None:
    """Where `old_line` of the file before `file`'s diff sits after it; None if it changed."""
    delta = 0
    for hunk in file.hunks:
        old_end = hunk.old_start + hunk.old_length - 1
        if old_line < hunk.old_start or (hunk.old_length == 0 and old_line <= hunk.old_start):
            break
        if hunk.old_length and old_line <= old_end:
            return None
        delta += hunk.new_length - hunk.old_length
    return old_line + delta


def carry_forward(
    previous: Review, incremental: Sequence[FileChange], current: Sequence[Finding]
) -> tuple[list[Finding], int]:
    """Earlier findings on lines the new commits did not touch, moved to their new lines.

    Findings whose lines were changed since are dropped: the new commits were reviewed
    again and produced their own findings.
    """
    touched = {f.old_path or f.path: f for f in incremental}
    seen = {f.fingerprint for f in current}
    kept: list[Finding] = []
    for f in previous.findings:
        if f.fingerprint in seen:
            continue
        change = touched.get(f.path or "")
        if change is None or f.start_line is None:
            if change is None or change.status != "deleted":
                kept.append(f)
            continue
        if change.status == "deleted":
            continue
        start = shift_line(change, f.start_line)
        end = shift_line(change, f.end_line or f.start_line)
        if start is None or end is None:
            continue
        kept.append(
            f.model_copy(update={"path": change.path, "start_line": start, "end_line": end})
        )
    return kept, len(previous.findings) - len(kept)
