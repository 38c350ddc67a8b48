"""`prreview eval`: measure the reviewer on a corpus of known defects and clean changes.

    corpus.py   load cases (truth.json) and materialise them as git repositories
    harness.py  review every case with prreview.pipeline.review, in parallel
    score.py    match findings to the truth (pure); metrics.py aggregates (pure)
    judge.py    the optional LLM judge, through prreview.llm
    render.py   results.json, Markdown, self-contained HTML (chart.py: the SVG chart)
    compare.py  the regression guard between two results.json files
    cli.py      the `prreview eval` command

See docs/evaluation.md.
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy, so that registering the `eval` command does not slow down `prreview --help`.
_HOMES = {
    "Case": "corpus",
    "CaseRun": "models",
    "CompareResult": "compare",
    "EvalResults": "models",
    "Predicted": "models",
    "ScoreConfig": "models",
    "Scores": "models",
    "TruthFinding": "corpus",
    "compare": "compare",
    "load_cases": "corpus",
    "materialise": "corpus",
    "render_html": "render",
    "render_json": "render",
    "render_markdown": "render",
    "run_eval": "harness",
    "score": "score",
}

__all__ = [
    "Case",
    "CaseRun",
    "CompareResult",
    "EvalResults",
    "Predicted",
    "ScoreConfig",
    "Scores",
    "TruthFinding",
    "compare",
    "load_cases",
    "materialise",
    "render_html",
    "render_json",
    "render_markdown",
    "run_eval",
    "score",
]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
    raise AttributeError(name)
