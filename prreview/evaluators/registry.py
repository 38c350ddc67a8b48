"""The evaluator registry.

Two kinds of evaluator stand behind one small idea, "look at the change, return findings":
- `builtin`: the deterministic checks in prreview/checks (no model, always on);
- LLM evaluators: a Jinja template each (prreview/evaluators/prompts/evaluators/NAME.j2), routed to the
  units whose files match their `paths`/`languages`, run concurrently through the engine.

Users add evaluators in config with a template from their repository
([tool.prreview.evaluators.NAME] template = "path/in/repo.j2"), rendered in the sandbox.

Depths (docs/evaluators.md "Depths"): `default` and `quick` ask every built-in lens of a unit
in one call (`review`, one checklist, one findings list with a category each); `deep` and
naming evaluators with --evaluator give each lens its own call. Custom template evaluators and
built-ins with their own `model` always get their own call. Lenses are routed by file kind:
documentation and changelogs get only the short `docs` lens, config-only files only
`correctness`; code gets the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Literal, get_args

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
    "docs": True,
}
DESCRIPTIONS = {
    "correctness": "logic, edge cases, error handling, concurrency",
    "security": "injection, authz, secrets handling, unsafe deserialisation, SSRF, path traversal",
    "performance": "complexity, N+1, blocking I/O in hot paths",
    "tests": "changed behaviour without tests, weakened assertions",
    "maintainability": "misleading code, duplication, dead code (off by default)",
    "docs": "documentation that contradicts the code, broken examples (docs files only)",
}
DEPTHS: tuple[str, ...] = get_args(Settings.model_fields["depth"].annotation)
"""quick, default, deep (the Settings field is the one copy)."""
COMBINED = "review"
"""The name of the one-call-per-unit evaluator of the default and quick depths."""

FileKind = Literal["code", "docs", "config"]
LENSES_FOR_KIND: dict[FileKind, frozenset[str]] = {
    "code": frozenset({"correctness", "security", "performance", "tests", "maintainability"}),
    "config": frozenset({"correctness"}),
    "docs": frozenset({"docs"}),
}
_DOC_LANGUAGES = frozenset({"markdown", "rst", "text", "asciidoc"})
_DOC_SUFFIXES = (".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc", ".asciidoc", ".rdoc")
_DOC_STEMS = (
    "changelog", "changes", "history", "news", "releases", "release-notes", "authors",
    "contributors", "contributing", "license", "licence", "copying", "notice", "readme",
    "code_of_conduct", "security", "maintainers", "todo",
)  # fmt: skip
_CONFIG_LANGUAGES = frozenset({"yaml", "json", "toml", "ini", "xml"})
_CONFIG_SUFFIXES = (".yml", ".yaml", ".json", ".toml", ".ini", ".cfg", ".conf", ".properties")
_RUNS_CODE = (".github/workflows/", ".gitlab-ci", ".circleci/", "azure-pipelines", ".buildkite/")
"""Config files that execute commands in CI: reviewed as code (script injection, secrets)."""


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


def file_kind(path: str, language: str | None) -> FileKind:
    """docs (prose, changelogs), config (data-only files) or code, for lens routing."""
    lowered = path.lower()
    name = PurePosixPath(lowered).name
    if any(marker in lowered for marker in _RUNS_CODE):
        return "code"
    if language in _DOC_LANGUAGES:
        return "docs"
    if language in _CONFIG_LANGUAGES:
        return "config"
    if language is not None:
        return "code"
    if name.startswith("requirements") or name.endswith(_CONFIG_SUFFIXES):
        return "config"
    if name.endswith(_DOC_SUFFIXES) or name.split(".", 1)[0] in _DOC_STEMS:
        return "docs"
    return "code"


def routes(spec: EvaluatorSpec, path: str, language: str | None) -> bool:
    """Whether `spec` reviews the file at `path` (its paths/languages, then the file kind)."""

    if spec.paths and not path_matches(path, spec.paths):
        return False
    if spec.languages and (language or "") not in spec.languages:
        return False
    return spec.custom or spec.name in LENSES_FOR_KIND[file_kind(path, language)]


def dedicated(spec: EvaluatorSpec, settings: Settings) -> bool:
    """Whether `spec` gets its own call per unit instead of a section of the combined one."""
    return (
        settings.depth == "deep"
        or bool(settings.only_evaluators)
        or spec.custom
        or spec.model is not None
    )


def names(specs: Sequence[EvaluatorSpec]) -> list[str]:
    return [s.name for s in specs]
