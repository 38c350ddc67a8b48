"""AACR-Bench's metrics (alibaba/aacr-bench docs/metrics.md), computed next to prreview's own.

Matching follows its evaluator: generated comments in their order, each against the annotated
comments in theirs. A location match is the same file and line ranges that overlap or lie at
most `line_distance` (1) lines apart. The first location-matched annotation nobody has
line-matched yet is taken by this comment (`positive_line_matches` counts comments that took
one); with a judge, the first location-matched annotation not yet semantically matched that
the judge calls the same issue is a `positive_match` and ends the comment's search.

    positive precision  = positive_matches / total_generated        (needs a judge)
    line precision      = positive_line_matches / total_generated
    recall              = positive_matches / positive_expected       (needs a judge)
    line recall         = positive_line_matches / positive_expected
    noise rate          = unmatched / total_generated                (needs a judge)

Here an annotation is a primary truth finding of a defect case (new-side lines: both sides
are the new side, so the benchmark's side check always holds); a generated comment is any
finding on that case. A finding without a line range matches no annotation (the docs' rule:
its location cannot overlap a line). A ratio without a denominator is null (the benchmark
prints 0.0). Cases whose review failed are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from prreview.eval.corpus import TruthFinding
from prreview.eval.models import (
    LINE_DISTANCE,
    AacrCounts,
    AacrGroup,
    AacrMetrics,
    AacrRates,
    CaseRun,
    Judge,
    Predicted,
)


def near(pred: Predicted, truth: TruthFinding, max_distance: int = LINE_DISTANCE) -> bool:
    """The benchmark's location rule: same file, ranges overlap or lie within max_distance."""
    if pred.path != truth.file or pred.start_line is None:
        return False
    start, end = pred.start_line, pred.end_line if pred.end_line is not None else pred.start_line
    if not (start > truth.end_line or end < truth.start_line):
        return True
    return min(abs(start - truth.end_line), abs(end - truth.start_line)) <= max_distance


def match_case(
    truth: Sequence[TruthFinding], preds: Sequence[Predicted], judge: Judge | None
) -> tuple[AacrCounts, list[tuple[bool, bool]]]:
    """Counts for one case, and per annotation: (line-matched, semantically matched)."""
    by_line: set[int] = set()
    by_meaning: set[int] = set()
    line_matches = matches = unmatched = 0
    for pred in preds:
        took_line = matched = False
        for j, t in enumerate(truth):
            if not near(pred, t):
                continue
            if j not in by_line:
                by_line.add(j)
                line_matches += not took_line
                took_line = True
            if judge is not None and j not in by_meaning and judge(pred, t):
                by_meaning.add(j)
                matches, matched = matches + 1, True
                break
        unmatched += judge is not None and not matched
    counts = AacrCounts(
        cases=1,
        positive_expected=len(truth),
        total_generated=len(preds),
        positive_line_matches=line_matches,
        positive_matches=matches if judge is not None else None,
        unmatched=unmatched if judge is not None else None,
    )
    return counts, [(j in by_line, j in by_meaning) for j in range(len(truth))]


def _ratio(k: int | None, n: int) -> float | None:
    return None if k is None or n == 0 else round(k / n, 4)


def _add(a: AacrCounts, b: AacrCounts) -> AacrCounts:
    def plus(x: int | None, y: int | None) -> int | None:
        return None if x is None or y is None else x + y

    return AacrCounts(
        cases=a.cases + b.cases,
        positive_expected=a.positive_expected + b.positive_expected,
        total_generated=a.total_generated + b.total_generated,
        positive_line_matches=a.positive_line_matches + b.positive_line_matches,
        positive_matches=plus(a.positive_matches, b.positive_matches),
        unmatched=plus(a.unmatched, b.unmatched),
    )


def group(counts: AacrCounts) -> AacrGroup:
    c = counts
    rates = AacrRates(
        positive_precision=_ratio(c.positive_matches, c.total_generated),
        line_precision=_ratio(c.positive_line_matches, c.total_generated),
        recall=_ratio(c.positive_matches, c.positive_expected),
        line_recall=_ratio(c.positive_line_matches, c.positive_expected),
        noise_rate=_ratio(c.unmatched, c.total_generated),
    )
    return AacrGroup(counts=counts, rates=rates)


def aacr_metrics(runs: Sequence[CaseRun], judge: Judge | None = None) -> AacrMetrics:
    """The benchmark's numbers over the defect cases that ran: overall, per language, per
    annotation category (recall only: annotations line-matched, and matched with a judge)."""
    zero = AacrCounts(positive_matches=0 if judge else None, unmatched=0 if judge else None)
    total, languages = zero, {}
    categories: dict[str, AacrCounts] = {}
    for run in runs:
        if run.case.clean or run.run.error is not None:
            continue
        truth = run.case.primary
        counts, hits = match_case(truth, run.predictions, judge)
        total = _add(total, counts)
        languages[run.case.language] = _add(languages.get(run.case.language, zero), counts)
        for t, (line_hit, hit) in zip(truth, hits, strict=True):
            one = AacrCounts(
                positive_expected=1,
                positive_line_matches=int(line_hit),
                positive_matches=int(hit) if judge else None,
                unmatched=0 if judge else None,
            )
            categories[t.category] = _add(categories.get(t.category, zero), one)
    return AacrMetrics(
        judged=judge is not None,
        overall=group(total),
        by_language={k: group(v) for k, v in sorted(languages.items())},
        by_category={k: group(v) for k, v in sorted(categories.items())},
    )
