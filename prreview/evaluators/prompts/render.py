"""Every prompt is rendered here, in Jinja's sandbox with StrictUndefined.

Pull-request content only ever enters a template as a *value* (a variable), never as
template source, so `{{ 7*7 }}` in a diff reaches the model verbatim. Templates given by
`render_source` (custom evaluators from the repository, read from the trusted tree) are
rendered in the immutable sandbox with bounds, and every failure is a TemplateError (exit 2)
naming the template:

- touching `__class__`, `__globals__`, `os` or an undefined name;
- `{% include %}`, `{% import %}`, `{% from %}` and `{% extends %}`: a template is one
  self-contained file (checked before rendering);
- more than MAX_STEPS loop iterations, calls, filters and outputs, or more than
  MAX_SECONDS, or a string, list or output over MAX_CHARS characters (MAX_PRODUCED in total),
  an integer argument over MAX_INT, a format width of 6 digits or more, `**` over 256.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import resources
from typing import Any

from prreview.errors import TemplateError

BUILTIN_EVALUATOR_TEMPLATES = ("correctness", "security", "performance", "tests", "maintainability")
MAX_STEPS = 200_000
MAX_SECONDS = 5.0
MAX_CHARS = 2_000_000
MAX_PRODUCED = 16_000_000
MAX_INT = 100_000
MAX_TEMPLATE_CHARS = 256_000
_WIDE_FORMAT = re.compile(r"\d{6,}")
_HOOK = "_prreview_"


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
    """Render template `source` (named `name` in errors) with `variables`, bounded."""
    template = _compile_bounded(source, name)
    budget = _Budget()
    token = _BUDGET.set(budget)
    try:
        return _guarded(name, lambda: _stream(template, variables, budget))
    finally:
        _BUDGET.reset(token)


def _stream(template: Any, variables: Mapping[str, Any], budget: _Budget) -> str:
    parts: list[str] = []
    size = 0
    for chunk in template.generate(**variables):
        size += len(chunk)
        budget.tick()
        if size > MAX_CHARS:
            raise _Limit(f"the output is over {MAX_CHARS} characters")
        parts.append(chunk)
    return "".join(parts).strip() + "\n"


def _guarded(name: str, render: Callable[[], str]) -> str:
    from jinja2 import TemplateError as JinjaTemplateError
    from jinja2.exceptions import SecurityError, UndefinedError

    try:
        return render()
    except _Limit as exc:
        raise TemplateError(
            f"template {name}: stopped: {exc}",
            hint="a template must render quickly and small; loops are bounded "
            f"({MAX_STEPS} steps, {MAX_SECONDS:g} s, {MAX_CHARS} characters)",
        ) from None
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
    except (RecursionError, MemoryError, OverflowError) as exc:
        raise TemplateError(f"template {name}: stopped: {type(exc).__name__}") from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateError(f"template {name}: {type(exc).__name__}: {exc}") from None


def _render_trusted(source: str, name: str, variables: Mapping[str, Any]) -> str:
    """Packaged templates: the plain sandbox (their values may be large diffs)."""
    return _guarded(name, lambda: _env().from_string(source).render(**variables).strip() + "\n")


def render_builtin(name: str, variables: Mapping[str, Any]) -> str:
    path = f"prreview/evaluators/prompts/{name}.j2"
    return _render_trusted(builtin_source(name), path, variables)


def boundary_for(*parts: str) -> str:
    """A data-fence tag derived from the content, so the data cannot forge the end marker."""
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
    tag = h.hexdigest()[:12]
    while any(tag in p for p in parts):  # pragma: no cover - a 48-bit collision
        tag = hashlib.sha256(tag.encode()).hexdigest()[:12]
    return tag


# --------------------------------------------------------------------------- bounds


class _Limit(Exception):
    """A render bound was hit (becomes a TemplateError naming the template)."""


class _Budget:
    def __init__(self) -> None:
        self.steps = 0
        self.produced = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise _Limit(f"more than {MAX_STEPS} steps (loop iterations, calls, outputs)")
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:
            raise _Limit(f"rendering took more than {MAX_SECONDS:g} seconds")

    def sized(self, value: Any) -> Any:
        self.tick()
        if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4096:
            raise _Limit("an integer over 4096 bits")
        if isinstance(value, (str, bytes, list, tuple, dict, set)):
            if len(value) > MAX_CHARS:
                raise _Limit(f"a value over {MAX_CHARS} characters or items")
            self.produced += len(value)
            if self.produced > MAX_PRODUCED:
                raise _Limit(f"more than {MAX_PRODUCED} characters produced in total")
        return value


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _current() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # pragma: no cover - bounded templates only render in render_source
        raise _Limit("no render budget")
    return budget


def _check_args(args: Iterable[Any]) -> None:
    for arg in args:
        if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_INT:
            raise _Limit(f"an integer argument over {MAX_INT}")
        if isinstance(arg, (tuple, list)) and len(arg) <= 16:
            _check_args(arg)


def _estimate(name: str, target: Any, args: tuple[Any, ...]) -> int:
    """Characters a replace/join/format would produce, checked before it runs."""
    if name == "replace" and isinstance(target, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = target.count(old) if old else len(target) + 1
        return len(target) + count * max(0, len(new) - len(old))
    if (
        name == "join"
        and isinstance(target, str)
        and args
        and isinstance(args[0], (list, tuple, str))
    ):
        return len(args[0]) * (len(target) + 1) + sum(len(str(x)) for x in args[0][:10_000])
    if name in ("format", "format_map") and isinstance(target, str) and _WIDE_FORMAT.search(target):
        return MAX_CHARS + 1
    return 0


def _filter_estimate(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    data = [a for a in args if isinstance(a, (str, list, tuple))]
    if name == "replace" and len(data) >= 3:
        return _estimate("replace", data[0], tuple(data[1:3]))
    if name == "join" and data:
        separator = kwargs.get("d", data[1] if len(data) > 1 else "")
        return _estimate("join", str(separator), (data[0],))
    if name == "format" and data:
        return _estimate("format", data[0], ())
    return 0


def _bound_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        budget = _current()
        budget.tick()
        _check_args([*args, *kwargs.values()])
        if _filter_estimate(name, args, kwargs) > MAX_CHARS:
            raise _Limit(f"the {name} filter would produce over {MAX_CHARS} characters")
        return budget.sized(func(*args, **kwargs))

    return bounded


def _loop(iterable: Any) -> Iterator[Any]:
    """Wraps every `{% for %}` iterable: each iteration is a step."""
    budget = _current()
    for item in iterable:
        budget.tick()
        yield item


def _sized(value: Any) -> Any:
    """Wraps every output and concatenation (`~`): sizes are bounded and counted."""
    return _current().sized(value)


@functools.cache
def _bounded_env() -> Any:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Bounded(ImmutableSandboxedEnvironment):  # type: ignore[misc]
        intercepted_binops = frozenset({"*", "**", "%", "+"})

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            budget = _current()
            budget.tick()
            _check_binop(operator, left, right)
            return budget.sized(super().call_binop(context, operator, left, right))

        def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
            budget = _current()
            budget.tick()
            _check_args([*args, *kwargs.values()])
            method = getattr(__obj, "__wrapped__", __obj)
            target = getattr(method, "__self__", None)
            if _estimate(getattr(method, "__name__", ""), target, args) > MAX_CHARS:
                raise _Limit(f"a call would produce over {MAX_CHARS} characters")
            return budget.sized(super().call(__context, __obj, *args, **kwargs))

    env = Bounded(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters = {name: _bound_filter(name, f) for name, f in env.filters.items()}
    for name in ("lipsum", "cycler", "joiner"):
        env.globals.pop(name, None)
    env.globals[_HOOK + "loop"] = _loop
    env.globals[_HOOK + "sized"] = _sized
    return env


def _check_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "**" and isinstance(right, (int, float)) and abs(right) > 256:
        raise _Limit("an exponent over 256")
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            repeated = isinstance(seq, (str, list, tuple)) and isinstance(times, int)
            if repeated and len(seq) * times > MAX_CHARS:
                raise _Limit(f"a repetition over {MAX_CHARS} characters or items")
    if operator == "%" and isinstance(left, str) and _WIDE_FORMAT.search(left):
        raise _Limit("a format width of 6 digits or more")
    if operator == "%":
        _check_args(right if isinstance(right, tuple) else (right,))


@functools.lru_cache(maxsize=64)
def _compile_bounded(source: str, name: str) -> Any:
    """Parse, refuse includes/imports/extends, wrap loops and outputs, compile."""
    from jinja2 import TemplateSyntaxError, nodes
    from jinja2.visitor import NodeTransformer

    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateError(f"template {name}: over {MAX_TEMPLATE_CHARS} characters")
    env = _bounded_env()
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {name}: line {exc.lineno}: {exc.message}") from None
    refused = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
    for node in tree.find_all(refused):
        tag = {"Include": "include", "Import": "import", "FromImport": "from", "Extends": "extends"}
        raise TemplateError(
            f"template {name}: line {node.lineno}: {{% {tag[type(node).__name__]} %}} is not "
            "allowed",
            hint="a custom evaluator template is one self-contained file: inline what you "
            "wanted to include",
        )
    for named in tree.find_all(nodes.Name):
        if named.name.startswith(_HOOK):
            raise TemplateError(f"template {name}: the name {named.name} is reserved")

    def hook(kind: str, node: Any) -> Any:
        call = nodes.Call(nodes.Name(_HOOK + kind, "load"), [node], [], None, None)
        return call.set_lineno(node.lineno).set_environment(env)

    class Wrap(NodeTransformer):  # type: ignore[misc]
        def visit_For(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.iter = hook("loop", node.iter)
            return node

        def visit_Concat(self, node: Any) -> Any:
            return hook("sized", self.generic_visit(node))

        def visit_Output(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.nodes = [hook("sized", child) for child in node.nodes]
            return node

    tree = Wrap().visit(tree)
    code = env.compile(tree, name=name, filename="<template>")
    return env.template_class.from_code(env, code, env.make_globals(None))
