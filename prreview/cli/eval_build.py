"""`prreview eval mine` and `prreview eval import aacr`: build a corpus `prreview eval` runs.

stdout carries the report (cases written, candidates skipped with their reasons); progress
goes to stderr. Exit codes: 0 at least one case was written; 2 nothing could be built (the
message says why: an empty history, no candidate left, no dataset entry found), or a usage
or git error.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from prreview.errors import UsageError

if TYPE_CHECKING:
    from prreview.eval.casewrite import BuildReport

import_app = typer.Typer(
    help="Turn a public benchmark into a corpus (aacr: AACR-Bench).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _err(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def _report(kind: str, report: BuildReport, out: Path, unit: str) -> None:
    lines = [f"# prreview eval {kind}: {len(report.cases)} cases in {out}", ""]
    lines += [f"- {name}" for name in report.cases]
    if report.skipped:
        lines += ["", f"Skipped ({len(report.skipped)}; {report.scanned} {unit} looked at):", ""]
        lines += [f"- {s.item}: {s.reason}" for s in report.skipped]
    if report.cases:
        lines += ["", "Next:", "", f"    prreview eval {shlex.quote(str(out))} --model MODEL "
                  "--output results.json --html results.html"]  # fmt: skip
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()


def _nothing_built(report: BuildReport, what: str) -> UsageError:
    reasons = sorted({s.reason.split(":")[0] for s in report.skipped})
    detail = f"; reasons: {', '.join(reasons[:6])}" if reasons else ""
    return UsageError(
        f"no case could be built from {report.scanned} {what}{detail}",
        hint="see the skipped list above; widen --since/--paths or the size limits",
    )


def mine_command(
    repo: Path = typer.Argument(Path("."), help="Repository whose history is mined."),
    out: Path = typer.Option(..., "--out", help="Corpus directory to write (CORPUS/cases/...)."),
    limit: int = typer.Option(20, "--limit", min=1, help="Revert cases at most."),
    since: str | None = typer.Option(
        None, "--since", help="Only commits after this commit, or since this date."
    ),
    paths: list[str] | None = typer.Option(
        None, "--paths", help="Only fixes of files matching these globs (repeatable)."
    ),
    head: str = typer.Option("HEAD", "--head", help="Mine the history of this ref."),
    max_files: int = typer.Option(4, "--max-files", min=1, help="Source files a fix may touch."),
    max_lines: int = typer.Option(60, "--max-lines", min=1, help="Changed source lines at most."),
    clean: bool = typer.Option(True, "--clean/--no-clean", help="Also look for clean cases."),
    clean_distance: int = typer.Option(
        10, "--clean-distance", min=1, help="How many commits away a clean case may be."
    ),
    name: str | None = typer.Option(None, "--name", help="owner/name recorded in truth.json."),
) -> None:
    """Build a labelled corpus from the repository's own fix commits."""
    from prreview.eval.mine import MineOptions, mine

    opts = MineOptions(
        repo=repo, out=out, head=head, limit=limit, since=since, paths=tuple(paths or ()),
        max_files=max_files, max_lines=max_lines, clean=clean, clean_distance=clean_distance,
        name=name,
    )  # fmt: skip
    report = mine(opts, progress=_err)
    _report("mine", report, out, "commits")
    if not report.cases:
        raise _nothing_built(report, "commits")


@import_app.command("aacr")
def aacr_command(
    dataset: Path = typer.Argument(..., help="AACR-Bench dataset file (positive_samples.json)."),
    repos: Path = typer.Option(
        ..., "--repos", help="Directory of clones: <owner>+<name> or <owner>/<name>."
    ),
    out: Path = typer.Option(..., "--out", help="Corpus directory to write (CORPUS/cases/...)."),
    languages: list[str] | None = typer.Option(
        None, "--languages", help="Only these project languages, e.g. Go,Python (repeatable)."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Cases at most."),
) -> None:
    """Turn AACR-Bench entries into cases from local clones of their repositories."""
    from prreview.eval.aacr_import import ImportOptions, import_aacr

    wanted = tuple(x.strip() for item in languages or () for x in item.split(",") if x.strip())
    opts = ImportOptions(dataset=dataset, repos=repos, out=out, languages=wanted, limit=limit)
    report = import_aacr(opts, progress=_err)
    _report("import aacr", report, out, "dataset entries")
    if not report.cases:
        raise _nothing_built(report, "dataset entries")
