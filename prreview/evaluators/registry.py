"""The evaluator registry.

Two kinds of evaluator stand behind one small idea, "look at the change, return findings":
- `builtin`: the deterministic checks in prreview/checks (no model, always on);
- LLM evaluators: a Jinja template each (prreview/evaluators/prompts/evaluators/NAME.j2), routed to the
  units whose files match their `paths`/`languages`, run concurrently through the engine.

Users add evaluators in config with a template from their repository
([tool.prreview.evaluators.NAME] template = "path/in/repo.j2"), rendered in the sandbox.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from prreview.change.filters import path_matches
from prreview.config.settings import EvaluatorSettings, Settings
from prreview.errors import ConfigError
from prreview.evaluators.prompts.render import (
    BUILTIN_EVALUATOR_TEMPLATES,
    builtin_source,
    template_hash,
)
from prreview.models import Frozen

DEFAULT_ENABLED = {
    "correctness": True,
    "security": True,
    "performance": True,
    "tests": True,
    "maintainability": False,
}
DESCRIPTIONS = {
    "correctness": "logic, edge cases, error handling, concurrency",
    "security": "injection, authz, secrets handling, unsafe deserialisation, SSRF, path traversal",
    "performance": "complexity, N+1, blocking I/O in hot paths",
    "tests": "changed behaviour without tests, weakened assertions",
    "maintainability": "misleading code, duplication, dead code (off by default)",
}


class EvaluatorSpec(Frozen):
    name: str
    template_name: str
    """prreview/evaluators/prompts/... for built-ins; the repo path for custom evaluators."""
    template_source: str
    template_hash: str
    paths: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    model: str | None = None
    instructions: str = ""
    description: str = ""
    custom: bool = False


def _builtin_spec(name: str, cfg: EvaluatorSettings | None) -> EvaluatorSpec:
    source = builtin_source(f"evaluators/{name}")
    cfg = cfg or EvaluatorSettings()
    return EvaluatorSpec(
        name=name,
        template_name=f"prreview/evaluators/prompts/evaluators/{name}.j2",
        template_source=source,
        template_hash=template_hash(source),
        paths=cfg.paths,
        languages=cfg.languages,
        model=cfg.model,
        instructions=cfg.instructions,
        description=cfg.description or DESCRIPTIONS[name],
    )


def _custom_spec(
    name: str, cfg: EvaluatorSettings, read_trusted: Callable[[str], str | None]
) -> EvaluatorSpec:
    if not cfg.template:
        raise ConfigError(
            f"evaluator '{name}' is not built in and has no template",
            hint=f"set [tool.prreview.evaluators.{name}] template = 'path/to/template.j2'",
        )
    source = read_trusted(cfg.template)
    if source is None:
        raise ConfigError(
            f"evaluator '{name}': template {cfg.template} not found",
            hint="a range review reads templates from the base commit (see docs/security.md, "
            "Trust boundaries); commit the template to the base branch first",
        )
    return EvaluatorSpec(
        name=name,
        template_name=cfg.template,
        template_source=source,
        template_hash=template_hash(source),
        paths=cfg.paths,
        languages=cfg.languages,
        model=cfg.model,
        instructions=cfg.instructions,
        description=cfg.description or "custom evaluator",
        custom=True,
    )


def resolve_evaluators(
    settings: Settings, read_trusted: Callable[[str], str | None]
) -> list[EvaluatorSpec]:
    """The LLM evaluators this run uses, in a fixed order (built-ins first, then custom)."""
    configured: Mapping[str, EvaluatorSettings] = settings.evaluators
    only = set(settings.only_evaluators)
    known = set(BUILTIN_EVALUATOR_TEMPLATES) | set(configured) | {"builtin"}
    unknown = sorted(only - known)
    if unknown:
        raise ConfigError(
            f"--evaluator: unknown evaluator(s) {', '.join(unknown)}",
            hint=f"choose from {', '.join(sorted(known))}",
        )
    specs: list[EvaluatorSpec] = []
    for name in (*BUILTIN_EVALUATOR_TEMPLATES, *sorted(set(configured) - set(DEFAULT_ENABLED))):
        cfg = configured.get(name)
        enabled = (
            DEFAULT_ENABLED.get(name, True) if cfg is None or cfg.enabled is None else cfg.enabled
        )
        if only:
            enabled = name in only
        if not enabled:
            continue
        if name in DEFAULT_ENABLED:
            specs.append(_builtin_spec(name, cfg))
        else:
            specs.append(_custom_spec(name, cfg or EvaluatorSettings(), read_trusted))
    return specs


def routes(spec: EvaluatorSpec, path: str, language: str | None) -> bool:
    """Whether `spec` reviews the file at `path`."""

    if spec.paths and not path_matches(path, spec.paths):
        return False
    return not spec.languages or (language or "") in spec.languages


def names(specs: Sequence[EvaluatorSpec]) -> list[str]:
    return [s.name for s in specs]
