"""The scorer on a hand-built scenario (tests/eval_support.py); every number worked by hand.

Predictions per case, most confident first, and their labels at W=3:

    A  truth: primary a.py:10-11, related a.py:20
       P1 a.py:12 0.9  -> 1 line from the primary            hit
       P3 a.py:21 0.7  -> 1 line from the related finding    related  (not TP, not FP)
       P2 a.py:10 0.5  -> primary already matched            duplicate (not TP, not FP)
       P4 other.py 0.3                                       fp
    B  truth: primary b.go:50
       P5 b.go:57 0.8  -> 7 lines away                        fp
       P6 b.go:1  0.2                                        fp
    C  truth: primary c.py:100-102, primary c.py:200
       P8 c.py:101 0.95 -> inside the first primary          hit
       P7 c.py:205 0.6  -> 5 lines from the second            fp
       P9 c.py (file-level) 0.4                              fp
    D  clean, 250 changed lines: P10 high 0.9 (trips the gate), P11 low 0.4
    E  clean, 150 changed lines: P12 critical 0.3 (under min_confidence 0.5: no trip)

W=3: primaries 4 (A1, B1, C2), hit 2 -> recall 2/4 = 0.5.
     TP 2, FP 1 + 2 + 2 = 5 -> precision 2/7 = 0.2857.
     F1 = 2PR/(P+R) = (2/7)/(11/14) = 4/11 = 0.3636.
     F0.5 = 1.25PR/(0.25P+R) = (1.25/7)/(4/7) = 0.3125.
     file recall: a.py, b.go, c.py, c.py all have a prediction -> 4/4 = 1.0.
     clean: D flagged, E not -> 1/2 = 0.5; 3 findings in 400 lines -> 7.5 per 1k lines.
W=0: A: P1 (1 line off) fp, P3 fp, P2 (exact) hit, P4 fp; B fp fp; C: P8 hit, P7 fp, P9 fp
     -> recall 2/4 = 0.5, precision 2/9 = 0.2222.
W=10: A: P1 hit, P3 duplicate (a matched primary ranks before the related one), P2
     duplicate, P4 fp; B: P5 hit, P6 fp; C: P8 hit, P7 hit, P9 fp
     -> recall 4/4 = 1.0, precision 4/7 = 0.5714.
"""

from __future__ import annotations

import pytest

from prreview.eval.metrics import f_beta, wilson
from prreview.eval.models import CaseRun, RunStats, ScoreConfig
from prreview.eval.score import distance, match, score, truth_reached
from tests.eval_support import CASE_A, CASE_C, P1, P2, P3, P4, pred, scenario, truth

CONFIG = ScoreConfig(window=3, fail_on="high", min_confidence=0.5)


def labels(scores, name):
    case = next(c for c in scores.cases if c.name == name)
    return [p.label for p in case.predictions]


def test_labels_at_default_window() -> None:
    s = score(scenario(), CONFIG)
    assert labels(s, "alpha__szz") == ["hit", "duplicate", "related", "fp"]
    assert labels(s, "beta__revert") == ["fp", "fp"]
    assert labels(s, "gamma__revert") == ["fp", "hit", "fp"]
    outcomes = {c.name: c.outcome for c in s.cases}
    assert outcomes == {
        "alpha__szz": "hit",
        "beta__revert": "miss",
        "gamma__revert": "partial",
        "delta__clean": "flagged",
        "eps__clean": "quiet",
    }


def test_metrics_by_hand() -> None:
    m = score(scenario(), CONFIG).metrics
    assert (m.primary_findings, m.primary_hit, m.recall) == (4, 2, 0.5)
    assert (m.tp, m.fp, m.duplicates, m.related) == (2, 5, 1, 1)
    assert m.precision == pytest.approx(2 / 7, abs=1e-4)
    assert m.f1 == pytest.approx(4 / 11, abs=1e-4)
    assert m.f05 == pytest.approx(0.3125, abs=1e-4)
    assert (m.file_hit, m.file_recall) == (4, 1.0)
    assert m.cases_hit == 1
    assert (m.clean_cases, m.clean_flagged, m.clean_fp_rate) == (2, 1, 0.5)
    assert (m.clean_findings, m.clean_changed_lines, m.findings_per_kloc) == (3, 400, 7.5)
    assert m.findings_per_clean_case == 1.5
    assert m.recall_ci == (0.15, 0.85)


