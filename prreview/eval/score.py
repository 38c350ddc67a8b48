"""Pure scoring of review findings against the corpus truth (see docs/evaluation.md).

Predictions are matched to truth findings one-to-one, highest confidence first: same file,
line ranges within W lines of each other. A prediction is then labelled

- `hit`: it matched a primary truth finding nobody had matched yet (a true positive);
- `duplicate`: it matched a primary finding already matched by a more confident prediction;
- `related`: it matched a `related` truth finding (an acceptable alternative location);
- `location_only`: only with a judge: right place, but the judge said it is another defect;
- `fp`: it matched nothing (a false positive; a lower bound, the truth is not exhaustive).

Duplicates and related matches are neither true nor false positives. Because matching is
greedy in confidence order, a prediction's label depends only on more confident predictions,
so the confidence sweep filters labels instead of matching again.
"""

from __future__ import annotations

from collections.abc import Sequence

from prreview.eval.corpus import TruthFinding
from prreview.eval.metrics import aggregate, breakdowns, sweep
from prreview.eval.models import (
    CaseRun,
    CaseScore,
    Judge,
    Label,
    Outcome,
    Predicted,
    PredictionRow,
    ScoreConfig,
    Scores,
    TruthRow,
)
from prreview.models import SEVERITY_RANK

_EPS = 1e-9


def trips_gate(severity: str, confidence: float, fail_on: str, min_confidence: float) -> bool:
    if fail_on == "none" or severity not in SEVERITY_RANK or fail_on not in SEVERITY_RANK:
        return False
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[fail_on] and confidence >= min_confidence - _EPS


def distance(pred: Predicted, truth: TruthFinding) -> int | None:
    """Lines between the two ranges (0 when they overlap); None without a line range."""
    if pred.start_line is None:
        return None
    end = pred.end_line if pred.end_line is not None else pred.start_line
    start, end = min(pred.start_line, end), max(pred.start_line, end)
    return max(0, truth.start_line - end, start - truth.end_line)


def truth_reached(finding: TruthFinding, prompts: Sequence[str]) -> bool | None:
    """Did every stripped, non-empty truth line appear in one prompt? None: nothing to look for."""
    wanted = [ln.strip() for ln in finding.lines_text if ln.strip()]
    if not wanted:
        return None
    return any(all(w in text for w in wanted) for text in prompts)


# --------------------------------------------------------------------------- matching


def prediction_order(preds: Sequence[Predicted]) -> list[int]:
    """Indices, most confident first (then worse severity, then position)."""
    return sorted(
        range(len(preds)),
        key=lambda i: (
            -preds[i].confidence,
            -SEVERITY_RANK.get(preds[i].severity, 0),
            preds[i].path or "",
            preds[i].start_line or 0,
            i,
        ),
    )


def match(
    truth: Sequence[TruthFinding],
    preds: Sequence[Predicted],
    window: int,
    judge: Judge | None = None,
) -> tuple[list[Label], list[int | None]]:
    """Label every prediction (in input order) and name the truth finding it matched."""
    labels: list[Label] = ["fp"] * len(preds)
    targets: list[int | None] = [None] * len(preds)
    matched = [False] * len(truth)
    for i in prediction_order(preds):
        pred = preds[i]
        cands = []
        for j, t in enumerate(truth):
            d = distance(pred, t) if pred.path == t.file else None
            if d is not None and d <= window:
                tier = 2 if t.role != "primary" else (1 if matched[j] else 0)
                cands.append((tier, d, j))
        for tier, _d, j in sorted(cands):
            if judge is not None and not judge(pred, truth[j]):
                continue
            labels[i] = ("hit", "duplicate", "related")[tier]  # type: ignore[assignment]
            targets[i] = j
            if tier == 0:
                matched[j] = True
            break
        else:
            if cands:
                labels[i] = "location_only"
    return labels, targets


