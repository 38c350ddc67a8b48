"""Reading the change: refs, merge base, incremental ranges and the diff as a ChangeSet."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from prreview.change.ci import BaseChoice, detect_base
from prreview.change.diffparse import RawRecord, build_changes, split_raw
from prreview.change.git import (
    DIFF_OPTS,
    SHALLOW_HINT,
    blob_sizes,
    empty_tree,
    is_shallow,
    repo_root,
    rev_parse,
    run,
)
from prreview.change.tree import TreeReader
from prreview.change.tree import reader_for as tree_reader_for
from prreview.errors import GitError, UsageError
from prreview.models import ChangeSet, FileChange


def find_merge_base(repo: Path, base: str, head: str) -> str:
    proc = run(repo, ["merge-base", base, head], ok=(0, 1))
    if proc.returncode == 0:
        return proc.stdout.decode("ascii").strip()
    if is_shallow(repo):
        raise GitError(
            f"no merge base between {base[:12]} and {head[:12]}: the clone is shallow",
            hint=SHALLOW_HINT,
        )
    raise GitError(
        f"no merge base between {base[:12]} and {head[:12]}: the histories are unrelated",
        hint="pass --base with a ref that shares history with --head",
    )


def unknown_ref(repo: Path, ref: str, flag: str) -> GitError:
    if ref == "HEAD" and rev_parse(repo, "HEAD") is None:
        return GitError(
            "the repository has no commits yet",
            hint="commit first, or review the index with --staged",
        )
    hint = f"check the name, or fetch it first: git fetch origin {ref}"
    if is_shallow(repo):
        hint = f"{hint}; the clone is shallow: {SHALLOW_HINT}"
    return GitError(f"unknown ref '{ref}' (given by {flag})", hint=hint)


class ChangeOptions(Protocol):
    """What to read (config.Settings has these fields; change/ does not depend on config/)."""

    @property
    def repo(self) -> Path: ...
    @property
    def base(self) -> str | None: ...
    @property
    def head(self) -> str: ...
    @property
    def staged(self) -> bool: ...
    @property
    def working_tree(self) -> bool: ...
    @property
    def since(self) -> str | None: ...


@dataclass(frozen=True)
class _Resolved:
    base_ref: str
    base_sha: str
    head_ref: str
    head_sha: str
    reason: str


def _resolve(root: Path, *, base: str | None, head: str, env: Mapping[str, str]) -> _Resolved:
    head_sha = rev_parse(root, head)
    if head_sha is None:
        raise unknown_ref(root, head, "--head")
    if base is not None:
        tip = rev_parse(root, base)
        if tip is None:
            raise unknown_ref(root, base, "--base")
        choice = BaseChoice(ref=base, sha=tip, reason=f"base {base} (from --base)")
    else:
        choice = detect_base(env, lambda ref: rev_parse(root, ref))
    reason, head_ref = choice.reason, head
    if head == "HEAD" and choice.head_sha and choice.head_sha != head_sha:
        reason += f"; head {choice.head_sha[:12]} (pull_request.head.sha; HEAD is {head_sha[:12]})"
        head_ref, head_sha = choice.head_sha, choice.head_sha
    merge_base = find_merge_base(root, choice.sha, head_sha)
    if merge_base == head_sha:
        reason += "; head is already contained in the base: empty change"
    return _Resolved(choice.ref, merge_base, head_ref, head_sha, reason)


def resolve_refs(
    repo: Path, *, base: str | None, head: str, env: Mapping[str, str]
) -> tuple[str, str, str, str]:
    """(base_ref, base_sha, head_sha, reason); base_sha is merge-base(base, head)."""
    r = _resolve(repo_root(repo), base=base, head=head, env=env)
    return r.base_ref, r.base_sha, r.head_sha, r.reason


def read_changes(settings: ChangeOptions, env: Mapping[str, str]) -> ChangeSet:
    """The change to review, as chosen by settings (range, staged or working tree)."""
    root = repo_root(settings.repo)
    if settings.staged and settings.working_tree:
        raise UsageError("--staged and --working-tree cannot be combined", hint="pick one")
    if settings.staged or settings.working_tree:
        return _read_local(root, staged=settings.staged)
    r = _resolve(root, base=settings.base, head=settings.head, env=env)
    base_ref, base_sha, reason = r.base_ref, r.base_sha, r.reason
    if settings.since:
        base_ref, base_sha, reason = _apply_since(root, settings.since, r)
    files = _diff_files(root, [base_sha, r.head_sha], worktree=False)
    return ChangeSet(
        repo_root=str(root),
        mode="range",
        base_ref=base_ref,
        base_sha=base_sha,
        head_ref=r.head_ref,
        head_sha=r.head_sha,
        base_reason=reason,
        files=tuple(files),
    )


def _apply_since(root: Path, since: str, r: _Resolved) -> tuple[str, str, str]:
    sha = rev_parse(root, since)
    if sha is None:
        return r.base_ref, r.base_sha, f"{r.reason}; --since {since} is unknown: full change"
    if _ancestor(root, sha, r.head_sha) and _ancestor(root, r.base_sha, sha):
        return since, sha, f"{r.reason}; incremental: only {since} ({sha[:12]})..head"
    note = f"--since {since} is not an ancestor of head (rewritten history?): full change"
    return r.base_ref, r.base_sha, f"{r.reason}; {note}"


def _ancestor(root: Path, a: str, b: str) -> bool:
    return run(root, ["merge-base", "--is-ancestor", a, b], ok=(0, 1)).returncode == 0


def _read_local(root: Path, *, staged: bool) -> ChangeSet:
    head = rev_parse(root, "HEAD")
    old = head or empty_tree(root)
    against = "HEAD" if head else "the empty tree (no commits yet)"
    if staged:
        reason = f"staged changes: the index vs {against}"
    else:
        reason = (
            f"working tree (tracked files, staged and unstaged) vs {against}; "
            "untracked files are not included"
        )
    files = _diff_files(root, ["--cached", old] if staged else [old], worktree=not staged)
    return ChangeSet(
        repo_root=str(root),
        mode="staged" if staged else "working-tree",
        base_ref="HEAD" if head else None,
        base_sha=head,
        base_reason=reason,
        files=tuple(files),
    )


def _diff_files(root: Path, revs: list[str], *, worktree: bool) -> list[FileChange]:
    if len(revs) == 2 and revs[0] == revs[1]:
        return []
    records, patch = split_raw(run(root, [*DIFF_OPTS, *revs, "--"]).stdout)
    return build_changes(records, patch, _sizes(root, records, worktree=worktree))


def _sizes(root: Path, records: list[RawRecord], *, worktree: bool) -> list[int | None]:
    shas = [r.old_sha if r.status == "D" else r.new_sha for r in records]
    known = blob_sizes(root, sorted({s for s in shas if s}))
    sizes: list[int | None] = []
    for rec, sha in zip(records, shas, strict=True):
        if sha:
            sizes.append(known.get(sha))
        elif worktree and rec.new_mode:
            full = root / os.fsdecode(rec.new_path)
            sizes.append(full.lstat().st_size if os.path.lexists(full) else None)
        else:
            sizes.append(None)
    return sizes


def reader_for(changes: ChangeSet, side: Literal["new", "old"] = "new") -> TreeReader:
    """A TreeReader for one side of `changes` (see tree.reader_for)."""
    return tree_reader_for(changes, side)