def test_windows_change_matches() -> None:
    s = score(scenario(), CONFIG)
    assert set(s.by_window) == {"0", "3", "10"}
    w0, w10 = s.by_window["0"], s.by_window["10"]
    assert (w0.recall, w0.tp, w0.fp) == (0.5, 2, 7)
    assert w0.precision == pytest.approx(2 / 9, abs=1e-4)
    assert (w10.recall, w10.tp, w10.fp, w10.duplicates) == (1.0, 4, 3, 2)
    assert w10.precision == pytest.approx(4 / 7, abs=1e-4)
    w0_case = score(scenario(), CONFIG.model_copy(update={"window": 0}))
    assert labels(w0_case, "alpha__szz") == ["fp", "hit", "fp", "fp"]


def test_sweep_filters_by_confidence() -> None:
    sweep = {p.threshold: p for p in score(scenario(), CONFIG).sweep}
    assert list(sweep) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    assert (sweep[0.0].predictions, sweep[0.0].tp, sweep[0.0].fp) == (9, 2, 5)
    # 0.5 keeps P1 P3 P2 P5 P8 P7: TP P1 P8, FP P5 P7
    assert (sweep[0.5].predictions, sweep[0.5].precision, sweep[0.5].recall) == (6, 0.5, 0.5)
    # 0.7 keeps P1 P3 P5 P8: TP 2, FP 1
    assert sweep[0.7].precision == pytest.approx(2 / 3, abs=1e-4)
    assert (sweep[0.9].precision, sweep[0.9].recall) == (1.0, 0.5)
    # clean rate as if min_confidence were t: E's critical 0.3 counts up to t = 0.3
    assert [sweep[t].clean_fp_rate for t in (0.0, 0.3, 0.4, 0.9)] == [1.0, 1.0, 0.5, 0.5]


def test_breakdowns() -> None:
    b = score(scenario(), CONFIG).breakdowns
    assert b["language"]["python"].recall == pytest.approx(2 / 3, abs=1e-4)
    assert b["language"]["go"].recall == 0.0
    assert b["language"]["go"].clean_fp_rate == 0.0
    assert b["language"]["python"].clean_fp_rate == 1.0
    assert b["variant"]["szz"].recall == 1.0
    assert b["variant"]["revert"].recall == pytest.approx(1 / 3, abs=1e-4)
    assert b["variant"]["clean"].clean_fp_rate == 0.5
    assert {k: v.recall for k, v in b["category"].items()} == {
        "error-handling": 0.0,
        "logic": 1.0,
        "null-handling": 0.0,
    }


def test_duplicates_are_not_false_positives() -> None:
    t = [truth("x.py", 5, 5)]
    preds = [
        pred("x.py", 5, 0.9),
        pred("x.py", 6, 0.8),
        pred("x.py", 4, 0.7),
        pred("x.py", 30, 0.6),
    ]
    found, targets = match(t, preds, 3)
    assert found == ["hit", "duplicate", "duplicate", "fp"]
    assert targets == [0, 0, 0, None]


def test_one_to_one_highest_confidence_first() -> None:
    t = [truth("x.py", 10, 10), truth("x.py", 12, 12)]
    # the less confident prediction comes first in the list; order does not matter
    preds = [pred("x.py", 12, 0.4), pred("x.py", 11, 0.9)]
    found, targets = match(t, preds, 3)
    assert found == ["hit", "hit"]
    # 11 is 1 line from both; ties on distance go to the earlier truth finding
    assert targets == [1, 0]


def test_related_only_match_is_neutral_and_not_recall() -> None:
    runs = [CaseRun(case=CASE_A, predictions=(P3,))]
    s = score(runs, CONFIG)
    assert labels(s, "alpha__szz") == ["related"]
    assert (s.metrics.recall, s.metrics.tp, s.metrics.fp, s.metrics.precision) == (0.0, 0, 0, None)
    assert s.cases[0].outcome == "miss"


