"""How merging scales: `merge_findings` on many distinct findings (no model, no git).

    python benchmarks/merge_scale.py [--n 30000]

Three shapes: one finding per consecutive line (nothing merges), every finding on the same
lines with distinct titles (the worst case: each is compared with at most MAX_CANDIDATES open
clusters), and pairs of duplicates from two evaluators (half merge). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prreview.models import Finding
from prreview.review.merge import merge_findings, merged_count


def _finding(evaluator: str, line: int, end: int, title: str, fp: str) -> Finding:
    return Finding(
        rule_id=f"llm/{evaluator}/logic", evaluator=evaluator, evaluators=(evaluator,),
        category="logic", severity="medium", confidence=0.5, title=title, message="m",
        path="src/a.py", start_line=line, end_line=end, source="llm", fingerprint=fp,
    )  # fmt: skip


def shapes(n: int) -> dict[str, list[Finding]]:
    return {
        "consecutive lines": [_finding("e", i, i, "Loop stops early", f"c{i}") for i in range(n)],
        "same lines, distinct titles": [
            _finding("e", 1, 50, f"problem {i} word{i} thing{i}", f"s{i}") for i in range(n)
        ],
        "duplicate pairs": [
            _finding("ab"[i % 2], i // 2 * 3 + 1, i // 2 * 3 + 1, "Loop stops early", f"d{i}")
            for i in range(n)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30_000)
    args = parser.parse_args()
    print("| shape | findings | after merge | merged | seconds |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, findings in shapes(args.n).items():
        started = time.perf_counter()
        merged = merge_findings(findings)
        seconds = time.perf_counter() - started
        print(
            f"| {name} | {len(findings)} | {len(merged)} | {merged_count(merged)} | {seconds:.2f} |"
        )


if __name__ == "__main__":
    main()
