from __future__ import annotations

import json

from prreview.models import Finding, Review
from prreview.report import codequality
from tests.review_fixture import review


def test_issues_have_the_fields_gitlab_requires() -> None:
    text = codequality.render(review())
    assert not text.startswith("\ufeff")
    issues = json.loads(text)
    assert len(issues) == 8  # 6 findings with a path, 2 unreviewed files
    for issue in issues:
        assert issue["description"] and issue["check_name"] and issue["fingerprint"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"] and issue["location"]["lines"]["begin"] >= 1
    by_check = {i["check_name"]: i for i in issues}
    assert by_check["secrets/aws-access-key"]["severity"] == "blocker"
    assert by_check["llm/security/sql-injection"]["severity"] == "critical"
    assert by_check["ruff/F401"]["severity"] == "major"
    assert by_check["debug/print-statement"]["severity"] == "minor"
    assert by_check["debug/print-statement"]["location"]["lines"] == {"begin": 1, "end": 1}
    assert by_check["llm/maintainability/naming"]["severity"] == "info"


def test_unreviewed_files_are_listed_as_issues() -> None:
    issues = json.loads(codequality.render(review()))
    skipped = [i for i in issues if i["check_name"] == "prreview/not-reviewed"]
    assert [(i["location"]["path"], i["severity"]) for i in skipped] == [
        ("vendor/big.min.js", "major"),  # makes the review incomplete
        ("assets/logo.png", "info"),
    ]
    assert "too large" in skipped[0]["description"]
    assert "incomplete" in skipped[0]["description"]
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_fingerprints_are_unique_even_for_repeated_findings() -> None:
    same = Finding(
        rule_id="r", evaluator="e", category="c", severity="low", confidence=1, title="t",
        message="m", path="a.py", start_line=3, fingerprint="f" * 32,
    )  # fmt: skip
    other = same.model_copy(update={"start_line": 9})
    blank = same.model_copy(update={"fingerprint": "", "start_line": 5})
    change_level = same.model_copy(update={"path": None, "start_line": None})
    issues = json.loads(codequality.render(Review(findings=(same, other, blank, change_level))))
    fingerprints = [i["fingerprint"] for i in issues]
    assert len(issues) == 3
    assert len(set(fingerprints)) == 3 and "f" * 32 in fingerprints
