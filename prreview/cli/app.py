"""The command line: a thin client of the library.

Only option parsing, stdout/stderr and exit codes live here. Heavy modules (litellm, git,
jinja2, tree-sitter) are imported inside the commands, never at import time, so
`prreview --help` stays fast.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import typer

from prreview.cli.streams import write_stdout
from prreview.errors import PrreviewError, Terminated, UsageError
from prreview.version import __version__

app = typer.Typer(
    name="prreview",
    help="AI pull-request reviewer for CI: built-in checks plus LLM evaluators, "
    "SARIF / Code Quality / annotations, exit-code gates.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
schema_app = typer.Typer(help="Print JSON Schemas.", no_args_is_help=True)
cache_app = typer.Typer(help="Inspect or clear the model cache.", no_args_is_help=True)
baseline_app = typer.Typer(help="Manage the baseline of known findings.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(cache_app, name="cache")
app.add_typer(baseline_app, name="baseline")


def err(message: str) -> None:
    """Diagnostics go to stderr; stdout carries only the primary report. Never a credential:
    every line is scrubbed of credential-like environment values and of scanner hits."""
    from prreview.report import neutral

    sys.stderr.write(neutral.text(_scrub(message.rstrip("\n"))) + "\n")
    sys.stderr.flush()


def _scrub(text: str) -> str:
    from prreview.secrets.redact import scrub

    return scrub(text, os.environ)


class _ScrubbingStream:
    """sys.stderr while main runs: what other code writes there (click's usage errors, rich
    progress, logging, warnings) is scrubbed like err's lines, write by write."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if text.strip():
            from prreview.report import neutral

            text = _scrub(text)
            text = neutral.commands(text) if self._stream.isatty() else neutral.text(text)
        self._stream.write(text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _version_callback(value: bool) -> None:
    if value:
        write_stdout(f"prreview {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Show the version."
    ),
) -> None:
    """prreview reviews the local git diff and gates CI with its exit code."""


# --------------------------------------------------------------------------- options

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


