"""The LLM evaluators' jobs: one per (unit x evaluator x sample), and their requests.

Every call for one unit shares an identical prefix (system text, then the unit's context and
diff) and differs only in the last message (the evaluator's task), so providers' prompt
caching applies (prreview/llm/caching.py marks and orders it). At the default and quick
depths a unit gets one call whose task is the checklist of every lens routed to its files
(registry.COMBINED); dedicated lenses get a call each. Secrets are redacted from every
message where a request is built (`sendable`), the one way out of the process. Running them is `waves.py`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from prreview.config.settings import Settings
from prreview.evaluators.answer import ANSWER_SCHEMA
from prreview.evaluators.prompts.render import boundary_for, render_builtin, template_hash
from prreview.evaluators.registry import EvaluatorSpec
from prreview.evaluators.tasks import system_message, unit_message, unit_tasks
from prreview.llm import caching
from prreview.llm.engine import ChatRequest
from prreview.models import ChangeSet, SkippedItem, Unit
from prreview.output import write_atomic
from prreview.plan.units import format_file
from prreview.secrets.redact import redact_messages

Counter = Callable[[str], int]
Observer = Callable[[str], None]


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
    lenses: tuple[str, ...] = ()
    """The lenses a combined job's checklist covers (its findings' categories map onto them)."""


def build_jobs(
    units: Sequence[Unit],
    specs: Sequence[EvaluatorSpec],
    settings: Settings,
    count: Counter,
    languages: Mapping[str, str | None] | None = None,
) -> list[Job]:
    """All (unit x call x sample) jobs. Secrets are redacted when a request is built."""
    jobs: list[Job] = []
    system = system_message()
    system_tokens = count(system["content"])
    for unit in units:
        shared = unit_message(unit)
        prefix = system_tokens + count(shared["content"])
        for spec, task, lenses in unit_tasks(unit, specs, settings, languages or {}):
            messages = (system, shared, task)
            total = prefix + count(task["content"])
            for sample in range(settings.samples):
                jobs.append(Job(unit, spec, sample, messages, prefix, total, lenses=lenses))
    return jobs


def unrouted(units: Sequence[Unit], jobs: Sequence[Job]) -> list[SkippedItem]:
    """Files of units that no enabled evaluator applies to (e.g. docs with `docs` disabled)."""
    covered = {j.unit.id for j in jobs}
    return [
        SkippedItem(kind="unit", path=p, reason="no enabled evaluator applies to this kind of file")
        for u in units
        if u.id not in covered
        for p in u.paths
    ]


def sendable(job: Job) -> tuple[tuple[dict[str, str], ...], frozenset[str]]:
    """The one choke point: what may leave the process for `job`, and the values replaced.

    Every request (review, repair re-ask, split unit, overview) and every dumped prompt is
    built from this, so no message reaches a provider or a file unredacted.
    """
    return redact_messages(job.messages)


def request_for(job: Job, settings: Settings) -> tuple[ChatRequest, frozenset[str]]:
    """The engine request for `job` (built from `sendable`) and the secret values replaced."""
    messages, replaced = sendable(job)
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
        cache_prefix=caching.PREFIX_MESSAGES,
    ), replaced


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
