"""The cost of the secret scanner (detect-secrets plugins plus our rules) on big inputs.

    python benchmarks/secret_scan.py [--runs 3]

1. The secrets check over 100,000 added lines of real Python (the standard library's own
   sources, read in a fixed order): <= 5 s.
2. Redaction over the same 100,000 lines as one text (what a prompt is): <= 8 s.
3. `prreview run --dry-run --dump-prompts` on the 300-file, ~20,000-line change of
   plan_scale.py (every prompt redacted and written, built-in checks on every added line,
   the Review redacted): <= 20 s of CPU (CPU, not wall: the number that does not move with
   the load of a shared runner).
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import check, loadavg, median, print_table, prreview
from repos import PLAN, build_repo

from prreview.checks.secrets import SecretsCheck
from prreview.models import DiffLine, FileChange, Hunk
from prreview.secrets.text import redact_text

LINES = 100_000


def _corpus() -> list[tuple[str, list[str]]]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files: list[tuple[str, list[str]]] = []
    total = 0
    for path in sorted(root.rglob("*.py")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        files.append((str(path.relative_to(root)), lines[: LINES - total]))
        total += len(files[-1][1])
        if total >= LINES:
            break
    return files


def _added(path: str, lines: list[str]) -> FileChange:
    diff = tuple(DiffLine(kind="added", new_lineno=i, text=t) for i, t in enumerate(lines, 1))
    hunk = Hunk(old_start=0, old_length=0, new_start=1, new_length=len(lines), lines=diff)
    return FileChange(path=path, status="added", added=len(lines), hunks=(hunk,) if diff else ())


def _timed(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args(argv)
    corpus = _corpus()
    files = [_added(p, lines) for p, lines in corpus]
    text = "\n".join(line for _, lines in corpus for line in lines)
    redact_text("warm up: import detect-secrets")
    check_s = _timed(lambda: [list(SecretsCheck().check(f)) for f in files], opts.runs)
    redact_s = _timed(lambda: redact_text(text), opts.runs)
    rows = [
        [f"secrets check, {LINES:,} added lines of stdlib Python ({len(files)} files)", "<= 5 s",
         f"{check_s:.2f} s ({check_s / LINES * 1e6:.0f} µs/line)", _verdict(check_s <= 5)],
        [f"redaction, the same {len(text) / 1e6:.1f} MB as one text", "<= 8 s",
         f"{redact_s:.2f} s ({redact_s / LINES * 1e6:.0f} µs/line)", _verdict(redact_s <= 8)],
    ]  # fmt: skip
    ok = check_s <= 5 and redact_s <= 8
    with tempfile.TemporaryDirectory(prefix="prreview-secrets-") as tmp:
        repo = build_repo(Path(tmp) / "plan", PLAN)
        args = ["run", "--dry-run", "--model", "openai/gpt-4.1-mini", "--no-summary",
                "--base", "main", "--config-source", "none", "--dump-prompts", f"{tmp}/prompts",
                "--output", f"json={tmp}/r.json"]  # fmt: skip
        results = [check(prreview(args, repo)) for _ in range(opts.runs)]
        cpu = median([r.cpu_s for r in results])
        ok &= cpu <= 20
        rows.append(["dry run with every prompt redacted and dumped, 300 files, ~20,000 lines",
                     "<= 20 s cpu", f"cpu {cpu:.2f} s (wall {median([r.wall for r in results]):.2f} s)",
                     _verdict(cpu <= 20)])  # fmt: skip
    print(f"runs: {opts.runs}; load average {loadavg()}\n")
    print_table(["metric", "target", "measured (median)", "result"], rows)
    return 0 if ok else 1


def _verdict(good: bool) -> str:
    return "pass" if good else "FAIL"


if __name__ == "__main__":
    sys.exit(main())
