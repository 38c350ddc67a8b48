"""Small real repositories for the context-pack tests, and a dry run that returns the prompts."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prreview.models import Review
from tests.conftest import GitRepo
from tests.run_support import run_main


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def build(git_repo: Any, base: dict[str, str], head: dict[str, str]) -> GitRepo:
    """main = `base`; one more commit applies `head` (whole files)."""
    repo: GitRepo = git_repo()
    for path, text in base.items():
        repo.write(path, text)
    repo.commit("base")
    for path, text in head.items():
        repo.write(path, text)
    repo.commit("change")
    return repo


@dataclass
class DryRun:
    code: int
    err: str
    review: Review | None
    prompts: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.prompts)


def dry_run(capsys: Any, repo: GitRepo, tmp_path: Path, *extra: str) -> DryRun:
    """`prreview run --dry-run --dump-prompts` with one evaluator: the prompts a model would get."""
    dump = tmp_path / "prompts"
    args = [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/gpt-4.1-mini",
        "--no-cache", "--no-summary", "-e", "correctness", "--config-source", "none",
        "--dry-run", "--dump-prompts", str(dump), "-o", "json=-", *extra,
    ]  # fmt: skip
    res = run_main(capsys, *args)
    review = Review.model_validate_json(res.out) if res.out.strip().startswith("{") else None
    files = sorted(dump.iterdir()) if dump.is_dir() else []
    return DryRun(res.code, res.err, review, [f.read_text(encoding="utf-8") for f in files])


def context_part(prompts: str) -> str:
    """The context sections of unit prompts (between their heading and the diff's heading)."""
    parts: list[str] = []
    for prompt in prompts.split("## system\n"):
        start = prompt.find("## Context (DATA)")
        end = prompt.find("## The change (DATA)")
        if start >= 0:
            parts.append(prompt[start:end])
    return "".join(parts)
