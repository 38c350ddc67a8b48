"""Provider prompt caching: mark the shared prefix, order calls, count what was served cached.

Every review prompt is (system text, unit block = context pack + diff, task). The first two
messages are identical for every call of a unit (deep mode's lenses, samples, repair re-asks)
and the system text for every unit, so they form the cacheable prefix.

- OpenAI, Gemini, DeepSeek and most OpenAI-compatible servers cache identical prefixes of
  1,024 tokens or more by themselves; nothing is marked.
- Anthropic (direct, Bedrock, Vertex AI) caches only what a request marks: the prefix
  messages are sent as content blocks whose last block carries
  `cache_control: {"type": "ephemeral"}` (LiteLLM passes the block through;
  https://docs.litellm.ai/docs/completion/prompt_caching).
- A provider writes its cache when the first request with a prefix is processed, so calls
  that share a prefix are staggered: one goes first, the others after it was answered
  (`stagger`). Prefixes under MIN_CACHEABLE_TOKENS are not cached by any provider and are
  not staggered.

The usage of a response reports the prompt tokens read from the cache
(`prompt_tokens_details.cached_tokens`; Anthropic's `cache_read_input_tokens`); LiteLLM's
completion_cost prices them at the model's cached rate, and `prices.estimate_cost` does the
same for the pre-flight estimate.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, TypeVar

PREFIX_MESSAGES = 2
"""Leading messages of a review request that are shared: system text and the unit block."""
MIN_CACHEABLE_TOKENS = 1024
"""The smallest prefix OpenAI, Gemini and Anthropic's Sonnet/Opus models cache."""
EPHEMERAL: dict[str, str] = {"type": "ephemeral"}
_MARKED_PROVIDERS = ("anthropic/", "bedrock/", "vertex_ai/", "vertex_ai_beta/")

T = TypeVar("T")


def needs_marking(model: str) -> bool:
    """Whether `model` caches only marked prefixes (Anthropic's Claude models)."""
    lowered = model.lower()
    if lowered.startswith("anthropic/"):
        return True
    return lowered.startswith(_MARKED_PROVIDERS) and "claude" in lowered


def provider_messages(
    model: str, messages: Sequence[Mapping[str, Any]], prefix: int
) -> list[dict[str, Any]]:
    """The messages as sent: for Anthropic, the first `prefix` ones as text blocks with a
    cache breakpoint on the last of them; unchanged for every other provider."""
    out = [dict(m) for m in messages]
    if prefix <= 0 or not needs_marking(model) or len(out) <= prefix:
        return out
    for index in range(prefix):
        content = out[index].get("content")
        if not isinstance(content, str):
            return [dict(m) for m in messages]
        block: dict[str, Any] = {"type": "text", "text": content}
        if index == prefix - 1:
            block["cache_control"] = dict(EPHEMERAL)
        out[index]["content"] = [block]
    return out


def _field(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def cached_tokens(usage: Any) -> int:
    """Prompt tokens read from the provider's prompt cache, from a response's usage."""
    details = _field(usage, "prompt_tokens_details")
    for value in (_field(details, "cached_tokens"), _field(usage, "cache_read_input_tokens")):
        if isinstance(value, int) and value > 0:
            return value
    return 0


def stagger(
    items: Sequence[T], key: Callable[[T], Hashable], size: Callable[[T], int]
) -> tuple[list[T], list[T]]:
    """(first wave, second wave): one item of every group that shares a cacheable prefix
    goes first; the rest of the group waits until that one is answered. Order is kept."""
    first: list[T] = []
    later: list[T] = []
    seen: set[Hashable] = set()
    for item in items:
        group = key(item)
        if size(item) < MIN_CACHEABLE_TOKENS or group not in seen:
            seen.add(group)
            first.append(item)
        else:
            later.append(item)
    return first, later


def expected_cached(groups: Mapping[Hashable, tuple[int, int]]) -> int:
    """Prompt tokens a caching provider should serve cached: for each prefix group of
    (calls, prefix tokens), every call after the first reads the prefix from the cache."""
    return sum(
        (calls - 1) * tokens
        for calls, tokens in groups.values()
        if calls > 1 and tokens >= MIN_CACHEABLE_TOKENS
    )
