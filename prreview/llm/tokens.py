"""Token counting with tiktoken, offline.

tiktoken downloads its encodings on first use; CI runners are often offline. LiteLLM ships
cl100k_base and o200k_base in its package, and `prreview.llm.offline` points
TIKTOKEN_CACHE_DIR there once, at import, unless the user set it (litellm is not imported).
When an encoding cannot be loaded offline, counts are estimated as len(text) // 4 + 1 and
flagged approximate.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from prreview.llm import offline

log = logging.getLogger(__name__)

_O200K_PREFIXES = ("gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4")
_MESSAGE_OVERHEAD = 4
_REPLY_PRIMER = 3


def encoding_name(model: str | None) -> str:
    """o200k_base for the GPT-4o/4.1/5 and o-series families, cl100k_base otherwise."""
    name = (model or "").rsplit("/", 1)[-1].lower()
    return "o200k_base" if name.startswith(_O200K_PREFIXES) else "cl100k_base"


@functools.cache
def _encoding(name: str) -> Any | None:
    """The tiktoken encoding, or None (warned once) when it cannot be loaded offline."""
    if not offline.encoding_available(name):
        log.warning("tokenizer %s not available offline; token counts are estimates", name)
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    # tiktoken raises whatever its downloader raises (requests, OSError, ValueError...).
    except Exception as exc:
        log.warning("tokenizer %s could not be loaded (%s); token counts are estimates", name, exc)
        return None


def is_exact(model: str | None) -> bool:
    """True when counts for `model` come from a real tokenizer, False when estimated."""
    return _encoding(encoding_name(model)) is not None


def count_tokens(text: str, model: str | None) -> int:
    enc = _encoding(encoding_name(model))
    if enc is None:
        return len(text) // 4 + 1
    return len(enc.encode(text, disallowed_special=()))


def count_messages(messages: Iterable[Mapping[str, Any]], model: str | None) -> int:
    """Prompt tokens of a chat request, with OpenAI's per-message framing overhead."""
    total = _REPLY_PRIMER
    for message in messages:
        total += _MESSAGE_OVERHEAD
        for value in message.values():
            if isinstance(value, str):
                total += count_tokens(value, model)
    return total
