"""Whole-run memo: an identical re-run skips analysis, planning and token counting.

The model cache already answers every request of an identical re-run; this memo also skips
the work that builds those requests (tree-sitter, git grep, loading the tokenizer), which is
most of a cached run's time. The key covers everything the model half depends on: the base
and head commits (the diff and the head tree the context comes from), the settings that shape
prompts and plans, the evaluator templates and the prreview version. Only complete outcomes
are stored, as JSON text in the same JSON-only cache. Local modes (--staged, --working-tree)
have no commit to key on and are never memoised.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from prreview.config.settings import Settings
from prreview.evaluators.jobs import Outcome
from prreview.evaluators.registry import EvaluatorSpec
from prreview.llm.cache import Cache, default_cache_dir
from prreview.models import ChangeSet, Finding, SkippedItem, Symbol
from prreview.version import __version__

RUN_CACHE_VERSION = "2"
_OUTSIDE_THE_MODEL_HALF = {
    "repo", "base", "head", "staged", "working_tree", "config_source", "ci", "previous_report",
    "outputs", "fail_on", "min_confidence", "filter_mode", "import_sarif", "baseline",
    "sarif_category", "fail_open", "cache_dir", "no_cache", "dry_run", "dump_prompts", "verbose",
    "timeout", "retries", "retry_after_cap", "retry_backoff", "deadline", "max_concurrency",
}  # fmt: skip
"""Settings that act before the diff is read or after the model answered (or only decide
whether a run completes; incomplete runs are never stored)."""


def run_key(settings: Settings, changes: ChangeSet, specs: list[EvaluatorSpec]) -> str | None:
    if changes.mode != "range" or not changes.head_sha or settings.no_cache or settings.dry_run:
        return None
    shaping = {
        k: v
        for k, v in settings.model_dump(mode="json").items()
        if k not in _OUTSIDE_THE_MODEL_HALF
    }
    payload = {
        "v": RUN_CACHE_VERSION,
        "tool": __version__,
        "base": changes.base_sha,
        "head": changes.head_sha,
        "settings": shaping,
        "templates": [s.template_hash for s in specs],
    }
    raw = json.dumps(payload, sort_keys=True, default=str).encode()
    return "run:" + hashlib.sha256(raw).hexdigest()


def _dump(outcome: Outcome, symbols: dict[str, list[Symbol]]) -> str:
    return json.dumps(
        {
            "samples": [
                [unit, spec, [[f.model_dump(mode="json") for f in s] for s in runs]]
                for (unit, spec), runs in sorted(outcome.samples.items())
            ],
            "dropped": outcome.dropped,
            "ignored_keys": outcome.ignored_keys,
            "redactions": outcome.redactions,
            "skipped": [s.model_dump(mode="json") for s in outcome.skipped],
            "requests": outcome.calls + outcome.cache_hits,
            "prompt_tokens": outcome.prompt_tokens,
            "completion_tokens": outcome.completion_tokens,
            "shared_prefix_tokens": outcome.shared_prefix_tokens,
            "cached_tokens": outcome.cached_tokens,
            "overview": outcome.overview,
            "reviewed_refs": sorted(outcome.reviewed_refs),
            "planned_prompt_tokens": outcome.planned_prompt_tokens,
            "symbols": {
                p: [s.model_dump(mode="json") for s in syms] for p, syms in symbols.items()
            },
        },
        sort_keys=True,
    )


def _load(text: str) -> tuple[Outcome, dict[str, list[Symbol]]]:
    data: dict[str, Any] = json.loads(text)
    out = Outcome(
        dropped=data["dropped"],
        ignored_keys=data["ignored_keys"],
        redactions=data["redactions"],
        skipped=[SkippedItem.model_validate(s) for s in data["skipped"]],
        cache_hits=data["requests"],
        prompt_tokens=data["prompt_tokens"],
        completion_tokens=data["completion_tokens"],
        shared_prefix_tokens=data["shared_prefix_tokens"],
        cached_tokens=data["cached_tokens"],
        overview=data["overview"],
        reviewed_refs={(p, int(i)) for p, i in data["reviewed_refs"]},
        planned_prompt_tokens=data["planned_prompt_tokens"],
    )
    for unit, spec, runs in data["samples"]:
        out.samples[(unit, spec)] = [[Finding.model_validate(f) for f in s] for s in runs]
    symbols = {p: [Symbol.model_validate(s) for s in syms] for p, syms in data["symbols"].items()}
    return out, symbols


def _cache(settings: Settings) -> Any:

    return Cache(settings.cache_dir or default_cache_dir(Path(settings.repo)))


def load(settings: Settings, key: str | None) -> tuple[Outcome, dict[str, list[Symbol]]] | None:
    """The memoised outcome for `key`, or None (a miss, or an unreadable entry)."""
    if key is None:
        return None
    with _cache(settings) as cache:
        text = cache.get(key)
    if text is None:
        return None
    try:
        return _load(text)
    except (ValueError, KeyError, TypeError):
        return None


def store(
    settings: Settings, key: str | None, outcome: Outcome, symbols: dict[str, list[Symbol]]
) -> None:
    if key is None or outcome.failed or outcome.incomplete_reason:
        return
    with _cache(settings) as cache:
        cache.set(key, _dump(outcome, symbols))
