"""Suppressing findings: inline `prreview: ignore` comments and a baseline file.

Inline: a comment containing `prreview: ignore[rule-id, other-id]` (or a bare
`prreview: ignore` or `prreview: ignore[*]`, which match every rule; `ignore[]` matches
none) on the flagged line or on the line directly
above it suppresses the finding. A family name matches every rule of the family
(`prreview: ignore[secrets]`). File-level findings (no line) are only suppressed by a
baseline.

Baseline: `{"version": 1, "fingerprints": [...]}`, written from a JSON report; a finding
whose fingerprint is listed is suppressed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from prreview.checks.base import rule_id_matches
from prreview.errors import ConfigError
from prreview.models import ChangeSet, Finding

BASELINE_VERSION = 1
ALL_RULES = "*"
_DIRECTIVE = re.compile(r"prreview:\s*ignore(?:\[(?P<ids>[^\]]*)\])?", re.IGNORECASE)

LineReader = Callable[[str, int], str | None]


def suppressing_ids(text: str) -> list[str] | None:
    """Rule ids named by the directives on a line (`*` for a bare ignore); None for none."""
    ids: list[str] | None = None
    for match in _DIRECTIVE.finditer(text):
        ids = ids if ids is not None else []
        named = match.group("ids")
        if named is None:
            ids.append(ALL_RULES)
        else:
            ids.extend(part.strip() for part in named.split(",") if part.strip())
    return ids


def _suppresses(text: str | None, rule_id: str) -> bool:
    if not text or "prreview" not in text.lower():
        return False
    ids = suppressing_ids(text) or []
    return any(i == ALL_RULES or rule_id_matches(i, rule_id) for i in ids)


def _diff_lines(changes: ChangeSet) -> dict[str, dict[int, str]]:
    table: dict[str, dict[int, str]] = {}
    for file in changes.files:
        lines = table.setdefault(file.path, {})
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind != "removed" and line.new_lineno is not None:
                    lines[line.new_lineno] = line.text
    return table


def apply_inline_suppressions(
    findings: Iterable[Finding],
    changes: ChangeSet,
    read_new_line: LineReader | None = None,
) -> tuple[list[Finding], int]:
    """Drop findings suppressed by an inline comment; return (kept, suppressed count).

    Line text comes from the diff (added and context lines); lines outside it are read with
    `read_new_line(path, lineno)` when given, and otherwise count as no comment.
    """
    table = _diff_lines(changes)

    def line_text(path: str, lineno: int) -> str | None:
        text = table.get(path, {}).get(lineno)
        if text is None and read_new_line is not None and lineno >= 1:
            text = read_new_line(path, lineno)
        return text

    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        path, line = finding.path, finding.start_line
        if (
            path is not None
            and line is not None
            and (
                _suppresses(line_text(path, line), finding.rule_id)
                or _suppresses(line_text(path, line - 1), finding.rule_id)
            )
        ):
            suppressed += 1
        else:
            kept.append(finding)
    return kept, suppressed


def _baseline_error(path: Path, problem: str) -> ConfigError:
    return ConfigError(
        f"--baseline {path}: {problem}",
        hint='expected JSON {"version": 1, "fingerprints": [...]}; create it with '
        "write_baseline from a JSON report (--output json=PATH)",
    )


def load_baseline(path: str | Path) -> set[str]:
    """Fingerprints listed in a baseline file (a JSON report is accepted as well)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _baseline_error(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _baseline_error(path, f"cannot read the file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise _baseline_error(path, f"not valid JSON ({exc})") from None
    if isinstance(data, dict) and "findings" in data and "fingerprints" not in data:
        return _report_fingerprints(data, lambda problem: _baseline_error(path, problem))
    if not isinstance(data, dict) or data.get("version") != BASELINE_VERSION:
        raise _baseline_error(path, f"not a version {BASELINE_VERSION} baseline")
    fps = data.get("fingerprints")
    if not isinstance(fps, list) or not all(isinstance(fp, str) for fp in fps):
        raise _baseline_error(path, '"fingerprints" must be a list of strings')
    return {fp for fp in fps if fp}


def _report_fingerprints(data: dict, error: Callable[[str], ConfigError]) -> set[str]:
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise error('"findings" must be a list')
    fps: set[str] = set()
    for item in findings:
        if not isinstance(item, dict) or not isinstance(item.get("fingerprint", ""), str):
            raise error('every finding must be an object with a string "fingerprint"')
        if item.get("fingerprint"):
            fps.add(item["fingerprint"])
    return fps


def write_baseline(review_json_text: str) -> str:
    """Baseline JSON text listing the fingerprints of every finding in a JSON report."""

    def error(problem: str) -> ConfigError:
        return ConfigError(
            f"cannot write a baseline: {problem}",
            hint="pass the report written by --output json=PATH",
        )

    try:
        data = json.loads(review_json_text)
    except json.JSONDecodeError as exc:
        raise error(f"the report is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise error("the report is not a JSON object")
    fps = _report_fingerprints(data, error)
    body = {"version": BASELINE_VERSION, "fingerprints": sorted(fps)}
    return json.dumps(body, indent=2) + "\n"


def apply_baseline(findings: Iterable[Finding], fps: set[str]) -> tuple[list[Finding], int]:
    """Drop findings whose fingerprint is in the baseline; return (kept, suppressed count)."""
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        if finding.fingerprint and finding.fingerprint in fps:
            suppressed += 1
        else:
            kept.append(finding)
    return kept, suppressed
