"""Planning at scale: symbols + context + units with no model call, and plan-only at 100k lines.

    python benchmarks/plan_scale.py [--runs 3]

1. `prreview run --dry-run --model openai/gpt-4.1-mini --no-summary` on a change of 300 files
   and ~20,000 changed lines in a generated repository of 5,000 files: <= 15 s.
2. `prreview plan --format json` on a 2,000-file, 100,000-line change: <= 5 s, <= 400 MB.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import check, loadavg, median, print_table, prreview, stats_of
from repos import HUGE, PLAN, build_repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args(argv)
    rows: list[list[str]] = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="prreview-plan-") as tmp:
        root = Path(tmp)
        repo = build_repo(root / "plan", PLAN)
        report = root / "plan.json"
        args = ["run", "--dry-run", "--model", "openai/gpt-4.1-mini", "--no-summary",
                "--base", "main", "--config-source", "none", "--output", f"json={report}"]  # fmt: skip
        results = [check(prreview(args, repo)) for _ in range(opts.runs)]
        s = stats_of(report)
        wall = median([r.wall for r in results])
        rss = max(r.maxrss_mb for r in results)
        ok &= wall <= 15
        rows.append([
            f"dry-run plan, {s['files']:.0f} files, +{s['additions']:.0f}/-{s['deletions']:.0f}, "
            f"5,000-file repo ({s['hunks']:.0f} hunks, ~{s['prompt_tokens']:.0f} prompt tokens)",
            "<= 15 s", f"{wall:.2f} s (cpu {median([r.cpu_s for r in results]):.2f} s), {rss:.0f} MB", "pass" if wall <= 15 else "FAIL",
        ])  # fmt: skip
        huge = build_repo(root / "huge", HUGE)
        args = ["plan", "--base", "main", "--config-source", "none", "--format", "json"]
        results = [check(prreview(args, huge), (0,)) for _ in range(opts.runs)]
        wall = median([r.wall for r in results])
        rss = max(r.maxrss_mb for r in results)
        good = wall <= 5 and rss <= 400
        ok &= good
        rows.append(["`plan --format json`, 2,000 files, 100,000 lines", "<= 5 s, <= 400 MB",
                     f"{wall:.2f} s (cpu {median([r.cpu_s for r in results]):.2f} s), {rss:.0f} MB",
                     "pass" if good else "FAIL"])  # fmt: skip
    print(f"runs: {opts.runs}; load average {loadavg()}\n")
    print_table(["metric", "target", "measured (median; peak RSS)", "result"], rows)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
