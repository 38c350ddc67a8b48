"""Write corpus cases in the format `prreview eval` reads (shared by `mine` and `import aacr`).

A case is `cases/<case_id>__<variant>/` with base.tar.gz, change.diff and truth.json, anchored
as the public corpus is (its README): truth lines are new-side lines of the changed file;
`changed` ranges hold an added line, `context` and `missing` ranges none, and a `missing`
range sits at a deletion point (the new-side lines just before and after removed code).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from prreview.change.history import blob, git
from prreview.change.languages import detect_language
from prreview.eval.corpus import CaseError, load_case
from prreview.models import FileChange, Frozen

AnchorKind = Literal["changed", "context", "missing"]
_CASE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_LICENCE_FILE = re.compile(r"(?i)^(licen[cs]e|copying)(\.(md|txt|rst))?$")


class Skipped(Frozen):
    """A candidate (a commit, a dataset entry, a comment) that did not become a case."""

    item: str
    reason: str


class BuildReport(Frozen):
    """What a corpus builder wrote and what it left out, with reasons."""

    out: str
    cases: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    scanned: int = 0
    """Commits or dataset entries looked at."""


def case_id(*parts: str) -> str:
    return _CASE_ID.sub("-", "-".join(p for p in parts if p)).strip("-.") or "case"


def read_lines(data: bytes) -> list[str]:
    """Lines split on \\n, a trailing \\r dropped, UTF-8 with errors replaced (README)."""
    raw = data.split(b"\n")
    if raw and raw[-1] == b"":
        raw.pop()
    return [(ln[:-1] if ln.endswith(b"\r") else ln).decode("utf-8", "replace") for ln in raw]


def added_lines(change: FileChange) -> set[int]:
    return change.added_line_numbers()


def removal_points(change: FileChange) -> set[int]:
    """New-side positions p after which lines were removed (0: before the first line)."""
    points: set[int] = set()
    for hunk in change.hunks:
        nxt = hunk.new_start + (hunk.new_length == 0)
        for line in hunk.lines:
            if line.kind == "removed":
                points.add(nxt - 1)
            else:
                nxt += 1
    return points


def anchor_kind(change: FileChange, start: int, end: int, *, removed: bool) -> AnchorKind:
    """`changed` with an added line; else `missing` when the finding is about removed code
    that sits at this range, else `context`."""
    if any(n in added_lines(change) for n in range(start, end + 1)):
        return "changed"
    if removed and any(start - 1 <= p <= end for p in removal_points(change)):
        return "missing"
    return "context"


def anchor_problem(change: FileChange, start: int, end: int, kind: str) -> str | None:
    """Why `kind` does not fit the range (the public corpus's check), None when it does."""
    has_added = any(n in added_lines(change) for n in range(start, end + 1))
    if kind == "changed" and not has_added:
        return "anchor changed but no added line in the range"
    if kind in ("context", "missing") and has_added:
        return f"anchor {kind} but the range has added lines"
    if kind == "missing" and not any(start - 1 <= p <= end for p in removal_points(change)):
        return "anchor missing but no deletion point at the range"
    return None


def deletion_range(point: int, line_count: int) -> tuple[int, int] | None:
    """The new-side lines just before and after deletion point `point`."""
    if line_count == 0:
        return None
    start, end = max(point, 1), min(point + 1, line_count)
    return (start, end) if start <= end else (line_count, line_count)


def finding(
    change: FileChange,
    lines: Sequence[str],
    span: tuple[int, int],
    *,
    category: str,
    severity: str,
    description: str,
    removed: bool = False,
) -> dict[str, Any]:
    """One truth finding (primary), its anchor kind read from the diff (`removed`: the
    finding is about code the change deletes)."""
    start, end = span
    if not 1 <= start <= end <= len(lines):
        raise CaseError(f"{change.path}:{start}-{end} is outside the file ({len(lines)} lines)")
    return {
        "file": change.path,
        "start_line": start,
        "end_line": end,
        "anchor_kind": anchor_kind(change, start, end, removed=removed),
        "role": "primary",
        "category": category,
        "severity": severity,
        "description": description,
        "lines_text": list(lines[start - 1 : end]),
    }


def main_language(paths: Iterable[str], default: str = "unknown") -> str:
    """The most frequent language among `paths` (ties: alphabetical)."""
    counts = Counter(lang for p in paths if (lang := detect_language(p)))
    if not counts:
        return default
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def license_of(helper: Path, commit: str) -> str:
    """SPDX id guessed from the top-level licence file at `commit` ("" when there is none)."""
    names = git(helper, ["ls-tree", "--name-only", "-z", commit]).decode("utf-8", "replace")
    found = sorted(n for n in names.split("\0") if _LICENCE_FILE.match(n))
    if not found:
        return ""
    text = (blob(helper, commit, found[0]) or b"").decode("utf-8", "replace")
    rules = (
        ("Mozilla Public", "MPL-2.0"),
        ("GNU AFFERO GENERAL PUBLIC", "AGPL-3.0"),
        ("GNU LESSER GENERAL PUBLIC", "LGPL"),
        ("GNU GENERAL PUBLIC LICENSE", "GPL"),
        ("Apache License", "Apache-2.0"),
        ("Permission is hereby granted, free of charge", "MIT"),
        ("Redistribution and use in source and binary forms", "BSD"),
        ("This is free and unencumbered software", "Unlicense"),
    )
    return next((spdx for needle, spdx in rules if needle in text), "UNKNOWN")


def write_case(root: Path, name: str, *, tar_gz: bytes, diff: bytes, truth: dict[str, Any]) -> Path:
    """Write one case directory under `root` (replacing one of the same name) and load it back."""
    final = root / name
    staging = root / f".{name}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    (staging / "base.tar.gz").write_bytes(tar_gz)
    (staging / "change.diff").write_bytes(diff)
    text = json.dumps(truth, indent=2, ensure_ascii=False) + "\n"
    (staging / "truth.json").write_text(text, encoding="utf-8")
    try:
        load_case(staging)
    except CaseError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return final


def write_index(out: Path, report: BuildReport, source: str) -> None:
    """CORPUS/index.json (the cases, like the public corpus) and CORPUS/skipped.json."""
    entries = []
    for name in report.cases:
        truth = json.loads((out / "cases" / name / "truth.json").read_text(encoding="utf-8"))
        entries.append(
            {
                "dir": f"cases/{name}",
                "case_id": truth["case_id"],
                "variant": truth["variant"],
                "language": truth["language"],
                "repo": truth["repo"],
                "clean": truth["clean"],
                "findings": len(truth["findings"]),
            }
        )
    index = {
        "format_version": 1,
        "format": "cases/<case_id>__<variant>/{base.tar.gz,change.diff,truth.json}",
        "source": source,
        "total": len(entries),
        "clean": sum(e["clean"] for e in entries),
        "cases": entries,
    }
    skipped = {"scanned": report.scanned, "skipped": [s.model_dump() for s in report.skipped]}
    for file, data in (("index.json", index), ("skipped.json", skipped)):
        (out / file).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", "utf-8")
