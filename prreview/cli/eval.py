"""`prreview eval`: run the pipeline over an evaluation corpus, or compare two results.

`eval` is a group (registered in prreview/cli.py with `register(app)`): `prreview eval run
CORPUS ...` reviews a corpus, `eval mine` and `eval import aacr` build one (cli/eval_build.py).
`run` is the default: `prreview eval CORPUS ...` and `prreview eval --compare OLD NEW` mean
`prreview eval run ...`. Exit codes: 0 done; 1 `--compare` found a regression; 2 usage;
3 some case failed with an error (its row says why; the outputs are still written).
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
import typer
from typer.core import TyperGroup

from prreview.errors import EXIT_FINDINGS, EXIT_INCOMPLETE, UsageError

DEFAULT_COMMAND = "run"


class EvalGroup(TyperGroup):
    """A group whose first argument, when it names no sub-command, goes to `run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [DEFAULT_COMMAND, *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=EvalGroup,
    help="Measure the reviewer: `eval [run] CORPUS` scores a corpus; `eval mine` and "
    "`eval import aacr` build one.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add the `eval` group (run, mine, import aacr) to the root CLI."""
    app.add_typer(eval_app, name="eval")


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def eval_command(
    corpus_dir: Path | None = typer.Argument(
        None, help="Corpus directory (holding case directories, or a cases/ subdirectory)."
    ),
    model: str | None = typer.Option(
        None, "--model", help="LiteLLM model id; none = built-in checks."
    ),
    api_base: str | None = typer.Option(None, "--api-base", help="OpenAI-compatible base URL."),
    config: Path | None = typer.Option(
        None, "--config", help="Review config (.prreview.toml) applied to every case."
    ),
    cases: str = typer.Option("*", "--cases", help="Only cases whose directory matches this glob."),
    jobs: int = typer.Option(4, "--jobs", "-j", min=1, max=64, help="Cases reviewed in parallel."),
    judge_model: str | None = typer.Option(
        None, "--judge-model", help="LLM that decides whether a located finding is the same defect."
    ),
    window: int = typer.Option(3, "--window", min=0, help="Line tolerance W for a match."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write results.json here."),
    markdown: Path | None = typer.Option(None, "--markdown", help="Write a Markdown summary here."),
    html: Path | None = typer.Option(
        None, "--html", help="Write a self-contained HTML report (with --compare: both runs)."
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Model cache shared by all cases (default: a temporary one)."
    ),
    work_dir: Path | None = typer.Option(
        None, "--work-dir", help="Keep the materialised repositories and prompts here."
    ),
    compare: tuple[Path, Path] | None = typer.Option(
        None,
        "--compare",
        help="Compare OLD.json NEW.json instead of running; exit 1 on regression.",
    ),
    max_recall_drop: float = typer.Option(0.05, "--max-recall-drop", min=0.0, max=1.0),
    max_precision_drop: float = typer.Option(0.05, "--max-precision-drop", min=0.0, max=1.0),
) -> None:
    """Measure the reviewer on a corpus of known defects and clean changes."""
    if compare is not None and all(compare):
        code = _compare(compare[0], compare[1], max_recall_drop, max_precision_drop, html)
        raise typer.Exit(code)
    if corpus_dir is None:
        raise UsageError(
            "missing CORPUS_DIR", hint="prreview eval CORPUS_DIR --output results.json"
        )
    if output is None and markdown is None and html is None:
        raise UsageError("no output", hint="pass --output results.json (and --markdown/--html)")
    flags: dict[str, Any] = {"model": model, "api_base": api_base}
    code = run_and_write(
        corpus_dir,
        flags=flags,
        config=config,
        cases=cases,
        jobs=jobs,
        judge_model=judge_model,
        window=window,
        outputs=(output, markdown, html),
        cache_dir=cache_dir,
        work_dir=work_dir,
    )
    raise typer.Exit(code)


def run_and_write(
    corpus_dir: Path,
    *,
    flags: dict[str, Any],
    config: Path | None,
    cases: str,
    jobs: int,
    judge_model: str | None,
    window: int,
    outputs: tuple[Path | None, Path | None, Path | None],
    cache_dir: Path | None,
    work_dir: Path | None,
) -> int:
    from prreview.eval.harness import run_eval
    from prreview.eval.render import write_outputs
    from prreview.output import check_writable

    output, markdown, html = outputs
    check_writable(
        [(name, str(p)) for name, p in zip(("json", "markdown", "html"), outputs, strict=True) if p]
    )
    results = run_eval(
        corpus_dir,
        settings_flags={k: v for k, v in flags.items() if v is not None},
        cases_glob=cases,
        jobs=jobs,
        judge_model=judge_model,
        window=window,
        config_file=config,
        cache_dir=cache_dir,
        work_dir=work_dir,
        progress=_err,
    )
    command = reproduce_command(corpus_dir, [
        ("--model", flags.get("model")), ("--api-base", _no_userinfo(flags.get("api_base"))),
        ("--config", config), ("--judge-model", judge_model), ("--cache-dir", cache_dir),
        ("--cases", None if cases == "*" else cases), ("--window", window), ("--jobs", jobs),
        ("--output", output), ("--markdown", markdown), ("--html", html),
    ])  # fmt: skip
    results = results.model_copy(
        update={"config": results.config.model_copy(update={"command": command})}
    )
    write_outputs(results, output, markdown=markdown, html=html)
    _err(f"prreview eval: reproduce with: {command}")
    m = results.scores.metrics
    _err(
        f"prreview eval: recall {_pct(m.recall)}, precision {_pct(m.precision)}, "
        f"clean cases flagged {_pct(m.clean_fp_rate)} over {results.totals.cases} cases"
    )
    for name in results.scores.context_failures:
        _err(f"prreview eval: context failure: the truth lines of {name} never reached a prompt")
    if results.totals.judge_failures:
        _err(f"prreview eval: {results.totals.judge_failures} judge answers were unusable")
    if results.scores.errors:
        _err(
            f"prreview eval: {len(results.scores.errors)} cases failed: {', '.join(results.scores.errors)}"
        )
        return EXIT_INCOMPLETE
    return 0


def reproduce_command(corpus_dir: Path, options: Sequence[tuple[str, object]]) -> str:
    """`prreview eval CORPUS` with every (flag, value) whose value is set, shell-quoted."""
    parts = ["prreview", "eval", str(corpus_dir)]
    for flag, value in options:
        if value is not None:
            parts += [flag, str(value)]
    return shlex.join(parts)


def _no_userinfo(url: object) -> str | None:
    """An API base without `user:password@` (a command line is no place for a secret)."""
    return None if url is None else re.sub(r"//[^/@]*@", "//", str(url))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _compare(
    old_path: Path,
    new_path: Path,
    max_recall_drop: float,
    max_precision_drop: float,
    html: Path | None = None,
) -> int:
    from prreview.eval.compare import compare, render_compare
    from prreview.eval.compare_html import render_compare_html
    from prreview.eval.render import load_results
    from prreview.output import check_writable, write_atomic

    if html is not None:
        check_writable([("html", str(html))])
    old, new = load_results(old_path), load_results(new_path)
    result = compare(
        old, new, max_recall_drop=max_recall_drop, max_precision_drop=max_precision_drop
    )
    if html is not None:
        write_atomic(html, render_compare_html(old, new, result))
        _err(f"prreview eval: the two runs side by side: {html}")
    sys.stdout.write(render_compare(result))
    sys.stdout.flush()
    return 0 if result.passed else EXIT_FINDINGS


def _register_commands() -> None:
    from prreview.cli.eval_build import import_app, mine_command

    eval_app.command(DEFAULT_COMMAND, help="Review every case of a corpus and score it (default).")(
        eval_command
    )
    eval_app.command("mine")(mine_command)
    eval_app.add_typer(import_app, name="import")


_register_commands()
