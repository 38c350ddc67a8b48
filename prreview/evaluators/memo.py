"""Whole-run memo: an identical re-run skips analysis, planning and token counting.

The model cache already answers every request of an identical re-run; this memo also skips
the work that builds those requests (tree-sitter, git grep, loading the tokenizer), which is
most of a cached run's time. The key covers everything the model half depends on: the base
and head commits (the diff and the head tree the context comes from), the settings that shape
prompts and plans, the evaluator templates and the prreview version. Only complete outcomes
are stored, as JSON text in the same JSON-only cache, written and read by pydantic
(`MemoEntry`). A replayed outcome counts every request as a cache hit and costs nothing.
Local modes (--staged, --working-tree) have no commit to key on and are never memoised.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import ValidationError

from prreview.config.settings import Settings
from prreview.evaluators.outcome import ModelOutcome
from prreview.evaluators.registry import EvaluatorSpec
from prreview.llm.cache import Cache, default_cache_dir
from prreview.models import ChangeSet, Frozen, RunCounters, Symbol
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


class MemoEntry(Frozen):
    outcome: ModelOutcome
    symbols: dict[str, tuple[Symbol, ...]] = {}


def _replayed(outcome: ModelOutcome) -> ModelOutcome:
    """What a replay of `outcome` costs this run: no calls, every request a cache hit."""
    c = outcome.counters
    counters = RunCounters(
        cache_hits=c.calls + c.cache_hits,
        prompt_tokens=c.prompt_tokens,
        completion_tokens=c.completion_tokens,
    )
    return outcome.model_copy(update={"counters": counters, "latencies": ()})


def _cache(settings: Settings) -> Cache:
    return Cache(settings.cache_dir or default_cache_dir(Path(settings.repo)))


def load(
    settings: Settings, key: str | None
) -> tuple[ModelOutcome, dict[str, list[Symbol]]] | None:
    """The memoised outcome for `key`, or None (a miss, or an unreadable entry)."""
    if key is None:
        return None
    with _cache(settings) as cache:
        text = cache.get(key)
    if text is None:
        return None
    try:
        entry = MemoEntry.model_validate_json(text)
    except ValidationError:
        return None
    return _replayed(entry.outcome), {p: list(syms) for p, syms in entry.symbols.items()}


def store(
    settings: Settings, key: str | None, outcome: ModelOutcome, symbols: dict[str, list[Symbol]]
) -> None:
    """Remember a complete outcome; one with a failure or an incomplete skip is never stored."""
    if key is None or outcome.failed or outcome.incomplete_reason:
        return
    if any(s.incomplete for s in outcome.skipped):
        return
    entry = MemoEntry(outcome=outcome, symbols={p: tuple(s) for p, s in symbols.items()})
    with _cache(settings) as cache:
        cache.set(key, entry.model_dump_json())
