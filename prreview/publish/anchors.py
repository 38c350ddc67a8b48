"""Where inline comments go: the commentable lines of a diff and the plan for one run.

Pure functions over the Review and what the platform reports: which findings get a new
comment (only on a line the PR/MR diff shows), which existing comments are kept, resolved
(the finding is gone) or reopened (it came back), and which findings stay summary-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from prreview.models import Finding, Review
from prreview.publish.common import Frozen, comment_key

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class DiffLine:
    hunk: int
    old: int | None
    """Old-side number of a context line; None for an added line."""
    deletion_before: bool = False
    """Removed lines sit directly above this line (it is the line after a deletion)."""
    deletion_after: bool = False
    """Removed lines sit directly below this line (it is the line before a deletion)."""


def patch_lines(patch: str | None) -> dict[int, DiffLine]:
    """New-side (RIGHT) lines a unified-diff patch shows: the lines a comment may go on."""
    lines: dict[int, DiffLine] = {}
    old = new = hunk = 0
    deleted = False
    for raw in (patch or "").splitlines():
        header = _HUNK.match(raw)
        if header:
            old, new, hunk = int(header.group(1)), int(header.group(3)), hunk + 1
            deleted = False
        elif hunk == 0 or raw.startswith("\\"):
            continue
        elif raw.startswith("-"):
            if not deleted and new - 1 in lines:
                lines[new - 1] = replace(lines[new - 1], deletion_after=True)
            old, deleted = old + 1, True
        else:
            added = raw.startswith("+")
            lines[new] = DiffLine(hunk, None if added else old, deletion_before=deleted)
            old, new, deleted = (old if added else old + 1), new + 1, False
    return lines


def anchor(finding: Finding, lines: Mapping[int, DiffLine]) -> tuple[int, int] | None:
    """(first, last) diff lines to comment on, or None when no line of the finding is shown.

    A finding about removed code sits on the line before or after the deletion; when that
    line is not shown (the deletion ends the file, or starts it), the comment goes on the
    shown neighbour across the deletion, which GitHub and GitLab accept.
    """
    if finding.start_line is None:
        return None
    start = finding.start_line
    end = max(finding.end_line or start, start)
    shown = [n for n in range(start, min(end, start + 10_000) + 1) if n in lines]
    if not shown:
        near = _across_deletion(start, lines)
        return (near, near) if near is not None else None
    if start in lines and end in lines and lines[start].hunk == lines[end].hunk:
        return start, end
    return shown[0], shown[0]


def _across_deletion(line: int, lines: Mapping[int, DiffLine]) -> int | None:
    before, after = lines.get(line - 1), lines.get(line + 1)
    if before is not None and before.deletion_after:
        return line - 1
    if after is not None and after.deletion_before:
        return line + 1
    return None


class Existing(Frozen):
    """One of our inline comments (GitHub) or discussions (GitLab) found on the PR/MR."""

    key: str
    id: str
    body: str
    resolved: bool
    note_id: str = ""
    thread: str = ""
    """GitHub: the GraphQL id of the review thread the comment starts ("" when unknown)."""
    resolved_by_us: bool = True
    """False when a person resolved the thread: the finding stays theirs to judge."""


class Placement(Frozen):
    finding: Finding
    key: str
    path: str
    start: int
    end: int


class InlinePlan(Frozen):
    post: tuple[Placement, ...] = ()
    kept: tuple[Existing, ...] = ()
    resolve: tuple[Existing, ...] = ()
    reopen: tuple[tuple[Existing, Finding], ...] = ()
    duplicates: tuple[Existing, ...] = ()
    summary_only: tuple[str, ...] = ()


def plan_inline(
    review: Review,
    diff: Mapping[str, Mapping[int, DiffLine]] | None,
    existing: Sequence[Existing],
    *,
    max_new: int,
) -> InlinePlan:
    """What to post, keep, resolve and reopen. `diff` None: the PR moved on, post nothing new.

    Comments are resolved only after a complete review: a unit that failed may hide findings
    that are still there.
    """
    by_key: dict[str, Existing] = {}
    duplicates = []
    for item in existing:
        if item.key in by_key:
            duplicates.append(item)
        else:
            by_key[item.key] = item
    current: dict[str, Finding] = {}
    for f in sorted(review.findings, key=lambda f: (-f.rank[0], -f.rank[1])):
        current.setdefault(comment_key(f), f)
    post, kept, reopen, summary_only = [], [], [], []
    for key, f in current.items():
        old = by_key.get(key)
        if old is not None and old.resolved and old.resolved_by_us:
            reopen.append((old, f))
            continue
        if old is not None:
            kept.append(old)
            continue
        lines = diff.get(f.path or "") if diff is not None and f.path else None
        span = anchor(f, lines) if lines else None
        if span is None or len(post) >= max_new:
            summary_only.append(_location(f))
            continue
        post.append(Placement(finding=f, key=key, path=f.path or "", start=span[0], end=span[1]))
    resolve = [e for k, e in by_key.items() if k not in current and not e.resolved]
    return InlinePlan(
        post=tuple(post),
        kept=tuple(kept),
        resolve=tuple(resolve) if review.complete else (),
        reopen=tuple(reopen),
        duplicates=tuple(duplicates),
        summary_only=tuple(summary_only),
    )


def _location(f: Finding) -> str:
    if f.path is None:
        return "(change)"
    if f.start_line is None:
        return f.path
    end = f.end_line or f.start_line
    return f"{f.path}:{f.start_line}" + (f"-{end}" if end > f.start_line else "")
