"""The built-in deterministic checks and their registry.

Each check handles one family of rules (`family/name` ids) over one FileChange and reports
only added lines (file-level rules: files added). Which files a check sees:

- secrets, conflicts, unicode and files run on every file, skipped ones included: a key
  in a vendored file is still leaked, a conflict in a lock file still breaks the build,
  and binary or oversized files are exactly the ones the diff reader skips;
- debug, risky, tests and todo run on reviewable files and on files whose skip the pull
  request controls (`skip_incomplete`: a marker, a vendor/ path, a size): a skip the change
  can trigger never switches a check off. Files skipped by the user's own rules (globs, lock
  files, trusted .gitattributes) are left out.

A file whose patch was too large to parse arrives as several copies, one piece of its hunks
each (change/stream.expand_unparsed); a file-level finding is reported once per file.

`run_checks` returns findings sorted by path, line, column and rule, so two runs over the
same change give the same list.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..models import FileChange, Finding, Rule
from .base import Check, rule_id_matches
from .conflicts import ConflictsCheck
from .debug import DebugCheck
from .files import FilesCheck
from .risky import RiskyCheck
from .secrets import SecretsCheck
from .tests_disabled import TestsDisabledCheck
from .todo import TodoCheck
from .unicode import UnicodeCheck

__all__ = ["BUILTIN_CHECKS", "Check", "all_rules", "rule_id_matches", "run_checks"]

BUILTIN_CHECKS: tuple[Check, ...] = (
    SecretsCheck(),
    ConflictsCheck(),
    UnicodeCheck(),
    DebugCheck(),
    RiskyCheck(),
    TestsDisabledCheck(),
    FilesCheck(),
    TodoCheck(),
)


def all_rules() -> tuple[Rule, ...]:
    """Every built-in rule, in registry order."""
    return tuple(rule for check in BUILTIN_CHECKS for rule in check.rules)


def _enabled(rule_id: str, enabled: set[str] | None) -> bool:
    return enabled is None or any(rule_id_matches(p, rule_id) for p in enabled)


def _sort_key(f: Finding) -> tuple[str, int, int, str, str]:
    return (f.path or "", f.start_line or 0, f.start_column or 0, f.rule_id, f.fingerprint)


def run_checks(files: Iterable[FileChange], *, enabled: set[str] | None = None) -> list[Finding]:
    """Run the built-in checks over `files`.

    `enabled` lists rule ids or families (`secrets`, `debug/print`); None runs every rule.
    """
    checks = [c for c in BUILTIN_CHECKS if any(_enabled(r.id, enabled) for r in c.rules)]
    findings: list[Finding] = []
    file_level: set[tuple[str, str | None, str]] = set()
    for file in files:
        if file.status == "deleted":
            continue
        for check in checks:
            if not (check.all_files or file.reviewable or file.skip_incomplete):
                continue
            for f in check.check(file):
                if not _enabled(f.rule_id, enabled):
                    continue
                if f.start_line is None:
                    key = (f.rule_id, f.path, f.fingerprint)
                    if key in file_level:
                        continue
                    file_level.add(key)
                findings.append(f)
    return sorted(findings, key=_sort_key)
