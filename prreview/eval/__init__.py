"""`prreview eval`: measure the reviewer on a corpus of known defects and clean changes.

    corpus.py   load cases (truth.json) and materialise them as git repositories
    harness.py  review every case with prreview.pipeline.review, in parallel
    score.py    match findings to the truth (pure); metrics.py aggregates (pure)
    judge.py    the optional LLM judge, through prreview.llm
    render.py   results.json, Markdown, self-contained HTML (chart.py: the SVG chart)
    compare.py  the regression guard between two results.json files (compare_html.py: both
                runs side by side)
    aacr_metrics.py  AACR-Bench's metrics over the same findings (pure)
    render_sections.py  report sections: AACR-Bench, recall bars, cost per case, reproduce
    mine.py     build a corpus from a repository's fix commits (fixes.py: the heuristics)
    aacr_import.py  build a corpus from AACR-Bench and local clones
    casewrite.py  write cases in the corpus format; git through change/history.py

See docs/evaluation.md.
"""

from __future__ import annotations

import importlib
from typing import Any

# Lazy, so that registering the `eval` command does not slow down `prreview --help`.
_HOMES = {
    "Case": "corpus",
    "ImportOptions": "aacr_import",
    "MineOptions": "mine",
    "import_aacr": "aacr_import",
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
    "ImportOptions",
    "MineOptions",
    "Predicted",
    "ScoreConfig",
    "Scores",
    "TruthFinding",
    "compare",
    "import_aacr",
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
