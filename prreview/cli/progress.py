"""Progress on stderr: a rich bar on a TTY, one plain line per finished call in CI."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

Observer = Callable[[str], None]


def progress_printer(observer: Observer, ci: bool) -> Callable[[Any], None]:
    """A callback for the engine's ProgressEvent stream."""
    if not ci and sys.stderr.isatty():
        return _RichBar()
    return _PlainLines(observer)


class _PlainLines:
    def __init__(self, observer: Observer) -> None:
        self.observer = observer

    def __call__(self, event: Any) -> None:
        if event.kind == "finished":
            self.observer(
                f"prreview: [{event.done}/{event.total}] {event.key} {event.detail}".rstrip()
            )
        elif event.kind in {"retry", "fallback"}:
            self.observer(f"prreview: {event.kind} {event.key} ({event.model}): {event.detail}")


class _RichBar:
    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("prreview"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            console=Console(file=sys.stderr),
            transient=True,
        )
        self.task: Any = None

    def __call__(self, event: Any) -> None:
        if self.task is None:
            self.progress.start()
            self.task = self.progress.add_task("review", total=event.total, detail="")
        self.progress.update(
            self.task, total=event.total, completed=event.done, detail=event.detail
        )
        if event.total and event.done >= event.total:
            self.progress.stop()
