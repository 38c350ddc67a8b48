"""Suppressing findings: inline `prreview: ignore` comments and a baseline file.

Inline: a comment containing `prreview: ignore[rule-id, other-id]` (or a bare
`prreview: ignore` or `prreview: ignore[*]`, which match every rule; `ignore[]` matches
none) on the flagged line or on the line directly
above it suppresses the finding. A family name matches every rule of the family
(`prreview: ignore[secrets]`). File-level findings (no line) are only suppressed by a
baseline. A secret finding (`secrets/...`) is never suppressed inline: the key is leaked
either way, and the comment could come from the change that adds it. Findings suppressed
by a comment on an added line are listed (the change suppresses its own finding).

Baseline: `{"version": 1, "fingerprints": [...]}`, written from a JSON report; a finding
whose fingerprint is listed is suppressed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from prreview.checks.base import rule_id_matches
from prreview.errors import ConfigError
from prreview.models import ChangeSet, Finding

BASELINE_VERSION = 1
SECRET_FAMILY = "secrets"
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


def _diff_lines(changes: ChangeSet) -> dict[str, dict[int, tuple[str, bool]]]:
    """path -> new line number -> (text, added by the change)."""
    table: dict[str, dict[int, tuple[str, bool]]] = {}
    for file in changes.files:
        lines = table.setdefault(file.path, {})
        for hunk in file.hunks:
            for line in hunk.lines:
                if line.kind != "removed" and line.new_lineno is not None:
                    lines[line.new_lineno] = (line.text, line.kind == "added")
    return table


@dataclass
class InlineOutcome:
    kept: list[Finding] = field(default_factory=list)
    suppressed: int = 0
    added: list[str] = field(default_factory=list)
    """`path:line rule` of findings suppressed by a comment the change itself adds."""
    refused: int = 0
    """Secret findings kept although a comment asked to suppress them."""

    def notes(self, limit: int = 5) -> list[str]:
        notes = []
        if self.added:
            shown = ", ".join(self.added[:limit]) + (", ..." if len(self.added) > limit else "")
            notes.append(
                f"{len(self.added)} finding(s) suppressed by `prreview: ignore` comments that "
                f"this change adds: {shown}"
            )
        if self.refused:
            notes.append(
                f"{self.refused} secret finding(s) kept: `prreview: ignore` cannot suppress a secret"
            )
        return notes


def inline_suppressions(
    findings: Iterable[Finding], changes: ChangeSet, read_new_line: LineReader | None = None
) -> InlineOutcome:
    """Drop findings suppressed by an inline comment, and say which comments the change adds.

    Line text comes from the diff (added and context lines); lines outside it are read with
    `read_new_line(path, lineno)` when given, and otherwise count as no comment.
    """
    table = _diff_lines(changes)

    def line_at(path: str, lineno: int) -> tuple[str | None, bool]:
        found = table.get(path, {}).get(lineno)
        if found is not None:
            return found
        if read_new_line is not None and lineno >= 1:
            return read_new_line(path, lineno), False
        return None, False

    out = InlineOutcome()
    for finding in findings:
        added = _directive(finding, line_at)
        if added is None:
            out.kept.append(finding)
        elif rule_id_matches(SECRET_FAMILY, finding.rule_id):
            out.kept.append(finding)
            out.refused += 1
        else:
            out.suppressed += 1
            if added:
                out.added.append(f"{finding.path}:{finding.start_line} ({finding.rule_id})")
    return out


def _directive(
    finding: Finding, line_at: Callable[[str, int], tuple[str | None, bool]]
) -> bool | None:
    """None when no comment suppresses `finding`; else whether that comment is an added line."""
    path, line = finding.path, finding.start_line
    if path is None or line is None:
        return None
    for at in (line, line - 1):
        text, added = line_at(path, at)
        if _suppresses(text, finding.rule_id):
            return added
    return None


def apply_inline_suppressions(
    findings: Iterable[Finding],
    changes: ChangeSet,
    read_new_line: LineReader | None = None,
) -> tuple[list[Finding], int]:
    """Drop findings suppressed by an inline comment; return (kept, suppressed count)."""
    out = inline_suppressions(findings, changes, read_new_line)
    return out.kept, out.suppressed


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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _baseline_error(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _baseline_error(path, f"cannot read the file ({exc})") from None
    return parse_baseline(text, path)


def parse_baseline(text: str, path: str | Path) -> set[str]:
    """Fingerprints of a baseline's text (read by the caller from the trusted place)."""
    path = Path(path)
    try:
        data = json.loads(text)
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
        # a merged finding stands for several reported ones: baseline every one of them
        for source in item.get("sources") or ():
            fingerprint = source.get("fingerprint") if isinstance(source, dict) else None
            if isinstance(fingerprint, str) and fingerprint:
                fps.add(fingerprint)
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
