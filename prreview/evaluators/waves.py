"""Run the jobs through the engine in waves; every wave returns a frozen `ModelOutcome`.

Wave 1 sends every job (and the overview call, which rides along at no extra latency); later
waves send the repair re-asks of invalid answers and the halves of units that were too long
for the context window or whose answer was truncated. Each answer becomes a part (findings,
counters, skips); a wave is the fold of its parts and the run is the fold of its waves.

Coverage is never lost silently: a hunk the model did not see (context window, truncation,
a failed call, the budget or deadline) is listed as a SkippedItem with `incomplete=True`,
which makes the review incomplete (exit 3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from prreview.config.settings import Settings
from prreview.errors import TERMINATED_REASON, Terminated
from prreview.evaluators.answer import AnswerError, ModelFinding, parse_answer, repair_message
from prreview.evaluators.jobs import Counter, Job, Observer, build_jobs, request_for
from prreview.evaluators.outcome import ModelOutcome, Sample, UnitSummary, digests, fold
from prreview.evaluators.registry import COMBINED, EvaluatorSpec
from prreview.evaluators.validate import LineSource, validate_items
from prreview.llm import caching
from prreview.llm.engine import ChatResult, Engine
from prreview.models import ChangeSet, Finding, SkippedItem, Snippet, Unit
from prreview.plan.units import PlanConfig, split_unit

MAX_WAVES = 6
_REPAIR_QUOTE = 4000


@dataclass(frozen=True)
class Context:
    settings: Settings
    changes: ChangeSet
    context: Mapping[str, Sequence[Snippet]]
    plan_cfg: PlanConfig
    count: Counter
    lines_of: LineSource
    observer: Observer
    specs: Sequence[EvaluatorSpec] = ()
    """Every evaluator of the run (a split combined job is rebuilt from its lenses)."""
    languages: Mapping[str, str | None] = field(default_factory=dict)


def _by_lens(items: Sequence[ModelFinding], lenses: Sequence[str]) -> dict[str, list[ModelFinding]]:
    """A combined answer's findings per lens, from `category` ("security" or
    "security/injection"); a category naming no lens of the checklist goes to the first lens."""
    groups: dict[str, list[ModelFinding]] = {}
    for item in items:
        head, _, rest = item.category.strip().partition("/")
        lens = head.strip().lower()
        if lens in lenses:
            item = item.model_copy(update={"category": rest.strip() or lens})
        else:
            lens = lenses[0]
        groups.setdefault(lens, []).append(item)
    return groups


def unseen(
    unit: Unit, changes: ChangeSet, kind: Literal["hunk", "unit"], reason: str, evaluator: str = ""
) -> tuple[SkippedItem, ...]:
    """One incomplete skip per file of `unit`, naming the hunks (new-side lines) it covered."""
    lines: dict[str, list[str]] = {}
    for path, index in unit.hunk_refs:
        file = changes.file(path)
        if file is not None and index < len(file.hunks):
            hunk = file.hunks[index]
            lines.setdefault(path, []).append(f"{hunk.new_start}-{hunk.new_end}")
    where = f" ({evaluator})" if evaluator else ""
    return tuple(
        SkippedItem(
            kind=kind,
            path=path,
            reason=reason,
            detail=("lines " + ", ".join(lines[path]) if path in lines else "") + where,
            incomplete=True,
        )
        for path in unit.paths
    )


def _counted(result: ChatResult) -> ModelOutcome:
    latency = (result.latency_s,) if result.attempts and not result.cached else ()
    return ModelOutcome(counters=result.counters, latencies=latency)


def _answer(job: Job, result: ChatResult, ctx: Context) -> tuple[ModelOutcome, list[Job]]:
    """Parse and validate one answer; an invalid one gets one repair re-ask."""
    try:
        answer, invalid = parse_answer(result.text)
    except AnswerError as exc:
        if job.repaired:
            why = f"invalid answer after repair: {exc}"
            failed = ModelOutcome(
                failed=(f"{job.unit.id}/{job.spec.name}: {why}",),
                skipped=unseen(job.unit, ctx.changes, "unit", why, job.spec.name),
            )
            return failed, []
        retry = (
            *job.messages,
            {"role": "assistant", "content": result.text[:_REPAIR_QUOTE]},
            repair_message(exc),
        )
        repair = dataclasses.replace(job, messages=retry, repaired=True)
        return ModelOutcome(), [repair]
    groups = (
        _by_lens(answer.findings, job.lenses)
        if job.spec.name == COMBINED and job.lenses
        else {job.spec.name: list(answer.findings)}
    )
    found: list[Finding] = []
    dropped = invalid
    for lens, items in groups.items():
        kept, lost = validate_items(
            items, evaluator=lens, changes=ctx.changes, lines_of=ctx.lines_of
        )
        found.extend(kept)
        dropped += lost
    summary = answer.summary.strip()
    part = ModelOutcome(
        samples=(Sample(unit=job.unit.id, evaluator=job.spec.name, findings=tuple(found)),),
        dropped=dropped,
        ignored_keys=len(answer.ignored_keys),
        reviewed_refs=frozenset(job.unit.hunk_refs),
        unit_summaries=(UnitSummary(unit=job.unit.id, paths=job.unit.paths, text=summary),)
        if summary
        else (),
    )
    return part, []


def _split(job: Job, ctx: Context, why: str) -> tuple[ModelOutcome, list[Job]]:
    units, skipped = split_unit(job.unit, ctx.changes, ctx.context, ctx.plan_cfg, ctx.count)
    # the split's own skips are hunks the model will not see either
    lost = tuple(s.model_copy(update={"incomplete": True}) for s in skipped)
    if not units:
        reason = f"{why} even for a single hunk"
        cut = unseen(job.unit, ctx.changes, "hunk", reason, job.spec.name)
        return ModelOutcome(skipped=lost + cut), []
    specs = [job.spec]
    if job.spec.name == COMBINED:
        specs = [s for s in ctx.specs if s.name in job.lenses] or specs
    single = ctx.settings.model_copy(update={"samples": 1})
    jobs = build_jobs(units, specs, single, ctx.count, ctx.languages)
    halves = [dataclasses.replace(j, sample=job.sample) for j in jobs]
    return ModelOutcome(skipped=lost), halves


def _failed(job: Job, result: ChatResult, ctx: Context) -> ModelOutcome:
    detail = result.error_detail or result.error or "failed"
    reason = f"model call failed ({job.spec.name}): {detail}"
    stop = f"{result.error} reached" if result.error in {"deadline", "budget"} else None
    return ModelOutcome(
        failed=(f"{job.unit.id}/{job.spec.name}: {detail}",),
        skipped=unseen(job.unit, ctx.changes, "unit", reason),
        incomplete_reason=stop,
    )


def _handle(job: Job, result: ChatResult, ctx: Context) -> tuple[ModelOutcome, list[Job]]:
    if result.error == "context_length":
        part, more = _split(job, ctx, "context window exceeded")
    elif result.error == "truncated":
        part, more = _split(job, ctx, "answer truncated")
    elif result.error:
        part, more = _failed(job, result, ctx), []
    else:
        part, more = _answer(job, result, ctx)
    return _counted(result) + part, more


def _overview(result: ChatResult) -> ModelOutcome:
    """The overview is optional: a failed or invalid answer leaves it empty, nothing more."""
    counted = _counted(result)
    if result.error:
        return counted
    try:
        answer, _invalid = parse_answer(result.text)
    except AnswerError:
        return counted
    return counted + ModelOutcome(overview=answer.summary[:2000])


def run_wave(
    jobs: Sequence[Job], engine: Engine, ctx: Context, extra: Job | None = None
) -> tuple[ModelOutcome, list[Job]]:
    """One round of calls: its frozen outcome and the jobs of the next round."""
    batch = [*jobs, extra] if extra is not None else list(jobs)
    built = [request_for(j, ctx.settings) for j in batch]
    try:
        results = engine.run_sync([request for request, _ in built])
    except Terminated as exc:  # SIGTERM: keep the answers of the calls that had finished
        exc.kept = _finished(batch, exc.partial or [], ctx, extra)
        raise
    parts = [ModelOutcome(redacted=digests(v for _, replaced in built for v in replaced))]
    if extra is not None:
        parts.append(_overview(results.pop()))
    following: list[Job] = []
    for job, result in zip(jobs, results, strict=True):
        part, more = _handle(job, result, ctx)
        parts.append(part)
        following.extend(more)
    return fold(parts), following


def _finished(
    batch: Sequence[Job], partial: Sequence[object], ctx: Context, extra: Job | None
) -> ModelOutcome:
    """What the calls that finished before SIGTERM found (no repairs, no splits)."""
    parts: list[ModelOutcome] = []
    for job, result in zip(batch, partial, strict=False):
        if not isinstance(result, ChatResult) or result.error:
            continue
        if job is extra:
            parts.append(_overview(result))
        else:
            parts.append(_handle(job, result, ctx)[0])
    return fold(parts)


def run_jobs(
    jobs: Sequence[Job], engine: Engine, ctx: Context, extra: Job | None = None
) -> ModelOutcome:
    """Every wave, folded. A SIGTERM keeps what the finished waves found (incomplete)."""
    waves: list[ModelOutcome] = []
    # calls that share a cacheable prefix: one first, the rest once the provider has it
    pending, held = caching.stagger(jobs, lambda j: j.unit.id, lambda j: j.prefix_tokens)
    pending = list(pending)
    try:
        for wave in range(MAX_WAVES):
            first = extra if wave == 0 else None
            if not pending and not held and first is None:
                break
            outcome, following = run_wave(pending, engine, ctx, first)
            waves.append(outcome)
            pending, held = [*held, *following], []
    except Terminated as exc:
        # The pipeline still writes an (incomplete) report, then the CLI exits 143.
        stop = ModelOutcome(failed=("terminated by SIGTERM",), incomplete_reason=TERMINATED_REASON)
        kept = exc.kept if isinstance(exc.kept, ModelOutcome) else ModelOutcome()
        return fold([*waves, kept, stop])
    gave_up = [
        ModelOutcome(
            failed=(f"{job.unit.id}/{job.spec.name}: gave up after {MAX_WAVES} rounds",),
            skipped=unseen(
                job.unit, ctx.changes, "unit", f"no usable answer in {MAX_WAVES} rounds"
            ),
        )
        for job in pending
    ]
    return fold([*waves, *gave_up])
