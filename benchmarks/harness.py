"""Shared helpers for the benchmarks: run prreview (or a peer) as a child process and measure it."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The console script may be a pyenv shim (a bash script); calling main() directly measures
# prreview itself. The atexit hook reports whether litellm was ever imported.
RUNNER = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write("
    "'\\nBENCH-LITELLM=%s\\n' % ('litellm' in sys.modules)))\n"
    "from prreview.cli import main\n"
    "main()\n"
)


@dataclass(frozen=True)
class Result:
    wall: float
    started_at: float
    """time.time() just before the child was spawned."""
    returncode: int
    maxrss_mb: float
    cpu_s: float
    """User + system CPU seconds of the child and its waited-for children."""
    stdout: str
    stderr: str

    @property
    def litellm_loaded(self) -> bool:
        return "BENCH-LITELLM=True" in self.stderr


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without PRREVIEW_* or CI variables, so only the flags count."""
    drop = ("PRREVIEW_", "GITHUB_", "GITLAB_", "CI_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "CI"}
    env["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    # Measure this checkout, whatever `pip install -e` points at.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra or {})
    return env


def spawn(
    cmd: Sequence[str] | str, cwd: Path, env: Mapping[str, str] | None = None, shell: bool = False
) -> Result:
    """Run one child to completion; wall time, exit code and its peak RSS (via wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started_at = time.time()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=dict(env or clean_env()), stdout=out, stderr=err, shell=shell
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Result(
            wall=wall,
            started_at=started_at,
            returncode=proc.returncode,
            maxrss_mb=usage.ru_maxrss / 1024,
            cpu_s=usage.ru_utime + usage.ru_stime,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def prreview(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Result:
    return spawn([sys.executable, "-c", RUNNER, *args], cwd, env)


def check(result: Result, allowed: tuple[int, ...] = (0, 1)) -> Result:
    if result.returncode not in allowed:
        raise RuntimeError(f"prreview exited {result.returncode}: {result.stderr[-2000:]}")
    return result


def stats_of(report: Path) -> dict[str, float]:
    return dict(json.loads(report.read_text(encoding="utf-8"))["stats"])


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def loadavg() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "n/a"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table (pastes into docs/performance.md as is)."""
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(" --- " for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
