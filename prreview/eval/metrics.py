"""Aggregate scored cases into metrics, a confidence sweep and breakdowns (pure).

Recall is over primary truth findings of defect cases; precision over the predictions on
defect cases (hits / (hits + false positives + location-only)); the clean-case rate is the
share of clean cases with a finding that would trip the gate. Cases whose review raised are
left out of every number and listed in `Scores.errors`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from prreview.eval.models import CaseScore, Metrics, SweepPoint

_Z95 = 1.959963984540054
_EPS = 1e-9


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def ratio(k: int, n: int) -> float | None:
    return None if n == 0 else round(k / n, 4)


def wilson(k: int, n: int, z: float = _Z95) -> tuple[float, float] | None:
    """The Wilson score interval for k successes in n trials (95% by default)."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4))


def f_beta(precision: float | None, recall: float | None, beta: float) -> float | None:
    if precision is None or recall is None:
        return None
    b2 = beta * beta
    denom = b2 * precision + recall
    return 0.0 if denom == 0 else round((1 + b2) * precision * recall / denom, 4)


def _scored(rows: Sequence[CaseScore]) -> list[CaseScore]:
    return [r for r in rows if r.run.error is None]


def aggregate(rows: Sequence[CaseScore]) -> Metrics:
    """Every metric over the cases that ran (errors left out)."""
    scored = _scored(rows)
    defect = [r for r in scored if not r.clean]
    clean = [r for r in scored if r.clean]
    primary = sum(r.primary for r in defect)
    hit = sum(r.primary_hit for r in defect)
    file_hit = sum(r.file_hit for r in defect)
    tp = sum(r.tp for r in defect)
    wrong = sum(r.fp + r.location_only for r in defect)
    precision, recall = ratio(tp, tp + wrong), ratio(hit, primary)
    flagged = sum(r.gate_tripped for r in clean)
    clean_findings = sum(r.findings for r in clean)
    clean_lines = sum(r.changed_lines for r in clean)
    return Metrics(
        cases=len(scored),
        defect_cases=len(defect),
        cases_hit=sum(r.outcome == "hit" for r in defect),
        primary_findings=primary,
        primary_hit=hit,
        file_hit=file_hit,
        recall=recall,
        recall_ci=wilson(hit, primary),
        file_recall=ratio(file_hit, primary),
        file_recall_ci=wilson(file_hit, primary),
        predictions=sum(r.findings for r in defect),
        tp=tp,
        fp=sum(r.fp for r in defect),
        location_only=sum(r.location_only for r in defect),
        duplicates=sum(r.duplicates for r in defect),
        related=sum(r.related for r in defect),
        precision=precision,
        precision_ci=wilson(tp, tp + wrong),
        f1=f_beta(precision, recall, 1.0),
        f05=f_beta(precision, recall, 0.5),
        clean_cases=len(clean),
        clean_flagged=flagged,
        clean_fp_rate=ratio(flagged, len(clean)),
        clean_fp_rate_ci=wilson(flagged, len(clean)),
        clean_findings=clean_findings,
        clean_changed_lines=clean_lines,
        findings_per_kloc=_r(1000 * clean_findings / clean_lines) if clean_lines else None,
        findings_per_clean_case=ratio(clean_findings, len(clean)),
    )


def sweep(
    rows: Sequence[CaseScore], thresholds: Sequence[float], gate: Callable[[str, float], bool]
) -> tuple[SweepPoint, ...]:
    """Precision and recall keeping only predictions with confidence >= each threshold.

    `gate(severity, confidence)` says whether a finding trips the gate by severity alone; the
    clean-case rate at threshold t counts clean cases with such a finding at confidence >= t.
    """
    scored = _scored(rows)
    defect = [r for r in scored if not r.clean]
    clean = [r for r in scored if r.clean]
    primary = sum(r.primary for r in defect)
    points = []
    for t in thresholds:
        kept = [p for r in defect for p in r.predictions if p.confidence >= t - _EPS]
        tp = sum(p.label == "hit" for p in kept)
        wrong = sum(p.label in {"fp", "location_only"} for p in kept)
        hit = sum(
            1
            for r in defect
            for tr in r.truth
            if tr.role == "primary" and tr.hit_confidence is not None
            if tr.hit_confidence >= t - _EPS
        )
        flagged = sum(
            any(p.confidence >= t - _EPS and gate(p.severity, p.confidence) for p in r.predictions)
            for r in clean
        )
        points.append(
            SweepPoint(
                threshold=t,
                predictions=len(kept),
                tp=tp,
                fp=wrong,
                precision=ratio(tp, tp + wrong),
                recall=ratio(hit, primary),
                clean_fp_rate=ratio(flagged, len(clean)),
            )
        )
    return tuple(points)


def breakdowns(rows: Sequence[CaseScore]) -> dict[str, dict[str, Metrics]]:
    """Metrics per language and per variant; recall per truth category."""
    out: dict[str, dict[str, Metrics]] = {}
    for key in ("language", "variant"):
        groups: dict[str, list[CaseScore]] = {}
        for r in rows:
            groups.setdefault(str(getattr(r, key)), []).append(r)
        out[key] = {name: aggregate(groups[name]) for name in sorted(groups)}
    out["category"] = _by_category(rows)
    return out


def _by_category(rows: Sequence[CaseScore]) -> dict[str, Metrics]:
    counts: dict[str, list[int]] = {}
    for r in _scored(rows):
        if r.clean:
            continue
        for t in r.truth:
            if t.role == "primary":
                c = counts.setdefault(t.category, [0, 0, 0])
                c[0] += 1
                c[1] += t.hit
                c[2] += t.file_hit
    return {
        name: Metrics(
            primary_findings=n,
            primary_hit=hit,
            file_hit=fh,
            recall=ratio(hit, n),
            recall_ci=wilson(hit, n),
            file_recall=ratio(fh, n),
            file_recall_ci=wilson(fh, n),
        )
        for name, (n, hit, fh) in sorted(counts.items())
    }
