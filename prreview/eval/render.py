"""Render evaluation results: results.json, a Markdown summary and a self-contained HTML page.

The HTML page has no script and loads nothing: inline CSS, an inline SVG chart of precision
and recall against the confidence threshold, and a per-case table. Titles of findings are
model output and are escaped (no markup, no links).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from prreview.errors import UsageError
from prreview.eval.chart import sweep_chart
from prreview.eval.models import EvalResults
from prreview.eval.render_sections import (
    html_aacr,
    html_recall_charts,
    html_reproduce,
    markdown_sections,
    per_case_cost,
    tokens_of,
)
from prreview.output import write_atomic
from prreview.report.escape import html_text, table_cell

_BREAKDOWNS = ("language", "variant", "category")
_OUTCOME_MARK = {
    "hit": "hit",
    "partial": "partial",
    "miss": "miss",
    "quiet": "quiet",
    "flagged": "FP",
    "error": "error",
}


Results = EvalResults | Mapping[str, Any]
"""EvalResults, or a results.json document already loaded."""


def results_dict(results: Results) -> dict[str, Any]:
    """The results.json document (format in docs/evaluation.md)."""
    if not isinstance(results, EvalResults):
        return dict(results)
    scores = results.scores.model_dump(mode="json")
    return {
        "schema_version": results.schema_version,
        "config": results.config.model_dump(mode="json"),
        "totals": results.totals.model_dump(mode="json"),
        "judged": scores["judged"],
        "metrics": scores["metrics"],
        "by_window": scores["by_window"],
        "sweep": scores["sweep"],
        "breakdowns": scores["breakdowns"],
        "context_failures": scores["context_failures"],
        "errors": scores["errors"],
        "cases": scores["cases"],
        "aacr": None if results.aacr is None else results.aacr.model_dump(mode="json"),
    }


def render_json(results: Results) -> str:
    return json.dumps(results_dict(results), indent=2, ensure_ascii=False) + "\n"


def load_results(path: Path) -> dict[str, Any]:

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read results {path}: {exc}") from None
    if not isinstance(data, dict) or "metrics" not in data or "cases" not in data:
        raise UsageError(f"{path} is not a prreview eval results.json")
    return data


# --------------------------------------------------------------------------- formatting


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def ci(interval: Sequence[float] | None) -> str:
    return "" if not interval else f"({100 * interval[0]:.0f}–{100 * interval[1]:.0f}%)"


def num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def headline(m: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, detail) rows shared by the Markdown and HTML summaries."""
    return [
        (
            "Recall (line)",
            pct(m["recall"]),
            f"{m['primary_hit']}/{m['primary_findings']} {ci(m['recall_ci'])}",
        ),
        (
            "Recall (file)",
            pct(m["file_recall"]),
            f"{m['file_hit']}/{m['primary_findings']} {ci(m['file_recall_ci'])}",
        ),
        (
            "Precision",
            pct(m["precision"]),
            f"{m['tp']} TP, {m['fp'] + m['location_only']} FP {ci(m['precision_ci'])}",
        ),
        ("F1 / F0.5", f"{num(m['f1'])} / {num(m['f05'])}", ""),
        (
            "Clean cases flagged",
            pct(m["clean_fp_rate"]),
            f"{m['clean_flagged']}/{m['clean_cases']} {ci(m['clean_fp_rate_ci'])}",
        ),
        (
            "Findings / 1k changed lines (clean)",
            num(m["findings_per_kloc"], 1),
            f"{m['clean_findings']} in {m['clean_changed_lines']} lines",
        ),
    ]


def breakdown_table(
    key: str, groups: Mapping[str, Mapping[str, Any]]
) -> tuple[list[str], list[list[str]]]:
    """Header and plain-text rows of one breakdown (categories have recall only)."""
    if key == "category":
        header = [key, "primary", "recall", "95% CI", "file recall"]
        rows = [
            [name, str(x["primary_findings"]), pct(x["recall"]), ci(x["recall_ci"]) or "–",
             pct(x["file_recall"])]
            for name, x in groups.items()
        ]  # fmt: skip
        return header, rows
    header = [key, "cases", "recall", "95% CI", "precision", "clean flagged"]
    rows = [
        [name, str(x["cases"]), pct(x["recall"]), ci(x["recall_ci"]) or "–", pct(x["precision"]),
         pct(x["clean_fp_rate"])]
        for name, x in groups.items()
    ]  # fmt: skip
    return header, rows


def _context_mark(case: Mapping[str, Any]) -> str:
    if case["context_failure"] is None:
        return "–"
    return "context failure" if case["context_failure"] else "reached"


# --------------------------------------------------------------------------- markdown


