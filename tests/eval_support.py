"""A hand-built evaluation scenario shared by the eval scorer, render and compare tests, and
the oracle model (answers exactly the truth it can see) of the end-to-end eval tests.

Three defect cases and two clean ones with "random plausible" predictions; the expected
numbers are worked out by hand in tests/test_eval_score.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prreview.eval.corpus import Case, TruthFinding
from prreview.eval.models import CaseRun, EvalResults, Predicted, RunConfig, RunStats, ScoreConfig


def truth(
    file: str, start: int, end: int, role: str = "primary", category: str = "logic"
) -> TruthFinding:
    return TruthFinding(
        file=file,
        start_line=start,
        end_line=end,
        anchor_kind="changed",
        role=role,  # type: ignore[arg-type]
        category=category,
        severity="high",
        description=f"defect in {file} at {start}",
        lines_text=(f"line {start}",),
    )


def case(name: str, language: str, variant: str, *findings: TruthFinding, lines: int = 50) -> Case:
    return Case(
        name=name,
        directory=Path("/nonexistent") / name,
        case_id=name.split("__")[0],
        variant=variant,
        language=language,
        clean=not findings,
        findings=findings,
        changed_lines=lines,
    )


def pred(
    path: str | None,
    line: int | None,
    confidence: float,
    severity: str = "medium",
    title: str = "a problem",
) -> Predicted:
    return Predicted(
        path=path,
        start_line=line,
        end_line=line,
        severity=severity,
        confidence=confidence,
        rule_id="llm/correctness",
        title=title,
        message="details",
        source="llm",
    )


CASE_A = case(
    "alpha__szz", "python", "szz", truth("a.py", 10, 11), truth("a.py", 20, 20, "related")
)
CASE_B = case("beta__revert", "go", "revert", truth("b.go", 50, 50, category="null-handling"))
CASE_C = case(
    "gamma__revert",
    "python",
    "revert",
    truth("c.py", 100, 102),
    truth("c.py", 200, 200, category="error-handling"),
)
CASE_D = case("delta__clean", "python", "clean", lines=250)
CASE_E = case("eps__clean", "go", "clean", lines=150)

P1 = pred("a.py", 12, 0.9, "high")  # 1 line below A's primary
P2 = pred("a.py", 10, 0.5)  # on A's primary
P3 = pred("a.py", 21, 0.7)  # 1 line below A's related finding
P4 = pred("other.py", 5, 0.3)  # nowhere near any truth
P5 = pred("b.go", 57, 0.8)  # 7 lines below B's primary
P6 = pred("b.go", 1, 0.2)
P7 = pred("c.py", 205, 0.6)  # 5 lines below C's second primary
P8 = pred("c.py", 101, 0.95)  # inside C's first primary
P9 = pred("c.py", None, 0.4)  # file-level
P10 = pred("d.py", 3, 0.9, "high")  # trips the gate (fail_on high, min_confidence 0.5)
P11 = pred("d.py", 9, 0.4, "low")
P12 = pred("e.go", 1, 0.3, "critical")  # below min_confidence 0.5: does not trip


def scenario() -> list[CaseRun]:
    run = RunStats(calls=3, prompt_tokens=1000, completion_tokens=100, cost_usd=0.01, wall_s=1.5)
    return [
        CaseRun(case=CASE_A, predictions=(P1, P2, P3, P4), reached=(True, True), run=run),
        CaseRun(case=CASE_B, predictions=(P5, P6), reached=(True,), run=run),
        CaseRun(case=CASE_C, predictions=(P7, P8, P9), reached=(True, False), run=run),
        CaseRun(case=CASE_D, predictions=(P10, P11), reached=(), run=run),
        CaseRun(case=CASE_E, predictions=(P12,), reached=(), run=run),
    ]


def results(runs: list[CaseRun] | None = None, **config: object) -> EvalResults:
    """EvalResults for `runs` (default: the scenario) as run_eval would assemble them."""
    from prreview.eval.aacr_metrics import aacr_metrics
    from prreview.eval.harness import totals
    from prreview.eval.score import score

    runs = scenario() if runs is None else runs
    cfg = ScoreConfig(window=3, fail_on="high", min_confidence=0.5)
    return EvalResults(
        config=RunConfig(model="openai/test-model", fail_on="high", min_confidence=0.5, **config),
        totals=totals(runs, 4.2),
        scores=score(runs, cfg),
        aacr=aacr_metrics(runs),
    )


def visible(t: TruthFinding, prompt: str) -> bool:
    """Every truth line is shown as a numbered new-side line (`    12|+ text` or `    12|  text`)."""
    return all(
        re.search(rf"(?m)^ *{t.start_line + i}\|[+ ] {re.escape(text)}$", prompt)
        for i, text in enumerate(t.lines_text)
    )


def prompt_of(body: dict[str, Any]) -> str:
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def oracle_for(truths: Sequence[TruthFinding]) -> Callable[[dict[str, Any]], Any]:
    """A loopback responder: a perfect reviewer that reports every truth finding it can see."""
    from tests.fakes.openai_server import Response

    def answer(body: dict[str, Any]) -> Response:
        text = prompt_of(body)
        if "You judge code review findings" in text:
            return Response(content=json.dumps({"same_defect": True}))
        items = [
            {
                "file": t.file, "line": t.start_line, "end_line": t.end_line,
                "severity": "high", "confidence": 0.8, "category": t.category,
                "title": t.description[:80], "message": t.description, "suggestion": None,
            }
            for t in truths
            if f"### {t.file}" in text and visible(t, text)
        ]  # fmt: skip
        return Response(content=json.dumps({"findings": items, "summary": "ok"}))

    return answer
