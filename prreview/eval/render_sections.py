"""Sections of the evaluation report added to render.py's pages: AACR-Bench's metrics, recall
per language and category with intervals, cost and tokens per case, the command to reproduce.

Every function takes the results.json document (a dict) and returns Markdown lines or HTML.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prreview.eval.chart import recall_bars
from prreview.report.escape import html_text, table_cell

NEEDS_JUDGE = "needs --judge-model"
_AACR_ROWS = (
    ("Positive precision", "positive_precision", "positive_matches", "total_generated", True),
    ("Line-level precision", "line_precision", "positive_line_matches", "total_generated", False),
    ("Recall", "recall", "positive_matches", "positive_expected", True),
    ("Line-level recall", "line_recall", "positive_line_matches", "positive_expected", False),
    ("Noise rate", "noise_rate", "unmatched", "total_generated", True),
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def aacr_rows(aacr: Mapping[str, Any] | None) -> list[list[str]]:
    """(metric, value, count) rows; the semantic ones say when they need a judge."""
    if not aacr:
        return []
    counts, rates, judged = aacr["overall"]["counts"], aacr["overall"]["rates"], aacr["judged"]
    rows = []
    for label, rate, top, bottom, semantic in _AACR_ROWS:
        if semantic and not judged:
            rows.append([label, NEEDS_JUDGE, "semantic match by an LLM judge"])
        else:
            rows.append([label, _pct(rates[rate]), f"{counts[top]}/{counts[bottom]}"])
    return rows


def per_case_cost(data: Mapping[str, Any]) -> tuple[str, str]:
    """Mean cost and tokens per case that ran."""
    runs = [c["run"] for c in data["cases"] if c["run"]["error"] is None]
    if not runs:
        return "–", "–"
    cost = sum(r["cost_usd"] for r in runs) / len(runs)
    tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in runs) / len(runs)
    return f"${cost:.4f}", f"{tokens:,.0f}"


def tokens_of(case: Mapping[str, Any]) -> str:
    run = case["run"]
    return f"{run['prompt_tokens'] + run['completion_tokens']:,}"


def markdown_sections(data: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    cost, tokens = per_case_cost(data)
    out += ["", f"Per case: {cost} and {tokens} tokens on average."]
    if data.get("aacr"):
        note = "" if data["aacr"]["judged"] else " Semantic numbers need `--judge-model`."
        out += ["", "## AACR-Bench metrics", "",
                f"Line rule: same file, ranges overlap or within "
                f"{data['aacr']['line_distance']} line.{note}", "",
                "| metric | value | count |", "|---|---|---|"]  # fmt: skip
        out += [
            "| " + " | ".join(table_cell(c) for c in row) + " |" for row in aacr_rows(data["aacr"])
        ]
    if data["config"].get("command"):
        out += ["", "Reproduce:", "", "    " + data["config"]["command"]]
    return out


def html_recall_charts(breakdowns: Mapping[str, Mapping[str, Any]]) -> str:
    parts = ['<h2>Recall with 95% intervals</h2><div class="wrap">']
    for key in ("language", "category"):
        groups = {k: v for k, v in breakdowns.get(key, {}).items() if v.get("primary_findings")}
        if groups:
            chart = recall_bars(groups, f"Recall by {key}")
            parts.append(f"<div><h3>By {html_text(key)}</h3>{chart}</div>")
    parts.append("</div>")
    return "".join(parts)


def html_aacr(aacr: Mapping[str, Any] | None) -> str:
    if not aacr:
        return ""
    judged = aacr["judged"]
    body = "".join(
        "<tr>" + "".join(f"<td>{html_text(c)}</td>" for c in row) + "</tr>"
        for row in aacr_rows(aacr)
    )
    langs = "".join(
        f"<tr><td>{html_text(name)}</td><td>{g['counts']['positive_expected']}</td>"
        f"<td>{g['counts']['total_generated']}</td><td>{_pct(g['rates']['line_precision'])}</td>"
        f"<td>{_pct(g['rates']['line_recall'])}</td>"
        f"<td>{_pct(g['rates']['recall']) if judged else NEEDS_JUDGE}</td></tr>"
        for name, g in aacr["by_language"].items()
    )
    note = "" if judged else f" Positive precision, recall and noise rate {NEEDS_JUDGE}."
    return (
        "<h2>AACR-Bench metrics</h2>"
        f'<p class="sub">Its line rule: same file, ranges overlap or lie within '
        f"{aacr['line_distance']} line.{html_text(note)}</p>"
        '<div class="wrap"><table><thead><tr><th>metric</th><th>value</th><th>count</th></tr>'
        f"</thead><tbody>{body}</tbody></table>"
        "<table><thead><tr><th>language</th><th>annotations</th><th>generated</th>"
        "<th>line precision</th><th>line recall</th><th>recall</th></tr></thead>"
        f"<tbody>{langs}</tbody></table></div>"
    )


def html_reproduce(config: Mapping[str, Any]) -> str:
    if not config.get("command"):
        return ""
    return f"<h2>Reproduce</h2><pre>{html_text(config['command'])}</pre>"
