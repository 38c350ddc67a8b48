from __future__ import annotations

import pytest

from prreview.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from prreview.models import Finding, Review
from prreview.review import gate


def _finding(severity: str, confidence: float, fp: str = "") -> Finding:
    return Finding(
        rule_id="r", evaluator="e", category="c", severity=severity, confidence=confidence,
        title=f"{severity} {confidence}", message="m", path="a.py", start_line=1, fingerprint=fp,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("severity", "confidence", "fail_on", "min_confidence", "passed"),
    [
        ("high", 0.9, "high", 0.0, False),
        ("critical", 0.9, "high", 0.0, False),
        ("medium", 0.9, "high", 0.0, True),
        ("high", 0.49, "high", 0.5, True),
        ("high", 0.5, "high", 0.5, False),
        ("info", 0.0, "info", 0.0, False),
        ("critical", 1.0, "none", 0.0, True),
    ],
)
def test_decide(
    severity: str, confidence: float, fail_on: str, min_confidence: float, passed: bool
) -> None:
    result = gate.decide(
        [_finding(severity, confidence, "a" * 32)], fail_on=fail_on, min_confidence=min_confidence
    )
    assert result.passed is passed
    assert result.tripped == (() if passed else ("a" * 32,))
    assert (result.fail_on, result.min_confidence) == (fail_on, min_confidence)


def test_tripped_lists_worst_first_and_survives_missing_fingerprints() -> None:
    findings = [_finding("high", 0.6, "b" * 32), _finding("critical", 0.7), _finding("low", 1.0)]
    result = gate.decide(findings, fail_on="high", min_confidence=0.5)
    assert len(result.tripped) == 2 and result.tripped[1] == "b" * 32
    assert result.tripped[0] == gate.finding_key(findings[1]) != ""
    review = Review(findings=tuple(findings), gate=result)
    assert [f.severity for f in gate.tripping_findings(review)] == ["critical", "high"]


def test_unknown_fail_on_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        gate.decide([], fail_on="severe", min_confidence=0.0)


@pytest.mark.parametrize(
    ("tripped", "complete", "fail_open", "code"),
    [
        (False, True, False, EXIT_OK),
        (True, True, False, EXIT_FINDINGS),
        (True, False, False, EXIT_FINDINGS),
        (True, False, True, EXIT_FINDINGS),
        (False, False, False, EXIT_INCOMPLETE),
        (False, False, True, EXIT_OK),
    ],
)
def test_exit_code_table(tripped: bool, complete: bool, fail_open: bool, code: int) -> None:
    findings = (_finding("high" if tripped else "low", 0.9, "c" * 32),)
    review = Review(
        findings=findings,
        gate=gate.decide(findings, fail_on="high", min_confidence=0.0),
        complete=complete,
        incomplete_reason=None if complete else "deadline",
        fail_open=fail_open,
    )
    assert gate.exit_code(review) == code
