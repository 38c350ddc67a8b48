"""`prreview eval` as a command (registered here in a Typer app, as prreview/cli.py does)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

import prreview.eval as eval_api
from prreview.cli.eval import eval_command
from prreview.errors import UsageError

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"


def app() -> typer.Typer:
    root = typer.Typer()
    root.command("eval")(eval_command)

    @root.command("noop")
    def _noop() -> None:
        """A second command, so that `eval` is a sub-command as in prreview's CLI."""

    return root


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_BASE_REF", "GITLAB_CI", "CI", "PRREVIEW_MODEL"):
        monkeypatch.delenv(name, raising=False)


def test_eval_writes_every_output(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    args = [
        "eval",
        str(CORPUS),
        "--cases",
        "calc-*",
        "--jobs",
        "1",
        "--window",
        "0",
        "-o",
        str(out),
    ]
    args += ["--markdown", str(tmp_path / "r.md"), "--html", str(tmp_path / "r.html")]
    result = CliRunner().invoke(app(), args)
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["config"]["window"] == 0 and data["config"]["cases_glob"] == "calc-*"
    assert [c["outcome"] for c in data["cases"]] == ["hit"]
    assert "<svg" in (tmp_path / "r.html").read_text()
    assert (tmp_path / "r.md").read_text().startswith("# prreview eval")


def test_eval_needs_a_corpus_and_an_output(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app(), ["eval", "--output", str(tmp_path / "x.json")])
    assert isinstance(missing.exception, UsageError)
    no_output = runner.invoke(app(), ["eval", str(CORPUS)])
    assert isinstance(no_output.exception, UsageError)
    assert "--output" in str(no_output.exception)


def test_unwritable_output_fails_before_running(tmp_path: Path) -> None:
    result = CliRunner().invoke(app(), ["eval", str(CORPUS), "-o", str(tmp_path)])
    assert isinstance(result.exception, UsageError)
    assert "is a directory" in str(result.exception)


def test_public_api() -> None:
    for name in eval_api.__all__:
        assert getattr(eval_api, name) is not None
    with pytest.raises(AttributeError):
        eval_api.not_there  # noqa: B018


def test_a_broken_case_is_an_error_row_and_exit_3(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "cases" / "calc-eval__szz", corpus / "calc-eval__szz")
    broken = corpus / "broken__szz"
    shutil.copytree(CORPUS / "cases" / "calc-eval__szz", broken)
    (broken / "change.diff").write_text(
        "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,1 +1,1 @@\n-no\n+yes\n"
    )
    out = tmp_path / "results.json"
    result = CliRunner().invoke(app(), ["eval", str(corpus), "-j", "2", "-o", str(out)])
    assert result.exit_code == 3, result.output
    data = json.loads(out.read_text())
    assert data["errors"] == ["broken__szz"]
    row = next(c for c in data["cases"] if c["name"] == "broken__szz")
    assert row["outcome"] == "error" and "git apply failed" in row["run"]["error"]
    assert data["metrics"]["cases"] == 1 and data["metrics"]["recall"] == 1.0
    assert data["totals"]["errors"] == 1 and data["totals"]["incomplete"] == 0


def test_eval_is_a_group_whose_default_is_run(tmp_path: Path, capsys) -> None:
    from prreview.cli import main

    assert main(["eval", "--help"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in ("run", "mine", "import"))
    for argv in (["eval", "run", str(CORPUS)], ["eval", str(CORPUS)]):
        out = tmp_path / f"{len(argv)}.json"
        assert main([*argv, "--cases", "calc-*", "--jobs", "1", "-o", str(out)]) == 0
        assert json.loads(out.read_text())["cases"][0]["outcome"] == "hit"
    assert main(["eval", "import", "--help"]) == 0
    assert "aacr" in capsys.readouterr().out
