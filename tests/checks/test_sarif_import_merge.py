"""Imported findings end to end: real git, real ruff, bandit's SARIF format, the real CLI.

issue 15.5: ruff's unused import does not trip `--fail-on high`; one shell injection found by
ruff (S602), bandit (B602) and the built-in risky/shell check is one finding with three
sources; the SARIF report (with fixes and security-severity) is valid SARIF 2.1.0.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from prreview.models import Finding, Review, Rule
from prreview.report import sarif
from tests.run_support import run_main
from tests.schemas import sarif_schema_path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sarif"
RUN_PY = (
    "import os\nimport subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
)

needs_ruff = pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not on PATH")


def _ruff(repo: Path, select: str, out: Path) -> Path:
    proc = subprocess.run(
        ["ruff", "check", "--no-cache", "--isolated", "--select", select, "--exit-zero",
         "--output-format", "sarif", "."],
        cwd=repo, capture_output=True, text=True, check=True,
    )  # fmt: skip
    out.write_text(proc.stdout, encoding="utf-8")
    return out


def _validate(log: dict) -> None:
    schema = json.loads(sarif_schema_path().read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    cls(schema).validate(log)


def _repo_with(git_repo, path: str, text: str):
    repo = git_repo()
    repo.write("README.md", "demo\n")
    repo.commit("base")
    repo.write(path, text)
    repo.commit("change")
    return repo


@needs_ruff
def test_ruff_unused_import_is_low_and_does_not_trip_fail_on_high(
    git_repo, capsys, tmp_path: Path
) -> None:
    repo = _repo_with(git_repo, "app/util.py", "import os\n\n\ndef f():\n    return 1\n")
    ruff_log = _ruff(repo.path, "F401", tmp_path / "ruff.sarif")
    assert json.loads(ruff_log.read_text())["runs"][0]["results"][0]["level"] == "error"
    report = tmp_path / "out.json"
    base = ["run", "--repo", str(repo.path), "--base", "HEAD~1", "--import-sarif", str(ruff_log)]
    res = run_main(capsys, *base, "--fail-on", "high", "-o", f"json={report}")
    assert res.code == 0, res.err
    [unused] = [
        f for f in json.loads(report.read_text())["findings"] if f["rule_id"] == "ruff/F401"
    ]
    assert unused["severity"] == "low" and unused["path"] == "app/util.py"
    # the same run gates when the bar is low enough: the finding is there, only ranked low
    assert run_main(capsys, *base, "--fail-on", "low", "-o", f"json={report}").code == 1


@needs_ruff
def test_one_shell_injection_from_three_tools_is_one_finding_with_three_sources(
    git_repo, capsys, tmp_path: Path
) -> None:
    repo = _repo_with(git_repo, "app/run.py", RUN_PY)
    ruff_log = _ruff(repo.path, "S602,F401", tmp_path / "ruff.sarif")
    bandit_log = tmp_path / "bandit.sarif"
    shutil.copy(FIXTURES / "bandit.sarif", bandit_log)
    report, sarif_out = tmp_path / "out.json", tmp_path / "out.sarif"
    res = run_main(
        capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1",
        "--import-sarif", str(ruff_log), "--import-sarif", str(bandit_log),
        "-o", f"json={report}", "-o", f"sarif={sarif_out}",
    )  # fmt: skip
    assert res.code == 1, res.err  # a high shell injection trips the default gate
    review = Review.model_validate_json(report.read_text())
    on_line_6 = [f for f in review.findings if f.path == "app/run.py" and f.start_line == 6]
    assert len(on_line_6) == 1, [f.rule_id for f in on_line_6]
    [shell] = on_line_6
    assert {(s.evaluator, s.rule_id) for s in shell.sources} == {
        ("builtin", "risky/shell"),
        ("ruff", "ruff/S602"),
        ("bandit", "bandit/B602"),
    }
    assert set(shell.evaluators) == {"bandit", "builtin", "ruff"}
    assert shell.severity == "high" and shell.category == "security"
    assert review.stats.merged == 2
    # the other findings stay apart: ruff's unused import (line 1), bandit's import note (2)
    others = {(f.rule_id, f.start_line, f.severity) for f in review.findings if f is not shell}
    assert others == {("ruff/F401", 1, "low"), ("bandit/B404", 2, "low")}
    log = json.loads(sarif_out.read_text())
    _validate(log)
    [result] = [
        r for r in log["runs"][0]["results"]
        if r["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    ]  # fmt: skip
    assert result["properties"]["security-severity"] == "8.0"
    assert result["properties"]["evaluators"] == ["bandit", "builtin", "ruff"]
    # a baseline made from this report suppresses every source, not only the representative
    baseline = tmp_path / "baseline.json"
    assert run_main(capsys, "baseline", "create", str(baseline), "--report", str(report)).code == 0
    again = run_main(
        capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1",
        "--import-sarif", str(ruff_log), "--import-sarif", str(bandit_log),
        "--baseline", str(baseline), "-o", f"json={report}",
    )  # fmt: skip
    assert again.code == 0, again.err
    later = Review.model_validate_json(report.read_text())
    assert later.findings == () and later.stats.suppressed == 5


def test_sarif_with_fixes_and_security_severity_validates() -> None:
    def finding(severity: str, line: int, **extra: object) -> Finding:
        return Finding(
            rule_id="llm/security/injection", evaluator="security", category="security",
            severity=severity, confidence=0.8, title="Injection", message="m", path="a b/x.py",
            start_line=line, end_line=line, source="llm", fingerprint=f"fp{line}", **extra,
        )  # type: ignore[arg-type]  # fmt: skip

    rule = Rule(
        id="llm/security/injection", name="injection", short_description="Injection",
        category="security", evaluator="security", security_severity=9.5,
    )  # fmt: skip
    unused = Finding(
        rule_id="ruff/F401", evaluator="ruff", category="correctness", severity="low",
        confidence=0.7, title="unused", message="m", path="x.py", start_line=1,
        source="imported", fingerprint="u",
    )  # fmt: skip
    findings = (finding("medium", 3, suggestion="query(sql, params)\n"), finding("low", 9), unused)
    log = sarif.build(Review(findings=findings, rules=(rule,)))
    _validate(log)
    results = {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]: r
        for r in log["runs"][0]["results"]
    }
    assert results[3]["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"] == {
        "text": "query(sql, params)"
    }
    # each result's score follows its own severity, the rule's its worst result: not 9.5
    assert results[3]["properties"]["security-severity"] == "5.5"
    assert results[9]["properties"]["security-severity"] == "2.0"
    assert "security-severity" not in results[1]["properties"]
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["llm/security/injection"]["properties"]["security-severity"] == "5.5"
    assert "security-severity" not in rules["ruff/F401"]["properties"]


def test_bandit_fixture_is_valid_sarif() -> None:
    log = json.loads((FIXTURES / "bandit.sarif").read_text(encoding="utf-8"))
    _validate(log)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validate(log)  # the check is not vacuous
