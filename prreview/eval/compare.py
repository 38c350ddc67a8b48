"""The regression guard: compare two results.json documents.

The comparison fails when line-level recall or precision drops by more than its tolerance
(absolute, e.g. 0.05 = five percentage points), or when a case that ran before now errors.
Cases whose outcome got worse or better are listed either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prreview.models import Frozen
from prreview.report.escape import code_span

_RANK = {"error": -1, "miss": 0, "partial": 1, "hit": 2, "flagged": 0, "quiet": 1}
_EPS = 1e-9


class MetricDelta(Frozen):
    name: str
    old: float | None
    new: float | None
    delta: float | None
    tolerance: float | None = None
    """Largest allowed drop; None: reported, not checked."""
    failed: bool = False


class CaseChange(Frozen):
    name: str
    old: str
    new: str
    old_fp: int = 0
    new_fp: int = 0


class CompareResult(Frozen):
    passed: bool
    metrics: tuple[MetricDelta, ...]
    regressed: tuple[CaseChange, ...] = ()
    improved: tuple[CaseChange, ...] = ()
    new_errors: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    """Cases in the old results only."""
    added: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _delta(
    name: str, old: Mapping[str, Any], new: Mapping[str, Any], tolerance: float | None
) -> MetricDelta:
    a, b = old.get(name), new.get(name)
    if a is None or b is None:
        return MetricDelta(name=name, old=a, new=b, delta=None, tolerance=tolerance)
    delta = round(b - a, 4)
    failed = tolerance is not None and (a - b) > tolerance + _EPS
    return MetricDelta(name=name, old=a, new=b, delta=delta, tolerance=tolerance, failed=failed)


def _case_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> CaseChange:
    return CaseChange(
        name=str(new["name"]),
        old=str(old["outcome"]),
        new=str(new["outcome"]),
        old_fp=int(old.get("fp", 0)) + int(old.get("location_only", 0)),
        new_fp=int(new.get("fp", 0)) + int(new.get("location_only", 0)),
    )


def _notes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    notes = []
    a, b = old.get("config", {}), new.get("config", {})
    for key in ("window", "fail_on", "min_confidence", "cases_glob", "judge_model"):
        if a.get(key) != b.get(key):
            notes.append(f"config {key} differs: {a.get(key)!r} -> {b.get(key)!r}")
    if old.get("schema_version") != new.get("schema_version"):
        notes.append("results.json schema versions differ")
    return notes


def compare(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    max_recall_drop: float = 0.05,
    max_precision_drop: float = 0.05,
) -> CompareResult:
    """Compare two results.json documents (as loaded dicts); see the module docstring."""
    om, nm = old["metrics"], new["metrics"]
    metrics = (
        _delta("recall", om, nm, max_recall_drop),
        _delta("precision", om, nm, max_precision_drop),
        _delta("file_recall", om, nm, None),
        _delta("f1", om, nm, None),
        _delta("clean_fp_rate", om, nm, None),
        _delta("findings_per_kloc", om, nm, None),
    )
    old_cases = {c["name"]: c for c in old["cases"]}
    new_cases = {c["name"]: c for c in new["cases"]}
    regressed, improved, new_errors = [], [], []
    for name in sorted(old_cases.keys() & new_cases.keys()):
        o, n = old_cases[name], new_cases[name]
        change = _case_change(o, n)
        if n["outcome"] == "error" and o["outcome"] != "error":
            new_errors.append(name)
        if _RANK[n["outcome"]] < _RANK[o["outcome"]]:
            regressed.append(change)
        elif _RANK[n["outcome"]] > _RANK[o["outcome"]]:
            improved.append(change)
    return CompareResult(
        passed=not any(m.failed for m in metrics) and not new_errors,
        metrics=metrics,
        regressed=tuple(regressed),
        improved=tuple(improved),
        new_errors=tuple(new_errors),
        missing=tuple(sorted(old_cases.keys() - new_cases.keys())),
        added=tuple(sorted(new_cases.keys() - old_cases.keys())),
        notes=tuple(_notes(old, new)),
    )


def _fmt(x: float | None) -> str:
    return "–" if x is None else f"{x:.3f}"


def render_compare(result: CompareResult) -> str:
    """A Markdown report of the comparison (for stdout or a CI step summary)."""
    verdict = "passed" if result.passed else "FAILED"
    out = [f"# prreview eval comparison: {verdict}", ""]
    out += ["| metric | old | new | change | allowed drop |", "|---|---|---|---|---|"]
    for m in result.metrics:
        mark = " (too large)" if m.failed else ""
        allowed = "–" if m.tolerance is None else f"{m.tolerance:.3f}"
        delta = "–" if m.delta is None else f"{m.delta:+.3f}{mark}"
        out.append(f"| {m.name} | {_fmt(m.old)} | {_fmt(m.new)} | {delta} | {allowed} |")
    for title, changes in (("Regressed", result.regressed), ("Improved", result.improved)):
        if changes:
            out += ["", f"{title}:", ""]
            out += [
                f"- {code_span(c.name)}: {c.old} -> {c.new} (false positives {c.old_fp} -> {c.new_fp})"
                for c in changes
            ]
    for title, names in (
        ("Now failing with an error", result.new_errors),
        ("Only in the old results", result.missing),
        ("Only in the new results", result.added),
    ):
        if names:
            out += ["", f"{title}: {', '.join(code_span(n) for n in names)}"]
    out += [f"\nNote: {n}" for n in result.notes]
    return "\n".join(out) + "\n"
