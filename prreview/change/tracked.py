"""Which repository paths a location would share with the tracked tree (index or a commit).

A model cache or an incremental state file inside the checkout could have been committed by the
pull request under review; `tracked_conflicts` finds that before prreview reads it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from prreview.change.git import run

_GIT_FAILED = (128,)


def inside(root: Path, location: Path) -> str | None:
    """`location` relative to the work tree `root` (posix), or None when it is outside.

    Both the path as given and its resolved form count: a symlink in the checkout that points
    elsewhere still sits inside the checkout.
    """
    root_abs = Path(os.path.abspath(root))
    root_real = root.resolve()
    for candidate, base in (
        (Path(os.path.abspath(location)), root_abs),
        (location.resolve(), root_real),
        (Path(os.path.abspath(location)), root_real),
    ):
        try:
            rel = candidate.relative_to(base)
        except ValueError:
            continue
        return PurePosixPath(*rel.parts).as_posix() if rel.parts else "."
    return None


def _prefixes(rel: str) -> list[str]:
    parts = PurePosixPath(rel).parts
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _conflict(path: str, rel: str) -> bool:
    """`path` is `rel`, lies under it, or is a file/symlink standing where a parent of it is."""
    if rel == ".":
        return True
    return path == rel or path.startswith(rel + "/") or path in _prefixes(rel)


def _listed(root: Path, args: list[str]) -> list[str]:
    proc = run(root, args, ok=(0, *_GIT_FAILED))
    if proc.returncode != 0:
        return []
    return [os.fsdecode(p) for p in proc.stdout.split(b"\0") if p]


def tracked_conflicts(
    root: Path, rel: str, revisions: Iterable[str] = (), extra_paths: Iterable[str] = ()
) -> list[str]:
    """Tracked paths (index, each revision's tree, `extra_paths` such as the diff's) that are
    `rel`, lie under it, or replace one of its parents; empty when the location is untouched."""
    specs = ["--", *_prefixes(rel)] if rel != "." else ["--"]
    found = set(_listed(root, ["ls-files", "-z", "--full-name", *specs]))
    for rev in revisions:
        found.update(
            _listed(root, ["ls-tree", "-r", "-z", "--name-only", "--full-tree", rev, *specs])
        )
    found.update(extra_paths)
    return sorted(p for p in found if _conflict(p, rel))
