from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from prreview.checks.sarif_import import import_sarif
from prreview.config.settings import parse_config_text
from prreview.errors import ConfigError
from prreview.models import ChangeSet, DiffLine, FileChange, Finding, Hunk, Review
from prreview.report import sarif
from prreview.review.filtermode import filter_findings
from tests.markdown_check import assert_inert

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sarif"


def _reader(root: Path):
    def read_line(path: str, line: int) -> str | None:
        file = root / path
        if not file.is_file():
            return None
        lines = file.read_text(encoding="utf-8").split("\n")
        return lines[line - 1] if 1 <= line <= len(lines) else None

    return read_line


def _ruff(root: Path) -> Path:
    out = root.parent / f"{root.name}.sarif"
    proc = subprocess.run(
        ["ruff", "check", "--no-cache", "--isolated", "--select", "F", "--exit-zero",
         "--output-format", "sarif", "."],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    out.write_text(proc.stdout, encoding="utf-8")
    return out


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not on PATH")
def test_real_ruff_output_imports_with_repo_relative_paths(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    source = "import os\nimport sys\n\n\ndef f():\n    x = 1\n    return sys.argv\n"
    (repo / "pkg" / "my mod.py").write_text(source, encoding="utf-8")
    findings, rules = import_sarif(_ruff(repo), repo_root=repo, read_line=_reader(repo))
    by_rule = {f.rule_id: f for f in findings}
    assert set(by_rule) == {"ruff/F401", "ruff/F841"}
    unused = by_rule["ruff/F401"]
    assert unused.path == "pkg/my mod.py"
    assert (unused.start_line, unused.end_line, unused.start_column, unused.end_column) == (
        1,
        1,
        8,
        10,
    )
    assert unused.source == "imported" and unused.evaluator == "ruff"
    assert unused.severity == "low"  # ruff says "error" for every rule; its table says low
    assert unused.title == "`os` imported but unused"
    assert {r.id for r in rules} == {"ruff/F401", "ruff/F841"}
    # The fingerprint follows the flagged text, not the line number.
    (repo / "pkg" / "my mod.py").write_text("\n\n" + source, encoding="utf-8")
    shifted, _ = import_sarif(_ruff(repo), repo_root=repo, read_line=_reader(repo))
    moved = next(f for f in shifted if f.rule_id == "ruff/F401")
    assert moved.start_line == 3 and moved.fingerprint == unused.fingerprint


def test_semgrep_uses_srcroot_paths_tags_and_precision() -> None:
    findings, rules = import_sarif(FIXTURES / "semgrep.sarif")
    (finding,) = findings
    assert finding.rule_id.startswith("semgrep-oss/python.lang.security")
    assert (finding.path, finding.start_line, finding.end_line) == ("app/db.py", 12, 14)
    assert finding.severity == "medium" and finding.category == "security"
    assert finding.confidence == 0.95
    assert rules[0].help_markdown.startswith("Use parameterized queries.")
    again, _ = import_sarif(FIXTURES / "semgrep.sarif")
    assert again[0].fingerprint == finding.fingerprint != ""


def test_eslint_absolute_uris_artifact_indexes_and_suppressions() -> None:
    findings, rules = import_sarif(
        FIXTURES / "eslint.sarif", repo_root="/home/runner/work/repo/repo"
    )
    assert [(f.rule_id, f.path, f.start_line) for f in findings] == [
        ("eslint/no-unused-vars", "web/app.js", 3),
        ("eslint/no-eval", "web/app.js", 9),
    ]
    # eslint's own levels are the project's choice: error medium; no-eval is high whatever
    assert [f.severity for f in findings] == ["medium", "high"]
    assert [r.id for r in rules] == ["eslint/no-eval", "eslint/no-unused-vars"]


def test_codeql_extension_rules_security_severity_and_message_strings() -> None:
    findings, rules = import_sarif(FIXTURES / "codeql.sarif")
    by_rule = {f.rule_id: f for f in findings}
    assert set(by_rule) == {
        "codeql/py/sql-injection",
        "codeql/py/clear-text-logging-sensitive-data",
    }
    sql = by_rule["codeql/py/sql-injection"]
    assert sql.severity == "critical"  # level error, raised by security-severity 9.1
    assert (sql.path, sql.start_line, sql.start_column, sql.end_column) == ("app/db.py", 13, 24, 27)
    assert sql.message == "This SQL query depends on a [user-provided value](1)."
    logging = by_rule["codeql/py/clear-text-logging-sensitive-data"]
    assert logging.severity == "medium"  # level note, raised by security-severity 5.0
    assert logging.message == "This expression logs password as clear text."
    rule = next(r for r in rules if r.id == "codeql/py/sql-injection")
    assert rule.security_severity == 9.1 and rule.evaluator == "codeql"
    assert rule.category == "security" and "external/cwe/cwe-089" in rule.tags


def test_imported_rule_text_is_escaped_in_the_sarif_report() -> None:
    findings, rules = import_sarif(FIXTURES / "codeql.sarif")
    log = json.loads(sarif.render(Review(findings=tuple(findings), rules=tuple(rules))))
    for rule in log["runs"][0]["tool"]["driver"]["rules"]:
        assert_inert(rule["help"]["markdown"])


def test_tolerates_missing_fields(tmp_path: Path) -> None:
    path = tmp_path / "bare.sarif"
    path.write_text(
        json.dumps({"runs": [{"results": [{"message": {"text": "x"}}, {}, "junk"]}, "junk", {}]}),
        encoding="utf-8",
    )
    findings, rules = import_sarif(path)
    assert [(f.rule_id, f.path, f.severity) for f in findings] == [
        ("sarif/unknown", None, "medium"),
        ("sarif/unknown", None, "medium"),
    ]
    assert findings[1].title == findings[1].message == "unknown"
    assert [r.id for r in rules] == ["sarif/unknown"]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON"),
        ('{"version": "2.1.0"}', "not a SARIF log"),
        ('{"version": "1.0.0", "runs": []}', "not supported"),
    ],
)
def test_invalid_files_name_the_flag(tmp_path: Path, content: str | None, error: str) -> None:
    path = tmp_path / "in.sarif"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        import_sarif(path)
    assert "--import-sarif" in str(info.value) and error in str(info.value)


