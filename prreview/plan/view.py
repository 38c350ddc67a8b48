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

`render_packs_text` is the dry run's view of each unit's context pack (stderr).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from prreview.context.pack import PackItem, PackReport
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


def render_packs_text(packs: Sequence[PackReport], *, detail: bool = True) -> str:
    """Per unit, the context pack: budget, what was included, what was cut and why.

    Without `detail`, only the units whose pack is smaller than the setting or empty.
    """
    lines: list[str] = []
    if not detail:
        notes = [f"{_unit_title(r)}: {_safe(r.note)}" for r in packs if r.note]
        if len(notes) > _MAX_NOTES:
            more = len(notes) - _MAX_NOTES
            notes = [*notes[:_MAX_NOTES], f"... and {more} more units (see --dry-run)"]
        return "\n".join(notes) + ("\n" if notes else "")
    for report in packs:
        lines.append(
            f"{_unit_title(report)}: context {report.used}/{report.budget} tokens "
            f"(context_tokens {report.setting}), {len(report.included)} included, "
            f"{len(report.cut)} cut"
        )
        if report.note:
            lines.append(f"  note: {_safe(report.note)}")
        for item in report.included:
            lines.append(f"  + {_item_text(item)}  {item.tokens} tokens")
        for item in report.cut:
            lines.append(f"  - {_item_text(item)}  cut: {_safe(item.reason)}")
    return "\n".join(lines) + ("\n" if lines else "")


_MAX_NOTES = 3


def packs_dict(packs: Sequence[PackReport]) -> list[dict[str, Any]]:
    return [p.model_dump(mode="json") for p in packs]


def _unit_title(report: PackReport) -> str:
    paths = ", ".join(_safe(p) for p in report.paths[:3])
    more = f" +{len(report.paths) - 3}" if len(report.paths) > 3 else ""
    return f"unit {report.unit_id} ({paths}{more})"


def _item_text(item: PackItem) -> str:
    where = f"{_safe(item.path)}:{item.start_line}-{item.end_line}"
    return f"[{item.rank}] {item.kind}: {_safe(item.label)} ({where})"
