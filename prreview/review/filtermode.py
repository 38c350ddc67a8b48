"""The filter mode: which findings (built-in, model, imported) count for this change."""

from __future__ import annotations

from collections.abc import Sequence

from prreview.change.stream import is_unparsed
from prreview.models import ChangeSet, FileChange, FilterMode, Finding


def filter_findings(
    findings: Sequence[Finding], changes: ChangeSet, mode: FilterMode
) -> tuple[list[Finding], int]:
    """Keep the findings the filter mode allows (reviewdog's modes). Returns (kept, dropped).

    added: the finding's lines touch an added line or a deletion point (the new-file line
    directly before or after a pure deletion, and the first line of a hunk whose only change
    is a deletion: where a finding about removed code anchors); diff_context: they touch a
    line shown in the diff (added or context); file: its file is in the change; nofilter:
    everything.
    A file-level finding passes `added`/`diff_context` when its file is in the change, and
    a finding without a path (about the change as a whole) always passes. So does every
    finding in a file whose patch was too large to parse (no hunks kept): only the built-in
    checks read it, streaming, and they report added lines only.
    """
    if mode == "nofilter":
        return list(findings), 0
    files = {f.path: f for f in changes.files}
    lines: dict[str, set[int]] = {}
    kept = [f for f in findings if _keep(f, files, lines, mode)]
    return kept, len(findings) - len(kept)


def _keep(
    finding: Finding, files: dict[str, FileChange], cache: dict[str, set[int]], mode: str
) -> bool:
    if finding.path is None:
        return True
    change = files.get(finding.path)
    if change is None:
        return False
    if mode == "file" or finding.start_line is None or is_unparsed(change):
        return True
    if finding.path not in cache:
        cache[finding.path] = (
            change.added_line_numbers() | deletion_points(change)
            if mode == "added"
            else change.new_lines_in_diff()
        )
    start = finding.start_line
    end = max(finding.end_line or start, start)
    wanted = cache[finding.path]
    if end - start > len(wanted):
        return any(start <= n <= end for n in wanted)
    return any(n in wanted for n in range(start, end + 1))


def deletion_points(change: FileChange) -> set[int]:
    """New-file lines next to a pure deletion (a run of removed lines with no added line)."""
    points: set[int] = set()
    for hunk in change.hunks:
        if hunk.removed and not hunk.added:
            points.add(max(hunk.new_start, 1))
        # git numbers an empty new side by the line before it: the next line is one more
        nxt, run, pure = hunk.new_start + (hunk.new_length == 0), 0, True
        for line in (*hunk.lines, None):
            if line is not None and line.kind != "context":
                run += 1
                pure = pure and line.kind == "removed"
            else:
                if run and pure:
                    points.update(n for n in (nxt - 1, nxt) if n >= 1)
                run, pure = 0, True
            if line is not None and line.kind != "removed":
                nxt += 1
    return points