def test_other_file_never_matches() -> None:
    found, _ = match([truth("x.py", 5, 5)], [pred("y.py", 5, 0.9)], 10)
    assert found == ["fp"]


def test_distance() -> None:
    t = truth("x.py", 10, 12)
    assert distance(pred("x.py", 11, 0.5), t) == 0
    assert distance(pred("x.py", 7, 0.5), t) == 3
    assert distance(pred("x.py", 16, 0.5), t) == 4
    assert distance(pred("x.py", None, 0.5), t) is None


def test_judge_splits_location_only() -> None:
    def judge(p, t):
        return p.title != "unrelated"

    first = pred("a.py", 10, 0.9, title="unrelated")
    runs = [CaseRun(case=CASE_A, predictions=(first, P2))]
    s = score(runs, CONFIG, judge)
    assert s.judged
    assert labels(s, "alpha__szz") == ["location_only", "hit"]
    assert (s.metrics.tp, s.metrics.location_only, s.metrics.precision) == (1, 1, 0.5)


def test_judge_asked_once_per_pair() -> None:
    asked = []

    def judge(p, t):
        asked.append((p, t))
        return True

    score([CaseRun(case=CASE_A, predictions=(P1, P4))], CONFIG, judge)
    assert asked == [(P1, CASE_A.findings[0])]


def test_errors_are_left_out() -> None:
    runs = [
        *scenario(),
        CaseRun(
            case=CASE_C.model_copy(update={"name": "zeta__revert"}), run=RunStats(error="boom")
        ),
    ]
    s = score(runs, CONFIG)
    assert s.errors == ("zeta__revert",)
    assert s.cases[-1].outcome == "error"
    assert s.metrics.primary_findings == 4


def test_context_failures() -> None:
    s = score(scenario(), CONFIG)
    assert s.context_failures == ("gamma__revert",)
    assert {c.name: c.context_failure for c in s.cases}["alpha__szz"] is False
    assert {c.name: c.context_failure for c in s.cases}["delta__clean"] is None
    no_prompts = score([CaseRun(case=CASE_A, predictions=(P1, P2, P3, P4))], CONFIG)
    assert no_prompts.cases[0].context_failure is None


def test_truth_reached() -> None:
    t = CASE_C.findings[0].model_copy(update={"lines_text": ("    x = 1", "", "    return x  ")})
    assert truth_reached(t, ["12 |     x = 1\n13 |\n14 |     return x\n"]) is True
    assert truth_reached(t, ["x = 1", "return x"]) is False
    assert truth_reached(t.model_copy(update={"lines_text": ("  ",)}), ["anything"]) is None


def test_wilson_known_values() -> None:
    assert wilson(2, 4) == (0.15, 0.85)
    assert wilson(0, 10) == (0.0, 0.2775)
    assert wilson(8, 10) == (0.4902, 0.9433)
    assert wilson(10, 10) == (0.7225, 1.0)
    assert wilson(0, 0) is None


def test_f_beta() -> None:
    assert f_beta(0.5, 0.5, 1.0) == 0.5
    assert f_beta(0.0, 0.0, 1.0) == 0.0
    assert f_beta(None, 0.5, 1.0) is None
    assert f_beta(1.0, 0.5, 0.5) == pytest.approx(1.25 * 0.5 / (0.25 + 0.5), abs=1e-4)


def test_scores_are_stable_for_ties() -> None:
    a = pred("a.py", 10, 0.5)
    b = pred("a.py", 11, 0.5)
    assert match(CASE_A.findings, [a, b], 3) == match(CASE_A.findings, [a, b], 3)
    assert match(CASE_A.findings, [a, b], 3)[0] == ["hit", "duplicate"]


def test_parse_judge_verdict() -> None:
    from prreview.eval.judge import parse_verdict

    assert parse_verdict('{"same_defect": true}') is True
    assert parse_verdict('```json\n{"same_defect": false}\n```') is False
    assert parse_verdict('{"same_defect": "yes"}') is None
    assert parse_verdict("I think so") is None
    assert parse_verdict("[true]") is None
