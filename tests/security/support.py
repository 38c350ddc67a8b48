"""Helpers shared by the security and reliability tests: run the real CLI, read reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from prreview.cli.app import main
from tests.fakes.openai_server import FakeOpenAIServer, Response

MODEL = "openai/test-model"
PROJECT = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def run_cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: Mapping[str, str] | None = None,
) -> Result:
    """`prreview ARGS` in this process (litellm is imported once per test session)."""
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return Result(code, out, err)


def run_subprocess(
    args: list[str], env: Mapping[str, str] | None = None, timeout: float = 120
) -> Result:
    """`prreview ARGS` in a fresh interpreter."""
    full = {**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from prreview.cli import main; sys.exit(main(sys.argv[1:]))",
            *args,
        ],
        capture_output=True,
        text=True,
        env=full,
        timeout=timeout,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def answer(*findings: Mapping[str, Any], summary: str = "", **extra: Any) -> str:
    """A model answer as JSON text."""
    items = [
        {
            "end_line": f.get("line", 1),
            "severity": "medium",
            "confidence": 0.9,
            "category": "correctness",
            "title": "t",
            "message": "m",
            "suggestion": None,
            **f,
        }
        for f in findings
    ]
    return json.dumps({"findings": items, "summary": summary, **extra})


def prompt_text(body: Mapping[str, Any]) -> str:
    """Every message of one chat request, joined."""
    return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))


def all_requests_text(server: FakeOpenAIServer) -> str:
    return "\n".join(json.dumps(r.body, ensure_ascii=False) for r in server.requests)


def model_args(server: FakeOpenAIServer, *extra: str) -> list[str]:
    return ["--model", MODEL, "--api-base", server.api_base, "--no-summary", *extra]


def responder_from(fn: Callable[[str], str]) -> Callable[[dict[str, Any]], Response]:
    """Wrap `prompt text -> answer text` as a server responder."""
    return lambda body: Response(content=fn(prompt_text(body)))


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def base_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a run: a dummy key so litellm never asks for one."""
    return {"OPENAI_API_KEY": "sk-test-dummy-key-000000", "PRREVIEW_CACHE_DIR": str(tmp_path / "c")}


def one_line_change(git_repo: Any) -> Any:
    """A repository whose last commit changes one line of a.py."""
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("change")
    return repo
