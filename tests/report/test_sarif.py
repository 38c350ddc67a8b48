from __future__ import annotations

import json
import re

import jsonschema
import pytest

from prreview.models import Finding, Review
from prreview.report import sarif
from tests.markdown_check import assert_inert
from tests.review_fixture import review
from tests.schemas import sarif_schema_path


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(sarif_schema_path().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _run(text: str) -> dict:
    log = json.loads(text)
    assert log["version"] == "2.1.0" and log["$schema"]
    assert len(log["runs"]) == 1
    return log["runs"][0]


def test_fixture_review_is_valid_sarif(validator) -> None:
    log = json.loads(sarif.render(review()))
    validator.validate(log)


def test_the_validator_rejects_a_broken_log(validator) -> None:
    log = json.loads(sarif.render(review()))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(log)


def test_driver_and_rules_cover_every_result() -> None:
    run = _run(sarif.render(review()))
    driver = run["tool"]["driver"]
    assert driver["name"] == "prreview"
    assert driver["semanticVersion"] == "0.1.0" and driver["informationUri"]
    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for result in run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        for key in ("shortDescription", "fullDescription", "help"):
            assert rule[key]["text"]
    synthesised = next(r for r in rules if r["id"] == "llm/security/sql-injection")
    assert synthesised["properties"]["security-severity"] == "8.0"
    assert synthesised["properties"]["tags"][0] == "security"
    assert synthesised["defaultConfiguration"]["level"] == "error"


def test_levels_locations_and_fingerprints() -> None:
    run = _run(sarif.render(review()))
    by_rule = {r["ruleId"]: r for r in run["results"]}
    secret = by_rule["secrets/aws-access-key"]
    assert secret["level"] == "error"
    region = secret["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 7, "startColumn": 14, "endLine": 7, "endColumn": 34}
    assert by_rule["ruff/F401"]["level"] == "warning"
    assert by_rule["llm/maintainability/naming"]["level"] == "note"
    file_level = by_rule["debug/print-statement"]["locations"][0]["physicalLocation"]
    assert file_level["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1}
    assert file_level["artifactLocation"] == {"uri": "web/handlers.py", "uriBaseId": "%SRCROOT%"}
    hashes = [r["partialFingerprints"]["primaryLocationLineHash"] for r in run["results"]]
    assert all(h.endswith(":1") and len(h) == 18 for h in hashes)
    assert run["automationDetails"] == {"id": "prreview/"}
    assert run["invocations"][0]["executionSuccessful"] is False


def test_category_is_bound_per_call() -> None:
    run = _run(sarif.render(review(), category="backend/py"))
    assert run["automationDetails"]["id"] == "backend/py/"


def test_message_text_has_no_embedded_links_and_help_markdown_is_escaped() -> None:
    run = _run(sarif.render(review()))
    text = next(r for r in run["results"] if r["ruleId"].startswith("llm/security"))["message"]
    assert not re.search(r"(?<!\\)\]\(", text["text"])
    assert "\\[click\\](javascript:alert(1))" in text["text"]
    for rule in run["tool"]["driver"]["rules"]:
        assert_inert(rule["help"]["markdown"])


def test_uri_is_percent_encoded_and_relative() -> None:
    assert sarif.artifact_uri("docs/my file#1.md") == "docs/my%20file%231.md"
    assert sarif.artifact_uri("/abs/x.py") == "abs/x.py"
    assert sarif.artifact_uri("c:weird/ü.py") == "c%3Aweird/%C3%BC.py"


def _many(n: int) -> Review:
    severities = ("critical", "high", "medium", "low", "info")
    findings = tuple(
        Finding(
            rule_id=f"llm/correctness/r{i % 7}",
            evaluator="correctness",
            category="correctness",
            severity=severities[i % 5],
            confidence=(i % 10) / 10,
            title=f"finding {i}",
            message="m",
            path=f"src/f{i % 50}.py",
            start_line=i % 400 + 1,
            source="llm",
            fingerprint=f"{i:032x}",
        )
        for i in range(n)
    )
    return Review(tool_version="0.1.0", findings=findings)


def test_results_are_trimmed_to_githubs_limit_worst_first(validator) -> None:
    log = json.loads(sarif.render(_many(30_000)))
    run = log["runs"][0]
    assert len(run["results"]) == sarif.MAX_RESULTS
    assert run["properties"]["resultsDropped"] == 5_000
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert any("5000 lower-ranked" in n["message"]["text"] for n in notes)
    levels = {r["level"] for r in run["results"]}
    assert levels == {"error", "warning", "note"}
    kept_info = sum(1 for r in run["results"] if r["properties"]["severity"] == "info")
    assert kept_info == 1_000  # 6,000 info findings, the 5,000 least confident dropped
    _validate_by_shape(validator, log)


def _shape(value: object) -> object:
    if isinstance(value, dict):
        return tuple(sorted((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(sorted({_shape(v) for v in value}, key=repr))
    return type(value).__name__


def _validate_by_shape(validator, log: dict) -> None:
    """Validate the log with one result per distinct structure (25,000 take ~10 s otherwise)."""
    results = log["runs"][0]["results"]
    assert all(r["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1 for r in results)
    assert all(
        0 <= r["ruleIndex"] < len(log["runs"][0]["tool"]["driver"]["rules"]) for r in results
    )
    samples = {_shape(r): r for r in results}
    assert len(samples) < 20
    run = {**log["runs"][0], "results": list(samples.values()) + results[:50] + results[-50:]}
    validator.validate({**log, "runs": [run]})


def test_empty_review_is_valid(validator) -> None:
    log = json.loads(sarif.render(Review()))
    validator.validate(log)
    assert log["runs"][0]["results"] == []
    assert "version" not in log["runs"][0]["tool"]["driver"]


def test_replacements_are_fixes_that_validate(validator) -> None:
    fixed = Finding(
        rule_id="llm/correctness/off-by-one",
        evaluator="correctness",
        category="correctness",
        severity="medium",
        confidence=0.9,
        title="Off by one",
        message="The loop skips the last item.",
        path="src/a b.py",
        start_line=4,
        end_line=5,
        suggestion="for i in range(n):\r\n    total += i\n",
        source="llm",
        fingerprint="f" * 32,
    )
    plain = fixed.model_copy(update={"suggestion": None, "fingerprint": "e" * 32})
    log = json.loads(sarif.render(Review(findings=(fixed, plain))))
    validator.validate(log)
    with_fix = [r for r in log["runs"][0]["results"] if "fixes" in r]
    assert len(with_fix) == 1
    (change,) = with_fix[0]["fixes"][0]["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "src/a%20b.py", "uriBaseId": "%SRCROOT%"}
    (replacement,) = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 4, "startColumn": 1, "endLine": 5}
    assert replacement["insertedContent"] == {"text": "for i in range(n):\n    total += i"}
    del with_fix[0]["fixes"][0]["artifactChanges"][0]["replacements"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(log)


def test_no_fix_for_code_with_hidden_characters() -> None:
    trojan = Finding(
        rule_id="llm/x",
        evaluator="correctness",
        category="correctness",
        severity="low",
        confidence=0.5,
        title="t",
        message="m",
        path="a.py",
        start_line=1,
        suggestion="ok = True  # \u202egnp.exe",
        source="llm",
        fingerprint="d" * 32,
    )
    (result,) = json.loads(sarif.render(Review(findings=(trojan,))))["runs"][0]["results"]
    assert "fixes" not in result
