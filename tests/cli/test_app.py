"""The command line end to end: version, help, plan, exit codes, config sources, issue 3."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from prreview import __version__
from prreview.models import Review
from tests.run_support import fake_aws_key, run_main, run_python, run_subprocess, two_commits

BASE_PY = "def total(items):\n    return sum(items)\n"
HEAD_PY = "def total(items):\n    return sum(items) + 1\n"


@pytest.fixture
def repo(git_repo):
    r = git_repo()
    two_commits(r, {"src/calc.py": BASE_PY}, {"src/calc.py": HEAD_PY})
    return r


# --------------------------------------------------------------------------- basics


def test_version_subprocess() -> None:
    res = run_subprocess("--version")
    assert res.code == 0
    assert res.out.strip() == f"prreview {__version__}"


def test_help_lists_commands_and_does_not_import_litellm() -> None:
    code = (
        "import sys\n"
        "from prreview.cli import main\n"
        "rc = main(['--help'])\n"
        "sys.stderr.write(f'RC={rc} LITELLM={\"litellm\" in sys.modules}\\n')\n"
    )
    res = run_python(code)
    assert "RC=0 LITELLM=False" in res.err, res.err
    for command in ("run", "plan", "schema", "baseline", "cache"):
        assert command in res.out


def test_plan_text_and_json(repo, capsys) -> None:
    text = run_main(capsys, "plan", "--repo", str(repo.path), "--base", "HEAD~1")
    assert text.code == 0
    assert "src/calc.py" in text.out
    assert "HEAD~1" in text.err  # the base reason is a diagnostic
    js = run_main(capsys, "plan", "--repo", str(repo.path), "--base", "HEAD~1", "--format", "json")
    assert js.code == 0
    data = json.loads(js.out)
    assert "src/calc.py" in json.dumps(data)


def test_plan_rejects_unknown_format(repo, capsys) -> None:
    res = run_main(capsys, "plan", "--repo", str(repo.path), "--base", "HEAD~1", "--format", "xml")
    assert res.code == 2
    assert "--format" in res.err


def test_not_a_git_repo_exits_2(tmp_path, capsys) -> None:
    res = run_main(capsys, "run", "--repo", str(tmp_path), "--base", "HEAD")
    assert res.code == 2
    assert "not a git repository" in res.err
    assert res.out == ""


def test_unknown_base_ref_exits_2_naming_the_flag(repo, capsys) -> None:
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "no-such-branch")
    assert res.code == 2
    assert "--base" in res.err
    assert "no-such-branch" in res.err


def test_empty_change_exits_0_nothing_to_review(repo, capsys) -> None:
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD")
    assert res.code == 0
    assert "nothing to review" in res.err


# --------------------------------------------------------------------------- config


def test_unknown_config_key_exits_2_naming_file_and_key(repo, capsys) -> None:
    repo.write(".prreview.toml", 'fail_onn = "low"\n')
    args = ("--base", "HEAD~1", "--config-source", "head")  # the working tree's config
    res = run_main(capsys, "run", "--repo", str(repo.path), *args)
    assert res.code == 2
    assert ".prreview.toml" in res.err and "fail_onn" in res.err


def test_bad_config_type_names_file_key_and_expected_type(repo, capsys) -> None:
    repo.write(".prreview.toml", 'max_concurrency = "many"\n')
    args = ("--base", "HEAD~1", "--config-source", "head")  # the working tree's config
    res = run_main(capsys, "run", "--repo", str(repo.path), *args)
    assert res.code == 2
    assert ".prreview.toml" in res.err and "max_concurrency" in res.err
    assert "expected int" in res.err


def _gate_fail_on(capsys, repo, *extra: str) -> str:
    out = repo.path / "report.json"
    args = ("--base", "HEAD~1", "--config-source", "head", "-o", f"json={out}", *extra)
    res = run_main(capsys, "run", "--repo", str(repo.path), *args)
    assert res.code in (0, 1), res.err
    return Review.model_validate_json(out.read_text()).gate.fail_on


def test_config_precedence_defaults_file_env_flags(repo, capsys, monkeypatch) -> None:
    monkeypatch.delenv("PRREVIEW_FAIL_ON", raising=False)
    assert _gate_fail_on(capsys, repo) == "high"  # default
    repo.write(".prreview.toml", 'fail_on = "medium"\n')
    assert _gate_fail_on(capsys, repo) == "medium"  # file beats default
    monkeypatch.setenv("PRREVIEW_FAIL_ON", "low")
    assert _gate_fail_on(capsys, repo) == "low"  # env beats file
    assert _gate_fail_on(capsys, repo, "--fail-on", "critical") == "critical"  # flag beats env


def test_pyproject_tool_section_is_read(repo, capsys) -> None:
    repo.write("pyproject.toml", '[project]\nname = "x"\n\n[tool.prreview]\nfail-on = "info"\n')
    assert _gate_fail_on(capsys, repo) == "info"


def _secret_change(git_repo, key: str):
    repo = git_repo()
    repo.write(".prreview.toml", 'fail_on = "high"\n')
    repo.write("src/app.py", "def run():\n    return 1\n")
    base = repo.commit("base")
    repo.write(".prreview.toml", 'fail_on = "none"\n')
    repo.write("src/app.py", f'def run():\n    return 1\n\nAWS_KEY = "{key}"\n')
    head = repo.commit("pr: add key and relax policy")
    return repo, base, head


def test_ci_reads_config_from_the_base_commit(git_repo, tmp_path, capsys, monkeypatch) -> None:
    key = fake_aws_key(7)
    repo, base, head = _secret_change(git_repo, key)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}}))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    res = run_main(capsys, "run", "--repo", str(repo.path))
    assert res.code == 1, res.err  # the PR's fail_on = "none" did not apply
    assert "warning" in res.err and ".prreview.toml" in res.err
    assert key not in res.out + res.err


def test_config_source_base_flag_ignores_pr_config(git_repo, capsys) -> None:
    key = fake_aws_key(8)
    repo, _base, _head = _secret_change(git_repo, key)
    args = ("run", "--repo", str(repo.path), "--base", "HEAD~1")
    assert run_main(capsys, *args, "--config-source", "head").code == 0  # head: fail_on none
    for source in ((), ("--config-source", "base")):  # a range reads the base's policy
        res = run_main(capsys, *args, *source)
        assert res.code == 1
        assert "ignored" in res.err


# --------------------------------------------------------------------------- issue 3


@pytest.fixture
def secret_repo(git_repo):
    key = fake_aws_key(42)
    repo = git_repo()
    two_commits(
        repo,
        {"src/app.py": "def run():\n    return 1\n"},
        {
            "src/app.py": (
                f'def run():\n    return 1\n\nAWS_KEY = "{key}"\n'
                "<<<<<<< HEAD\nx = 1\n=======\nx = 2\n>>>>>>> other\n"
            )
        },
    )
    return repo, key


def test_secret_and_conflict_exit_1_key_never_printed(secret_repo, tmp_path) -> None:
    repo, key = secret_repo
    sarif = tmp_path / "out.sarif"
    res = run_subprocess(
        "run", "--base", "HEAD~1", "--output", f"sarif={sarif}", "--output", "markdown=-",
        cwd=repo.path,
    )  # fmt: skip
    assert res.code == 1, res.err
    assert "conflict" in res.out.lower()
    assert "aws" in res.out.lower()
    assert key not in res.out and key not in res.err
    assert key not in sarif.read_text()
    sarif_data = json.loads(sarif.read_text())
    rule_ids = {r["ruleId"] for r in sarif_data["runs"][0]["results"]}
    assert any("secret" in r for r in rule_ids) and any("conflict" in r for r in rule_ids)
    assert not res.out.startswith("prreview:")  # diagnostics went to stderr
    assert "gate failed" in res.err


def test_every_format_keeps_the_key_out(secret_repo, tmp_path, capsys) -> None:
    repo, key = secret_repo
    outs = {
        fmt: tmp_path / f"r.{fmt}"
        for fmt in ("json", "sarif", "codequality", "github", "rdjsonl", "markdown")
    }
    args = [a for fmt, path in outs.items() for a in ("-o", f"{fmt}={path}")]
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", *args)
    assert res.code == 1
    assert res.out == ""
    for path in outs.values():
        assert key not in path.read_text()
    review = Review.model_validate_json(outs["json"].read_text())
    assert not review.gate.passed
    assert {f.rule_id.split("/")[0] for f in review.findings} >= {"secrets", "conflicts"}


def test_fail_on_none_and_min_confidence(secret_repo, capsys) -> None:
    repo, _key = secret_repo
    base = ("run", "--repo", str(repo.path), "--base", "HEAD~1")
    assert run_main(capsys, *base, "--fail-on", "none").code == 0
    assert run_main(capsys, *base, "--min-confidence", "0.99").code == 0
    assert run_main(capsys, *base).code == 1


def test_json_round_trips_and_stdout_is_only_the_report(secret_repo, capsys) -> None:
    repo, _key = secret_repo
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "-o", "json=-")
    assert res.code == 1
    review = Review.model_validate_json(res.out)  # nothing but the report on stdout
    assert review.findings
    assert review.stats.files == 1


def test_schema_report_is_a_valid_json_schema(capsys) -> None:
    res = run_main(capsys, "schema", "report")
    assert res.code == 0
    schema = json.loads(res.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert "findings" in schema["properties"]


def test_report_validates_against_schema(secret_repo, capsys) -> None:
    repo, _key = secret_repo
    schema = json.loads(run_main(capsys, "schema", "report").out)
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "-o", "json=-")
    jsonschema.validate(json.loads(res.out), schema)


def test_baseline_suppresses_known_findings(secret_repo, tmp_path, capsys) -> None:
    repo, _key = secret_repo
    report = tmp_path / "report.json"
    base = ("run", "--repo", str(repo.path), "--base", "HEAD~1")
    assert run_main(capsys, *base, "-o", f"json={report}").code == 1
    baseline = tmp_path / "baseline.json"
    made = run_main(capsys, "baseline", "create", str(baseline), "--report", str(report))
    assert made.code == 0 and baseline.is_file()
    res = run_main(capsys, *base, "--baseline", str(baseline), "-o", "json=-")
    assert res.code == 0, res.err
    review = Review.model_validate_json(res.out)
    assert review.findings == ()
    assert review.stats.suppressed >= 2


def test_inline_ignore_suppresses(git_repo, capsys) -> None:
    repo = git_repo()
    two_commits(
        repo,
        {"src/app.py": "x = 1\n"},
        {"src/app.py": "x = 1\nbreakpoint()  # prreview: ignore[debug/breakpoint]\n"},
    )
    args = ("--fail-on", "low", "-o", "json=-")
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", *args)
    assert res.code == 0, res.err
    review = Review.model_validate_json(res.out)
    assert review.findings == ()
    assert review.stats.suppressed == 1
    assert "this change adds: src/app.py:2 (debug/breakpoint)" in " ".join(review.notes)


def test_inline_ignore_cannot_hide_a_secret(git_repo, capsys) -> None:
    key = fake_aws_key(3)
    repo = git_repo()
    two_commits(
        repo,
        {"src/app.py": "x = 1\n"},
        {"src/app.py": f'x = 1\nAWS_KEY = "{key}"  # prreview: ignore[secrets/aws-access-key]\n'},
    )
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "-o", "json=-")
    assert res.code == 1, res.err
    review = Review.model_validate_json(res.out)
    assert [f.rule_id for f in review.findings] == ["secrets/aws-access-key"]
    assert review.stats.suppressed == 0
    assert key not in res.out + res.err


def test_output_typo_fails_before_review(repo, capsys) -> None:
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "-o", "pdf=x")
    assert res.code == 2
    assert "pdf" in res.err
    assert not Path(repo.path / "x").exists()
