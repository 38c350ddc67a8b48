"""Model context windows and prices from LiteLLM's bundled price map, without importing litellm.

`import litellm` costs seconds; planning and pre-flight estimates only need two numbers per
model, which LiteLLM ships as a JSON file inside its package (`offline.price_map_path`).
Reading it takes ~40 ms.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from prreview.llm import offline


@functools.cache
def _price_map() -> dict[str, Any]:
    path = offline.price_map_path()
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def model_info(model: str) -> dict[str, Any] | None:
    """The price-map entry for a LiteLLM model id (with or without its provider prefix)."""
    table = _price_map()
    if model in table:
        return table[model]
    bare = model.split("/", 1)[1] if "/" in model else None
    if bare and bare in table:
        return table[bare]
    return None


def context_window(model: str) -> int | None:
    info = model_info(model) or {}
    value = info.get("max_input_tokens") or info.get("max_tokens")
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


def estimate_cost(
    model: str, prompt_tokens: int, output_tokens: int, cached_tokens: int = 0
) -> float | None:
    """USD for one call, or None when the model has no known price.

    `cached_tokens` of the prompt are priced at the model's cache-read rate
    (`cache_read_input_token_cost`; the input rate when the map has none), as LiteLLM's
    completion_cost prices a response whose usage reports them.
    """
    info = model_info(model)
    if not info:
        return None
    try:
        rate = float(info.get("input_cost_per_token", 0.0))
        cached_rate = float(info.get("cache_read_input_token_cost", rate) or rate)
        cached = max(0, min(cached_tokens, prompt_tokens))
        return (
            rate * (prompt_tokens - cached)
            + cached_rate * cached
            + float(info.get("output_cost_per_token", 0.0)) * output_tokens
        )
    except (TypeError, ValueError):
        return None
