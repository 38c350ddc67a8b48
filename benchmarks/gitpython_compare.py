"""GitPython against prreview's own git layer, on the operations the git layer performs.

Prints one table: the median of 5 rounds for reading every blob of a tree (persistent
`git cat-file --batch` in both, each file asked for by path), listing the tree, and the import cost. Decides whether the
git layer moves to GitPython (docs/architecture.md records the numbers).

    pip install gitpython && python benchmarks/gitpython_compare.py [REPO]   # default: here

GitPython is not a dependency of prreview (see docs/architecture.md, "Git layer").
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from prreview.change.tree import TreeReader


def _median(fn, rounds: int = 5) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _import_cost(module: str) -> float:
    """Seconds to import `module` on top of prreview's git layer (already imported)."""
    code = (
        "import time, prreview.change.tree; t = time.perf_counter(); "
        f"import {module}; print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def main() -> None:
    repo = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    import git  # the library under comparison

    gp = git.Repo(repo, odbt=git.GitCmdObjectDB)
    ours = TreeReader(repo, "HEAD")
    paths = ours.ls_files()
    tree = gp.head.commit.tree

    def read_ours() -> None:
        for p in paths:
            ours.read_bytes(p)

    def read_gitpython() -> None:
        # by path, as the git layer is asked (`tree / path` resolves the path, then one read)
        for p in paths:
            (tree / p).data_stream.read()

    rows = [
        ("read every blob", _median(read_ours), _median(read_gitpython)),
        ("list the tree", _median(ours.ls_files), _median(lambda: list(tree.traverse()))),
        ("extra import", 1e-6, _import_cost("git")),
    ]
    ours.close()
    print(f"{len(paths)} files in {repo}")
    print("| operation | prreview git layer | GitPython | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, a, b in rows:
        ratio = f"{b / a:.2f}x" if a > 1e-5 else "-"
        print(f"| {name} | {a * 1000:.1f} ms | {b * 1000:.1f} ms | {ratio} |")


if __name__ == "__main__":
    main()
