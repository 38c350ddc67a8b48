"""Provider errors: what they mean for a review, and scrubbing credentials out of them.

Used by engine.py; receives the litellm module as an argument instead of importing it, so
that engine.py stays the only module that imports litellm. Details never carry litellm's own
traceback text (it wraps some malformed answers in one): only the provider's message.
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

from prreview.retry import parse_retry_after
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
_TRACEBACK = re.compile(r"\s*Traceback \(most recent call last\):.*", re.S)
_LITELLM_NOISE = re.compile(
    r"\s*(?:received_args=|LiteLLM Retried:|Give Feedback / Get Help).*", re.S
)
_RETRY_STATUS = frozenset({408, 409, 425, 429})
_TRANSPORT_ERRORS = (TimeoutError, asyncio.TimeoutError, ConnectionError)
"""Raised by the transport when a provider SDK does not wrap them."""
FailureKind = Literal["retry", "context_length", "auth", "usage", "call"]
"""call: this request failed (e.g. HTTP 422) but the configuration is fine: not retried."""


def scrub(text: str) -> str:
    """Remove anything that looks like a credential, and every secret env var's value."""
    for value in credential_values(os.environ):
        text = text.replace(value, "***")
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub("Bearer ***", text)
    return _SECRET_PATTERNS[2].sub(r"\1\2***", text)


def clean_message(text: str) -> str:
    """The provider's message without litellm's prefixes, tracebacks and debug hints."""
    text = _LITELLM_PREFIX.sub("", text.strip())
    cut = _LITELLM_NOISE.sub("", _TRACEBACK.sub("", text)).strip()
    if cut != text.strip():
        cut = (cut.rstrip(":") + " (malformed provider answer)").strip()
    return cut or "malformed provider answer"


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    status: int | None
    detail: str


def classify(llm: ModuleType, exc: BaseException) -> Failure | None:
    """What a provider error means for us; None for errors that are not the provider's."""
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    message = clean_message(str(getattr(exc, "message", "") or exc))
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
    elif status == 422:
        kind = "call"
    elif status is not None and 400 <= status < 500:
        kind = "usage"
    else:
        return None
    return Failure(kind, status, detail)


def retry_after(exc: BaseException) -> float | None:
    """The wait a provider error names (Retry-After, retry-after-ms), via `parse_retry_after`."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(
        getattr(exc, "response", None), "headers", None
    )
    if not headers:
        return None
    return parse_retry_after({str(k): str(v) for k, v in headers.items()})
