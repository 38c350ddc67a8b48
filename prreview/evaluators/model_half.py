"""The model half of the pipeline: symbols -> context -> units -> prompts -> calls -> validate.

`run_llm(settings, changes, ...)` returns an Outcome (findings, stats, skipped, failures).
Nothing here imports litellm at import time; the engine imports it only when a request is
not already in the cache, and a dry run never does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prreview.config.settings import Settings
from prreview.context.cache import ContextCache
from prreview.context.gather import ContextRequest, gather_context_many
from prreview.context.guidelines import Guidelines
from prreview.context.symbols import changed_symbols
from prreview.errors import TERMINATED_REASON, BudgetError, Terminated
from prreview.evaluators.jobs import (
    Context,
    Job,
    Outcome,
    build_jobs,
    dump_prompts,
    run_jobs,
    shared_prefix_tokens,
    summary_job,
)
from prreview.evaluators.registry import EvaluatorSpec, routes
from prreview.llm import tokens
from prreview.llm.cache import Cache, default_cache_dir
from prreview.llm.engine import Engine, EngineConfig, ProgressEvent
from prreview.llm.prices import context_window, estimate_cost
from prreview.models import ChangeSet, SkippedItem, Snippet, Symbol
from prreview.plan.units import Plan, PlanConfig, parse_shard, path_risk, plan_units, shard_units

Observer = Callable[[str], None]
DEFAULT_UNIT_TOKENS = 12_000
SYSTEM_RESERVE = 1_500


@dataclass
class Analysis:
    symbols: dict[str, list[Symbol]] = field(default_factory=dict)
    context: dict[str, list[Snippet]] = field(default_factory=dict)
    new_lines: dict[str, list[str] | None] = field(default_factory=dict)


def analyse(
    changes: ChangeSet, head: object, base: object | None, policy: object | None = None
) -> Analysis:
    """Changed symbols and context snippets for every reviewable text file.

    Guidelines come from `policy` (the trusted tree of config.trust) when given.
    """

    out = Analysis()
    requests: list[ContextRequest] = []
    for f in changes.reviewable_files:
        if f.is_binary or not f.hunks:
            continue
        new_text = head.read_text(f.path) if f.status != "deleted" else None  # type: ignore[attr-defined]
        old_text = None
        if base is not None and f.status != "added":
            old_text = base.read_text(f.old_path or f.path)  # type: ignore[attr-defined]
        out.new_lines[f.path] = None if new_text is None else new_text.split("\n")
        syms = changed_symbols(f, old_text, new_text)
        out.symbols[f.path] = syms
        requests.append(
            ContextRequest(file=f, old_text=old_text, new_text=new_text, symbols=tuple(syms))
        )
    guides = None if policy is None else Guidelines(ContextCache(policy))  # type: ignore[arg-type]
    snippets = gather_context_many(requests, head=head, guidelines=guides)  # type: ignore[arg-type]
    for request, found in zip(requests, snippets, strict=True):
        out.context[request.file.path] = list(found)
    return out


def unit_budget(settings: Settings, model: str) -> int:
    """Prompt tokens per unit: the model's window minus the output reserve, capped."""

    if settings.unit_tokens:
        return settings.unit_tokens
    window = settings.context_window or context_window(model)
    if window is None:
        return DEFAULT_UNIT_TOKENS
    return max(1024, min(DEFAULT_UNIT_TOKENS, window - settings.max_output_tokens - SYSTEM_RESERVE))


def _routed_plans(
    changes: ChangeSet,
    analysis: Analysis,
    specs: Sequence[EvaluatorSpec],
    cfg: PlanConfig,
    count: Callable[[str], int],
) -> list[tuple[Plan, list[EvaluatorSpec]]]:
    """One plan for the evaluators that see every file; one per path-scoped evaluator."""
    open_specs = [s for s in specs if not s.paths and not s.languages]
    scoped = [s for s in specs if s.paths or s.languages]
    plans: list[tuple[Plan, list[EvaluatorSpec]]] = []
    if open_specs:
        plans.append((plan_units(changes, analysis.context, cfg, count), open_specs))
    for spec in scoped:
        files = tuple(f for f in changes.files if f.reviewable and routes(spec, f.path, f.language))
        sub = changes.model_copy(update={"files": files})
        plans.append((plan_units(sub, analysis.context, cfg, count), [spec]))
    return plans


def _fit_token_budget(
    jobs: list[Job], settings: Settings, out: Outcome, count_total: int
) -> list[Job]:
    """Drop whole units, lowest risk first, until the estimate fits --max-tokens."""
    if settings.max_tokens is None or count_total <= settings.max_tokens:
        return jobs

    per_unit: dict[str, list[Job]] = {}
    for j in jobs:
        per_unit.setdefault(j.unit.id, []).append(j)

    def estimate(js: Sequence[Job]) -> int:
        return sum(j.prompt_tokens + settings.max_output_tokens for j in js)

    order = sorted(per_unit, key=lambda uid: _unit_risk(per_unit[uid][0]), reverse=True)
    total = count_total
    kept = dict(per_unit)
    for uid in order:
        if total <= settings.max_tokens:
            break
        total -= estimate(kept.pop(uid))
        unit = per_unit[uid][0].unit
        out.skipped.extend(
            SkippedItem(
                kind="unit", path=p, reason=f"over the --max-tokens budget ({settings.max_tokens})"
            )
            for p in unit.paths
        )
    if not kept:
        raise BudgetError(
            f"the smallest unit needs more than --max-tokens {settings.max_tokens}",
            hint="raise --max-tokens or narrow the review with --include/--evaluator",
        )
    return [j for uid in per_unit if uid in kept for j in kept[uid]]