def _change() -> ChangeSet:
    lines = (
        DiffLine(kind="context", old_lineno=9, new_lineno=9, text="a"),
        DiffLine(kind="removed", old_lineno=10, text="b"),
        DiffLine(kind="added", new_lineno=10, text="B"),
        DiffLine(kind="added", new_lineno=11, text="C"),
        DiffLine(kind="context", old_lineno=11, new_lineno=12, text="d"),
    )
    hunk = Hunk(old_start=9, old_length=3, new_start=9, new_length=4, lines=lines)
    return ChangeSet(
        repo_root="/repo",
        files=(
            FileChange(path="a.py", status="modified", added=2, removed=1, hunks=(hunk,)),
            FileChange(path="logo.png", status="added", is_binary=True, skip_reason="binary"),
        ),
    )


def _at(path: str | None, start: int | None, end: int | None = None) -> Finding:
    return Finding(
        rule_id="r", evaluator="e", category="c", severity="low", confidence=1, title="t",
        message="m", path=path, start_line=start, end_line=end,
    )  # fmt: skip


CASES = {
    "added line": _at("a.py", 10),
    "range touching an added line": _at("a.py", 1, 10),
    "context line": _at("a.py", 12),
    "outside the hunks": _at("a.py", 50),
    "file level": _at("a.py", None),
    "other file": _at("b.py", 10),
    "skipped file": _at("logo.png", None),
    "whole change": _at(None, None),
}


@pytest.mark.parametrize(
    ("mode", "kept"),
    [
        ("added", {"added line", "range touching an added line", "file level", "skipped file",
                   "whole change"}),
        ("diff_context", {"added line", "range touching an added line", "context line",
                          "file level", "skipped file", "whole change"}),
        ("file", {"added line", "range touching an added line", "context line",
                  "outside the hunks", "file level", "skipped file", "whole change"}),
        ("nofilter", set(CASES)),
    ],
)  # fmt: skip
def test_filter_modes(mode: str, kept: set[str]) -> None:
    result, dropped = filter_findings(list(CASES.values()), _change(), mode)  # type: ignore[arg-type]
    assert {name for name, f in CASES.items() if any(f is r for r in result)} == kept
    assert dropped == len(CASES) - len(kept)


