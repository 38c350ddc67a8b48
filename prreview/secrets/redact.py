"""Redaction: the one place secrets are masked before text leaves the process.

- `redact_text` (secrets/text.py): every secret the scanner finds in a text
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

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from prreview.secrets.text import Redaction, redact, redact_text

__all__ = [
    "Redaction",
    "credential_values",
    "redact",
    "redact_messages",
    "redact_review",
    "redact_strings",
    "redact_text",
    "scrub",
]

_CREDENTIAL_NAME = re.compile(
    r"KEY|TOKEN|SECRET|PASSW|PWD|AUTH|CREDENTIAL|PRIVATE|COOKIE|SESSION|SIGNATURE|DSN"
    r"|CONNECTION_STRING|WEBHOOK",
    re.IGNORECASE,
)
_NOT_CREDENTIAL_NAME = re.compile(
    r"(?:^|_)(?:PATH|DIR|FILE|HOME|SOCK)$|^(?:OLD)?PWD$|^XAUTHORITY$", re.IGNORECASE
)
"""Paths, not credentials (`PWD` is the working directory)."""
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


@functools.lru_cache(maxsize=512)
def _redact_cached(text: str) -> Redaction:
    """The shared unit prefix is sent once per evaluator and sample: scan it once."""
    return redact_text(text)


_SEPARATOR = "\n\x00\n"
"""Between the strings of one batch: a line no secret, key block or split literal spans."""


def redact_strings(values: Sequence[str]) -> list[str]:
    """Each string redacted; one scan for the whole batch (a Review holds thousands)."""
    if any(_SEPARATOR in v for v in values):
        return [redact_text(v).text for v in values]
    parts = redact_text(_SEPARATOR.join(values)).text.split(_SEPARATOR)
    if len(parts) != len(values):  # pragma: no cover - redaction keeps every line
        return [redact_text(v).text for v in values]
    return parts


def _collect(value: Any, name: str, out: list[str]) -> None:
    if isinstance(value, str):
        if name not in _STRUCTURAL_FIELDS:
            out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _collect(v, k, out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect(v, name, out)


def _replace(value: Any, name: str, new: Iterator[str]) -> Any:
    if isinstance(value, str):
        return value if name in _STRUCTURAL_FIELDS else next(new)
    if isinstance(value, dict):
        return {k: _replace(v, k, new) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_replace(v, name, new) for v in value)
    return value


def redact_review(review: M) -> M:
    """The same Review with every secret masked in every string it holds."""
    data = review.model_dump(mode="python")
    strings: list[str] = []
    _collect(data, "", strings)
    redacted = redact_strings(strings)
    if redacted == strings:
        return review
    return type(review).model_validate(_replace(data, "", iter(redacted)))


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