def _unit_risk(job: Job) -> tuple[int, int, str]:
    """The riskiest file of the unit decides (see plan.path_risk)."""
    paths = job.unit.paths or ("",)
    return min(path_risk(p, job.unit.changed_lines) for p in paths)


def run_llm(
    settings: Settings,
    changes: ChangeSet,
    analysis: Analysis,
    specs: Sequence[EvaluatorSpec],
    observer: Observer,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> tuple[Outcome, int]:
    """Run every LLM evaluator. Returns the outcome and the number of hunks planned."""

    model = settings.model or ""
    count = lambda text: tokens.count_tokens(text, model)  # noqa: E731
    cfg = PlanConfig(unit_tokens=unit_budget(settings, model))
    out = Outcome()
    jobs: list[Job] = []
    refs: set[tuple[str, int]] = set()
    hunks_total = 0
    for plan, plan_specs in _routed_plans(changes, analysis, specs, cfg, count):
        units = list(plan.units)
        if settings.shard:
            index, n = parse_shard(settings.shard)
            units = shard_units(units, index, n)
        out.skipped.extend(plan.skipped)
        jobs.extend(build_jobs(units, plan_specs, settings, count))
        hunks_total = max(hunks_total, plan.hunks_total)
        refs.update(r for u in units for r in u.hunk_refs)
    estimate = sum(j.prompt_tokens + settings.max_output_tokens for j in jobs)
    jobs = _fit_token_budget(jobs, settings, out, estimate)
    out.planned_prompt_tokens = sum(j.prompt_tokens for j in jobs)
    out.shared_prefix_tokens = shared_prefix_tokens(jobs)
    _preflight_cost(settings, jobs)
    summary = (
        summary_job(changes, settings, count) if settings.summary and not settings.shard else None
    )
    if settings.dump_prompts is not None:
        dump_prompts([*jobs, *([summary] if summary else [])], Path(settings.dump_prompts))
    if settings.dry_run:
        observer(
            f"prreview: dry run: {len(jobs)} calls, ~{out.planned_prompt_tokens} prompt tokens"
        )
        return out, len(refs)
    engine = _engine(settings, deadline_at, progress)
    ctx = Context(settings, changes, analysis.context, cfg, count, _lines_of(analysis), observer)
    try:
        run_jobs(jobs, engine, ctx, out, extra=summary)
    except Terminated:
        # Keep what finished: the pipeline still writes an (incomplete) report, then the CLI
        # exits 143. A second SIGTERM while writing ends the process at once.
        out.failed.append("terminated by SIGTERM")
        out.incomplete_reason = TERMINATED_REASON
    return out, len(refs)


def _lines_of(analysis: Analysis) -> Callable[[str], list[str] | None]:
    return lambda path: analysis.new_lines.get(path)


def _preflight_cost(settings: Settings, jobs: Sequence[Job]) -> None:
    if settings.max_cost is None or not jobs:
        return

    total = 0.0
    for job in jobs:
        model = job.spec.model or settings.model or ""
        cost = estimate_cost(model, job.prompt_tokens, settings.max_output_tokens)
        total += cost or 0.0
    if total > settings.max_cost:
        raise BudgetError(
            f"estimated cost ${total:.4f} is over --max-cost ${settings.max_cost:.4f}",
            hint="raise --max-cost, pick a cheaper --model, or narrow with --include/--evaluator",
        )


def _engine(
    settings: Settings,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None,
) -> object:

    cache = None
    if not settings.no_cache:
        cache = Cache(settings.cache_dir or default_cache_dir(Path(settings.repo)))
    config = EngineConfig(
        api_base=settings.api_base,
        fallback_models=settings.fallback_models,
        timeout=settings.timeout,
        max_concurrency=settings.max_concurrency,
        retries=settings.retries,
        retry_after_cap=settings.retry_after_cap,
        backoff_base=settings.retry_backoff,
        deadline_at=deadline_at,
        max_cost=settings.max_cost,
        max_tokens=settings.max_tokens,
        verbose=settings.verbose,
    )
    return Engine(config, cache, progress)


def engine_for(
    settings: Settings,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> object:
    """The engine of `run` (cache, retries, fallbacks, budgets), for other model calls."""
    return _engine(settings, deadline_at, progress)


def cache_is_cold(settings: Settings) -> bool:
    """True when no model answer can come from the cache (disabled, or never written)."""

    if settings.no_cache:
        return True
    directory = Path(settings.cache_dir or default_cache_dir(Path(settings.repo)))
    return not (directory / "cache.db").exists()


def deadline_from(settings: Settings, started: float) -> float | None:
    return None if settings.deadline is None else started + settings.deadline
