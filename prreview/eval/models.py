"""Frozen data of the evaluation: what the harness hands the scorer and what it returns.

results.json is `Scores` plus the run's configuration (see docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from pydantic import Field

from prreview.eval.corpus import Case, TruthFinding
from prreview.models import Finding, Frozen

Label = Literal["hit", "duplicate", "related", "location_only", "fp"]
Outcome = Literal["hit", "partial", "miss", "quiet", "flagged", "error"]
RESULTS_SCHEMA_VERSION = "1"
WINDOWS = (0, 3, 10)
THRESHOLDS = tuple(round(i / 10, 1) for i in range(10))


LINE_DISTANCE = 1
"""evaluator_runner's default `line_distance_threshold`."""


class AacrCounts(Frozen):
    cases: int = 0
    positive_expected: int = 0
    total_generated: int = 0
    positive_line_matches: int = 0
    positive_matches: int | None = None
    """None without a judge: the semantic match needs one."""
    unmatched: int | None = None


class AacrRates(Frozen):
    positive_precision: float | None = None
    line_precision: float | None = None
    recall: float | None = None
    line_recall: float | None = None
    noise_rate: float | None = None


class AacrGroup(Frozen):
    counts: AacrCounts
    rates: AacrRates


class AacrMetrics(Frozen):
    judged: bool
    line_distance: int = LINE_DISTANCE
    overall: AacrGroup
    by_language: dict[str, AacrGroup] = {}
    by_category: dict[str, AacrGroup] = {}
    """Per annotation category: recall only (generated comments carry no truth category)."""


class Predicted(Frozen):
    """The part of a Finding the scorer looks at."""

    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    severity: str = "medium"
    confidence: float = 0.0
    rule_id: str = ""
    category: str = ""
    title: str = ""
    message: str = ""
    source: str = "builtin"

    @classmethod
    def from_finding(cls, f: Finding) -> Predicted:
        return cls(
            path=f.path,
            start_line=f.start_line,
            end_line=f.end_line,
            severity=f.severity,
            confidence=f.confidence,
            rule_id=f.rule_id,
            category=f.category,
            title=f.title,
            message=f.message,
            source=f.source,
        )


class RunStats(Frozen):
    """A case's run; the counters come from RunCounters (the fields keep the file's order)."""

    complete: bool = True
    incomplete_reason: str | None = None
    error: str | None = None
    """Set when the review raised: the case is left out of every metric."""
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0


class CaseRun(Frozen):
    """What the harness hands the scorer for one case."""

    case: Case
    predictions: tuple[Predicted, ...] = ()
    reached: tuple[bool | None, ...] | None = None
    """Per truth finding: did its lines reach a prompt? None: no prompts were dumped."""
    run: RunStats = RunStats()


class ScoreConfig(Frozen):
    window: int = Field(default=3, ge=0)
    windows: tuple[int, ...] = WINDOWS
    fail_on: str = "high"
    min_confidence: float = 0.0
    thresholds: tuple[float, ...] = THRESHOLDS


class TruthRow(Frozen):
    file: str
    start_line: int
    end_line: int
    role: str
    category: str
    anchor_kind: str
    hit: bool = False
    hit_confidence: float | None = None
    file_hit: bool = False
    reached: bool | None = None


class PredictionRow(Frozen):
    path: str | None
    start_line: int | None
    end_line: int | None
    severity: str
    confidence: float
    rule_id: str
    title: str
    source: str
    label: Label
    truth_index: int | None = None
    trips_gate: bool = False


class CaseScore(Frozen):
    name: str
    case_id: str
    variant: str
    language: str
    clean: bool
    changed_lines: int
    outcome: Outcome
    primary: int = 0
    primary_hit: int = 0
    file_hit: int = 0
    tp: int = 0
    fp: int = 0
    location_only: int = 0
    duplicates: int = 0
    related: int = 0
    findings: int = 0
    gate_tripped: bool = False
    context_failure: bool | None = None
    run: RunStats = RunStats()
    truth: tuple[TruthRow, ...] = ()
    predictions: tuple[PredictionRow, ...] = ()


class Metrics(Frozen):
    cases: int = 0
    defect_cases: int = 0
    cases_hit: int = 0
    """Defect cases whose every primary finding was hit."""
    primary_findings: int = 0
    primary_hit: int = 0
    file_hit: int = 0
    recall: float | None = None
    recall_ci: tuple[float, float] | None = None
    file_recall: float | None = None
    file_recall_ci: tuple[float, float] | None = None
    predictions: int = 0
    tp: int = 0
    fp: int = 0
    location_only: int = 0
    duplicates: int = 0
    related: int = 0
    precision: float | None = None
    precision_ci: tuple[float, float] | None = None
    f1: float | None = None
    f05: float | None = None
    clean_cases: int = 0
    clean_flagged: int = 0
    clean_fp_rate: float | None = None
    clean_fp_rate_ci: tuple[float, float] | None = None
    clean_findings: int = 0
    clean_changed_lines: int = 0
    findings_per_kloc: float | None = None
    findings_per_clean_case: float | None = None


class SweepPoint(Frozen):
    threshold: float
    predictions: int
    tp: int
    fp: int
    precision: float | None
    recall: float | None
    clean_fp_rate: float | None


class Scores(Frozen):
    config: ScoreConfig
    judged: bool = False
    metrics: Metrics
    by_window: dict[str, Metrics]
    sweep: tuple[SweepPoint, ...]
    breakdowns: dict[str, dict[str, Metrics]]
    context_failures: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    cases: tuple[CaseScore, ...]


Judge = Callable[[Predicted, TruthFinding], bool]
"""Does the prediction describe the same defect as the truth finding?"""


class Totals(Frozen):
    """Summed with RunCounters.total (the fields keep the results.json order)."""

    cases: int = 0
    defect_cases: int = 0
    clean_cases: int = 0
    errors: int = 0
    incomplete: int = 0
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    wall_s: float = 0.0
    """Elapsed time of the whole evaluation (cases run in parallel)."""
    case_wall_s: float = 0.0
    """Sum of the cases' own wall times."""
    judge_calls: int = 0
    judge_failures: int = 0
    """Judge answers that could not be used (counted as "not the same defect")."""


class RunConfig(Frozen):
    model: str | None = None
    judge_model: str | None = None
    window: int = 3
    windows: tuple[int, ...] = WINDOWS
    fail_on: str = "high"
    min_confidence: float = 0.0
    cases_glob: str = "*"
    jobs: int = 1
    tool_version: str = ""
    command: str = ""
    """The `prreview eval` command line that reproduces the run (set by the CLI)."""


class EvalResults(Frozen):
    """One evaluation run: the configuration, totals and the scores (results.json)."""

    schema_version: str = RESULTS_SCHEMA_VERSION
    config: RunConfig
    totals: Totals
    scores: Scores
    aacr: AacrMetrics | None = None
    """AACR-Bench's metrics over the same findings (aacr_metrics.py)."""