def _change_flags(
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


# --------------------------------------------------------------------------- plan


@app.command()
def plan(
    repo: Path | None = RepoOpt,
    base: str | None = BaseOpt,
    head: str | None = HeadOpt,
    staged: bool | None = StagedOpt,
    working_tree: bool | None = WorktreeOpt,
    config_source: str | None = ConfigSourceOpt,
    config: Path | None = ConfigOpt,
    include: list[str] | None = IncludeOpt,
    exclude: list[str] | None = ExcludeOpt,
    format: str = typer.Option("text", "--format", help="text or json."),
) -> None:
    """Show what would be reviewed: files, status, +/- counts, hunks and skip reasons."""
    from prreview.cli.preflight import settings_for
    from prreview.pipeline import instruction_usage, read_change_set
    from prreview.plan.view import render_plan_json, render_plan_text

    if format not in {"text", "json"}:
        raise _usage("--format must be text or json")
    flags = _change_flags(repo, base, head, staged, working_tree, config_source, include, exclude)
    settings = settings_for(flags, config, err)
    changes = read_change_set(settings, os.environ)
    err(f"prreview: {changes.base_reason}")
    usage = instruction_usage(settings, changes, os.environ)
    render = render_plan_json if format == "json" else render_plan_text
    out = render(changes, usage)
    write_stdout(out, "json" if format == "json" else "text")


def _usage(message: str) -> PrreviewError:

    return UsageError(message)


# --------------------------------------------------------------------------- run


@app.command()
def run(
    repo: Path | None = RepoOpt,
    base: str | None = BaseOpt,
    head: str | None = HeadOpt,
    staged: bool | None = StagedOpt,
    working_tree: bool | None = WorktreeOpt,
    config_source: str | None = ConfigSourceOpt,
    config: Path | None = ConfigOpt,
    include: list[str] | None = IncludeOpt,
    exclude: list[str] | None = ExcludeOpt,
    output: list[str] | None = typer.Option(
        None,
        "--output",
        "-o",
        help="FORMAT=PATH (repeatable; '-' is stdout). "
        "Formats: markdown, json, sarif, codequality, github, rdjsonl.",
    ),
    fail_on: str | None = typer.Option(
        None, "--fail-on", help="critical|high|medium|low|info|none (default high)."
    ),
    min_confidence: float | None = typer.Option(
        None, "--min-confidence", help="Findings below this confidence never gate."
    ),
    filter_mode: str | None = typer.Option(
        None, "--filter-mode", help="added|diff_context|file|nofilter (default added)."
    ),
    import_sarif: list[Path] | None = typer.Option(
        None, "--import-sarif", help="Import findings from another tool's SARIF (repeatable)."
    ),
    baseline: Path | None = typer.Option(None, "--baseline", help="Suppress known findings."),
    sarif_category: str | None = typer.Option(None, "--sarif-category", help="SARIF category."),
    fail_open: bool | None = typer.Option(
        None, "--fail-open", help="Exit 0 when the review is incomplete (stated in the report)."
    ),
    model: str | None = typer.Option(None, "--model", help="LiteLLM model id (or PRREVIEW_MODEL)."),
    api_base: str | None = typer.Option(None, "--api-base", help="OpenAI-compatible base URL."),
    fallback_model: list[str] | None = typer.Option(
        None, "--fallback-model", help="Tried after retries (repeatable)."
    ),
    evaluator: list[str] | None = typer.Option(
        None, "--evaluator", "-e", help="Run only these evaluators (repeatable)."
    ),
    max_concurrency: int | None = typer.Option(None, "--max-concurrency"),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds per model call."),
    retries: int | None = typer.Option(None, "--retries"),
    deadline: float | None = typer.Option(None, "--deadline", help="Seconds for the whole run."),
    max_cost: float | None = typer.Option(None, "--max-cost", help="USD budget."),
    max_tokens: int | None = typer.Option(None, "--max-tokens", help="Token budget."),
    temperature: float | None = typer.Option(None, "--temperature"),
    seed: int | None = typer.Option(None, "--seed"),
    samples: int | None = typer.Option(None, "--samples", help="Self-consistency samples."),
    no_summary: bool | None = typer.Option(None, "--no-summary", help="Skip the overview call."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Model cache directory."),
    no_cache: bool | None = typer.Option(None, "--no-cache", help="Disable the model cache."),
    dry_run: bool | None = typer.Option(
        None, "--dry-run", help="Render prompts, count tokens, estimate cost; no request."
    ),
    dump_prompts: Path | None = typer.Option(None, "--dump-prompts", help="Write prompts here."),
    since: str | None = typer.Option(
        None,
        "--since",
        help="Incremental: only since..head. 'auto' = the head of --previous-report.",
    ),
    previous_report: Path | None = typer.Option(
        None, "--previous-report", help="With --since: carry forward findings of this JSON report."
    ),
    shard: str | None = typer.Option(None, "--shard", help="Review shard I/N of the units."),
    verbose: bool | None = typer.Option(None, "--verbose", "-v", help="More diagnostics."),
) -> None:
    """Review the change and write the reports; the exit code is the gate."""
    from prreview.cli.preflight import settings_for
    from prreview.cli.run import run_review

    flags = _change_flags(repo, base, head, staged, working_tree, config_source, include, exclude)
    flags.update(
        outputs=tuple(output) if output else None,
        fail_on=fail_on,
        min_confidence=min_confidence,
        filter_mode=filter_mode,
        import_sarif=tuple(import_sarif) if import_sarif else None,
        baseline=baseline,
        sarif_category=sarif_category,
        fail_open=fail_open,
        model=model,
        api_base=api_base,
        fallback_models=tuple(fallback_model) if fallback_model else None,
        only_evaluators=tuple(evaluator) if evaluator else None,
        max_concurrency=max_concurrency,
        timeout=timeout,
        retries=retries,
        deadline=deadline,
        max_cost=max_cost,
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
        samples=samples,
        summary=False if no_summary else None,
        cache_dir=cache_dir,
        no_cache=no_cache,
        dry_run=dry_run,
        dump_prompts=dump_prompts,
        since=since,
        previous_report=previous_report,
        shard=shard,
        verbose=verbose,
    )
    settings = settings_for(flags, config, err)
    raise typer.Exit(run_review(settings, os.environ, err))


@app.command()
def merge(
    parts: list[Path] = typer.Argument(..., help="JSON reports of the shards (--output json=...)."),
    output: list[str] | None = typer.Option(
        None, "--output", "-o", help="FORMAT=PATH (repeatable)."
    ),
    fail_on: str | None = typer.Option(None, "--fail-on", help="Gate for the union."),
    min_confidence: float | None = typer.Option(None, "--min-confidence"),
    sarif_category: str = typer.Option("prreview", "--sarif-category"),
) -> None:
    """Combine shard reports into one review (one SARIF run, one Code Quality file)."""
    from prreview.cli.run import outcome_line, write_reports
    from prreview.config.settings import build_settings
    from prreview.output import check_writable, parse_outputs
    from prreview.review import gate
    from prreview.review.combine import merge_reviews
    from prreview.review.load import load_review

    outputs = parse_outputs(list(output or []))
    check_writable(outputs)
    review = merge_reviews(
        [load_review(p, "merge") for p in parts], fail_on=fail_on, min_confidence=min_confidence
    )
    settings = build_settings(env={}, flags={"sarif_category": sarif_category})
    write_reports(review, settings, outputs, os.environ)
    err(outcome_line(review))
    raise typer.Exit(gate.exit_code(review))


def _register_lazy_commands() -> None:
    from prreview.cli.eval import register

    register(app)


_register_lazy_commands()


@app.command()
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


@app.command()
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
        raise _usage("--format must be markdown or json")
    flags = _change_flags(repo, base, head, staged, working_tree, config_source, include, exclude)
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


# --------------------------------------------------------------------------- small commands


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
        raise _usage(f"--report: cannot read {report}: {exc.strerror}") from None
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


# --------------------------------------------------------------------------- entry point


def _install_sigterm() -> Any:
    """Turn SIGTERM into Terminated; returns the previous handler (None off the main thread)."""

    def _raise(_signum: int, _frame: object) -> None:
        raise Terminated()

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map every failure to its exit code in one place (cli/failure.py)."""
    from prreview.cli.failure import exit_code_for, join_helper_threads
    from prreview.cli.streams import pacify_stdout

    debug = os.environ.get("PRREVIEW_DEBUG") == "1"
    previous = _install_sigterm()
    stderr, sys.stderr = sys.stderr, _ScrubbingStream(sys.stderr)
    pacify_stdout()
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="prreview")
        code = rv if isinstance(rv, int) else 0
    except BaseException as exc:  # the one place failures become exit codes
        code = exit_code_for(exc, err, debug=debug)
    join_helper_threads()
    sys.stderr = stderr
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
    if argv is None:
        sys.exit(code)
    return code
