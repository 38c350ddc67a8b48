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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from prreview.config.settings import Settings
from prreview.errors import TERMINATED_REASON, Terminated
from prreview.evaluators.answer import AnswerError, parse_answer, repair_message
from prreview.evaluators.jobs import Counter, Job, Observer, build_jobs, request_for
from prreview.evaluators.outcome import ModelOutcome, Sample, digests, fold
from prreview.evaluators.validate import LineSource, validate_items
from prreview.llm.engine import ChatResult, Engine
from prreview.models import ChangeSet, SkippedItem, Snippet, Unit
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
        repair = Job(
            job.unit, job.spec, job.sample, retry, job.prefix_tokens, job.prompt_tokens, True
        )
        return ModelOutcome(), [repair]
    found, dropped = validate_items(
        answer.findings, evaluator=job.spec.name, changes=ctx.changes, lines_of=ctx.lines_of
    )
    part = ModelOutcome(
        samples=(Sample(unit=job.unit.id, evaluator=job.spec.name, findings=tuple(found)),),
        dropped=invalid + dropped,
        ignored_keys=len(answer.ignored_keys),
        reviewed_refs=frozenset(job.unit.hunk_refs),
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
    single = ctx.settings.model_copy(update={"samples": 1})
    jobs = build_jobs(units, [job.spec], single, ctx.count)
    halves = [
        Job(j.unit, j.spec, job.sample, j.messages, j.prefix_tokens, j.prompt_tokens) for j in jobs
    ]
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
    pending = list(jobs)
    try:
        for wave in range(MAX_WAVES):
            first = extra if wave == 0 else None
            if not pending and first is None:
                break
            outcome, pending = run_wave(pending, engine, ctx, first)
            waves.append(outcome)
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
