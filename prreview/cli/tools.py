"""The small command groups: `schema`, `baseline`, `cache`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from prreview.cli.options import RepoOpt
from prreview.cli.streams import err, write_stdout
from prreview.errors import UsageError

schema_app = typer.Typer(help="Print JSON Schemas.", no_args_is_help=True)
cache_app = typer.Typer(help="Inspect or clear the model cache.", no_args_is_help=True)
baseline_app = typer.Typer(help="Manage the baseline of known findings.", no_args_is_help=True)


@schema_app.command("report")
def schema_report() -> None:
    """Print the JSON Schema of the JSON report."""
    from prreview.report.jsonreport import schema

    write_stdout(schema(), "json")


@baseline_app.command("create")
def baseline_create(
    file: Path = typer.Argument(..., help="Baseline file to write."),
    report: Path = typer.Option(..., "--report", help="A JSON report (--output json=PATH)."),
) -> None:
    """Create a baseline from a JSON report: its findings are suppressed in later runs."""
    from prreview.output import write_atomic
    from prreview.review.suppress import write_baseline

    try:
        text = report.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--report: cannot read {report}: {exc.strerror}") from None
    write_atomic(file, write_baseline(text))
    err(f"prreview: baseline written to {file}")


def _cache_for(cache_dir: Path | None, repo: Path | None) -> Any:
    from prreview.llm.cache import Cache, default_cache_dir

    return Cache(cache_dir or default_cache_dir(repo or Path(".")))


@cache_app.command("stats")
def cache_stats(
    cache_dir: Path | None = typer.Option(None, "--cache-dir"),
    repo: Path | None = RepoOpt,
) -> None:
    """Entries and size of the model cache."""

    stats = _cache_for(cache_dir, repo).stats()
    write_stdout(json.dumps(stats, indent=2, sort_keys=True, default=str), "json")


@cache_app.command("clear")
def cache_clear(
    cache_dir: Path | None = typer.Option(None, "--cache-dir"),
    repo: Path | None = RepoOpt,
) -> None:
    """Delete every cached model answer."""
    removed = _cache_for(cache_dir, repo).clear()
    err(f"prreview: removed {removed} cache entries")
