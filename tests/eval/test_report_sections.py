"""The report's added sections: AACR-Bench numbers, recall bars, cost and tokens per case,
the reproduce command, and `--compare --html` with both runs side by side."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prreview.cli.app import main
from prreview.cli.eval import reproduce_command
from prreview.eval.models import CaseRun
from prreview.eval.render import render_html, render_json, render_markdown
from tests.eval_support import results, scenario


def _with_command(**config: object):
    return results(command="prreview eval corpus --window 3 --jobs 1 --output r.json", **config)


def test_html_shows_recall_bars_aacr_cost_and_the_command() -> None:
    page = render_html(_with_command())
    assert 'aria-label="Recall by language"' in page and 'aria-label="Recall by category"' in page
    # python: 2 of 3 primary findings hit; the whisker is the Wilson interval
    assert "python: 66.7%" in page
    assert "<h2>AACR-Bench metrics</h2>" in page
    assert "Positive precision</td><td>needs --judge-model" in page
    assert "Line-level recall</td><td>50.0%</td><td>2/4" in page
    assert "per case $0.0100 and 1,100 tokens" in page
    assert "<th>tokens</th>" in page and '<td class="n">1,100</td>' in page
    assert "<pre>prreview eval corpus --window 3 --jobs 1 --output r.json</pre>" in page
    assert "<script" not in page.lower() and not re.search(r"https?://", page)


def test_markdown_has_the_aacr_table_and_the_command() -> None:
    md = render_markdown(_with_command())
    assert "## AACR-Bench metrics" in md
    assert "| Line-level precision | 22.2% | 2/9 |" in md
    assert "| Recall | needs --judge-model | semantic match by an LLM judge |" in md
    assert "Per case: $0.0100 and 1,100 tokens on average." in md
    assert "    prreview eval corpus --window 3" in md


def test_reproduce_command_quotes_and_keeps_every_choice(tmp_path: Path, capsys) -> None:
    command = reproduce_command(
        Path("my corpus"), [("--model", "openai/gpt-4o-mini"), ("--api-base", None),
                            ("--cases", "*__revert"), ("--window", 0), ("--output", "r.json")],
    )  # fmt: skip
    assert command == (
        "prreview eval 'my corpus' --model openai/gpt-4o-mini --cases '*__revert' --window 0 "
        "--output r.json"
    )
    corpus = Path(__file__).parents[1] / "fixtures" / "corpus"
    out = tmp_path / "r.json"
    argv = ["eval", str(corpus), "--cases", "calc-*", "--jobs", "1", "--window", "0",
            "--api-base", "http://user:secret@127.0.0.1:9/v1", "-o", str(out)]  # fmt: skip
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "secret" not in err and "secret" not in out.read_text()
    assert (
        f"reproduce with: prreview eval {corpus} --api-base http://127.0.0.1:9/v1 --cases 'calc-*'"
        f" --window 0 --jobs 1 --output {out}"
    ) in err


def test_compare_html_puts_both_runs_side_by_side(tmp_path: Path, capsys) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(render_json(_with_command()))
    runs = scenario()
    runs[0] = CaseRun(case=runs[0].case, predictions=(), run=runs[0].run)  # alpha now missed
    new.write_text(render_json(results(runs, command="prreview eval corpus --model other")))
    page_path = tmp_path / "cmp.html"
    code = main(["eval", "--compare", str(old), str(new), "--html", str(page_path)])
    assert code == 1  # recall dropped by 25 points
    assert capsys.readouterr().out.startswith("# prreview eval comparison: FAILED")
    page = page_path.read_text()
    assert "<h1>prreview eval comparison: FAILED</h1>" in page
    assert (
        "<td>Recall (line)</td><td>50.0% (15–85%)</td><td>25.0% (5–70%)</td><td>-25.0 pts</td>"
        in page
    )
    assert page.count("<svg") == 4  # recall by language and category, old and new
    assert "<pre>prreview eval corpus --model other</pre>" in page
    assert re.search(r"<td>alpha__szz</td><td><span class=\"b hit\">hit</span></td>"
                     r"<td><span class=\"b miss\">miss</span></td>", page)  # fmt: skip
    assert "<script" not in page.lower()
    json.loads(new.read_text())
