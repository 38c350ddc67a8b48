"""merge.py: duplicate collapse, the no-chaining merge rule, noisy-or confidence, the
self-consistency vote and ranking."""

from __future__ import annotations

import pytest

from prreview.models import Finding
from prreview.review.merge import (
    MAX_CONFIDENCE,
    merge_findings,
    merged_count,
    rank,
    similar,
    vote,
)


def llm(
    evaluator: str,
    line: int,
    *,
    confidence: float = 0.5,
    category: str = "logic",
    title: str = "Loop stops early",
    severity: str = "medium",
    path: str = "src/a.py",
    fp: str | None = None,
    end: int | None = None,
    columns: tuple[int, int] | None = None,
) -> Finding:
    return Finding(
        rule_id=f"llm/{evaluator}/{category}",
        evaluator=evaluator,
        evaluators=(evaluator,),
        category=category,
        severity=severity,  # type: ignore[arg-type]
        confidence=confidence,
        title=title,
        message="m",
        path=path,
        start_line=line,
        end_line=line if end is None else end,
        start_column=columns[0] if columns else None,
        end_column=columns[1] if columns else None,
        source="llm",
        fingerprint=fp or f"{evaluator}-{category}-{line}-{title}",
    )


def test_noisy_or_over_distinct_evaluators() -> None:
    merged = merge_findings(
        [llm("security", 3, confidence=0.6), llm("correctness", 3, confidence=0.5)]
    )
    [f] = merged
    assert f.evaluators == ("correctness", "security")
    assert f.confidence == pytest.approx(1 - 0.4 * 0.5)


def test_noisy_or_is_capped() -> None:
    [f] = merge_findings([llm("a", 3, confidence=1.0), llm("b", 3, confidence=0.99)])
    assert f.confidence == MAX_CONFIDENCE


def test_same_evaluator_twice_takes_its_best_not_noisy_or() -> None:
    [f] = merge_findings(
        [llm("security", 3, confidence=0.6), llm("security", 3, end=4, confidence=0.7, fp="o")]
    )
    assert f.evaluators == ("security",)
    assert f.confidence == 0.7


def test_merge_keeps_highest_severity() -> None:
    [f] = merge_findings(
        [llm("a", 3, severity="low"), llm("b", 3, severity="critical", category="crash")]
    )
    assert f.severity == "critical"


def test_far_apart_or_unrelated_findings_stay_separate() -> None:
    far = merge_findings([llm("a", 3), llm("b", 30)])
    assert len(far) == 2
    unrelated = merge_findings(
        [
            llm("a", 3, category="sql", title="SQL injection"),
            llm("b", 3, category="perf", title="N+1 query"),
        ]
    )
    assert len(unrelated) == 2


def test_near_identical_titles_merge_across_categories_on_overlapping_lines() -> None:
    a = llm("a", 3, end=5, category="logic", title="Loop stops one element early")
    b = llm("b", 4, category="off-by-one", title="Loop stops one element too early")
    assert similar(a, b)
    assert len(merge_findings([a, b])) == 1
    # across categories the titles must be near-identical, not merely related
    c = llm("b", 4, category="off-by-one", title="Loop stops early on empty input")
    assert not similar(a, c)


def test_identical_copies_collapse_without_counting_as_a_merge() -> None:
    builtin = llm("builtin", 3).model_copy(update={"source": "builtin", "fingerprint": "x"})
    [f] = merge_findings([builtin, builtin, builtin])
    assert f.sources == () and merged_count([f]) == 0


def test_builtin_and_model_merge_only_when_near_identical() -> None:
    builtin = llm("builtin", 3, category="security", title="Shell command execution")
    builtin = builtin.model_copy(update={"source": "builtin", "rule_id": "risky/shell"})
    same = llm("security", 3, category="security", title="Shell command execution with input")
    other = llm("security", 3, category="security", title="Password compared in constant time")
    assert len(merge_findings([builtin, other])) == 2
    [f] = merge_findings([builtin, same])
    assert {s.evaluator for s in f.sources} == {"builtin", "security"}


def test_three_distinct_findings_on_lines_2_4_6_stay_three() -> None:
    findings = [llm("security", n, fp=f"f{n}") for n in (2, 4, 6)]
    merged = merge_findings(findings)
    assert sorted(f.start_line for f in merged) == [2, 4, 6]
    assert merged_count(merged) == 0


def test_adjacent_lines_never_merge_even_with_the_same_title() -> None:
    assert len(merge_findings([llm("a", 3), llm("b", 4)])) == 2


