"""Helpers for end-to-end tests of `prreview run` / `prreview plan` (real git, real CLI)."""

from __future__ import annotations

import json
import os
import random
import string
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prreview.cli.app import main
from tests.conftest import GitRepo
from tests.fakes.openai_server import Response

EVALUATOR_WORDS = {
    "CORRECTNESS": "correctness",
    "SECURITY": "security",
    "PERFORMANCE": "performance",
    "TESTS": "tests",
    "MAINTAINABILITY": "maintainability",
}


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_main(capsys: Any, *args: str) -> Result:
    """`prreview.cli.main([...])` in this process; stdout and stderr captured separately."""
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_subprocess(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Result:
    proc = subprocess.run(
        ["prreview", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def run_python(code: str, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def fake_aws_key(seed: int) -> str:
    """A realistic-looking (random) AWS access key id, not the documented example."""
    rng = random.Random(seed)
    return "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16))


def two_commits(repo: GitRepo, files_base: dict[str, str], files_head: dict[str, str]) -> str:
    """Commit `files_base` on main, then `files_head` on top; returns the base sha."""
    for path, text in files_base.items():
        repo.write(path, text)
    base = repo.commit("base")
    for path, text in files_head.items():
        repo.write(path, text)
    repo.commit("change")
    return base


def finding(
    file: str, line: int, *, title: str = "Off by one", category: str = "logic", **extra: Any
) -> dict[str, Any]:
    item = {
        "file": file,
        "line": line,
        "end_line": line,
        "severity": "high",
        "confidence": 0.9,
        "category": category,
        "title": title,
        "message": "The loop stops one element early.",
        "suggestion": None,
    }
    item.update(extra)
    return item


def answer(*items: dict[str, Any]) -> Response:
    return Response(content=json.dumps({"findings": list(items), "summary": "ok"}))


def last_message(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def evaluator_of(body: dict[str, Any]) -> str | None:
    """Which built-in evaluator a request is for (its task message names it in capitals)."""
    text = last_message(body)
    for word, name in EVALUATOR_WORDS.items():
        if f"for {word}" in text:
            return name
    return None


def prompt_text(body: dict[str, Any]) -> str:
    return "\n".join(str(m["content"]) for m in body["messages"])
