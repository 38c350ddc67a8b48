"""The engine's request, result, configuration and progress types (frozen, no litellm)."""

from __future__ import annotations

from typing import Any, Literal

from prreview.models import Frozen, RunCounters
from prreview.retry import RetryPolicy

__all__ = [
    "ChatRequest", "ChatResult", "EngineConfig", "ErrorKind", "ProgressEvent", "ProgressKind",
]  # fmt: skip

ErrorKind = Literal["context_length", "truncated", "failed", "deadline", "budget"]


class ChatRequest(Frozen):
    key: str
    """The caller's id for this request; results carry it back."""
    model: str
    messages: tuple[dict[str, str], ...]
    response_schema: dict[str, Any] | None = None
    max_output_tokens: int = 2048
    temperature: float = 0.0
    seed: int | None = None
    template_hash: str = ""
    cache_prefix: int = 0
    """Leading messages shared with other calls: marked for provider prompt caching."""


class ChatResult(Frozen):
    key: str
    text: str = ""
    finish_reason: str | None = None
    model: str
    """The model that answered (the primary or a fallback)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens the provider read from its prompt cache (llm/caching.py)."""
    cost_usd: float = 0.0
    """What this run paid: 0.0 for a cache hit or a model without known prices."""
    cost_known: bool = True
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 0
    error: ErrorKind | None = None
    error_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def counters(self) -> RunCounters:
        """This result's share of the run's counters (a cache hit is not a call)."""
        return RunCounters(
            calls=int(not self.cached and self.attempts > 0),
            cache_hits=int(self.cached),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cached_tokens=0 if self.cached else self.cached_tokens,
            cost_usd=self.cost_usd,
        )


class EngineConfig(Frozen):
    api_base: str | None = None
    fallback_models: tuple[str, ...] = ()
    timeout: float = 120.0
    max_concurrency: int = 8
    retries: int = 4
    """Retries per model after the first attempt (attempts = retries + 1)."""
    retry_after_cap: float = 30.0
    deadline_at: float | None = None
    """time.monotonic() value after which no call starts and pending calls end."""
    max_cost: float | None = None
    max_tokens: int | None = None
    backoff_base: float = 0.5
    backoff_max: float = 8.0

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            retries=self.retries,
            backoff=self.backoff_base,
            backoff_max=self.backoff_max,
            max_wait=self.retry_after_cap,
            timeout=self.timeout,
        )


ProgressKind = Literal["cached", "started", "retry", "fallback", "finished"]


class ProgressEvent(Frozen):
    kind: ProgressKind
    key: str
    model: str = ""
    attempt: int = 0
    done: int = 0
    total: int = 0
    detail: str = ""
