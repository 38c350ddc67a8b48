"""The one retry policy for network calls (LLM engine and REST publishers), with tenacity.

An attempt that failed transiently raises `Retryable`, carrying the wait the server asked
for (Retry-After, a rate-limit reset) when it named one. The policy then waits that long,
capped at `max_wait`, or else an exponential backoff with full jitter, and stops after
`retries` retries, re-raising the last `Retryable` for the caller to turn into its own error.
Every other exception ends the attempts at once.

`parse_retry_after` is the one Retry-After parser: delta-seconds, `retry-after-ms`, and an
HTTP date with or without a timezone (a date without one is read as UTC, as RFC 9110 says).

A leaf module: it imports nothing from the package, so every stage may use it.
"""

from __future__ import annotations

import email.utils
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

T = TypeVar("T")
OnRetry = Callable[[int, "Retryable"], None]
"""(number of the attempt about to start (2, 3, ...), the failure that caused it)."""


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    """Retries after the first attempt (attempts = retries + 1)."""
    backoff: float = 1.0
    """Upper bound of the first jittered wait in seconds; doubled on every retry."""
    max_wait: float = 60.0
    """Cap on one wait: the backoff and any wait the server names (Retry-After, resets)."""
    timeout: float = 30.0
    """Per-request timeout of the client that uses the policy."""
    backoff_max: float | None = None
    """Cap on the backoff alone (defaults to max_wait)."""


class Retryable(Exception):
    """A transient failure of one attempt: retry after `wait` seconds (None: backoff)."""

    def __init__(self, reason: str, wait: float | None = None, payload: object = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.payload = payload
        """What the caller needs once retries are exhausted (e.g. the last HTTP response)."""


def backoff_wait(policy: RetryPolicy, retry: int, rng: random.Random) -> float:
    """Full jitter: uniform(0, min(cap, backoff * 2**retry)), retry counted from 0."""
    cap = policy.max_wait if policy.backoff_max is None else policy.backoff_max
    return rng.uniform(0.0, min(cap, policy.backoff * 2**retry))


def _wait(policy: RetryPolicy, rng: random.Random) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        named = exc.wait if isinstance(exc, Retryable) else None
        if named is not None:
            return max(0.0, min(named, policy.max_wait))
        return backoff_wait(policy, state.attempt_number - 1, rng)

    return wait


def _before_sleep(on_retry: OnRetry | None) -> Callable[[RetryCallState], None] | None:
    if on_retry is None:
        return None

    def hook(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, Retryable):
            on_retry(state.attempt_number + 1, exc)

    return hook


def _settings(
    policy: RetryPolicy, on_retry: OnRetry | None, rng: random.Random | None
) -> dict[str, object]:
    hook = _before_sleep(on_retry)
    return {
        "stop": stop_after_attempt(max(0, policy.retries) + 1),
        "wait": _wait(policy, rng or random.Random()),
        "retry": retry_if_exception_type(Retryable),
        "reraise": True,
        **({"before_sleep": hook} if hook is not None else {}),
    }


def with_retries(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    *,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run `attempt` under the policy; the last `Retryable` is re-raised when it gives up."""
    extra: dict[str, object] = {"sleep": sleep} if sleep is not None else {}
    retrying = Retrying(**_settings(policy, on_retry, rng), **extra)  # type: ignore[arg-type]
    return retrying(attempt)


async def with_retries_async(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    *,
    on_retry: OnRetry | None = None,
    rng: random.Random | None = None,
) -> T:
    """`with_retries` for coroutines (waits with asyncio.sleep, so cancellation ends a wait)."""
    retrying = AsyncRetrying(**_settings(policy, on_retry, rng))  # type: ignore[arg-type]
    return await retrying(attempt)


def parse_retry_after(
    headers: Mapping[str, str] | None, now: datetime | None = None
) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    millis = lowered.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())
