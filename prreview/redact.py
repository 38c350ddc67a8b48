"""Redaction: the one place secrets are masked before text leaves the process.

- `redact_text` (checks/secret_redact.py): every secret the scanner finds in a text
  becomes `[REDACTED:kind]`.
- `redact_messages`: every message of a model request (evaluators/llm.py and eval/judge.py
  build requests only through it).
- `redact_review`: every string of an assembled Review (paths, titles, messages,
  suggestions, summary, notes, skipped details), once, in pipeline.review.
- `scrub`: stderr lines and tracebacks: scanner hits plus the value of every environment
  variable whose name looks like a credential.

Counts are of distinct values (digests of what was replaced), so a secret sent in many
requests counts once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from .checks.secret_redact import Redaction, digest, redact, redact_text

__all__ = [
    "Redaction",
    "credential_values",
    "redact",
    "redact_messages",
    "redact_review",
    "redact_text",
    "scrub",
]

_CREDENTIAL_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|PWD|AUTH|CREDENTIAL|PRIVATE|COOKIE|SESSION|SIGNATURE|DSN"
    r"|CONNECTION_STRING|WEBHOOK",
    re.IGNORECASE,
)
_NOT_CREDENTIAL_NAME = re.compile(r"(?:^|_)(?:PATH|DIR|FILE|HOME|URL_PREFIX|SOCK)$", re.I)
_MIN_CREDENTIAL = 8
_STRUCTURAL_FIELDS = frozenset({"fingerprint", "base_sha", "head_sha", "tool_version"})
M = TypeVar("M", bound=BaseModel)


def redact_messages(
    messages: Sequence[Mapping[str, str]],
) -> tuple[tuple[dict[str, str], ...], frozenset[str]]:
    """Every message's content redacted; returns the messages and the replaced digests."""
    out: list[dict[str, str]] = []
    digests: set[str] = set()
    for message in messages:
        result = _redact_cached(message.get("content", ""))
        digests |= result.digests
        out.append({**message, "content": result.text})
    return tuple(out), frozenset(digests)


_CACHE: dict[str, Redaction] = {}
_CACHE_LIMIT = 512


def _redact_cached(text: str) -> Redaction:
    """The shared unit prefix is sent once per evaluator and sample: scan it once."""
    key = digest(text)
    hit = _CACHE.get(key)
    if hit is None:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        hit = _CACHE[key] = redact_text(text)
    return hit


def _walk(value: Any, name: str = "") -> Any:
    if isinstance(value, str):
        return value if name in _STRUCTURAL_FIELDS else redact_text(value).text
    if isinstance(value, dict):
        return {k: _walk(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_walk(v, name) for v in value)
    return value


def redact_review(review: M) -> M:
    """The same Review with every secret masked in every string it holds."""
    data = review.model_dump(mode="python")
    return type(review).model_validate(_walk(data))


def credential_values(env: Mapping[str, str]) -> list[str]:
    """Values of environment variables whose names look like credentials, longest first."""
    values = {
        value
        for name, value in env.items()
        if len(value) >= _MIN_CREDENTIAL
        and _CREDENTIAL_NAME.search(name)
        and not _NOT_CREDENTIAL_NAME.search(name)
    }
    return sorted(values, key=len, reverse=True)


def scrub(text: str, env: Mapping[str, str]) -> str:
    """`text` without any credential value from `env` and without any scanner hit."""
    for value in credential_values(env):
        text = text.replace(value, "***")
    return redact_text(text).text