def test_merging_never_chains_through_a_middle_finding() -> None:
    # B (4-6) overlaps A (1-4) and C (6-9); A and C do not overlap: C stays apart.
    a = llm("x", 1, end=4)
    b = llm("y", 4, end=6)
    c = llm("z", 6, end=9, fp="c")
    merged = merge_findings([c, b, a])
    assert len(merged) == 2
    assert merged_count(merged) == 1
    joined = next(f for f in merged if f.sources)
    assert {s.evaluator for s in joined.sources} == {"x", "y"}
    # the representative keeps its own span: a ladder of 39 overlapping ranges (1-2, 2-3,
    # ...) becomes 20 pairs, where a growing span would swallow them all into one
    ladder = [llm(f"e{n}", n, end=n + 1, fp=f"l{n}") for n in range(1, 40)]
    pairs = merge_findings(ladder)
    assert len(pairs) == 20 and merged_count(pairs) == 19


def test_duplicates_from_two_evaluators_merge_and_list_both_sources() -> None:
    a = llm("security", 7, confidence=0.6, title="Token compared with ==", fp="s")
    b = llm("correctness", 7, confidence=0.5, title="Token compared with == (timing)", fp="c")
    [f] = merge_findings([a, b])
    assert [(s.evaluator, s.rule_id, s.start_line) for s in f.sources] == [
        ("correctness", "llm/correctness/logic", 7),
        ("security", "llm/security/logic", 7),
    ]
    assert {s.fingerprint for s in f.sources} == {"s", "c"}
    assert merged_count([f]) == 1
    # merging again (carry-forward, shard reports) neither loses nor double-counts a source
    [again] = merge_findings([f, f, llm("other", 7, title="Token compared with ==", fp="o")])
    assert len(again.sources) == 3 and merged_count([again]) == 2


def test_one_tool_reporting_two_results_on_a_line_is_two_findings() -> None:
    def ruff(rule: str, cols: tuple[int, int] | None = None) -> Finding:
        f = llm("ruff", 1, title="`x` imported but unused", columns=cols, fp=rule + str(cols))
        return f.model_copy(update={"source": "imported", "rule_id": f"ruff/{rule}"})

    assert len(merge_findings([ruff("F401", (8, 9)), ruff("F401", (12, 14))])) == 2
    assert len(merge_findings([ruff("F401"), ruff("E401")])) == 2


def test_disjoint_columns_on_one_line_never_merge() -> None:
    a = llm("a", 3, columns=(1, 5))
    b = llm("b", 3, columns=(9, 12))
    assert len(merge_findings([a, b])) == 2
    assert len(merge_findings([a, llm("b", 3, columns=(4, 12))])) == 1


def test_thirty_thousand_distinct_findings_on_consecutive_lines_stay_distinct() -> None:
    findings = [llm("security", n, fp=f"f{n}") for n in range(1, 30_001)]
    merged = merge_findings(findings)
    assert len(merged) == 30_000
    assert merged_count(merged) == 0


def test_merge_is_independent_of_input_order() -> None:
    findings = [
        llm("a", 3, end=5),
        llm("b", 4, title="Loop stops too early"),
        llm("c", 5, end=8, fp="c", category="sql", title="SQL injection"),
        llm("d", 8, fp="d", category="sql", title="SQL injection here"),
    ]
    forward = merge_findings(findings)
    backward = merge_findings(list(reversed(findings)))
    assert forward == backward


def test_vote_keeps_majority_and_scales_confidence() -> None:
    a = llm("e", 3, confidence=0.9, fp="a")
    b = llm("e", 20, confidence=0.9, fp="b", category="perf", title="Slow")
    kept = vote([[a, b], [a], [a.model_copy(update={"confidence": 0.6})]])
    assert [f.fingerprint for f in kept] == ["a"]
    assert kept[0].confidence == pytest.approx((0.9 + 0.9 + 0.6) / 3)


def test_vote_with_one_sample_is_identity_and_two_need_both() -> None:
    a = llm("e", 3, fp="a")
    assert vote([[a]]) == [a]
    assert vote([]) == []
    assert vote([[a], []]) == []


def test_rank_orders_by_severity_then_confidence() -> None:
    low = llm("a", 1, severity="low", confidence=0.99)
    high_weak = llm("a", 2, severity="high", confidence=0.3)
    high_strong = llm("a", 9, severity="high", confidence=0.8)
    assert rank([low, high_weak, high_strong]) == [high_strong, high_weak, low]
