"""`prreview publish` and `prreview describe`: the commands that talk to a PR/MR."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from prreview.cli.options import (
    BaseOpt,
    ConfigOpt,
    ConfigSourceOpt,
    ExcludeOpt,
    HeadOpt,
    IncludeOpt,
    RepoOpt,
    StagedOpt,
    WorktreeOpt,
    change_flags,
)  # fmt: skip
from prreview.cli.streams import err, write_stdout
from prreview.errors import UsageError


def publish(
    platform: str = typer.Argument(..., help="github or gitlab."),
    report: Path | None = typer.Option(None, "--report", help="JSON report (--output json=PATH)."),
    repository: str | None = typer.Option(
        None, "--repository", help="owner/name or GitLab project id (default from CI env)."
    ),
    number: int | None = typer.Option(None, "--number", help="PR number or MR iid."),
    api_url: str | None = typer.Option(None, "--api-url", help="API base URL (GHE, self-managed)."),
    max_comments: int = typer.Option(25, "--max-comments", help="Inline comments at most."),
    note: list[str] | None = typer.Option(None, "--note", help="Extra line for the summary."),
    request_changes: bool = typer.Option(
        False, "--request-changes", help="GitHub: a failed gate submits REQUEST_CHANGES."
    ),
    description: Path | None = typer.Option(
        None, "--description", help="Write this `prreview describe` output into the PR/MR body."
    ),
) -> None:
    """Post or update the PR/MR review, summary comment and description section."""
    from prreview.publish import publish_command

    code = publish_command(
        platform,
        report,
        env=os.environ,
        err=err,
        repository=repository,
        number=number,
        api_url=api_url,
        max_comments=max_comments,
        notes=tuple(note or ()),
        request_changes=request_changes,
        description=description,
    )
    raise typer.Exit(code)


def describe(
    repo: Path | None = RepoOpt,
    base: str | None = BaseOpt,
    head: str | None = HeadOpt,
    staged: bool | None = StagedOpt,
    working_tree: bool | None = WorktreeOpt,
    config_source: str | None = ConfigSourceOpt,
    config: Path | None = ConfigOpt,
    include: list[str] | None = IncludeOpt,
    exclude: list[str] | None = ExcludeOpt,
    model: str | None = typer.Option(None, "--model", help="LiteLLM model id (or PRREVIEW_MODEL)."),
    no_model: bool = typer.Option(False, "--no-model", help="Deterministic walkthrough only."),
    api_base: str | None = typer.Option(None, "--api-base", help="OpenAI-compatible base URL."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    retries: int | None = typer.Option(None, "--retries"),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Model cache directory."),
    no_cache: bool | None = typer.Option(None, "--no-cache", help="Disable the model cache."),
    format: str = typer.Option("markdown", "--format", help="markdown or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default stdout)."),
) -> None:
    """Write a PR description: title, type, walkthrough per module, diagram, labels."""
    from prreview.cli.preflight import settings_for
    from prreview.describe import describe_change, render_markdown
    from prreview.errors import EXIT_INCOMPLETE
    from prreview.output import check_writable, write_output

    if format not in {"markdown", "json"}:
        raise UsageError("--format must be markdown or json")
    flags = change_flags(repo, base, head, staged, working_tree, config_source, include, exclude)
    flags.update(
        model=model, api_base=api_base, timeout=timeout, retries=retries, cache_dir=cache_dir
    )
    flags.update(no_cache=no_cache)
    settings = settings_for(flags, config, err)
    if output is not None:
        check_writable([("markdown", str(output))])
    if no_model:
        settings = settings.model_copy(update={"model": None})
    desc, complete = describe_change(settings, os.environ, err)
    text = desc.model_dump_json(indent=2) + "\n" if format == "json" else render_markdown(desc)
    if output is None:
        write_stdout(text, "json" if format == "json" else "text")
    else:
        write_output(str(output), text)
    if not complete:
        err(f"prreview: {desc.note}")
    err(
        f"prreview: description written ({desc.type}, {'model' if desc.source == 'model' else 'no model'})"
    )
    raise typer.Exit(0 if complete else EXIT_INCOMPLETE)
