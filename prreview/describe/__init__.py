"""`prreview describe`: a pull request description from the change, with or without a model.

    describe_change(settings, env, observer) -> (Description, complete)
    render_markdown(description) -> str

The change is read the way `prreview run` reads it (same refs, filters and skipped files);
changed symbols and the modules' imports come from the head tree. Without a model the
description is deterministic; with one, a single cached call (secrets redacted) writes the
title, type, overview, module lines and labels. Nothing here prints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from prreview.change import read
from prreview.config.settings import Settings
from prreview.context.symbols import changed_symbols
from prreview.describe.imports import RepoIndex, module_imports
from prreview.describe.llm import merge, parse, prompt, repair, request
from prreview.describe.render import render_markdown
from prreview.describe.shape import (
    CHANGE_TYPES,
    ChangeType,
    Description,
    ModuleChange,
    deterministic,
)
from prreview.evaluators.model_half import deadline_from, engine_for
from prreview.llm import tokens
from prreview.models import ChangeSet
from prreview.pipeline import read_change_set

__all__ = [
    "CHANGE_TYPES",
    "ChangeType",
    "Description",
    "ModuleChange",
    "describe_change",
    "render_markdown",
]

Observer = Callable[[str], None]


def describe_change(
    settings: Settings, env: Mapping[str, str], observer: Observer
) -> tuple[Description, bool]:
    """The description and whether it is complete (False: the model call failed)."""

    started = time.monotonic()
    changes = read_change_set(settings, env)
    observer(f"prreview: {changes.base_reason}")
    with read.reader_for(changes) as head, read.reader_for(changes, "old") as base:
        symbols, texts = _read(changes, head, base)
        edges = _imports(texts, head)
    desc = deterministic(changes, symbols, edges)
    if not settings.model or not changes.files:
        return desc, True
    return _with_model(desc, changes, settings, observer, started)


def _read(
    changes: ChangeSet, head: Any, base: Any
) -> tuple[dict[str, list[str]], dict[str, tuple[str | None, str]]]:

    symbols: dict[str, list[str]] = {}
    texts: dict[str, tuple[str | None, str]] = {}
    for f in changes.reviewable_files:
        if f.is_binary or not f.hunks:
            continue
        new_text = head.read_text(f.path) if f.status != "deleted" else None
        old_text = base.read_text(f.old_path or f.path) if f.status != "added" else None
        found = changed_symbols(f, old_text, new_text)
        symbols[f.path] = list(dict.fromkeys(s.qualified_name for s in found if s.kind != "module"))
        if new_text is not None:
            texts[f.path] = (f.language, new_text)
    return symbols, texts


def _imports(texts: dict[str, tuple[str | None, str]], head: Any) -> tuple[tuple[str, str], ...]:

    if not texts:
        return ()
    return module_imports(texts, RepoIndex(head.ls_files()))


def _with_model(
    desc: Description,
    changes: ChangeSet,
    settings: Settings,
    observer: Observer,
    started: float,
) -> tuple[Description, bool]:

    model = settings.summary_model or settings.model or ""
    messages = prompt(changes, desc, lambda text: tokens.count_tokens(text, model))
    engine: Any = engine_for(settings, deadline_from(settings, started))
    for attempt in range(2):
        (result,) = engine.run_sync([request(messages, settings)])
        if result.error:
            detail = result.error_detail or result.error
            return _fallback(desc, f"the model call failed ({detail})"), False
        try:
            return merge(desc, parse(result.text)), True
        except ValueError as exc:
            if attempt:
                return _fallback(desc, f"the model's answer was invalid twice ({exc})"), False
            messages = repair(messages, result.text, str(exc))
    raise AssertionError("unreachable")


def _fallback(desc: Description, why: str) -> Description:
    return desc.model_copy(update={"note": f"No model text: {why}; this is the walkthrough."})
