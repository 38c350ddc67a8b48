"""The model half of the pipeline: symbols -> context -> units -> prompts -> calls -> validate.

`run_llm(settings, changes, ...)` returns a frozen ModelOutcome: the plan's part (skips,
budget cuts, planned tokens) folded with the outcome of every wave of calls (`waves.py`).
Nothing here imports litellm at import time; the engine imports it only when a request is
not already in the cache, and a dry run never does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from prreview.change.tree import TreeReader
from prreview.config.settings import Settings
from prreview.config.trust import PolicyTree
from prreview.context.cache import ContextCache
from prreview.context.gather import ContextRequest, gather_context_many
from prreview.context.guidelines import Guidelines
from prreview.context.pack import PackReport
from prreview.context.symbols import changed_symbols
from prreview.errors import BudgetError
from prreview.evaluators.answer import is_usable
from prreview.evaluators.estimate import estimate_jobs, estimate_line
from prreview.evaluators.jobs import (
    Job,
    build_jobs,
    dump_prompts,
    shared_prefix_tokens,
    summary_job,
    unrouted,
)
from prreview.evaluators.outcome import ModelOutcome
from prreview.evaluators.registry import DEPTHS, EvaluatorSpec, dedicated, routes
from prreview.evaluators.waves import Context, run_jobs, unseen
from prreview.llm import tokens
from prreview.llm.cache import Cache, default_cache_dir
from prreview.llm.engine import Acceptor, Engine, EngineConfig, ProgressEvent
from prreview.llm.prices import context_window
from prreview.models import ChangeSet, SkippedItem, Snippet, Symbol
from prreview.plan.units import Plan, PlanConfig, parse_shard, path_risk, plan_units, shard_units
from prreview.plan.view import render_packs_text
from prreview.review.summary import overview_from_units

Observer = Callable[[str], None]
DEFAULT_UNIT_TOKENS = 12_000
SYSTEM_RESERVE = 1_500
DEPTH_PLANS: dict[str, dict[str, float]] = {
    "quick": {"unit_tokens": 16_000, "diff_share": 1.0, "max_changed_lines": 800},
    "default": {"unit_tokens": 16_000, "diff_share": 0.75, "max_changed_lines": 800},
    "deep": {"unit_tokens": DEFAULT_UNIT_TOKENS, "diff_share": 0.6, "max_changed_lines": 400},
}
"""Unit size per depth (measured in docs/performance.md): one combined call can take a larger
unit than one lens of deep mode; quick sends no context, so the whole unit goes to the diff."""


@dataclass
class Analysis:
    symbols: dict[str, list[Symbol]] = field(default_factory=dict)
    context: dict[str, list[Snippet]] = field(default_factory=dict)
    new_lines: dict[str, list[str] | None] = field(default_factory=dict)


def analyse(
    changes: ChangeSet,
    head: TreeReader,
    base: TreeReader | None,
    policy: PolicyTree | None = None,
    *,
    gather: bool = True,
) -> Analysis:
    """Changed symbols and context snippets for every reviewable text file.

    Guidelines come from `policy` (the trusted tree of config.trust) when given; with
    `gather=False` (--depth quick) only the symbols are found.
    """

    out = Analysis()
    requests: list[ContextRequest] = []
    for f in changes.reviewable_files:
        if f.is_binary or not f.hunks:
            continue
        new_text = head.read_text(f.path) if f.status != "deleted" else None
        old_text = None
        if base is not None and f.status != "added":
            old_text = base.read_text(f.old_path or f.path)
        out.new_lines[f.path] = None if new_text is None else new_text.split("\n")
        syms = changed_symbols(f, old_text, new_text)
        out.symbols[f.path] = syms
        requests.append(
            ContextRequest(file=f, old_text=old_text, new_text=new_text, symbols=tuple(syms))
        )
    if not gather:
        return out
    guides = None if policy is None else Guidelines(ContextCache(policy))  # type: ignore[arg-type]
    snippets = gather_context_many(requests, head=head, guidelines=guides)
    for request, found in zip(requests, snippets, strict=True):
        out.context[request.file.path] = list(found)
    return out


def unit_budget(settings: Settings, model: str, cap: int = DEFAULT_UNIT_TOKENS) -> int:
    """Prompt tokens per unit: the model's window minus the output reserve, capped."""

    if settings.unit_tokens:
        return settings.unit_tokens
    window = settings.context_window or context_window(model)
    if window is None:
        return cap
    return max(1024, min(cap, window - settings.max_output_tokens - SYSTEM_RESERVE))


