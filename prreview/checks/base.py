"""The Check protocol and the helpers every built-in check shares.

Conventions for built-in findings:
- rule ids are `family/name` (e.g. `secrets/aws-access-key`); a family name alone
  (`secrets`) selects every rule of the family in `--only`-style lists and suppressions.
- lines are new-side line numbers; columns are 1-based character (code point) offsets,
  `end_column` inclusive (the column of the last flagged character).
- messages are built from fixed strings only: code from the pull request is untrusted and
  never copied into a built-in title or message.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple, Protocol

from prreview.change.languages import JS_LIKE, family
from prreview.models import FileChange, Finding, Rule, Severity, fingerprint

SOURCE = "builtin"


class Check(Protocol):
    """One family of deterministic checks over a single FileChange."""

    family: str
    rules: tuple[Rule, ...]
    all_files: bool
    """True: runs on skipped files too (lock files, vendored code); False: reviewable only."""

    def check(self, file: FileChange) -> Iterable[Finding]: ...


def make_rule(
    rule_id: str,
    name: str,
    short: str,
    full: str,
    fix: str,
    *,
    severity: Severity,
    category: str,
    tags: tuple[str, ...] = (),
    precision: str = "high",
    security_severity: float | None = None,
) -> Rule:
    """A Rule with its help text and Markdown help derived from the description and fix."""
    return Rule(
        id=rule_id,
        name=name,
        short_description=short,
        full_description=full,
        help_text=f"{full} {fix}",
        help_markdown=f"**{short}**\n\n{full}\n\n**How to fix:** {fix}\n",
        severity=severity,
        category=category,
        tags=tags,
        precision=precision,  # type: ignore[arg-type]
        security_severity=security_severity,
        evaluator=SOURCE,
    )


def rule_id_matches(pattern: str, rule_id: str) -> bool:
    """`pattern` names the rule itself or its family (`secrets` matches `secrets/github-token`)."""
    pattern = pattern.strip().lower()
    rule_id = rule_id.lower()
    return bool(pattern) and (rule_id == pattern or rule_id.startswith(pattern + "/"))


HEURISTIC_SCAN_CHARS = 2000
"""Heuristic checks look at this many characters of a line (minified code is not reviewed)."""


def added_lines(file: FileChange, *, limit: int | None = None) -> Iterator[tuple[int, str]]:
    """(new line number, text without a trailing CR, cut to `limit`) for every added line."""
    for line in file.added_lines():
        if line.new_lineno is not None:
            text = line.text.rstrip("\r")
            yield line.new_lineno, text if limit is None else text[:limit]


def line_finding(
    rule: Rule,
    file: FileChange,
    lineno: int,
    *,
    title: str,
    message: str,
    confidence: float,
    anchor: str,
    columns: tuple[int, int] | None = None,
    end_line: int | None = None,
) -> Finding:
    """A finding on one added line; `anchor` is the (already masked) text fingerprinted."""
    return Finding(
        rule_id=rule.id,
        evaluator=SOURCE,
        evaluators=(SOURCE,),
        category=rule.category,
        severity=rule.severity,
        confidence=confidence,
        title=title,
        message=message,
        path=file.path,
        start_line=lineno,
        end_line=end_line if end_line is not None else lineno,
        start_column=columns[0] if columns else None,
        end_column=columns[1] if columns else None,
        tags=rule.tags,
        source=SOURCE,
        fingerprint=fingerprint(rule.id, file.path, [anchor]),
    )


def file_finding(
    rule: Rule, file: FileChange, *, title: str, message: str, confidence: float
) -> Finding:
    """A file-level finding (no line); the fingerprint anchors on the rule and path only."""
    return Finding(
        rule_id=rule.id,
        evaluator=SOURCE,
        evaluators=(SOURCE,),
        category=rule.category,
        severity=rule.severity,
        confidence=confidence,
        title=title,
        message=message,
        path=file.path,
        tags=rule.tags,
        source=SOURCE,
        fingerprint=fingerprint(rule.id, file.path, []),
    )


def language_of(file: FileChange) -> str | None:
    """The file's language family (see change/languages.family)."""
    return family(file.language, file.path)


_HASH_COMMENT = frozenset({"python", "ruby", "shell", "bash", "yaml", "toml", "perl", "r"})
_SLASH_COMMENT = frozenset(
    {"javascript", "typescript", "go", "java", "kotlin", "rust", "c", "cpp", "csharp", "php"}
)


def is_comment(text: str, language: str | None) -> bool:
    """Whether the whole line is a comment (a cheap, prefix-only test)."""
    stripped = text.lstrip()
    if language in _HASH_COMMENT:
        return stripped.startswith("#")
    if language in _SLASH_COMMENT:
        return (
            stripped.startswith(("//", "/*", "* ", "*/"))
            or stripped == "*"
            or (language == "php" and stripped.startswith("#"))
        )
    return False


_SCRIPT_DIRS = frozenset(
    {
        "test",
        "tests",
        "testing",
        "__tests__",
        "spec",
        "specs",
        "script",
        "scripts",
        "example",
        "examples",
        "bin",
        "tools",
        "docs",
        "doc",
        "benchmarks",
        "bench",
        "cmd",
        "e2e",
        "demo",
        "demos",
        "samples",
    }
)
_SCRIPT_NAMES = re.compile(
    r"^(?:cli|__main__|main|setup|conftest|manage|noxfile|tasks|fabfile)\.\w+$"
    r"|^test_.*|.*_test\.\w+$|.*\.(?:test|spec|stories)\.\w+$|.*Test\.java$"
)


def is_script_or_test_path(path: str) -> bool:
    """Tests, scripts, examples and CLI entry points, where printing is the point."""
    parts = path.lower().split("/")
    if any(part in _SCRIPT_DIRS for part in parts[:-1]):
        return True
    return bool(_SCRIPT_NAMES.match(posixpath.basename(path)))


def find_first(
    patterns: Iterable[tuple[re.Pattern[str], str]], text: str
) -> tuple[str, int, int] | None:
    """(label, 1-based start column, inclusive end column) of the first pattern that matches."""
    for pattern, label in patterns:
        match = pattern.search(text)
        if match:
            return label, match.start() + 1, max(match.end(), match.start() + 1)
    return None


__all__ = [
    "HEURISTIC_SCAN_CHARS",
    "JS_LIKE",
    "SOURCE",
    "Check",
    "added_lines",
    "file_finding",
    "find_first",
    "is_comment",
    "is_script_or_test_path",
    "language_of",
    "line_finding",
    "make_rule",
    "rule_id_matches",
    "scan_tables",
]


Patterns = tuple[tuple[re.Pattern[str], str], ...]
"""(compiled regex, human label) pairs, checked in order."""


def compile_patterns(*items: tuple[str, str]) -> Patterns:
    return tuple((re.compile(rx), label) for rx, label in items)


class TableHit(NamedTuple):
    lineno: int
    text: str
    rule: Rule
    label: str
    start: int
    end: int


def scan_tables(
    file: FileChange,
    lang: str | None,
    hint: re.Pattern[str],
    tables: Sequence[tuple[Rule, Patterns]],
) -> Iterator[TableHit]:
    """The first matching rule table of each added, non-comment line that `hint` admits:
    the one scan loop of the pattern-table checks (debug leftovers, disabled tests)."""
    for lineno, text in added_lines(file, limit=HEURISTIC_SCAN_CHARS):
        if hint.search(text) is None or is_comment(text, lang):
            continue
        for rule, patterns in tables:
            hit = find_first(patterns, text)
            if hit is not None:
                yield TableHit(lineno, text, rule, *hit)
                break
