"""Large and binary files added to the repository (file-level findings).

Runs on every added file, skipped ones included (binary and oversized files are exactly the
ones the diff reader skips). Well-known lock files are exempt from the size rule.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import file_finding, make_rule

LARGE_FILE_BYTES = 500_000
"""Files added above this size are reported as `files/large`."""

LARGE_RULE = make_rule(
    "files/large",
    "Large file added",
    f"A file larger than {LARGE_FILE_BYTES // 1000} kB is added",
    f"The change adds a file larger than {LARGE_FILE_BYTES // 1000} kB. Large files bloat "
    "every clone of the repository for good, even after they are deleted.",
    "Keep generated or downloaded artefacts out of the repository, or use Git LFS.",
    severity="medium",
    category="maintainability",
    tags=("repository-hygiene",),
    precision="very-high",
)
BINARY_RULE = make_rule(
    "files/binary",
    "Binary file added",
    "A binary file is added",
    "The change adds a binary file. Its content cannot be reviewed in the diff, and binary "
    "files stay in the history for good.",
    "Make sure the file belongs in the repository (not a build artefact); consider Git LFS.",
    severity="low",
    category="maintainability",
    tags=("repository-hygiene",),
    precision="very-high",
)

_LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lockb",
        "poetry.lock",
        "pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "cargo.lock",
        "go.sum",
        "composer.lock",
        "gemfile.lock",
        "packages.lock.json",
        "flake.lock",
    }
)


@dataclass(frozen=True)
class FilesCheck:
    family: str = "files"
    rules: tuple[Rule, ...] = (LARGE_RULE, BINARY_RULE)
    all_files: bool = True

    def check(self, file: FileChange) -> Iterator[Finding]:
        if file.status != "added" or file.is_submodule or file.is_symlink:
            return
        if file.is_binary:
            yield file_finding(
                BINARY_RULE,
                file,
                title="Binary file added",
                message="This change adds a binary file; its content is not reviewed. Make "
                "sure it belongs in the repository.",
                confidence=0.9,
            )
        lock = posixpath.basename(file.path).lower() in _LOCK_FILES
        if file.size is not None and file.size > LARGE_FILE_BYTES and not lock:
            yield file_finding(
                LARGE_RULE,
                file,
                title="Large file added",
                message=f"This change adds a file of {file.size / 1_000_000:.1f} MB (limit "
                f"{LARGE_FILE_BYTES // 1000} kB). Large files stay in every clone for good.",
                confidence=1.0,
            )
