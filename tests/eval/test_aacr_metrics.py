"""AACR-Bench's metrics on a hand-made example, worked out by hand (see each comment)."""

from __future__ import annotations

from pathlib import Path

from prreview.eval.aacr_metrics import aacr_metrics, near
from prreview.eval.corpus import Case, TruthFinding
from prreview.eval.models import CaseRun, Predicted, RunStats


def truth(file: str, start: int, end: int, category: str = "defect") -> TruthFinding:
    return TruthFinding(
        file=file, start_line=start, end_line=end, anchor_kind="changed", role="primary",
        category=category, severity="medium", description=f"{file}:{start}",
    )  # fmt: skip


def pred(path: str, start: int | None, end: int | None = None) -> Predicted:
    return Predicted(path=path, start_line=start, end_line=end or start, title=f"{path}:{start}")


def case(name: str, language: str, *findings: TruthFinding) -> Case:
    return Case(name=name, directory=Path("/nonexistent"), case_id=name, variant="pr",
                language=language, clean=not findings, findings=findings)  # fmt: skip


T1, T2, T3 = truth("a.py", 10, 12), truth("a.py", 20, 20, "maintainability"), truth("b.py", 5, 5)
T4, T5, T6 = truth("c.go", 1, 1), truth("e.py", 5, 5), truth("e.py", 6, 6)
P1, P2, P3 = pred("a.py", 13), pred("a.py", 11), pred("a.py", 18, 21)  # P1: 1 line below T1
P4, P5 = pred("b.py", 7), pred("a.py", None)  # P4: 2 lines from T3; P5: file level
P6, P7 = pred("c.go", 2), pred("d.go", 1)
P8, P9 = pred("e.py", 5, 6), pred("e.py", 6)  # P8 overlaps T5 and T6
SAME = {(P1, T1), (P3, T3), (P6, T4), (P8, T5), (P9, T6)}


def judge(p: Predicted, t: TruthFinding) -> bool:
    return (p, t) in SAME


def runs() -> list[CaseRun]:
    return [
        CaseRun(case=case("one", "python", T1, T2, T3), predictions=(P1, P2, P3, P4, P5)),
        CaseRun(case=case("two", "go", T4), predictions=(P6, P7)),
        CaseRun(case=case("three", "python", T5, T6), predictions=(P8, P9)),
        CaseRun(case=case("quiet", "python"), predictions=(P1,)),  # clean: left out
        CaseRun(case=case("broken", "go", T4), predictions=(P6,), run=RunStats(error="x")),
    ]


def test_the_line_rule_is_overlap_or_one_line_apart() -> None:
    assert (
        near(pred("a.py", 13), T1) and near(pred("a.py", 9), T1) and near(pred("a.py", 5, 10), T1)
    )
    assert not near(pred("a.py", 14), T1) and not near(pred("a.py", 8), T1)
    assert not near(pred("b.py", 11), T1) and not near(pred("a.py", None), T1)


def test_with_a_judge_by_hand() -> None:
    # one:   P1 takes T1 by line and meaning; P2 finds T1 taken; P3 takes T2 by line, the judge
    #        says no; P4 is 2 lines from T3; P5 has no line -> line 2, matched 1, unmatched 4
    # two:   P6 takes T4 (line, meaning); P7 nothing -> line 1, matched 1, unmatched 1
    # three: P8 takes T5 (line, meaning, stop); P9: T5 taken, takes T6 -> line 2, matched 2
    m = aacr_metrics(runs(), judge)
    c, r = m.overall.counts, m.overall.rates
    assert m.judged and m.line_distance == 1
    assert (c.cases, c.positive_expected, c.total_generated) == (3, 6, 9)
    assert (c.positive_line_matches, c.positive_matches, c.unmatched) == (5, 4, 5)
    assert r.positive_precision == round(4 / 9, 4) and r.line_precision == round(5 / 9, 4)
    assert r.recall == round(4 / 6, 4) and r.line_recall == round(5 / 6, 4)
    assert r.noise_rate == round(5 / 9, 4)
    py = m.by_language["python"].counts
    assert (py.positive_expected, py.total_generated, py.positive_line_matches) == (5, 7, 4)
    assert (py.positive_matches, py.unmatched) == (3, 4)
    assert m.by_category["maintainability"].rates.line_recall == 1.0  # T2, by line only
    assert m.by_category["maintainability"].rates.recall == 0.0
    assert m.by_category["defect"].counts.positive_matches == 4


def test_without_a_judge_only_the_line_numbers() -> None:
    # as above, except that with no judge P8 goes on after T5 and takes T6 by line as well
    # (the benchmark's evaluator does the same), so P9 finds both taken: line 2 + 1 + 1 = 4
    m = aacr_metrics(runs())
    c, r = m.overall.counts, m.overall.rates
    assert not m.judged
    assert (c.positive_line_matches, c.positive_matches, c.unmatched) == (4, None, None)
    assert r.line_precision == round(4 / 9, 4) and r.line_recall == round(4 / 6, 4)
    assert (r.positive_precision, r.recall, r.noise_rate) == (None, None, None)


def test_no_defect_case_gives_no_rates() -> None:
    m = aacr_metrics([CaseRun(case=case("quiet", "go"), predictions=(P7,))])
    assert m.overall.counts.positive_expected == 0 and m.overall.rates.line_recall is None
