"""Provider errors: what they mean for a review, and scrubbing credentials out of them.

Used by llm.py; receives the litellm module as an argument instead of importing it, so that
llm.py stays the only module that imports litellm.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from types import ModuleType
from typing import Literal

from prreview.secrets.redact import credential_values

_SECRET_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"(?i)\b(api[_-]?key|token|secret|password)([\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;]+"),
)
_CONTEXT_HINT = re.compile(
    r"context[ _-]?length|context window|maximum context|prompt is too long|too many tokens", re.I
)
_LITELLM_PREFIX = re.compile(r"^(?:(?:litellm\.)?[A-Za-z]*(?:Error|Exception|Timeout)\s*[:-]\s*)+")
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_TRANSPORT_ERRORS = (TimeoutError, asyncio.TimeoutError, ConnectionError)
"""Raised by the transport when a provider SDK does not wrap them."""
FailureKind = Literal["retry", "context_length", "auth", "usage"]


def scrub(text: str) -> str:
    """Remove anything that looks like a credential, and every secret env var's value."""
    for value in credential_values(os.environ):
        text = text.replace(value, "***")
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub("Bearer ***", text)
    return _SECRET_PATTERNS[2].sub(r"\1\2***", text)


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    status: int | None
    detail: str


def classify(llm: ModuleType, exc: BaseException) -> Failure | None:
    """What a provider error means for us; None for errors that are not the provider's."""
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    message = _LITELLM_PREFIX.sub("", str(getattr(exc, "message", "") or exc))
    detail = scrub(f"{f'HTTP {status}' if status else type(exc).__name__}: {message}"[:500])
    kind: FailureKind
    if isinstance(exc, llm.ContextWindowExceededError) or (
        status == 400
        and (
            getattr(exc, "code", None) == "context_length_exceeded" or _CONTEXT_HINT.search(message)
        )
    ):
        kind = "context_length"
    elif status in (401, 403):
        kind = "auth"
    elif (
        isinstance(exc, (llm.Timeout, llm.APIConnectionError, _TRANSPORT_ERRORS))
        or status in _RETRY_STATUS
        or (status is not None and status >= 500)
    ):
        kind = "retry"
    elif status is not None and 400 <= status < 500:
        kind = "usage"
    else:
        return None
    return Failure(kind, status, detail)


def retry_after(exc: BaseException) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header: delta-seconds or an HTTP date."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(
        getattr(exc, "response", None), "headers", None
    )
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
