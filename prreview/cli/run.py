"""`prreview run` without the option parsing: review, write every report, return the exit code.

Reports are rendered by pure functions; this module owns the writes (atomic) and stdout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from prreview import pipeline
from prreview.cli.preflight import check_stdout
from prreview.cli.progress import progress_printer
from prreview.cli.streams import stdout_is_open, write_stdout
from prreview.config.settings import Settings
from prreview.errors import EXIT_TERMINATED, TERMINATED_REASON
from prreview.models import Review
from prreview.output import append_step_summary, check_writable, parse_outputs, write_output
from prreview.report import FORMATS
from prreview.review import gate

Err = Callable[[str], None]


def render_format(fmt: str, review: Review, settings: Settings) -> str:

    render = FORMATS[fmt]
    if fmt == "sarif":
        render = functools.partial(render, category=settings.sarif_category)
    return render(review)


def write_reports(
    review: Review, settings: Settings, outputs: list[tuple[str, str]], env: Mapping[str, str]
) -> None:

    for fmt, target in outputs:
        text = render_format(fmt, review, settings)
        if target == "-":
            write_stdout(text, fmt)
        else:
            write_output(target, text)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path and any(fmt == "github" for fmt, _ in outputs):
        append_step_summary(Path(summary_path), render_format("markdown", review, settings))


def outcome_line(review: Review) -> str:
    counts: dict[str, int] = {}
    for f in review.findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no findings"
    state = "passed" if review.gate.passed else f"failed (fail-on {review.gate.fail_on})"
    if not review.complete:
        state += " — review INCOMPLETE: " + (review.incomplete_reason or "unknown reason")
        if review.fail_open:
            state += " (--fail-open: exit 0)"
    return f"prreview: {parts}; gate {state}"


def run_review(settings: Settings, env: Mapping[str, str], err: Err) -> int:

    outputs = parse_outputs(list(settings.outputs) or ["markdown=-"])
    check_writable(outputs)
    check_stdout(outputs, stdout_is_open())
    review = pipeline.review(
        settings, env=env, observer=err, progress=progress_printer(err, settings.ci)
    )
    if not review.change.files:
        err("prreview: nothing to review")
    write_reports(review, settings, outputs, env)
    for note in review.notes:
        err(f"prreview: {note}")
    err(outcome_line(review))
    if review.incomplete_reason == TERMINATED_REASON:
        return EXIT_TERMINATED
    return gate.exit_code(review)
