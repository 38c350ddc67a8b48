"""The two runs of `prreview eval --compare OLD NEW --html PAGE`, side by side (self-contained).

Metrics with intervals, cost and tokens, recall per language and category (one chart per run),
AACR-Bench's line-level numbers, and every case's outcome in both runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prreview.eval.chart import recall_bars
from prreview.eval.compare import CompareResult
from prreview.eval.render import _CSS, ci, num, pct
from prreview.eval.render_sections import per_case_cost, tokens_of
from prreview.report.escape import html_text

Doc = Mapping[str, Any]
_CASE_HEADER = ("case", "old", "new", "old FP", "new FP", "old tokens", "new tokens")


def _e(text: object) -> str:
    return html_text(str(text))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _metric_rows(old: Doc, new: Doc) -> list[list[str]]:
    rows = []
    for label, key, interval in (
        ("Recall (line)", "recall", "recall_ci"),
        ("Recall (file)", "file_recall", "file_recall_ci"),
        ("Precision", "precision", "precision_ci"),
        ("Clean cases flagged", "clean_fp_rate", "clean_fp_rate_ci"),
    ):
        a, b = old["metrics"], new["metrics"]
        delta = "–" if a[key] is None or b[key] is None else f"{100 * (b[key] - a[key]):+.1f} pts"
        rows.append([_e(label), _e(f"{pct(a[key])} {ci(a[interval])}"),
                     _e(f"{pct(b[key])} {ci(b[interval])}"), _e(delta)])  # fmt: skip
    rows.append(["F1", num(old["metrics"]["f1"]), num(new["metrics"]["f1"]), ""])
    for label, key in (("Calls", "calls"), ("Prompt tokens", "prompt_tokens")):
        rows.append([_e(label), f"{old['totals'][key]:,}", f"{new['totals'][key]:,}", ""])
    rows.append(
        ["Cost", f"${old['totals']['cost_usd']:.4f}", f"${new['totals']['cost_usd']:.4f}", ""]
    )
    (oc, ot), (nc, nt) = per_case_cost(old), per_case_cost(new)
    rows.append(["Per case", _e(f"{oc}, {ot} tokens"), _e(f"{nc}, {nt} tokens"), ""])
    for label, key in (
        ("AACR line precision", "line_precision"),
        ("AACR line recall", "line_recall"),
    ):
        rows.append([_e(label), pct(_aacr(old, key)), pct(_aacr(new, key)), ""])
    return rows


def _aacr(doc: Doc, key: str) -> float | None:
    aacr = doc.get("aacr")
    return aacr["overall"]["rates"][key] if aacr else None


def _charts(old: Doc, new: Doc) -> str:
    parts = []
    for key in ("language", "category"):
        cells = []
        for side, doc in (("old", old), ("new", new)):
            groups = {
                k: v for k, v in doc["breakdowns"].get(key, {}).items() if v.get("primary_findings")
            }
            chart = recall_bars(groups, f"Recall by {key}, {side}") if groups else "<p>–</p>"
            cells.append(f"<div><h3>{_e(side)}: recall by {_e(key)}</h3>{chart}</div>")
        parts.append('<div class="wrap">' + "".join(cells) + "</div>")
    return "".join(parts)


def _case_rows(old: Doc, new: Doc) -> list[list[str]]:
    a = {c["name"]: c for c in old["cases"]}
    b = {c["name"]: c for c in new["cases"]}
    rows = []
    for name in sorted(a.keys() | b.keys()):
        o, n = a.get(name), b.get(name)
        rows.append(
            [_e(name)]
            + [f'<span class="b {_e(c["outcome"])}">{_e(c["outcome"])}</span>' if c else "–"
               for c in (o, n)]
            + [str(c["fp"] + c["location_only"]) if c else "–" for c in (o, n)]
            + [tokens_of(c) if c else "–" for c in (o, n)]
        )  # fmt: skip
    return rows


def _side(doc: Doc, label: str) -> str:
    cfg = doc["config"]
    model = cfg.get("model") or "none (built-in checks only)"
    command = cfg.get("command") or "(not recorded)"
    return (
        f'<div class="card"><div class="l">{_e(label)}</div><div class="v">{_e(model)}</div>'
        f'<div class="d">{_e(doc["totals"]["cases"])} cases · W={_e(cfg.get("window"))}</div>'
        f"<pre>{_e(command)}</pre></div>"
    )


def render_compare_html(old: Doc, new: Doc, result: CompareResult) -> str:
    verdict = "passed" if result.passed else "FAILED"
    notes = "".join(f"<p>{_e(n)}</p>" for n in result.notes)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>prreview eval comparison</title><style>{_CSS}</style></head><body>",
        f"<h1>prreview eval comparison: {_e(verdict)}</h1>",
        f'<div class="cards">{_side(old, "old")}{_side(new, "new")}</div>',
        "<h2>Metrics</h2>",
        _table(["metric", "old", "new", "change"], _metric_rows(old, new)),
        "<h2>Recall with 95% intervals</h2>",
        _charts(old, new),
        "<h2>Cases</h2>",
        _table(_CASE_HEADER, _case_rows(old, new)),
        notes,
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
