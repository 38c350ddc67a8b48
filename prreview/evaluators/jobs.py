"""Run the LLM evaluators over the planned units through the engine.

Every call for one unit shares an identical prefix (system text, then the unit's context and
diff) and differs only in the last message (the evaluator's task), so providers' prompt
caching applies. Secrets are redacted from every message where a request is built
(`sendable`), the one way out of the process.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prreview.change.filters import path_matches
from prreview.config.settings import Settings
from prreview.errors import Terminated
from prreview.evaluators.answer import ANSWER_SCHEMA, AnswerError, parse_answer, repair_message
from prreview.evaluators.prompts.render import (
    boundary_for,
    render_builtin,
    render_source,
    template_hash,
)
from prreview.evaluators.registry import EvaluatorSpec
from prreview.evaluators.validate import LineSource, validate_items
from prreview.llm.engine import ChatRequest
from prreview.models import ChangeSet, Finding, SkippedItem, Snippet, Unit
from prreview.output import write_atomic
from prreview.plan.units import PlanConfig, format_file, split_unit
from prreview.secrets.redact import redact_messages

Counter = Callable[[str], int]
Observer = Callable[[str], None]
MAX_WAVES = 6


@dataclass(frozen=True)
class Job:
    unit: Unit
    spec: EvaluatorSpec
    sample: int
    messages: tuple[dict[str, str], ...]
    prefix_tokens: int
    """Tokens of the messages every evaluator of the unit shares (system + unit block)."""
    prompt_tokens: int = 0
    """Tokens of all messages (tiktoken), for budgets and the dry-run estimate."""
    repaired: bool = False


@dataclass
class Outcome:
    samples: dict[tuple[str, str], list[list[Finding]]] = field(default_factory=dict)
    dropped: int = 0
    ignored_keys: int = 0
    redactions: int = 0
    """Distinct secret values replaced in the requests sent (len(redacted) unless memoised)."""
    redacted: set[str] = field(default_factory=set)
    skipped: list[SkippedItem] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    incomplete_reason: str | None = None
    calls: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    shared_prefix_tokens: int = 0
    cost_usd: float = 0.0
    latencies: list[float] = field(default_factory=list)
    overview: str = ""
    reviewed_refs: set[tuple[str, int]] = field(default_factory=set)
    planned_prompt_tokens: int = 0

    @property
    def latency_median(self) -> float:
        return round(statistics.median(self.latencies), 3) if self.latencies else 0.0


def path_instructions(settings: Settings, paths: Sequence[str]) -> str:

    texts = [
        item.text.strip()
        for item in settings.instructions
        if any(path_matches(path, item.paths) for path in paths)
    ]
    return "\n".join(f"Repository instruction: {t}" for t in texts if t)


def system_message() -> dict[str, str]:
    return {"role": "system", "content": render_builtin("system", {})}


def unit_message(unit: Unit) -> dict[str, str]:
    guidelines = [s for s in unit.snippets if s.kind == "guideline"]
    snippets = [s for s in unit.snippets if s.kind != "guideline"]
    boundary = boundary_for(unit.diff_text, *(s.text for s in unit.snippets))
    user = render_builtin(
        "unit",
        {
            "guidelines": guidelines,
            "snippets": snippets,
            "diff": unit.diff_text,
            "boundary": boundary,
        },
    )
    return {"role": "user", "content": user}


def task_message(spec: EvaluatorSpec, unit: Unit, settings: Settings) -> dict[str, str]:
    extra = "\n".join(
        x for x in (spec.instructions.strip(), path_instructions(settings, unit.paths)) if x
    )
    variables: dict[str, Any] = {
        "evaluator": spec.name,
        "description": spec.description,
        "instructions": extra,
        "paths": list(unit.paths),
        "languages": list(spec.languages),
    }
    return {
        "role": "user",
        "content": render_source(spec.template_source, spec.template_name, variables),
    }


def build_jobs(
    units: Sequence[Unit], specs: Sequence[EvaluatorSpec], settings: Settings, count: Counter
) -> list[Job]:
    """All (unit x evaluator x sample) jobs. Secrets are redacted when a request is built."""
    jobs: list[Job] = []
    system = system_message()
    system_tokens = count(system["content"])
    for unit in units:
        shared = unit_message(unit)
        prefix = system_tokens + count(shared["content"])
        for spec in specs:
            task = task_message(spec, unit, settings)
            messages = (system, shared, task)
            total = prefix + count(task["content"])
            for sample in range(settings.samples):
                jobs.append(Job(unit, spec, sample, messages, prefix, total))
    return jobs


def sendable(job: Job) -> tuple[tuple[dict[str, str], ...], frozenset[str]]:
    """The one choke point: what may leave the process for `job`, and the values replaced.

    Every request (review, repair re-ask, split unit, overview) and every dumped prompt is
    built from this, so no message reaches a provider or a file unredacted.
    """
    return redact_messages(job.messages)


def _request(job: Job, settings: Settings, out: Outcome) -> Any:

    messages, replaced = sendable(job)
    out.redacted |= replaced
    out.redactions = len(out.redacted)
    temperature = settings.temperature if settings.samples == 1 else max(settings.temperature, 0.7)
    seed = settings.seed if settings.samples == 1 else (settings.seed or 0) + job.sample
    return ChatRequest(
        key=_display_key(job),
        model=job.spec.model or settings.model or "",
        messages=messages,
        response_schema=ANSWER_SCHEMA,
        max_output_tokens=settings.max_output_tokens,
        temperature=temperature,
        seed=seed,
        template_hash=template_hash(job.spec.template_hash, "v1"),
    )


def _display_key(job: Job) -> str:
    """What progress lines show: evaluator, first file (+ how many more), unit id."""
    paths = job.unit.paths
    where = (paths[0] + (f" +{len(paths) - 1}" if len(paths) > 1 else "")) if paths else "overview"
    extra = (f" sample {job.sample + 1}" if job.sample else "") + (
        " repair" if job.repaired else ""
    )
    return f"{job.spec.name} {where} [{job.unit.id}]{extra}"


def dump_prompts(jobs: Sequence[Job], directory: Path) -> None:

    for job in jobs:
        name = f"{job.unit.id}-{job.spec.name}-{job.sample}.md"
        body = "\n\n".join(f"## {m['role']}\n\n{m['content']}" for m in sendable(job)[0])
        write_atomic(directory / name, body)


@dataclass
class Context:
    settings: Settings
    changes: ChangeSet
    context: Mapping[str, Sequence[Snippet]]
    plan_cfg: PlanConfig
    count: Counter
    lines_of: LineSource
    observer: Observer


def _handle_answer(job: Job, result: Any, ctx: Context, out: Outcome) -> Job | None:
    """Parse and validate one answer; returns a repair job when the answer was invalid."""

    try:
        answer, invalid = parse_answer(result.text)
    except AnswerError as exc:
        if job.repaired:
            out.failed.append(f"{job.unit.id}/{job.spec.name}: invalid answer after repair: {exc}")
            return None
        retry = (
            *job.messages,
            {"role": "assistant", "content": result.text[:4000]},
            repair_message(exc),
        )
        return Job(
            job.unit, job.spec, job.sample, retry, job.prefix_tokens, job.prompt_tokens, True
        )
    out.ignored_keys += len(answer.ignored_keys)
    found, dropped = validate_items(
        answer.findings, evaluator=job.spec.name, changes=ctx.changes, lines_of=ctx.lines_of
    )
    out.dropped += invalid + dropped
    out.samples.setdefault((job.unit.id, job.spec.name), []).append(found)
    out.reviewed_refs.update(job.unit.hunk_refs)
    return None


def _split(job: Job, ctx: Context, out: Outcome, why: str) -> list[Job]:
    units, skipped = split_unit(job.unit, ctx.changes, ctx.context, ctx.plan_cfg, ctx.count)
    out.skipped.extend(skipped)
    if not units:
        out.skipped.extend(
            SkippedItem(
                kind="hunk", path=p, reason=f"{why} even for a single hunk", detail=job.spec.name
            )
            for p in job.unit.paths
        )
        return []
    jobs = build_jobs(units, [job.spec], ctx.settings.model_copy(update={"samples": 1}), ctx.count)
    return [
        Job(j.unit, j.spec, job.sample, j.messages, j.prefix_tokens, j.prompt_tokens) for j in jobs
    ]


def _account(result: Any, job: Job, out: Outcome) -> None:
    if result.cached:
        out.cache_hits += 1
    elif result.attempts:
        out.calls += 1
        out.latencies.append(result.latency_s)
    out.prompt_tokens += result.prompt_tokens
    out.completion_tokens += result.completion_tokens
    out.cost_usd += result.cost_usd


def run_jobs(
    jobs: Sequence[Job], engine: Any, ctx: Context, out: Outcome, extra: Job | None = None
) -> None:
    """Run jobs in waves: answers, then repairs and split units. `extra` (the overview call)
    rides along in the first wave so it costs no extra latency."""
    pending = list(jobs)
    for wave in range(MAX_WAVES):
        batch = [*pending, extra] if wave == 0 and extra is not None else pending
        if not batch:
            return
        try:
            results = engine.run_sync([_request(j, ctx.settings, out) for j in batch])
        except Terminated as exc:  # SIGTERM: keep the answers that had arrived, then stop
            _keep_finished(batch, exc.partial or [], ctx, out, extra if wave == 0 else None)
            raise
        if wave == 0 and extra is not None:
            _handle_summary(results.pop(), extra, out)
        next_jobs: list[Job] = []
        for job, result in zip(pending, results, strict=True):
            _account(result, job, out)
            if result.error in {"context_length", "truncated"}:
                why = (
                    "context window exceeded"
                    if result.error == "context_length"
                    else "answer truncated"
                )
                next_jobs.extend(_split(job, ctx, out, why))
            elif result.error:
                detail = result.error_detail or result.error
                out.failed.append(f"{job.unit.id}/{job.spec.name}: {detail}")
                out.skipped.extend(
                    SkippedItem(
                        kind="unit", path=p, reason=f"model call failed ({job.spec.name}): {detail}"
                    )
                    for p in job.unit.paths
                )
                if result.error in {"deadline", "budget"} and out.incomplete_reason is None:
                    out.incomplete_reason = f"{result.error} reached"
            else:
                repair = _handle_answer(job, result, ctx, out)
                if repair is not None:
                    next_jobs.append(repair)
        pending = next_jobs
    for job in pending:
        out.failed.append(f"{job.unit.id}/{job.spec.name}: gave up after {MAX_WAVES} rounds")


def _keep_finished(
    batch: Sequence[Job], partial: Sequence[Any], ctx: Context, out: Outcome, extra: Job | None
) -> None:
    """The findings of the calls that finished before SIGTERM (no repairs, no splits)."""
    for job, result in zip(batch, partial, strict=False):
        if result is None or result.error:
            continue
        if job is extra:
            _handle_summary(result, job, out)
            continue
        _account(result, job, out)
        _handle_answer(job, result, ctx, out)


def shared_prefix_tokens(jobs: Sequence[Job]) -> int:
    """Tokens of prompt prefixes sent more than once (the part prompt caching can serve)."""
    per_unit: dict[str, tuple[int, int]] = {}
    for job in jobs:
        n, tokens = per_unit.get(job.unit.id, (0, job.prefix_tokens))
        per_unit[job.unit.id] = (n + 1, tokens)
    return sum(tokens * n for n, tokens in per_unit.values() if n > 1)


def summary_job(changes: ChangeSet, settings: Settings, count: Counter) -> Job | None:

    budget = 6000
    parts: list[str] = []
    used = 0
    for f in changes.reviewable_files:
        text = format_file(f, f.hunks)
        cost = count(text)
        if used + cost > budget:
            parts.append(f"### {f.path} (diff omitted from the overview prompt)")
            continue
        parts.append(text)
        used += cost
    if not parts:
        return None
    diff = "\n\n".join(parts)
    files = [
        {"path": f.path, "status": f.status, "added": f.added, "removed": f.removed, "symbols": []}
        for f in changes.files
    ]
    content = render_builtin(
        "summary", {"files": files, "diff": diff, "boundary": boundary_for(diff)}
    )
    system = {"role": "system", "content": "You summarise code changes for reviewers."}
    unit = Unit(
        id="summary-" + hashlib.sha256(diff.encode()).hexdigest()[:12], paths=(), diff_text=""
    )
    spec = EvaluatorSpec(
        name="summary",
        template_name="prreview/evaluators/prompts/summary.j2",
        template_source="",
        template_hash=template_hash(content[:0], "summary-v1"),
        model=settings.summary_model,
    )
    return Job(unit, spec, 0, (system, {"role": "user", "content": content}), 0)


def _handle_summary(result: Any, job: Job, out: Outcome) -> None:
    """The overview is optional: a failed or invalid answer leaves it empty, nothing more."""

    _account(result, job, out)
    if result.error:
        return
    try:
        answer, _invalid = parse_answer(result.text)
    except AnswerError:
        return
    out.overview = answer.summary[:2000]