def _routed_plans(
    changes: ChangeSet,
    context: Mapping[str, Sequence[Snippet]],
    specs: Sequence[EvaluatorSpec],
    cfg: PlanConfig,
    count: Callable[[str], int],
    settings: Settings,
) -> list[tuple[Plan, list[EvaluatorSpec]]]:
    """One plan for the combined lenses and the evaluators that see every file; one per
    dedicated path-scoped evaluator. Lenses are routed to the files of each unit later."""
    scoped = [s for s in specs if (s.paths or s.languages) and dedicated(s, settings)]
    shared = [s for s in specs if s not in scoped]
    plans: list[tuple[Plan, list[EvaluatorSpec]]] = []
    if shared:
        plans.append((plan_units(changes, context, cfg, count), shared))
    for spec in scoped:
        files = tuple(f for f in changes.files if f.reviewable and routes(spec, f.path, f.language))
        sub = changes.model_copy(update={"files": files})
        plans.append((plan_units(sub, context, cfg, count), [spec]))
    return plans


def _fit_token_budget(
    jobs: list[Job], settings: Settings, changes: ChangeSet, count_total: int
) -> tuple[list[Job], tuple[SkippedItem, ...]]:
    """Drop whole units, lowest risk first, until the estimate fits --max-tokens.

    Every hunk of a dropped unit is listed as an incomplete skip: the model never sees it.
    """
    if settings.max_tokens is None or count_total <= settings.max_tokens:
        return jobs, ()

    per_unit: dict[str, list[Job]] = {}
    for j in jobs:
        per_unit.setdefault(j.unit.id, []).append(j)

    def estimate(js: Sequence[Job]) -> int:
        return sum(j.prompt_tokens + settings.max_output_tokens for j in js)

    order = sorted(per_unit, key=lambda uid: _unit_risk(per_unit[uid][0]), reverse=True)
    total = count_total
    kept = dict(per_unit)
    skipped: list[SkippedItem] = []
    reason = f"over the --max-tokens budget ({settings.max_tokens})"
    for uid in order:
        if total <= settings.max_tokens:
            break
        total -= estimate(kept.pop(uid))
        skipped.extend(unseen(per_unit[uid][0].unit, changes, "unit", reason))
    if not kept:
        raise BudgetError(
            f"the smallest unit needs more than --max-tokens {settings.max_tokens}",
            hint="raise --max-tokens or narrow the review with --include/--evaluator",
        )
    return [j for uid in per_unit if uid in kept for j in kept[uid]], tuple(skipped)


def _unit_risk(job: Job) -> tuple[int, int, str]:
    """The riskiest file of the unit decides (see plan.path_risk)."""
    paths = job.unit.paths or ("",)
    return min(path_risk(p, job.unit.changed_lines) for p in paths)


@dataclass
class Planned:
    """The calls of one depth: jobs, what planning skipped, the hunks it covers."""

    jobs: list[Job]
    skipped: list[SkippedItem]
    refs: set[tuple[str, int]]
    summary: Job | None
    cfg: PlanConfig
    packs: list[PackReport] = field(default_factory=list)


def plan_config(settings: Settings, model: str) -> PlanConfig:
    """The unit shape of `settings.depth` (DEPTH_PLANS); --unit-tokens still wins."""
    shape = DEPTH_PLANS[settings.depth]
    return PlanConfig(
        unit_tokens=unit_budget(settings, model, int(shape["unit_tokens"])),
        diff_share=shape["diff_share"],
        max_changed_lines=int(shape["max_changed_lines"]),
        context_tokens=settings.context_tokens,
    )


def plan_jobs(
    settings: Settings,
    changes: ChangeSet,
    analysis: Analysis,
    specs: Sequence[EvaluatorSpec],
    count: Callable[[str], int],
) -> Planned:
    """Every call the run would make at `settings.depth` (before the token budget)."""
    cfg = plan_config(settings, settings.model or "")
    context = {} if settings.depth == "quick" else analysis.context
    languages = {f.path: f.language for f in changes.files}
    planned = Planned([], [], set(), None, cfg)
    for plan, plan_specs in _routed_plans(changes, context, specs, cfg, count, settings):
        units = list(plan.units)
        if settings.shard:
            index, n = parse_shard(settings.shard)
            units = shard_units(units, index, n)
        planned.skipped.extend(plan.skipped)
        unit_jobs = build_jobs(units, plan_specs, settings, count, languages)
        planned.skipped.extend(unrouted(units, unit_jobs))
        planned.jobs.extend(unit_jobs)
        covered = {j.unit.id for j in unit_jobs}
        planned.refs.update(r for u in units if u.id in covered for r in u.hunk_refs)
        kept = {u.id for u in units} - {p.unit_id for p in planned.packs}  # plans repeat units
        planned.packs.extend(p for p in plan.packs if p.unit_id in kept)
    if settings.summary and settings.summary_call and not settings.shard:
        planned.summary = summary_job(changes, settings, count)
    return planned