# --------------------------------------------------------------------------- severity table


def _log(tool: str, rule: dict, result: dict) -> dict:
    return {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": tool, "rules": [rule]}}, "results": [result]}],
    }


def _write(tmp_path: Path, log: dict) -> Path:
    path = tmp_path / "in.sarif"
    path.write_text(json.dumps(log), encoding="utf-8")
    return path


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not on PATH")
def test_severity_map_overrides_the_defaults_most_specific_pattern_first(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "m.py").write_text("import os\n\n\ndef f():\n    x = 1\n", encoding="utf-8")
    sarif_path = _ruff(repo)
    table = {"ruff": {"F*": "medium", "F401": "info"}}
    findings, rules = import_sarif(sarif_path, repo_root=repo, severity_map=table)
    assert {f.rule_id: f.severity for f in findings} == {"ruff/F401": "info", "ruff/F841": "medium"}
    assert {r.id: r.severity for r in rules} == {"ruff/F401": "info", "ruff/F841": "medium"}
    default, _ = import_sarif(sarif_path, repo_root=repo)
    assert {f.severity for f in default} == {"low"}


def test_level_keys_and_tool_variants(tmp_path: Path) -> None:
    findings, _ = import_sarif(
        FIXTURES / "eslint.sarif",
        repo_root="/home/runner/work/repo/repo",
        severity_map={"eslint": {"level:error": "high"}},
    )
    assert [f.severity for f in findings] == ["high", "high"]
    # "semgrep" names the "Semgrep OSS" driver too; "*" applies to every tool
    findings, _ = import_sarif(
        FIXTURES / "semgrep.sarif", severity_map={"semgrep": {"python.lang.security.*": "critical"}}
    )
    assert findings[0].severity == "critical"
    findings, _ = import_sarif(FIXTURES / "semgrep.sarif", severity_map={"*": {"*": "info"}})
    assert findings[0].severity == "info"


def test_security_severity_decides_over_the_level(tmp_path: Path) -> None:
    rule = {
        "id": "py/weak",
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["security"], "security-severity": "2.0"},
    }
    result = {"ruleId": "py/weak", "message": {"text": "weak"}}
    [low], _ = import_sarif(_write(tmp_path, _log("CodeQL", rule, result)))
    assert low.severity == "low"  # level error alone would be high
    result = {**result, "properties": {"security-severity": "9.0"}}
    [critical], _ = import_sarif(_write(tmp_path, _log("CodeQL", rule, result)))
    assert critical.severity == "critical"  # the result's own score wins over the rule's
    plain = {"id": "py/x", "defaultConfiguration": {"level": "note"}}
    [note], _ = import_sarif(_write(tmp_path, _log("CodeQL", plain, {"ruleId": "py/x"})))
    assert note.severity == "low"


def test_bandit_sarif_keeps_its_levels_and_cwe_tags() -> None:
    findings, rules = import_sarif(FIXTURES / "bandit.sarif")
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["bandit/B602"].severity == "high"
    assert by_rule["bandit/B404"].severity == "low"
    assert by_rule["bandit/B602"].category == "security"
    assert "external/cwe/cwe-78" in by_rule["bandit/B602"].tags
    assert (by_rule["bandit/B602"].path, by_rule["bandit/B602"].start_line) == ("app/run.py", 6)
    assert {r.id for r in rules} == {"bandit/B404", "bandit/B602"}


def test_unknown_level_key_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        import_sarif(FIXTURES / "semgrep.sarif", severity_map={"ruff": {"level:warn": "low"}})
    assert "severity_map.ruff" in str(info.value) and "level:warn" in str(info.value)


def test_severity_map_in_a_config_file_is_validated() -> None:
    good = parse_config_text('[severity_map.ruff]\n"F401" = "info"\n', ".prreview.toml")
    assert good == {"severity_map": {"ruff": {"F401": "info"}}}
    with pytest.raises(ConfigError) as info:
        parse_config_text('[severity_map.ruff]\n"F401" = "urgent"\n', ".prreview.toml")
    assert "severity_map.ruff.F401" in str(info.value)
