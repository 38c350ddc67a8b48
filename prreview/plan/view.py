"""The review plan as text or JSON (`prreview plan`). Pure: no printing, no I/O.

JSON keys (schema_version "1"; keys sorted, 2-space indent, newline at the end):

    schema_version   "1"
    mode             "range" | "staged" | "working-tree"
    reason           why this base was chosen (ChangeSet.base_reason)
    base_ref, base_sha, head_ref, head_sha   strings or null
    files[]          path, old_path (renames/copies, else null), status, language,
                     added, removed, hunks (count), binary, skip_reason (null = reviewed)
    totals           files, reviewable, skipped, added, removed, hunks (reviewable files)
    instructions     (when given) guideline/instruction file -> the changed files it is sent
                     with, read from the trusted tree (config.trust)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from prreview.models import ChangeSet, FileChange

PLAN_SCHEMA_VERSION = "1"
_LETTER = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R", "copied": "C"}


Instructions = Mapping[str, Sequence[str]]


def plan_dict(changes: ChangeSet, instructions: Instructions | None = None) -> dict[str, Any]:
    """The plan as plain data (what render_plan_json serialises)."""
    data = {
        "schema_version": PLAN_SCHEMA_VERSION,
        "mode": changes.mode,
        "reason": changes.base_reason,
        "base_ref": changes.base_ref,
        "base_sha": changes.base_sha,
        "head_ref": changes.head_ref,
        "head_sha": changes.head_sha,
        "files": [_file_dict(f) for f in changes.files],
        "totals": _totals(changes),
    }
    if instructions is not None:
        data["instructions"] = {k: list(v) for k, v in instructions.items()}
    return data


def _file_dict(f: FileChange) -> dict[str, Any]:
    return {
        "path": f.path,
        "old_path": f.old_path,
        "status": f.status,
        "language": f.language,
        "added": f.added,
        "removed": f.removed,
        "hunks": len(f.hunks),
        "binary": f.is_binary,
        "skip_reason": f.skip_reason,
    }


def _totals(changes: ChangeSet) -> dict[str, int]:
    reviewable = changes.reviewable_files
    return {
        "files": len(changes.files),
        "reviewable": len(reviewable),
        "skipped": len(changes.files) - len(reviewable),
        "added": changes.additions,
        "removed": changes.deletions,
        "hunks": sum(len(f.hunks) for f in reviewable),
    }


def render_plan_json(changes: ChangeSet, instructions: Instructions | None = None) -> str:
    data = plan_dict(changes, instructions)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_plan_text(changes: ChangeSet, instructions: Instructions | None = None) -> str:
    """One line per file (status, +/-, language, hunks or skip reason), then the totals."""
    rows = [
        (
            _LETTER[f.status],
            _label(f),
            f"+{f.added} -{f.removed}",
            f.language or "-",
            _tail(f),
        )
        for f in changes.files
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    lines = [_describe_range(changes), f"  {_safe(changes.base_reason)}"]
    for letter, label, counts, language, tail in rows:
        lines.append(
            f"{letter} {label:<{widths[1]}}  {counts:>{widths[2]}}  {language:<{widths[3]}}  {tail}"
        )
    t = _totals(changes)
    lines.append(
        f"{t['files']} files: {t['reviewable']} to review, {t['skipped']} skipped; "
        f"+{t['added']} -{t['removed']}; {t['hunks']} hunks to review"
    )
    if instructions:
        lines.append("instruction files sent with the changed files:")
        for guide, paths in instructions.items():
            shown = ", ".join(_safe(p) for p in paths[:5]) + (", ..." if len(paths) > 5 else "")
            lines.append(f"  {_safe(guide)}: {shown}")
    return "\n".join(lines) + "\n"


def _tail(f: FileChange) -> str:
    if f.skip_reason is not None:
        return f"skipped: {_safe(f.skip_reason)}"
    return f"{len(f.hunks)} hunk" + ("" if len(f.hunks) == 1 else "s")


def _describe_range(changes: ChangeSet) -> str:
    if changes.mode == "staged":
        return f"staged changes vs {_short(changes.base_sha) or 'the empty tree'}"
    if changes.mode == "working-tree":
        return f"working tree vs {_short(changes.base_sha) or 'the empty tree'}"
    return (
        f"{_safe(changes.base_ref or '?')} ({_short(changes.base_sha)})"
        f"..{_safe(changes.head_ref or '?')} ({_short(changes.head_sha)})"
    )


def _label(f: FileChange) -> str:
    if f.old_path is not None and f.old_path != f.path:
        return f"{_safe(f.old_path)} -> {_safe(f.path)}"
    return _safe(f.path)


def _short(sha: str | None) -> str:
    return sha[:12] if sha else ""


def _safe(text: str) -> str:
    """Escape control characters: names come from the pull request and reach a terminal."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
