"""results.json, Markdown and the self-contained HTML page."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prreview.eval.models import CaseRun
from prreview.eval.render import (
    load_results,
    render_html,
    render_json,
    render_markdown,
    results_dict,
    write_outputs,
)
from tests.eval_support import CASE_A, pred, results, scenario

EVIL = "<script>alert(1)</script> see https://evil.example/x and <img src=x onerror=y>"


def evil_results():
    runs = scenario()
    runs[0] = CaseRun(case=CASE_A, predictions=(pred("a.py", 10, 0.9, title=EVIL),))
    return results(runs)


def test_results_json_layout_is_stable() -> None:
    data = json.loads(render_json(results()))
    assert list(data) == [
        "schema_version",
        "config",
        "totals",
        "judged",
        "metrics",
        "by_window",
        "sweep",
        "breakdowns",
        "context_failures",
        "errors",
        "cases",
        "aacr",
    ]
    assert data["schema_version"] == "1"
    assert data["config"]["model"] == "openai/test-model"
    assert data["config"]["window"] == 3
    assert data["metrics"]["recall"] == 0.5
    assert data["metrics"]["recall_ci"] == [0.15, 0.85]
    assert len(data["sweep"]) == 10
    assert set(data["breakdowns"]) == {"language", "variant", "category"}
    assert data["context_failures"] == ["gamma__revert"]
    row = data["cases"][0]
    assert row["name"] == "alpha__szz" and row["outcome"] == "hit"
    assert row["run"]["calls"] == 3
    assert [p["label"] for p in row["predictions"]] == ["hit", "duplicate", "related", "fp"]
    assert data["totals"]["calls"] == 15 and data["totals"]["wall_s"] == 4.2
    assert render_json(results()) == render_json(results())


def test_markdown_tables() -> None:
    md = render_markdown(results())
    assert md.startswith("# prreview eval\n")
    assert "| Recall (line) | 50.0% |" in md
    assert "## By window" in md and "## By language" in md and "## Cases" in md
    assert "| `alpha__szz` | python | szz | hit | 1/1 |" in md
    assert "Context failures" in md and "gamma" in md


def test_html_is_self_contained() -> None:
    page = render_html(evil_results())
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3 and "<polyline" in page  # sweep, recall by language/category
    assert "<script" not in page.lower()
    assert not re.search(r"https?://", page)
    assert "<img" not in page
    assert not re.search(r"<[^>]*\s(src|href)=", page)
    assert "@import" not in page and "url(" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "context failure" in page
    assert "alpha__szz" in page and "eps__clean" in page


def test_html_chart_skips_undefined_points() -> None:
    # without predictions precision is undefined at every threshold: no precision line
    runs = [CaseRun(case=r.case, reached=r.reached, run=r.run) for r in scenario()]
    page = render_html(results(runs))
    assert "Precision at" not in page
    assert "Recall at 0.0: 0.0%" in page


def test_write_outputs_and_load(tmp_path: Path) -> None:
    out = tmp_path / "out" / "results.json"
    write_outputs(results(), out, markdown=tmp_path / "r.md", html=tmp_path / "r.html")
    assert load_results(out) == results_dict(results())
    assert (tmp_path / "r.md").read_text().startswith("# prreview eval")
    assert "<svg" in (tmp_path / "r.html").read_text()


def test_docs_example_matches_the_format() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "evaluation.md").read_text()
    section = docs.split("## results.json", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    real = json.loads(render_json(results()))
    assert list(example) == list(real)
    for key in ("config", "totals", "metrics"):
        assert list(example[key]) == list(real[key]), key
    assert list(example["sweep"][0]) == list(real["sweep"][0])
    case, real_case = example["cases"][0], real["cases"][0]
    assert list(case) == list(real_case)
    assert list(case["run"]) == list(real_case["run"])
    assert list(case["truth"][0]) == list(real_case["truth"][0])
    assert list(case["predictions"][0]) == list(real_case["predictions"][0])
