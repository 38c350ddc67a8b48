"""stdout and stderr of the CLI: neutralised for CI logs, and a closed stdout is exit 2.

Everything written to stdout goes through `write_stdout`, which applies
`report.neutral.for_output` for its format (the report formats are already neutralised by
`report.FORMATS`; applying it again changes nothing). A closed stdout or one whose reader
went away is `StdoutClosed` (exit 2, naming --output), never an internal error.
"""

from __future__ import annotations

import errno
import os
import sys

from prreview.errors import EXIT_USAGE, PrreviewError


class StdoutClosed(PrreviewError):
    """The primary output could not be written: stdout is closed or its reader went away."""

    exit_code = EXIT_USAGE


class _ClosedStdout:
    """sys.stdout when file descriptor 1 was closed at start-up (Python leaves None there)."""

    closed = True

    def write(self, _text: str) -> int:
        raise OSError(errno.EBADF, "stdout is closed")

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


def pacify_stdout() -> None:
    """Make a closed stdout an ordinary write error (exit 2), not an AttributeError (exit 4)."""
    if sys.stdout is None:
        sys.stdout = _ClosedStdout()  # type: ignore[assignment]


def stdout_is_open() -> bool:
    return sys.stdout is not None and not isinstance(sys.stdout, _ClosedStdout)


def silence_stdout() -> None:
    """After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        sys.stdout = _ClosedStdout()  # type: ignore[assignment]


def write_stdout(text: str, fmt: str = "text") -> None:
    """Write one output to stdout (a final newline added), neutralised for format `fmt`."""
    from prreview.report import neutral

    text = neutral.for_output(fmt, text)
    if text and not text.endswith("\n"):
        text += "\n"
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        if exc.errno not in {errno.EPIPE, errno.EBADF, errno.EINVAL}:
            raise
        raise StdoutClosed(
            "stdout was closed before the report was written",
            hint="write the report to a file with --output FORMAT=PATH",
        ) from None
