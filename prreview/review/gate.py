"""The gate: which findings fail the build, and the process exit code of a review.

Exit codes (`exit_code`), first matching row wins:

    gate passed | review complete | --fail-open | exit
    ------------+-----------------+-------------+-----------------------------------------
    no          | any             | any         | 1  findings trip the gate (even when the
                |                 |             |    review is incomplete: what was found
                |                 |             |    is real, and 1 is the more useful signal)
    yes         | yes             | any         | 0
    yes         | no              | no          | 3  incomplete: provider failure, deadline,
                |                 |             |    budget; the missing part may hide findings
    yes         | no              | yes         | 0  fail-open: the report states it
"""

from __future__ import annotations

from collections.abc import Sequence

from prreview.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK
from prreview.models import SEVERITY_RANK, Finding, GateResult, Review, fingerprint


def finding_key(finding: Finding) -> str:
    """The identity the gate records: the fingerprint, or a stand-in when there is none."""
    if finding.fingerprint:
        return finding.fingerprint
    anchor = f"{finding.start_line or 0}-{finding.end_line or 0}"
    return fingerprint(finding.rule_id, finding.path, [anchor, finding.title])


def trips(finding: Finding, *, fail_on: str, min_confidence: float) -> bool:
    if fail_on == "none":
        return False
    return (
        SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[fail_on]
        and finding.confidence >= min_confidence
    )


def decide(findings: Sequence[Finding], *, fail_on: str, min_confidence: float) -> GateResult:
    """Fail when a finding is at or above `fail_on` with confidence >= `min_confidence`.

    `fail_on="none"` never fails. `tripped` lists the keys of the tripping findings, worst first.
    """
    if fail_on != "none" and fail_on not in SEVERITY_RANK:
        raise ValueError(f"unknown severity for fail_on: {fail_on!r}")
    tripping = [f for f in findings if trips(f, fail_on=fail_on, min_confidence=min_confidence)]
    tripping.sort(key=lambda f: (-f.rank[0], -f.rank[1], f.path or "", f.start_line or 0))
    keys = tuple(dict.fromkeys(finding_key(f) for f in tripping))
    return GateResult(
        fail_on=fail_on,  # type: ignore[arg-type]
        min_confidence=min_confidence,
        passed=not keys,
        tripped=keys,
    )


def tripping_findings(review: Review) -> list[Finding]:
    """The review's findings named in `review.gate.tripped`, in that order."""
    by_key: dict[str, Finding] = {}
    for f in review.findings:
        by_key.setdefault(finding_key(f), f)
    return [by_key[k] for k in review.gate.tripped if k in by_key]


def exit_code(review: Review) -> int:
    """0, 1 or 3 from the gate and completeness; see the table in the module docstring."""
    if not review.gate.passed:
        return EXIT_FINDINGS
    if review.complete or review.fail_open:
        return EXIT_OK
    return EXIT_INCOMPLETE
