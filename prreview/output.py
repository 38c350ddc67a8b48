"""Where reports go: `--output FORMAT=PATH` parsing, pre-flight checks and atomic writes.

`parse_outputs` and `check_writable` run before any model call, so a typo in `--output`
costs nothing. At most one output may go to stdout ('-' or a bare FORMAT): two formats
interleaved on one stream could not be parsed by anything downstream.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
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


_STDOUT_ALIASES = frozenset({"/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"})
_FD_ALIAS = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/\d+$|^/dev/std(?:err|out)$")
_PSEUDO_ROOTS = ("/proc", "/sys")


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
        target = target if sep else STDOUT
        outputs.append((fmt, STDOUT if target in _STDOUT_ALIASES else target))
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


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root + "/")


def check_writable(outputs: Sequence[tuple[str, str]]) -> None:
    """Raise OutputError (exit 2) when an output path cannot be written. No file is created.

    Runs before any model call. A character device, FIFO or file-descriptor path (/dev/null,
    /dev/stderr, a named pipe) is written in place; a regular path is written atomically
    (temp file + rename) and may have missing parent directories, created on write. Paths
    under /proc and /sys, block devices, sockets and new files under /dev are refused.
    """
    for fmt, target in outputs:
        if target != STDOUT:
            _check_target(f"--output {fmt}={target}", target)


def _check_target(flag: str, target: str) -> None:
    lexical = os.path.normpath(os.path.abspath(target))
    try:
        st: os.stat_result | None = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        st = None  # a new file; _check_regular names the parent that is not a directory
    except OSError as exc:
        raise OutputError(f"{flag}: {exc.strerror}") from None
    if _FD_ALIAS.match(lexical):
        if st is None or not os.access(target, os.W_OK):
            raise OutputError(f"{flag}: that file descriptor is not open for writing")
        return
    real = os.path.realpath(target)
    if any(_under(lexical, r) or _under(real, r) for r in _PSEUDO_ROOTS):
        raise OutputError(
            f"{flag}: {real} is in a kernel pseudo filesystem (/proc, /sys)",
            hint="write reports to a file in the workspace or $RUNNER_TEMP",
        )
    if st is not None and not stat.S_ISREG(st.st_mode):
        _check_special(flag, target, st)
        return
    new_in_dev = st is None and (_under(lexical, "/dev") or _under(real, "/dev"))
    if new_in_dev and not _under(real, "/dev/shm"):
        raise OutputError(f"{flag}: /dev holds devices, not report files", hint="name a file")
    _check_regular(flag, Path(target), st)


def _check_special(flag: str, target: str, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{flag}: is a directory", hint="name a file")
    if not (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        kind = "block device" if stat.S_ISBLK(st.st_mode) else "socket or special file"
        raise OutputError(f"{flag}: is a {kind}", hint="name a file, a FIFO or /dev/null")
    if not os.access(target, os.W_OK):
        raise OutputError(f"{flag}: device or FIFO is not writable")


def _check_regular(flag: str, path: Path, st: os.stat_result | None) -> None:
    if st is not None and not os.access(path, os.W_OK):
        raise OutputError(f"{flag}: file is not writable")
    directory = _nearest_existing(path.parent)
    if not directory.is_dir():
        raise OutputError(f"{flag}: {directory} is not a directory")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(f"{flag}: directory {directory} is not writable")


def writes_in_place(target: str) -> bool:
    """True for an existing non-regular file (device, FIFO) or a file-descriptor path."""
    if _FD_ALIAS.match(os.path.normpath(os.path.abspath(target))):
        return True
    try:
        return not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        return False


def write_output(target: str, text: str) -> None:
    """Write one report: in place onto a device, FIFO or descriptor, else atomically."""
    if writes_in_place(target):
        write_in_place(Path(target), text)
    else:
        write_atomic(Path(target), text)


def write_in_place(path: Path, text: str) -> None:
    """Open and write (appending: a descriptor path may be a redirected log); never replace
    the node, so `/dev/null` stays a device and a FIFO's reader gets the report."""
    data = text.encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


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
