"""Every way `main` can fail, mapped to one exit code and one stderr message.

Usage errors are exit 2 whichever click raised them: the `click` package or the copy that
newer typer releases bundle (`typer._click`, whose exceptions do not derive from click's).
A report that cannot reach a closed or broken stdout is exit 2 as well: the primary output
was lost, so the run must not pass, but it is not a bug in prreview (exit 4).
"""

from __future__ import annotations

import errno
import importlib
import sys
import threading
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

from prreview.cli.streams import StdoutClosed, silence_stdout
from prreview.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    PrreviewError,
    Terminated,
)

Err = Callable[[str], None]


def _click_modules() -> list[ModuleType]:
    """click's exception modules: the real package and typer's bundled copy, when present."""
    found = []
    for name in ("click.exceptions", "typer._click.exceptions"):
        try:
            found.append(importlib.import_module(name))
        except ImportError:
            continue
    return found


def _classes(attr: str) -> tuple[type[BaseException], ...]:
    return tuple(getattr(m, attr) for m in _click_modules() if hasattr(m, attr))


def _typer_classes(attr: str) -> tuple[type[BaseException], ...]:
    try:
        module = importlib.import_module("typer.exceptions")
    except ImportError:
        return ()
    found = getattr(module, attr, None)
    return (found,) if isinstance(found, type) else ()


EXIT_EXCEPTIONS = _classes("Exit") + _typer_classes("Exit")
ABORT_EXCEPTIONS = _classes("Abort") + _typer_classes("Abort")
CLICK_EXCEPTIONS = _classes("ClickException")


def is_broken_pipe(exc: BaseException) -> bool:
    return isinstance(exc, BrokenPipeError) or (
        isinstance(exc, OSError) and exc.errno in {errno.EPIPE, errno.EBADF}
    )


def exit_code_for(exc: BaseException, err: Err, *, debug: bool) -> int:
    """The exit code of `exc`, after writing its one-line explanation to stderr."""
    if isinstance(exc, EXIT_EXCEPTIONS):
        return int(getattr(exc, "exit_code", 0) or 0)
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    if isinstance(exc, CLICK_EXCEPTIONS):
        return _click_error(exc)
    if isinstance(exc, (*ABORT_EXCEPTIONS, KeyboardInterrupt)):
        err("prreview: interrupted")
        return EXIT_INTERRUPTED
    if isinstance(exc, Terminated):
        err("prreview: terminated (SIGTERM); no report file was left half-written")
        return exc.exit_code
    if debug:
        err(traceback.format_exc())
    if isinstance(exc, StdoutClosed):
        silence_stdout()
    if isinstance(exc, PrreviewError):
        err(f"prreview: error: {exc.message}")
        if exc.hint:
            err(f"prreview: hint: {exc.hint}")
        return exc.exit_code
    if is_broken_pipe(exc):
        silence_stdout()
        err("prreview: error: stdout was closed before the report was written")
        err("prreview: hint: write the report to a file with --output FORMAT=PATH")
        return EXIT_USAGE
    err(f"prreview: internal error: {type(exc).__name__}: {exc}")
    err("prreview: set PRREVIEW_DEBUG=1 for the traceback and please report it")
    return EXIT_INTERNAL


def _click_error(exc: Any) -> int:
    """A click usage error: click's own text (usage line, hint, error), then exit 2.

    `prreview` alone (NoArgsIsHelpError) shows the help; that too exits 2, as click does.
    """
    exc.show(file=sys.stderr)
    code = getattr(exc, "exit_code", EXIT_USAGE)
    return EXIT_USAGE if code in (1, 2) else int(code)


def join_helper_threads(timeout: float = 60.0) -> None:
    """Wait for prreview's own background threads (the litellm pre-import) before exiting.

    The interpreter joins non-daemon threads at exit anyway, but by then it refuses new
    atexit hooks, so an import still running there dies with a traceback on stderr.
    """
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and thread.name.startswith("prreview-"):
            thread.join(timeout)