def _md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(table_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(results: Results) -> str:
    data = results_dict(results)
    cfg, tot, m = data["config"], data["totals"], data["metrics"]
    out = [
        "# prreview eval",
        "",
        f"Model `{cfg['model'] or 'none (built-in checks only)'}`, window W={cfg['window']}, "
        f"{tot['cases']} cases ({tot['defect_cases']} with a defect, {tot['clean_cases']} clean), "
        f"{tot['calls']} calls, {tot['prompt_tokens'] + tot['completion_tokens']} tokens, "
        f"${tot['cost_usd']:.4f}, {tot['wall_s']:.1f}s.",
        "",
        *_md_table(["metric", "value", "detail"], headline(m)),
        *markdown_sections(data),
        "",
        "## By window",
        "",
        *_md_table(
            ["W", "recall", "precision", "F1"],
            [
                [w, pct(x["recall"]), pct(x["precision"]), num(x["f1"])]
                for w, x in data["by_window"].items()
            ],
        ),
        "",
        "## Confidence threshold",
        "",
        *_md_table(
            ["min confidence", "predictions", "precision", "recall", "clean flagged"],
            [
                [
                    f"{p['threshold']:.1f}",
                    str(p["predictions"]),
                    pct(p["precision"]),
                    pct(p["recall"]),
                    pct(p["clean_fp_rate"]),
                ]
                for p in data["sweep"]
            ],
        ),
    ]
    for key in _BREAKDOWNS:
        header, rows = breakdown_table(key, data["breakdowns"][key])
        out += ["", f"## By {key}", "", *_md_table(header, rows)]
    out += ["", "## Cases", ""]
    out += _md_table(
        [
            "case",
            "language",
            "variant",
            "outcome",
            "primary hit",
            "TP",
            "FP",
            "dup",
            "context",
            "calls",
            "tokens",
            "cost",
            "s",
        ],
        [_md_case_row(c) for c in data["cases"]],
    )
    if data["context_failures"]:
        names = ", ".join(f"`{n}`" for n in data["context_failures"])
        out += ["", f"Context failures (truth lines never reached a prompt): {names}."]
    if data["errors"]:
        out += ["", f"Errors (left out of every metric): {', '.join(data['errors'])}."]
    return "\n".join(out) + "\n"


def _md_case_row(c: Mapping[str, Any]) -> list[str]:
    return [
        f"`{c['name']}`",
        c["language"],
        c["variant"],
        _OUTCOME_MARK[c["outcome"]],
        "–" if c["clean"] else f"{c['primary_hit']}/{c['primary']}",
        str(c["tp"]),
        str(c["fp"] + c["location_only"]),
        str(c["duplicates"] + c["related"]),
        _context_mark(c),
        str(c["run"]["calls"]),
        tokens_of(c),
        f"${c['run']['cost_usd']:.4f}",
        f"{c['run']['wall_s']:.1f}",
    ]


# --------------------------------------------------------------------------- html

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1f2328;
background:#fff;max-width:1150px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#59636e;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px}
.card{border:1px solid #d1d9e0;border-radius:8px;padding:10px 14px}
.card .v{font-size:22px;font-weight:600}.card .l,.card .d{color:#59636e;font-size:12px}
table{border-collapse:collapse;margin:6px 0}
th,td{border-bottom:1px solid #d1d9e0;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
.b{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600}
.hit,.quiet,.reached{background:#dafbe1;color:#116329}
.miss,.flagged,.error,.cf,.fp{background:#ffebe9;color:#a40e26}
.partial,.location_only{background:#fff8c5;color:#7d4e00}
.duplicate,.related,.na{background:#eef1f4;color:#59636e}
details{margin:2px 0}summary{cursor:pointer;color:#0969da}
.wrap{display:flex;gap:28px;flex-wrap:wrap;align-items:flex-start}
pre{background:#f6f8fa;border:1px solid #d1d9e0;padding:8px;white-space:pre-wrap}
"""


def _e(text: object) -> str:
    return html_text(str(text))


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """`rows` cells are HTML already; numeric-looking cells are right-aligned."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{_cls(c)}>{c}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cls(cell: str) -> str:
    return ' class="n"' if cell[:1].isdigit() or cell.startswith(("–", "$")) else ""


def _badge(kind: str, text: str | None = None) -> str:
    return f'<span class="b {_e(kind)}">{_e(text or kind)}</span>'


def render_html(results: Results) -> str:
    data = results_dict(results)
    cfg, tot, m = data["config"], data["totals"], data["metrics"]
    cards = "".join(
        f'<div class="card"><div class="l">{_e(label)}</div><div class="v">{_e(value)}</div>'
        f'<div class="d">{_e(detail)}</div></div>'
        for label, value, detail in headline(m)
    )
    sub = (
        f"model {cfg['model'] or 'none (built-in checks only)'} · W={cfg['window']} · "
        f"{tot['cases']} cases ({tot['defect_cases']} defect, {tot['clean_cases']} clean) · "
        f"{tot['calls']} calls · {tot['prompt_tokens'] + tot['completion_tokens']} tokens · "
        f"${tot['cost_usd']:.4f} · {tot['wall_s']:.1f}s · per case "
        + " and ".join(per_case_cost(data))
        + " tokens"
    )
    windows = _table(
        ["W", "recall", "precision", "F1", "F0.5"],
        [
            [_e(w), pct(x["recall"]), pct(x["precision"]), num(x["f1"]), num(x["f05"])]
            for w, x in data["by_window"].items()
        ],
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>prreview eval</title><style>{_CSS}</style></head><body>",
        f'<h1>prreview eval</h1><p class="sub">{_e(sub)}</p>',
        f'<div class="cards">{cards}</div>',
        '<h2>Precision and recall by confidence threshold</h2><div class="wrap">',
        sweep_chart(data["sweep"]),
        f"<div><h3>By window</h3>{windows}</div></div>",
        _html_breakdowns(data["breakdowns"]),
        html_recall_charts(data["breakdowns"]),
        html_aacr(data.get("aacr")),
        "<h2>Cases</h2>",
        _html_cases(data["cases"]),
        _html_notes(data),
        html_reproduce(cfg),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _html_breakdowns(breakdowns: Mapping[str, Mapping[str, Any]]) -> str:
    out = ['<h2>Breakdowns</h2><div class="wrap">']
    for key in _BREAKDOWNS:
        header, rows = breakdown_table(key, breakdowns[key])
        table = _table(header, [[_e(c) for c in row] for row in rows])
        out.append(f"<div><h3>By {_e(key)}</h3>{table}</div>")
    out.append("</div>")
    return "".join(out)


def _html_cases(cases: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for c in cases:
        ctx = c["context_failure"]
        ctx_badge = (
            _badge("na", "–")
            if ctx is None
            else (_badge("cf", "context failure") if ctx else _badge("reached"))
        )
        rows.append(
            [
                _e(c["name"]) + _html_predictions(c),
                _e(c["language"]),
                _e(c["variant"]),
                _badge(c["outcome"], _OUTCOME_MARK[c["outcome"]]),
                "–" if c["clean"] else f"{c['primary_hit']}/{c['primary']}",
                str(c["tp"]),
                str(c["fp"] + c["location_only"]),
                str(c["duplicates"] + c["related"]),
                ctx_badge,
                str(c["run"]["calls"]),
                tokens_of(c),
                f"${c['run']['cost_usd']:.4f}",
                f"{c['run']['wall_s']:.1f}",
            ]
        )
    header = ["case", "language", "variant", "outcome", "primary hit", "TP", "FP", "dup",
              "context", "calls", "tokens", "cost", "s"]  # fmt: skip
    return _table(header, rows)


def _html_predictions(case: Mapping[str, Any]) -> str:
    preds = case["predictions"]
    if not preds and not case["truth"]:
        return ""
    items = [
        f"<li>truth {_e(t['role'])}: {_e(t['file'])}:{t['start_line']}-{t['end_line']} "
        f"({_e(t['category'])}) {_truth_badge(case, j, t)}</li>"
        for j, t in enumerate(case["truth"])
    ]
    items += [
        f"<li>{_badge(p['label'])} {_e(p['path'] or '(change)')}:{p['start_line'] or ''} "
        f"{_e(p['severity'])} {p['confidence']:.2f} {_e(p['rule_id'])}: {_e(p['title'])}</li>"
        for p in preds
    ]
    label = f"{len(preds)} finding{'s' if len(preds) != 1 else ''}"
    return f"<details><summary>{label}</summary><ul>{''.join(items)}</ul></details>"


def _truth_badge(case: Mapping[str, Any], index: int, truth: Mapping[str, Any]) -> str:
    if truth["role"] == "primary":
        return _badge("hit" if truth["hit"] else "miss")
    matched = any(p["truth_index"] == index for p in case["predictions"])
    return _badge("related", "matched") if matched else _badge("na", "not matched")


def _html_notes(data: Mapping[str, Any]) -> str:
    notes = []
    if data["context_failures"]:
        names = ", ".join(_e(n) for n in data["context_failures"])
        notes.append(f"<p>Context failures (truth lines never reached a prompt): {names}.</p>")
    if data["errors"]:
        notes.append(f"<p>Errors (left out of every metric): {_e(', '.join(data['errors']))}.</p>")
    return "".join(notes)


def write_outputs(
    results: EvalResults,
    output: Path | None,
    *,
    markdown: Path | None = None,
    html: Path | None = None,
) -> None:

    for path, render in ((output, render_json), (markdown, render_markdown), (html, render_html)):
        if path is not None:
            write_atomic(Path(path), render(results))
