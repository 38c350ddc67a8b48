"""The regression guard (`prreview eval --compare OLD NEW`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from prreview.cli.eval import eval_command
from prreview.eval.compare import compare, render_compare
from prreview.eval.models import CaseRun, RunStats
from prreview.eval.render import results_dict
from tests.eval_support import CASE_B, P5, pred, results, scenario


def baseline() -> dict:
    return results_dict(results())


def test_identical_results_pass() -> None:
    result = compare(baseline(), baseline())
    assert result.passed
    assert result.regressed == () and result.improved == ()
    assert {m.name: m.delta for m in result.metrics}["recall"] == 0.0


def test_recall_drop_beyond_tolerance_fails_and_names_the_case() -> None:
    runs = scenario()
    runs[0] = CaseRun(case=runs[0].case, predictions=(), run=runs[0].run)  # alpha now missed
    new = results_dict(results(runs))
    result = compare(baseline(), new)  # recall 0.5 -> 0.25
    assert not result.passed
    recall = next(m for m in result.metrics if m.name == "recall")
    assert (recall.old, recall.new, recall.delta, recall.failed) == (0.5, 0.25, -0.25, True)
    assert [(c.name, c.old, c.new) for c in result.regressed] == [("alpha__szz", "hit", "miss")]
    assert compare(baseline(), new, max_recall_drop=0.3, max_precision_drop=1.0).passed


def test_precision_drop_fails() -> None:
    runs = scenario()
    noise = tuple(pred("b.go", 900 + i, 0.9) for i in range(5))
    runs[1] = CaseRun(case=CASE_B, predictions=(P5, *noise), run=runs[1].run)
    result = compare(baseline(), results_dict(results(runs)))
    precision = next(m for m in result.metrics if m.name == "precision")
    assert precision.failed and not result.passed
    assert result.regressed == ()  # beta was a miss before and after


def test_improvement_is_listed_and_passes() -> None:
    runs = scenario()
    runs[1] = CaseRun(case=CASE_B, predictions=(pred("b.go", 50, 0.9),), run=runs[1].run)
    result = compare(baseline(), results_dict(results(runs)))
    assert result.passed
    assert [(c.name, c.old, c.new) for c in result.improved] == [("beta__revert", "miss", "hit")]
    assert "Improved" in render_compare(result)


def test_clean_case_flagged_is_a_regression_entry() -> None:
    old = baseline()
    new = copy.deepcopy(old)
    eps = next(c for c in new["cases"] if c["name"] == "eps__clean")
    eps["outcome"] = "flagged"
    result = compare(old, new)
    assert [c.name for c in result.regressed] == ["eps__clean"]


def test_new_error_fails_and_missing_cases_are_named() -> None:
    runs = scenario()
    runs[4] = CaseRun(case=runs[4].case, run=RunStats(error="git apply failed"))
    new = results_dict(results(runs))
    new["cases"] = [c for c in new["cases"] if c["name"] != "delta__clean"]
    new["config"]["window"] = 10
    result = compare(baseline(), new)
    assert not result.passed
    assert result.new_errors == ("eps__clean",)
    assert result.missing == ("delta__clean",)
    assert any("window" in n for n in result.notes)
    text = render_compare(result)
    assert "FAILED" in text and "eps" in text


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("eval")(eval_command)

    @app.command("noop")
    def _noop() -> None:
        """A second command so that `eval` is a named sub-command, as in prreview's CLI."""

    return app


def test_cli_compare_exit_codes(tmp_path: Path) -> None:
    old, same, worse = tmp_path / "old.json", tmp_path / "same.json", tmp_path / "worse.json"
    old.write_text(json.dumps(baseline()))
    same.write_text(json.dumps(baseline()))
    runs = scenario()
    runs[0] = CaseRun(case=runs[0].case, predictions=(), run=runs[0].run)
    worse.write_text(json.dumps(results_dict(results(runs))))
    runner = CliRunner()
    ok = runner.invoke(_app(), ["eval", "--compare", str(old), str(same)])
    assert ok.exit_code == 0, ok.output
    assert "passed" in ok.output
    bad = runner.invoke(_app(), ["eval", "--compare", str(old), str(worse)])
    assert bad.exit_code == 1
    assert "alpha__szz" in bad.output
    loose = ["eval", "--compare", str(old), str(worse), "--max-recall-drop", "0.5"]
    assert runner.invoke(_app(), [*loose, "--max-precision-drop", "1"]).exit_code == 0