def score_case(run: CaseRun, window: int, config: ScoreConfig, judge: Judge | None) -> CaseScore:
    case, preds = run.case, run.predictions
    labels, targets = match(case.findings, preds, window, judge)
    rows = tuple(
        PredictionRow(
            path=p.path,
            start_line=p.start_line,
            end_line=p.end_line,
            severity=p.severity,
            confidence=p.confidence,
            rule_id=p.rule_id,
            title=p.title,
            source=p.source,
            label=labels[i],
            truth_index=targets[i],
            trips_gate=trips_gate(p.severity, p.confidence, config.fail_on, config.min_confidence),
        )
        for i, p in enumerate(preds)
    )
    truth_rows = _truth_rows(run, rows)
    primary = [t for t in truth_rows if t.role == "primary"]
    hits = sum(t.hit for t in primary)
    count = {k: sum(r.label == k for r in rows) for k in ("hit", "fp", "location_only")}
    reached = [t.reached for t in primary]
    return CaseScore(
        name=case.name,
        case_id=case.case_id,
        variant=case.variant,
        language=case.language,
        clean=case.clean,
        changed_lines=case.changed_lines,
        outcome=_outcome(run, hits, len(primary), rows),
        primary=len(primary),
        primary_hit=hits,
        file_hit=sum(t.file_hit for t in primary),
        tp=count["hit"],
        fp=count["fp"],
        location_only=count["location_only"],
        duplicates=sum(r.label == "duplicate" for r in rows),
        related=sum(r.label == "related" for r in rows),
        findings=len(rows),
        gate_tripped=any(r.trips_gate for r in rows),
        context_failure=None if case.clean or run.reached is None else (False in reached),
        run=run.run,
        truth=truth_rows,
        predictions=rows,
    )


def _truth_rows(run: CaseRun, rows: Sequence[PredictionRow]) -> tuple[TruthRow, ...]:
    out = []
    files = {r.path for r in rows}
    for j, t in enumerate(run.case.findings):
        hit_conf = [r.confidence for r in rows if r.label == "hit" and r.truth_index == j]
        out.append(
            TruthRow(
                file=t.file,
                start_line=t.start_line,
                end_line=t.end_line,
                role=t.role,
                category=t.category,
                anchor_kind=t.anchor_kind,
                hit=bool(hit_conf),
                hit_confidence=hit_conf[0] if hit_conf else None,
                file_hit=t.file in files,
                reached=None if run.reached is None else run.reached[j],
            )
        )
    return tuple(out)


def _outcome(run: CaseRun, hits: int, primary: int, rows: Sequence[PredictionRow]) -> Outcome:
    if run.run.error is not None:
        return "error"
    if run.case.clean:
        return "flagged" if any(r.trips_gate for r in rows) else "quiet"
    if hits == primary:
        return "hit"
    return "partial" if hits else "miss"


def score(
    runs: Sequence[CaseRun], config: ScoreConfig = ScoreConfig(), judge: Judge | None = None
) -> Scores:
    """Score every case at every window; the full report is at `config.window`."""

    memo = _memoised(judge)
    windows = sorted({*config.windows, config.window})
    per_window = {w: [score_case(r, w, config, memo) for r in runs] for w in windows}
    rows = per_window[config.window]

    def gate(severity: str, confidence: float) -> bool:
        return trips_gate(severity, confidence, config.fail_on, 0.0)

    return Scores(
        config=config,
        judged=judge is not None,
        metrics=aggregate(rows),
        by_window={str(w): aggregate(per_window[w]) for w in windows},
        sweep=sweep(rows, config.thresholds, gate),
        breakdowns=breakdowns(rows),
        context_failures=tuple(r.name for r in rows if r.context_failure),
        errors=tuple(r.name for r in rows if r.run.error is not None),
        cases=tuple(rows),
    )


def _memoised(judge: Judge | None) -> Judge | None:
    """Ask the judge once per (prediction, truth) pair across windows."""
    if judge is None:
        return None
    seen: dict[tuple[Predicted, TruthFinding], bool] = {}

    def ask(pred: Predicted, truth: TruthFinding) -> bool:
        key = (pred, truth)
        if key not in seen:
            seen[key] = bool(judge(pred, truth))
        return seen[key]

    return ask


def candidate_pairs(runs: Sequence[CaseRun], window: int) -> list[tuple[Predicted, TruthFinding]]:
    """Every (prediction, truth) pair within `window` lines: what a judge may be asked."""
    pairs = []
    for run in runs:
        for p in run.predictions:
            for t in run.case.findings:
                d = distance(p, t) if p.path == t.file else None
                if d is not None and d <= window:
                    pairs.append((p, t))
    return pairs
