"""Every prompt is rendered here, in Jinja's sandbox with StrictUndefined.

Pull-request content only ever enters a template as a *value* (a variable), never as
template source, so `{{ 7*7 }}` in a diff reaches the model verbatim. Repository-supplied
templates (custom evaluators) are rendered in the immutable sandbox: touching `__class__`,
`__globals__`, `os` or an undefined name fails with TemplateError (exit 2) naming the template.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from importlib import resources
from typing import Any

from prreview.errors import TemplateError

BUILTIN_EVALUATOR_TEMPLATES = (
    "correctness",
    "security",
    "performance",
    "tests",
    "maintainability",
    "docs",
)


@functools.cache
def _env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@functools.cache
def builtin_source(name: str) -> str:
    """Source of a packaged template, e.g. 'system' or 'evaluators/security'."""
    return (
        resources.files("prreview.evaluators.prompts")
        .joinpath(f"{name}.j2")
        .read_text(encoding="utf-8")
    )


def template_hash(*sources: str) -> str:
    h = hashlib.sha256()
    for src in sources:
        h.update(src.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def render_source(source: str, name: str, variables: Mapping[str, Any]) -> str:
    """Render template `source` (named `name` in errors) with `variables` in the sandbox."""
    from jinja2 import TemplateError as JinjaTemplateError
    from jinja2.exceptions import SecurityError, UndefinedError

    try:
        template = _env().from_string(source)
        return template.render(**variables).strip() + "\n"
    except SecurityError as exc:
        raise TemplateError(
            f"template {name}: blocked by the sandbox: {exc}",
            hint="templates may only use the documented variables; no attribute access to "
            "internals (__class__, __globals__) and no os/environment access",
        ) from None
    except UndefinedError as exc:
        raise TemplateError(
            f"template {name}: {exc}",
            hint="see docs/evaluators.md for the variables a template receives",
        ) from None
    except JinjaTemplateError as exc:
        raise TemplateError(f"template {name}: {exc}") from None


def render_builtin(name: str, variables: Mapping[str, Any]) -> str:
    return render_source(builtin_source(name), f"prreview/evaluators/prompts/{name}.j2", variables)


def boundary_for(*parts: str) -> str:
    """A data-fence tag derived from the content, so the data cannot forge the end marker."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
    tag = h.hexdigest()[:12]
    while any(tag in p for p in parts):  # pragma: no cover - a 48-bit collision
        tag = hashlib.sha256(tag.encode()).hexdigest()[:12]
    return tag
