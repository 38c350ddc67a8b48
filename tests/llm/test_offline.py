# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""LiteLLM's private file layout, and no global writes at call time (issue 13.5).

prreview reads two files from inside LiteLLM's package (the price map and the tiktoken
encodings); these tests fail when a LiteLLM release moves them. The environment and
litellm's globals are set once, at import: an AST scan of the package allows environment
writes only at import of llm/offline.py, and litellm/logger changes only in engine._litellm
(which runs once per process).
"""

from __future__ import annotations

import ast
import json
import logging
import os
from pathlib import Path

import pytest

import prreview
from prreview.llm import engine, offline, prices, tokens
from tests.fakes.openai_server import FakeOpenAIServer, openai_server  # noqa: F401

PACKAGE = Path(prreview.__file__).resolve().parent
_ENV_MUTATORS = {"setdefault", "update", "pop", "popitem", "clear"}


def test_litellm_still_ships_the_price_map_where_we_read_it() -> None:
    path = offline.price_map_path()
    assert path is not None and path.is_file(), f"LiteLLM moved {offline.PRICE_MAP_FILE}"
    table = json.loads(path.read_text(encoding="utf-8"))
    assert table["gpt-4o-mini"]["max_input_tokens"] == 128000
    assert prices.context_window("openai/gpt-4o-mini") == 128000


def test_litellm_still_ships_the_encodings_where_we_read_them() -> None:
    directory = offline.tokenizer_dir()
    assert directory is not None, f"LiteLLM moved {'/'.join(offline.TOKENIZER_DIR)}"
    for encoding in offline.ENCODINGS:
        assert (directory / offline.encoding_cache_key(encoding)).is_file(), encoding
    assert tokens.is_exact("gpt-4o") and tokens.is_exact("gpt-4")


def _environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _env_writes(tree: ast.Module) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = list(node.targets) if not isinstance(node, ast.AugAssign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Subscript) and _environ(target.value):
                lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            if _environ(func.value) and func.attr in _ENV_MUTATORS:
                lines.append(node.lineno)
            os_call = isinstance(func.value, ast.Name) and func.value.id == "os"
            if os_call and func.attr in {"putenv", "unsetenv"}:
                lines.append(node.lineno)
    return lines


def _functions(tree: ast.Module) -> dict[int, str]:
    """line -> name of the function (outermost) that contains it."""
    owner: dict[int, str] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                owner[line] = node.name
    return owner


def _sources() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE.parent).as_posix(), ast.parse(path.read_text()))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_the_environment_is_written_only_at_import_of_llm_offline() -> None:
    offenders = []
    for rel, tree in _sources():
        owner = _functions(tree)
        for line in _env_writes(tree):
            if rel == "prreview/llm/offline.py" and owner.get(line) == "_configure":
                continue
            offenders.append(f"{rel}:{line}")
    assert not offenders, offenders
    calls = [
        n
        for n in ast.parse((PACKAGE / "llm" / "offline.py").read_text()).body
        if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)
    ]
    assert [ast.unparse(c) for c in calls] == ["_configure()"], "run at import, once"


def test_litellm_globals_and_loggers_change_only_in_the_one_import_function() -> None:
    offenders = []
    for rel, tree in _sources():
        owner = _functions(tree)
        for node in ast.walk(tree):
            changed = False
            if isinstance(node, (ast.Assign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                changed = any(
                    isinstance(t, ast.Attribute)
                    and isinstance(t.value, ast.Name)
                    and t.value.id in {"litellm", "llm"}
                    for t in targets
                )
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                changed = node.func.attr in {"setLevel", "disable", "addHandler"}
            if changed and not (
                rel == "prreview/llm/engine.py" and owner.get(node.lineno) == "_litellm"
            ):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, offenders


def test_a_run_leaves_litellm_loggers_alone(
    openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-offline")
    config = engine.EngineConfig(api_base=openai_server.api_base, retries=0, timeout=5.0)
    request = engine.ChatRequest(
        key="k", model="openai/test-model", messages=({"role": "user", "content": "x"},)
    )
    engine.Engine(config).run_sync([request])
    logger = logging.getLogger("LiteLLM")
    before_env = dict(os.environ)
    monkeypatch.setattr(logger, "level", logging.INFO)
    engine.Engine(config).run_sync([request])
    assert logger.level == logging.INFO, "the user's logging choice survives a run"
    assert dict(os.environ) == before_env
    assert engine._litellm() is engine._litellm()
