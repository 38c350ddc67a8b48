"""The package's import graph, read from the source: no cycles, and each concern in its owner.

Edges include imports inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import prreview

PACKAGE = Path(prreview.__file__).resolve().parent

LAZY_IMPORTS = {
    "litellm": "prreview/llm/engine.py",
    "openai": "prreview/llm/engine.py",
    "tiktoken": "prreview/llm/tokens.py",
    "jinja2": "prreview/evaluators/prompts/render.py",
    "rich": "prreview/cli/progress.py",
    "detect_secrets": "prreview/secrets/plugins.py",
}
"""Third-party modules imported inside functions (start-up cost), and the one module that may."""


def _modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent)
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        yield ".".join(parts) + ("/" if is_package else ""), path, ast.parse(path.read_text())


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if node.level:
        base = module.rstrip("/").split(".")
        if not module.endswith("/"):
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from pkg import module` depends on the module (importing pkg/__init__ is implied)
    return [
        f"{prefix}.{a.name}" if _is_module(f"{prefix}.{a.name}") else prefix for a in node.names
    ]


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _graph() -> dict[str, set[str]]:
    mods = {name.rstrip("/"): tree for name, _path, tree in _modules()}
    known = set(mods)
    graph: dict[str, set[str]] = {}
    for name, tree in mods.items():
        deps: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                module_key = name + ("/" if _is_package(name) else "")
                deps.update(t for t in _targets(module_key, node) if t in known and t != name)
        graph[name] = deps
    return graph


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_module_graph_has_no_cycle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_stage_packages_have_no_cycle() -> None:
    """Package level: change/ never imports review/, the CLI is imported by nothing, ..."""
    packages: dict[str, set[str]] = {}
    for module, deps in _graph().items():
        key = ".".join(module.split(".")[:2])
        packages.setdefault(key, set()).update(".".join(d.split(".")[:2]) for d in deps)
    for key, deps in packages.items():
        deps.discard(key)
        deps.discard("prreview")
    cycle = _cycle(packages)
    assert cycle is None, " -> ".join(cycle or [])


def _imports_of(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            yield node.module


def test_third_party_lazy_imports_live_in_their_owner() -> None:
    for _name, path, tree in _modules():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        for imported in _imports_of(tree):
            owner = LAZY_IMPORTS.get(imported.split(".")[0])
            assert owner is None or rel == owner, f"{rel} imports {imported} (owner: {owner})"


def test_imports_inside_functions_are_only_the_documented_lazy_ones() -> None:
    cli = PACKAGE / "cli"
    offenders = []
    for _name, path, tree in _modules():
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                mod = node.names[0].name if isinstance(node, ast.Import) else node.module or ""
                if mod.split(".")[0] in LAZY_IMPORTS:
                    continue
                # the CLI imports each command's implementation when that command runs, and
                # the package root resolves its exports on first use: both keep `--help` fast
                if cli in path.parents or path == PACKAGE / "__init__.py":
                    continue
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {mod}")
    assert not offenders, "\n".join(offenders)


def _calls(tree: ast.Module) -> Iterator[ast.Call]:
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.Call))


def test_only_the_change_package_starts_git() -> None:
    """Every git process starts in change/ (the hardened runner); nothing else spawns one."""
    offenders = []
    for _name, path, tree in _modules():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith("prreview/change/"):
            continue
        if "subprocess" in set(_imports_of(tree)):
            offenders.append(rel)
    assert not offenders, offenders


def test_only_the_cli_prints() -> None:
    offenders = []
    for _name, path, tree in _modules():
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith("prreview/cli/"):
            continue
        for call in _calls(tree):
            func = call.func
            if isinstance(func, ast.Name) and func.id == "print":
                offenders.append(f"{rel}:{call.lineno} print")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in {"stdout", "stderr"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "sys"
            ):
                offenders.append(f"{rel}:{node.lineno} sys.{node.attr}")
    assert not offenders, "\n".join(offenders)


def test_the_public_surface_is_deliberate() -> None:
    assert sorted(prreview.__all__) == sorted(
        ["Finding", "Review", "Settings", "__version__", "review"]
    )
    for name in prreview.__all__:
        assert getattr(prreview, name) is not None
