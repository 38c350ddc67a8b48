"""`prreview eval`: run the pipeline over an evaluation corpus, or compare two results.

Registered in prreview/cli.py with `app.command("eval")(eval_command)`. Exit codes: 0 done;
1 `--compare` found a regression; 2 usage; 3 some case failed with an error (its row says
why; the outputs are still written).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from ..errors import EXIT_FINDINGS, EXIT_INCOMPLETE, UsageError


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
        None, "--html", help="Write a self-contained HTML report here."
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
        raise typer.Exit(_compare(compare[0], compare[1], max_recall_drop, max_precision_drop))
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
    from ..output import check_writable
    from .harness import run_eval
    from .render import write_outputs

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
    write_outputs(results, output, markdown=markdown, html=html)
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


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _compare(
    old_path: Path, new_path: Path, max_recall_drop: float, max_precision_drop: float
) -> int:
    from .compare import compare, render_compare
    from .render import load_results

    result = compare(
        load_results(old_path),
        load_results(new_path),
        max_recall_drop=max_recall_drop,
        max_precision_drop=max_precision_drop,
    )
    sys.stdout.write(render_compare(result))
    sys.stdout.flush()
    return 0 if result.passed else EXIT_FINDINGS
