"""Options shared by several commands, and the change-selection flags they build."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

RepoOpt = typer.Option(None, "--repo", "-C", help="Repository to review (default: current dir).")
BaseOpt = typer.Option(None, "--base", help="Base ref; auto-detected in CI when absent.")
HeadOpt = typer.Option(None, "--head", help="Head ref (default HEAD).")
StagedOpt = typer.Option(None, "--staged", help="Review staged changes (index vs HEAD).")
WorktreeOpt = typer.Option(
    None, "--working-tree", help="Review uncommitted changes (working tree vs HEAD)."
)
ConfigSourceOpt = typer.Option(
    None,
    "--config-source",
    help="Read .prreview.toml from: auto (base commit in CI), head, base, none.",
)
ConfigOpt = typer.Option(
    None, "--config", help="Explicit config file (trusted: yours, not the PR's)."
)
IncludeOpt = typer.Option(None, "--include", help="Only review paths matching this glob.")
ExcludeOpt = typer.Option(None, "--exclude", help="Skip paths matching this glob.")


def change_flags(
    repo: Path | None,
    base: str | None,
    head: str | None,
    staged: bool | None,
    working_tree: bool | None,
    config_source: str | None,
    include: list[str] | None,
    exclude: list[str] | None,
) -> dict[str, Any]:
    return {
        "repo": repo,
        "base": base,
        "head": head,
        "staged": staged,
        "working_tree": working_tree,
        "config_source": config_source,
        "include": tuple(include) if include else None,
        "exclude": tuple(exclude) if exclude else None,
    }
