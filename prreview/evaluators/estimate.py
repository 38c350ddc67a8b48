"""What a set of jobs should cost, before any call: the dry run prints it per depth and
--max-cost gates on the same numbers (expected provider cache reads at the cached rate)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from prreview.config.settings import Settings
from prreview.evaluators.jobs import Job
from prreview.llm import caching
from prreview.llm.prices import estimate_cost


@dataclass(frozen=True)
class Estimate:
    """What a set of jobs should cost: the dry run shows it, --max-cost gates on it."""

    calls: int
    prompt_tokens: int
    cached_tokens: int
    """Prompt tokens a caching provider should serve from its cache (llm/caching.py)."""
    cost_usd: float | None
    """With cached tokens at the cached rate and max_output_tokens per call; None: no price."""
    uncached_cost_usd: float | None


def estimate_jobs(jobs: Sequence[Job], settings: Settings) -> Estimate:
    _first, later = caching.stagger(jobs, lambda j: j.unit.id, lambda j: j.prefix_tokens)
    followers = {id(j) for j in later}
    cost: float | None = 0.0
    uncached: float | None = 0.0
    cached_total = 0
    for job in jobs:
        cached = job.prefix_tokens if id(job) in followers else 0
        cached_total += cached
        model = job.spec.model or settings.model or ""
        out_tokens = settings.max_output_tokens
        with_cache = estimate_cost(model, job.prompt_tokens, out_tokens, cached)
        without = estimate_cost(model, job.prompt_tokens, out_tokens)
        cost = None if cost is None or with_cache is None else cost + with_cache
        uncached = None if uncached is None or without is None else uncached + without
    return Estimate(
        calls=len(jobs),
        prompt_tokens=sum(j.prompt_tokens for j in jobs),
        cached_tokens=cached_total,
        cost_usd=cost if jobs else 0.0,
        uncached_cost_usd=uncached if jobs else 0.0,
    )


def estimate_line(depth: str, est: Estimate, selected: bool) -> str:
    """One dry-run line, e.g. 'prreview: dry run: depth default: 2 calls, ~6,100 prompt
    tokens (~0 expected cached), est. $0.0348 (selected)'."""
    if est.cost_usd is None:
        price = "cost unknown (no price for the model)"
    elif est.uncached_cost_usd is not None and est.uncached_cost_usd - est.cost_usd > 5e-5:
        price = f"est. ${est.cost_usd:.4f} (${est.uncached_cost_usd:.4f} without prompt caching)"
    else:
        price = f"est. ${est.cost_usd:.4f}"
    mark = " (selected)" if selected else ""
    return (
        f"prreview: dry run: depth {depth}: {est.calls} calls, ~{est.prompt_tokens:,} prompt "
        f"tokens (~{est.cached_tokens:,} expected cached), {price}{mark}"
    )
