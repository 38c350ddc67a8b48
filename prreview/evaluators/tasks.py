"""What each call of a unit asks: the system text, the unit block and the task.

The task is a lens's own template (deep mode, explicit --evaluator, custom evaluators) or the
combined checklist of every lens routed to the unit's files (registry.COMBINED), whose
sections are the lens templates' task texts, one copy of each.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from prreview.change.filters import path_matches
from prreview.change.languages import detect_language
from prreview.config.settings import Settings
from prreview.evaluators.prompts.render import (
    boundary_for,
    builtin_source,
    render_builtin,
    render_source,
    template_hash,
)
from prreview.evaluators.registry import COMBINED, EvaluatorSpec, dedicated, routes
from prreview.models import Unit


def path_instructions(settings: Settings, paths: Sequence[str]) -> str:

    texts = [
        item.text.strip()
        for item in settings.instructions
        if any(path_matches(path, item.paths) for path in paths)
    ]
    return "\n".join(f"Repository instruction: {t}" for t in texts if t)


def system_message() -> dict[str, str]:
    return {"role": "system", "content": render_builtin("system", {})}


def unit_message(unit: Unit) -> dict[str, str]:
    guidelines = [s for s in unit.snippets if s.kind == "guideline"]
    snippets = [s for s in unit.snippets if s.kind != "guideline"]
    boundary = boundary_for(unit.diff_text, *(s.text for s in unit.snippets))
    user = render_builtin(
        "unit",
        {
            "guidelines": guidelines,
            "snippets": snippets,
            "diff": unit.diff_text,
            "boundary": boundary,
        },
    )
    return {"role": "user", "content": user}


def _extra_instructions(spec: EvaluatorSpec, unit: Unit, settings: Settings) -> str:
    return "\n".join(
        x for x in (spec.instructions.strip(), path_instructions(settings, unit.paths)) if x
    )


def _render_task(spec: EvaluatorSpec, unit: Unit, instructions: str) -> str:
    variables: dict[str, Any] = {
        "evaluator": spec.name,
        "description": spec.description,
        "instructions": instructions,
        "paths": list(unit.paths),
        "languages": list(spec.languages),
    }
    return render_source(spec.template_source, spec.template_name, variables)


def task_message(spec: EvaluatorSpec, unit: Unit, settings: Settings) -> dict[str, str]:
    return {
        "role": "user",
        "content": _render_task(spec, unit, _extra_instructions(spec, unit, settings)),
    }


_TASK_LEAD = re.compile(r"^Task: review the change above for ", re.IGNORECASE)


def combined_spec(lenses: Sequence[EvaluatorSpec]) -> EvaluatorSpec:
    """The one-call evaluator for `lenses`; its hash covers the checklist and every lens."""
    source = builtin_source("review")
    return EvaluatorSpec(
        name=COMBINED,
        template_name="prreview/evaluators/prompts/review.j2",
        template_source=source,
        template_hash=template_hash(source, *(s.template_hash for s in lenses)),
        description="every enabled lens in one checklist",
    )


def combined_task(
    spec: EvaluatorSpec,
    lenses: Sequence[tuple[EvaluatorSpec, tuple[str, ...]]],
    unit: Unit,
    settings: Settings,
) -> dict[str, str]:
    """The checklist: each lens's own task text (one copy of it) as a numbered section.

    `lenses` pairs each lens with the unit files it applies to (empty: all of them).
    """
    sections = []
    for lens, files in lenses:
        text = _TASK_LEAD.sub("", _render_task(lens, unit, lens.instructions.strip()).strip())
        sections.append({"name": lens.name, "text": text, "files": list(files)})
    variables = {"lenses": sections, "instructions": path_instructions(settings, unit.paths)}
    return {
        "role": "user",
        "content": render_source(spec.template_source, spec.template_name, variables),
    }


def _routed(
    spec: EvaluatorSpec, unit: Unit, languages: Mapping[str, str | None]
) -> tuple[str, ...] | None:
    """The unit files `spec` applies to: () for all of them, None for none."""
    files = tuple(p for p in unit.paths if routes(spec, p, languages.get(p, detect_language(p))))
    if not files:
        return None
    return () if len(files) == len(unit.paths) else files


def unit_tasks(
    unit: Unit,
    specs: Sequence[EvaluatorSpec],
    settings: Settings,
    languages: Mapping[str, str | None],
) -> list[tuple[EvaluatorSpec, dict[str, str], tuple[str, ...]]]:
    """(spec, task message, lenses) for each call the unit gets: the combined checklist of
    every lens routed to its files, then one per dedicated evaluator."""
    combined: list[tuple[EvaluatorSpec, tuple[str, ...]]] = []
    tasks: list[tuple[EvaluatorSpec, dict[str, str], tuple[str, ...]]] = []
    for spec in specs:
        files = _routed(spec, unit, languages)
        if files is None:
            continue
        if dedicated(spec, settings):
            tasks.append((spec, task_message(spec, unit, settings), (spec.name,)))
        else:
            combined.append((spec, files))
    if combined:
        spec = combined_spec([lens for lens, _ in combined])
        task = combined_task(spec, combined, unit, settings)
        tasks.insert(0, (spec, task, tuple(lens.name for lens, _ in combined)))
    return tasks
