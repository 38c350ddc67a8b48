"""Deterministic generated git repositories for the benchmarks.

A repository has `dirs` packages (pkg000/, pkg001/, ...) of `files_per_dir` Python modules.
Every module defines small functions that call a helper in another module, so the context
step has real definitions and call sites to find. `main` holds the base; `feature` changes
the chosen files: every fourth function gets one line rewritten (a removed and an added
line) and new functions are appended until the file has `lines_per_file` added lines.
Units are planned per directory, so the number of changed directories sets the units.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

FUNCS_PER_FILE = 8
_GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2000-01-01T00:00:00+0000",
    "GIT_COMMITTER_DATE": "2000-01-01T00:00:00+0000",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass(frozen=True)
class RepoSpec:
    dirs: int
    files_per_dir: int
    changed_dirs: int
    changed_files_per_dir: int
    lines_per_file: int

    @property
    def changed_files(self) -> int:
        return self.changed_dirs * self.changed_files_per_dir


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, **_GIT_ENV}
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", "-c", "commit.gpgSign=false", *args],
        cwd=repo,
        env=env,
        check=True,
        capture_output=True,
    )


def _callee(d: int, f: int, k: int, spec: RepoSpec) -> tuple[int, int, int]:
    n = d * 7919 + f * 104729 + k * 31
    return (n % spec.dirs, (n // 7) % spec.files_per_dir, (n // 13) % FUNCS_PER_FILE)


def _name(d: int, f: int, k: int) -> str:
    return f"helper_{d}_{f}_{k}"


def _function(d: int, f: int, k: int, spec: RepoSpec, changed: bool) -> list[str]:
    cd, cf, ck = _callee(d, f, k, spec)
    scale = "scale + 1" if changed else "scale"
    return [
        f"def {_name(d, f, k)}(value: int, scale: int = {k + 2}) -> int:",
        f"    total = value * {scale}",
        f"    if total > {100 + k}:",
        f"        total = total - {k + 3}",
        f"    return {_name(cd, cf, ck)}(total) if total > 0 else total",
        "",
        "",
    ]


def _imports(d: int, f: int, spec: RepoSpec) -> list[str]:
    seen: dict[str, list[str]] = {}
    for k in range(FUNCS_PER_FILE):
        cd, cf, ck = _callee(d, f, k, spec)
        if (cd, cf) != (d, f):
            seen.setdefault(f"pkg{cd:03d}.mod{cf:03d}", []).append(_name(cd, cf, ck))
    return [
        f"from {mod} import {', '.join(sorted(set(names)))}" for mod, names in sorted(seen.items())
    ]


def _added_function(d: int, f: int, j: int) -> list[str]:
    return [
        f"def extra_{d}_{f}_{j}(items: list[int], limit: int = {j + 5}) -> list[int]:",
        "    out = []",
        "    for item in items:",
        f"        if item > limit and item % {j % 7 + 2} == 0:",
        f"            out.append({_name(d, f, j % FUNCS_PER_FILE)}(item))",
        "    return out",
        "",
        "",
    ]


def module_text(d: int, f: int, spec: RepoSpec, head: bool) -> str:
    lines = [f'"""Module pkg{d:03d}.mod{f:03d} (generated)."""', "", *_imports(d, f, spec), ""]
    lines.append("")
    modified = 0
    for k in range(FUNCS_PER_FILE):
        changed = head and k % 4 == 1
        modified += changed
        lines.extend(_function(d, f, k, spec, changed))
    if head:
        extra: list[str] = []
        j = 0
        while len(extra) < spec.lines_per_file - modified:
            extra.extend(_added_function(d, f, j))
            j += 1
        lines.extend(extra[: spec.lines_per_file - modified])
    return "\n".join(lines).rstrip("\n") + "\n"


def _is_changed(d: int, f: int, spec: RepoSpec) -> bool:
    return d < spec.changed_dirs and f < spec.changed_files_per_dir


def build_repo(root: Path, spec: RepoSpec) -> Path:
    """Create the repository at `root` (must not exist); HEAD is left on `feature`."""
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    for d in range(spec.dirs):
        pkg = root / f"pkg{d:03d}"
        pkg.mkdir()
        (pkg / "__init__.py").write_text("", encoding="utf-8")
        for f in range(spec.files_per_dir):
            text = module_text(d, f, spec, head=False)
            (pkg / f"mod{f:03d}.py").write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "base")
    _git(root, "checkout", "-q", "-b", "feature")
    for d in range(spec.changed_dirs):
        for f in range(spec.changed_files_per_dir):
            text = module_text(d, f, spec, head=True)
            (root / f"pkg{d:03d}" / f"mod{f:03d}.py").write_text(text, encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "change")
    return root


# The standard shapes used by run.py and plan_scale.py.
SMALL = RepoSpec(
    dirs=6, files_per_dir=8, changed_dirs=1, changed_files_per_dir=3, lines_per_file=50
)
"""150 changed (added) lines in 3 files of one directory: one unit."""
MEDIUM = RepoSpec(
    dirs=12, files_per_dir=10, changed_dirs=8, changed_files_per_dir=5, lines_per_file=75
)
"""40 files, 3,000 added lines, in 8 directories."""
HUGE = RepoSpec(
    dirs=100, files_per_dir=20, changed_dirs=100, changed_files_per_dir=20, lines_per_file=50
)
"""2,000 files, 100,000 added lines."""
PLAN = RepoSpec(
    dirs=100, files_per_dir=50, changed_dirs=30, changed_files_per_dir=10, lines_per_file=67
)
"""A 5,000-file repository; 300 files and ~20,000 added lines change."""


def units_spec(units: int) -> RepoSpec:
    """`units` changed directories of one 20-line file each: one unit per directory."""
    return RepoSpec(
        dirs=max(units, 4), files_per_dir=4, changed_dirs=units, changed_files_per_dir=1,
        lines_per_file=20,
    )  # fmt: skip
