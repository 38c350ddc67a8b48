"""merge.py: duplicate collapse, noisy-or confidence, self-consistency vote, ranking."""

from __future__ import annotations

import pytest

from prreview.models import Finding
from prreview.review.merge import MAX_CONFIDENCE, merge_findings, rank, similar, vote


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
        end_line=line,
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
        [llm("security", 3, confidence=0.6), llm("security", 4, confidence=0.7, fp="other")]
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


def test_similar_titles_merge_across_categories() -> None:
    a = llm("a", 3, category="logic", title="Loop stops one element early")
    b = llm("b", 4, category="off-by-one", title="Loop stops one element too early")
    assert similar(a, b)
    assert len(merge_findings([a, b])) == 1


def test_identical_fingerprints_collapse_and_builtin_is_not_location_merged() -> None:
    builtin = llm("builtin", 3).model_copy(update={"source": "builtin", "fingerprint": "x"})
    assert len(merge_findings([builtin, builtin])) == 1
    assert len(merge_findings([builtin, llm("security", 3)])) == 2


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
