"""Severities of imported findings: a table per tool (docs/evaluators.md, "Imported findings").

A result of tool T, rule R, SARIF level L and security-severity score S gets, first match wins:
1. the `severity_map` setting: T's table, then the `"*"` table: the most specific rule pattern
   that matches R (an exact id beats a glob; a longer glob beats a shorter one);
2. the default table for T (DEFAULT_SEVERITY_MAP): the same;
3. S, when the result or its rule has one (GitHub's bands): >= 9 critical, >= 7 high,
   >= 4 medium, else low;
4. `level:L` in T's, then `"*"`'s table of the setting, then in T's default table;
5. the SARIF level: error high, warning medium, note low, none info.

A table key names a tool as the SARIF log does (`ruff`, `bandit`, `codeql`, `eslint`) and also
matches its variants (`semgrep` matches `semgrep-oss`). Rule patterns are globs over the tool's
own rule id (`F401`, `S6*`, `py/sql-injection`), case-insensitive.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

from prreview.errors import ConfigError
from prreview.models import SEVERITIES, Severity

LEVEL_SEVERITY: dict[str, Severity] = {
    "error": "high",
    "warning": "medium",
    "note": "low",
    "none": "info",
}
LEVEL_PREFIX = "level:"

SeverityTable = Mapping[str, Mapping[str, str]]

DEFAULT_SEVERITY_MAP: dict[str, dict[str, Severity]] = {
    # ruff reports every rule at level "error": its rule codes decide instead.
    "ruff": {
        "*": "low",  # style, unused imports (F401), complexity, ...
        "E9*": "high",  # syntax errors
        "F63*": "high",  # comparisons that are always true or false
        "F7*": "high",  # statements outside their block (break outside a loop, ...)
        "F82*": "high",  # undefined names
        "S*": "medium",  # flake8-bandit
        "S102": "high",  # exec
        "S301": "high",  # pickle
        "S307": "high",  # eval
        "S501": "high",  # TLS certificate checks off
        "S506": "high",  # yaml.load
        "S602": "high",  # subprocess with shell=True
        "S604": "high",  # a call with shell=True
        "S605": "high",  # os.system, os.popen
        "S608": "high",  # SQL built from strings
    },
    # bandit's level is its own issue severity (HIGH error, MEDIUM warning, LOW note).
    "bandit": {},
    # semgrep's level is the rule's severity (ERROR, WARNING, INFO).
    "semgrep": {},
    # eslint's level is the project's own "error"/"warn" choice, mostly for style rules.
    "eslint": {
        "level:error": "medium",
        "level:warning": "low",
        "no-eval": "high",
        "no-implied-eval": "high",
        "no-new-func": "high",
        "security/*": "medium",
    },
    # CodeQL: security queries carry security-severity; the others keep their level.
    "codeql": {},
}


def check_table(table: SeverityTable) -> None:
    """A ConfigError for a `level:` key that names no SARIF level (a typo would never match)."""
    for tool, entries in table.items():
        for key in entries:
            if key.startswith(LEVEL_PREFIX) and key[len(LEVEL_PREFIX) :] not in LEVEL_SEVERITY:
                raise ConfigError(
                    f"severity_map.{tool}: unknown key '{key}'",
                    hint="level keys are level:error, level:warning, level:note, level:none",
                )


def _tool_matches(key: str, tool: str) -> bool:
    key = key.lower()
    return tool == key or tool.startswith(key + "-")


def tables_for(tool: str, table: SeverityTable, defaults: SeverityTable) -> list[dict[str, str]]:
    """[the setting's tables for `tool`, the setting's "*" table, the default tables]."""

    def pick(source: SeverityTable, wildcard: bool) -> dict[str, str]:
        picked: dict[str, str] = {}
        for key, entries in source.items():
            if (key == "*") == wildcard and (wildcard or _tool_matches(key, tool)):
                picked.update(entries)
        return picked

    return [pick(table, False), pick(table, True), pick(defaults, False)]


def _specificity(pattern: str) -> tuple[int, int]:
    literal = sum(1 for ch in pattern if ch not in "*?[]")
    return (0 if any(ch in pattern for ch in "*?[") else 1, literal)


def rule_entry(entries: Mapping[str, str], rule: str) -> Severity | None:
    """The severity of the most specific rule pattern in `entries` that matches `rule`."""
    best: tuple[tuple[int, int], str] | None = None
    lowered = rule.lower()
    for pattern, severity in entries.items():
        if pattern.startswith(LEVEL_PREFIX) or not fnmatchcase(lowered, pattern.lower()):
            continue
        rank = _specificity(pattern)
        if best is None or rank > best[0]:
            best = (rank, severity)
    return _severity(best[1]) if best else None


def _severity(value: str) -> Severity | None:
    return value if value in SEVERITIES else None  # type: ignore[return-value]


def score_severity(score: float) -> Severity:
    """GitHub's bands for a CVSS-like security-severity."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def resolve(
    tables: list[dict[str, str]], rule: str, level: str | None, score: float | None
) -> Severity:
    """Steps 1-5 of the module docstring, with `tables` from tables_for."""
    user, wildcard, default = tables
    for entries in (user, wildcard, default):
        found = rule_entry(entries, rule)
        if found is not None:
            return found
    if score is not None:
        return score_severity(score)
    level = level if level in LEVEL_SEVERITY else "warning"
    for entries in (user, wildcard, default):
        found = _severity(entries.get(LEVEL_PREFIX + str(level), ""))
        if found is not None:
            return found
    return LEVEL_SEVERITY[str(level)]
