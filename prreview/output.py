"""Where reports go: `--output FORMAT=PATH` parsing, pre-flight checks and atomic writes.

`parse_outputs` and `check_writable` run before any model call, so a typo in `--output`
costs nothing. At most one output may go to stdout ('-' or a bare FORMAT): two formats
interleaved on one stream could not be parsed by anything downstream.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import OutputError, UsageError
from .report import FORMAT_NAMES

STDOUT = "-"
STEP_SUMMARY_LIMIT = 1024 * 1024
"""GitHub's limit for one step's $GITHUB_STEP_SUMMARY, in bytes."""
_TRUNCATED_NOTE = (
    "\n> prreview: the report was cut here to fit GitHub's 1 MiB step-summary limit; "
    "the JSON and SARIF reports list every finding.\n"
)


def parse_outputs(specs: Sequence[str]) -> list[tuple[str, str]]:
    """`FORMAT=PATH` pairs; a bare `FORMAT` or `FORMAT=-` is stdout. Empty means markdown=-."""
    if not specs:
        return [("markdown", STDOUT)]
    outputs: list[tuple[str, str]] = []
    for spec in specs:
        fmt, sep, target = spec.partition("=")
        fmt = fmt.strip().lower()
        if fmt not in FORMAT_NAMES:
            raise UsageError(
                f"--output {spec!r}: unknown format {fmt!r}",
                hint=f"use FORMAT=PATH with FORMAT one of {', '.join(FORMAT_NAMES)}",
            )
        if sep and not target.strip():
            raise UsageError(f"--output {spec!r}: empty path", hint="use FORMAT=PATH or FORMAT=-")
        outputs.append((fmt, target if sep else STDOUT))
    _check_unique(outputs)
    return outputs


def _check_unique(outputs: Sequence[tuple[str, str]]) -> None:
    to_stdout = [fmt for fmt, target in outputs if target == STDOUT]
    if len(to_stdout) > 1:
        raise UsageError(
            f"--output: {', '.join(to_stdout)} all go to stdout; only one output can",
            hint="give the others a path: --output FORMAT=PATH",
        )
    seen: dict[str, str] = {}
    for fmt, target in outputs:
        if target == STDOUT:
            continue
        key = os.path.normpath(os.path.abspath(target))
        if key in seen:
            raise UsageError(
                f"--output: {seen[key]} and {fmt} both write {target}",
                hint="give each output its own path",
            )
        seen[key] = fmt


def check_writable(outputs: Sequence[tuple[str, str]]) -> None:
    """Raise OutputError (exit 2) when an output path cannot be written. No file is created."""
    for fmt, target in outputs:
        if target == STDOUT:
            continue
        path = Path(target)
        if path.is_dir():
            raise OutputError(f"--output {fmt}={target}: is a directory", hint="name a file")
        if path.exists() and not os.access(path, os.W_OK):
            raise OutputError(f"--output {fmt}={target}: file is not writable")
        directory = _nearest_existing(path.parent)
        if not directory.is_dir():
            raise OutputError(f"--output {fmt}={target}: {directory} is not a directory")
        if not os.access(directory, os.W_OK | os.X_OK):
            raise OutputError(f"--output {fmt}={target}: directory {directory} is not writable")


def _nearest_existing(directory: Path) -> Path:
    """The directory itself, or the ancestor that exists (write_atomic creates the rest)."""
    current = directory if str(directory) else Path(".")
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def write_atomic(path: Path, text: str) -> None:
    """Write UTF-8 `text` (no BOM, newlines as given) via a temp file, fsync and os.replace."""
    data = text.encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows opening a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def append_step_summary(path: Path, markdown: str, *, limit: int = STEP_SUMMARY_LIMIT) -> None:
    """Append to $GITHUB_STEP_SUMMARY, cutting the text so the file stays under `limit` bytes."""
    try:
        existing = path.stat().st_size if path.exists() else 0
    except OSError as exc:
        raise OutputError(f"cannot read $GITHUB_STEP_SUMMARY {path}: {exc.strerror}") from None
    data = fit_bytes(markdown, limit - existing)
    if not data:
        return
    try:
        with open(path, "ab") as handle:
            handle.write(data)
    except OSError as exc:
        raise OutputError(f"cannot write $GITHUB_STEP_SUMMARY {path}: {exc.strerror}") from None


def fit_bytes(markdown: str, budget: int) -> bytes:
    """`markdown` as UTF-8 within `budget` bytes; cut at a line end with a note when too long."""
    data = markdown.encode("utf-8")
    if not data.endswith(b"\n"):
        data += b"\n"
    if len(data) <= budget:
        return data
    note = _TRUNCATED_NOTE.encode("utf-8")
    room = budget - len(note)
    if room <= 0:
        return b""
    cut = data[:room].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    return cut.encode("utf-8") + note
