"""Builders for FileChange objects used by the built-in check tests."""

from __future__ import annotations

from prreview.models import ChangeSet, DiffLine, FileChange, Finding, Hunk


def make_file(
    path: str,
    added: list[str],
    *,
    start: int = 1,
    context_before: tuple[str, ...] = (),
    language: str | None = None,
    status: str = "modified",
    skip_reason: str | None = None,
    is_binary: bool = False,
    size: int | None = None,
) -> FileChange:
    """A file whose single hunk has `context_before` lines then `added` lines from `start`."""
    lines = [
        DiffLine(kind="context", old_lineno=start + i, new_lineno=start + i, text=text)
        for i, text in enumerate(context_before)
    ]
    first_added = start + len(context_before)
    lines += [
        DiffLine(kind="added", new_lineno=first_added + i, text=text)
        for i, text in enumerate(added)
    ]
    hunks = ()
    if lines:
        hunks = (
            Hunk(
                old_start=start,
                old_length=len(context_before),
                new_start=start,
                new_length=len(lines),
                lines=tuple(lines),
            ),
        )
    return FileChange(
        path=path,
        status=status,  # type: ignore[arg-type]
        language=language,
        is_binary=is_binary,
        size=size,
        added=len(added),
        hunks=hunks,
        skip_reason=skip_reason,
    )


def make_changes(*files: FileChange) -> ChangeSet:
    return ChangeSet(repo_root="/repo", files=files)


def rule_ids(findings: list[Finding]) -> list[str]:
    return [f.rule_id for f in findings]


def finding_text(finding: Finding) -> str:
    """Every text field of a finding, for leak assertions."""
    return finding.model_dump_json()