def dry_run_lines(
    settings: Settings,
    changes: ChangeSet,
    analysis: Analysis,
    specs: Sequence[EvaluatorSpec],
    count: Callable[[str], int],
) -> list[str]:
    """The dry run's per-depth table: calls, prompt tokens, expected cached, cost."""
    lines = []
    for depth in DEPTHS:
        at = settings.model_copy(update={"depth": depth})
        planned = plan_jobs(at, changes, analysis, specs, count)
        jobs = [*planned.jobs, *([planned.summary] if planned.summary else [])]
        lines.append(estimate_line(depth, estimate_jobs(jobs, at), depth == settings.depth))
    return lines


def run_llm(
    settings: Settings,
    changes: ChangeSet,
    analysis: Analysis,
    specs: Sequence[EvaluatorSpec],
    observer: Observer,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> tuple[ModelOutcome, int]:
    """Run every LLM evaluator. Returns the outcome and the number of hunks planned."""

    model = settings.model or ""
    count = lambda text: tokens.count_tokens(text, model)  # noqa: E731
    planned = plan_jobs(settings, changes, analysis, specs, count)
    jobs = planned.jobs
    estimate = sum(j.prompt_tokens + settings.max_output_tokens for j in jobs)
    jobs, cut = _fit_token_budget(jobs, settings, changes, estimate)
    plan_part = ModelOutcome(
        skipped=(*planned.skipped, *cut),
        planned_prompt_tokens=sum(j.prompt_tokens for j in jobs),
        shared_prefix_tokens=shared_prefix_tokens(jobs),
    )
    summary = planned.summary
    _preflight_cost(settings, [*jobs, *([summary] if summary else [])])
    if settings.dump_prompts is not None:
        dump_prompts([*jobs, *([summary] if summary else [])], Path(settings.dump_prompts))
    _report_packs(observer, planned.packs, detail=settings.dry_run or settings.verbose)
    if settings.dry_run:
        for line in dry_run_lines(settings, changes, analysis, specs, count):
            observer(line)
        return plan_part, len(planned.refs)
    engine = _engine(settings, deadline_at, progress, accept=is_usable)
    languages = {f.path: f.language for f in changes.files}
    ctx = Context(
        settings, changes, analysis.context, planned.cfg, count, _lines_of(analysis), observer,
        specs, languages,
    )  # fmt: skip
    outcome = plan_part + run_jobs(jobs, engine, ctx, extra=summary)
    if settings.summary and not outcome.overview:
        order = list(dict.fromkeys(j.unit.id for j in jobs))
        found = outcome.summaries_by_unit()
        overview = overview_from_units([found[u] for u in order if u in found])
        outcome = outcome.model_copy(update={"overview": overview})
    return outcome, len(planned.refs)


def _report_packs(observer: Observer, packs: Sequence[PackReport], detail: bool) -> None:
    """The dry run (and --verbose) lists every pack; a run names the units given less context."""
    text = render_packs_text(packs, detail=detail)
    if text:  # one message: every message is scrubbed for secrets on its way out
        observer("\n".join(f"prreview: {line}" for line in text.splitlines()))


def _lines_of(analysis: Analysis) -> Callable[[str], list[str] | None]:
    return lambda path: analysis.new_lines.get(path)


def _preflight_cost(settings: Settings, jobs: Sequence[Job]) -> None:
    """--max-cost before any call, on the estimate the dry run shows (expected cache reads
    priced at the cached rate; the engine still stops the run at the real cost)."""
    if settings.max_cost is None or not jobs:
        return
    total = estimate_jobs(jobs, settings).cost_usd or 0.0
    if total > settings.max_cost:
        raise BudgetError(
            f"estimated cost ${total:.4f} is over --max-cost ${settings.max_cost:.4f}",
            hint="raise --max-cost, pick a cheaper --model or --depth quick, or narrow with "
            "--include/--evaluator",
        )


def _engine(
    settings: Settings,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None,
    accept: Acceptor | None = None,
) -> Engine:

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
    )
    return Engine(config, cache, progress, accept)


def engine_for(
    settings: Settings,
    deadline_at: float | None,
    progress: Callable[[ProgressEvent], None] | None = None,
) -> Engine:
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
