"""Every git call of prreview, and the change set it reads.

All git processes start from `_argv`/`_env`: a fixed set of `-c` overrides (no hooks, no
fsmonitor, unquoted UTF-8 paths, no diff prefixes/config surprises), no pager, no terminal
prompt, no external diff, literal pathspecs, and never `--textconv`. Nothing here runs a
filter, a textconv driver or a hook on repository content, except that `working_tree`
mode lets git apply the user's own clean filters while comparing the working tree.
Everything read from the repository or the CI environment is untrusted.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from prreview.change.ci import BaseChoice, ci_base_detected, detect_base
from prreview.change.diffparse import RawRecord, build_changes, split_raw
from prreview.config.settings import Settings
from prreview.errors import GitError, UsageError
from prreview.models import ChangeSet, FileChange

if TYPE_CHECKING:
    from prreview.change import tree as gittree

__all__ = [
    "SHALLOW_HINT",
    "blob_sizes",
    "ci_base_detected",
    "empty_tree",
    "git_attr",
    "is_ancestor",
    "is_shallow",
    "read_blob_at",
    "read_changes",
    "reader_for",
    "repo_root",
    "resolve_refs",
    "rev_parse",
]

_CONFIG = {
    "core.quotepath": "off",
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "color.ui": "false",
    "diff.noprefix": "false",
    "diff.mnemonicPrefix": "false",
    "diff.suppressBlankEmpty": "false",
    "diff.relative": "false",
    "grep.column": "false",
    "grep.fullName": "false",
}
_DROP_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER")
_DIFF_OPTS = (
    "diff", "--raw", "-p", "-z", "--no-abbrev", "--full-index", "--no-color", "--no-ext-diff",
    "--no-textconv", "-M", "-C", "-U3", "--inter-hunk-context=0", "--src-prefix=a/",
    "--dst-prefix=b/", "--submodule=short", "--ignore-submodules=dirty",
)  # fmt: skip
SHALLOW_HINT = (
    "fetch more history: with actions/checkout set `fetch-depth: 0`, on GitLab set "
    "`GIT_DEPTH: 0`, or run `git fetch --deepen=500` (or `git fetch --unshallow`)"
)
_BINARY_SNIFF = 8000


def _argv(repo: Path, args: Sequence[str]) -> list[str]:
    config = [part for key, value in _CONFIG.items() for part in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", "-C", str(repo), *config, *args]


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LITERAL_PATHSPECS="1",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    env.update(extra or {})
    return env


def _run(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok: tuple[int, ...] = (0,),
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command; a return code outside `ok` raises GitError."""
    try:
        proc = subprocess.run(
            _argv(repo, args), input=stdin, capture_output=True, env=_env(env), check=False
        )
    except FileNotFoundError:
        raise GitError("git executable not found", hint="install git and put it on PATH") from None
    if proc.returncode not in ok:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = err[-1] if err else f"exit code {proc.returncode}"
        raise GitError(f"git {args[0]} failed: {detail}")
    return proc


# --------------------------------------------------------------------------- repository and refs


def repo_root(path: Path) -> Path:
    """The top-level directory of the work tree containing `path`."""
    if not path.exists():
        raise GitError(f"repository path does not exist: {path}", hint="pass --repo PATH")
    proc = _run(path, ["rev-parse", "--show-toplevel"], ok=(0, 128))
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "dubious ownership" in err:
            raise GitError(
                f"git refuses to read {path}: it is owned by another user",
                hint=f"git config --global --add safe.directory {path.resolve()}",
            )
        raise GitError(
            f"not a git repository (or not a work tree): {path}",
            hint="run prreview inside a git checkout or pass --repo PATH",
        )
    return Path(os.fsdecode(proc.stdout.rstrip(b"\n")))


def rev_parse(repo: Path, ref: str, kind: str = "commit") -> str | None:
    """Full object id of `ref` peeled to `kind`, or None when it does not exist."""
    if not ref or ref.startswith("-") or "\n" in ref:
        return None
    proc = _run(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}"], ok=(0, 1, 128))
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def is_shallow(repo: Path) -> bool:
    proc = _run(repo, ["rev-parse", "--is-shallow-repository"], ok=(0, 128, 129))
    if proc.returncode == 0 and proc.stdout.strip() in (b"true", b"false"):
        return proc.stdout.strip() == b"true"
    # git < 2.15 echoes the option back; the shallow file is what it checks itself
    shallow = _run(repo, ["rev-parse", "--git-path", "shallow"]).stdout.rstrip(b"\n")
    return (repo / os.fsdecode(shallow)).exists()


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    """True when commit `a` is an ancestor of (or equal to) commit `b`."""
    sha_a, sha_b = rev_parse(repo, a), rev_parse(repo, b)
    if sha_a is None or sha_b is None:
        raise GitError(f"unknown ref '{a if sha_a is None else b}'")
    proc = _run(repo, ["merge-base", "--is-ancestor", sha_a, sha_b], ok=(0, 1))
    return proc.returncode == 0


def _merge_base(repo: Path, base: str, head: str) -> str:
    proc = _run(repo, ["merge-base", base, head], ok=(0, 1))
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


def _unknown_ref(repo: Path, ref: str, flag: str) -> GitError:
    if ref == "HEAD" and rev_parse(repo, "HEAD") is None:
        return GitError(
            "the repository has no commits yet",
            hint="commit first, or review the index with --staged",
        )
    hint = f"check the name, or fetch it first: git fetch origin {ref}"
    if is_shallow(repo):
        hint = f"{hint}; the clone is shallow: {SHALLOW_HINT}"
    return GitError(f"unknown ref '{ref}' (given by {flag})", hint=hint)


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
        raise _unknown_ref(root, head, "--head")
    if base is not None:
        tip = rev_parse(root, base)
        if tip is None:
            raise _unknown_ref(root, base, "--base")
        choice = BaseChoice(ref=base, sha=tip, reason=f"base {base} (from --base)")
    else:
        choice = detect_base(env, lambda ref: rev_parse(root, ref))
    reason, head_ref = choice.reason, head
    if head == "HEAD" and choice.head_sha and choice.head_sha != head_sha:
        reason += f"; head {choice.head_sha[:12]} (pull_request.head.sha; HEAD is {head_sha[:12]})"
        head_ref, head_sha = choice.head_sha, choice.head_sha
    merge_base = _merge_base(root, choice.sha, head_sha)
    if merge_base == head_sha:
        reason += "; head is already contained in the base: empty change"
    return _Resolved(choice.ref, merge_base, head_ref, head_sha, reason)


def resolve_refs(
    repo: Path, *, base: str | None, head: str, env: Mapping[str, str]
) -> tuple[str, str, str, str]:
    """(base_ref, base_sha, head_sha, reason); base_sha is merge-base(base, head)."""
    r = _resolve(repo_root(repo), base=base, head=head, env=env)
    return r.base_ref, r.base_sha, r.head_sha, r.reason


# --------------------------------------------------------------------------- reading the change


def read_changes(settings: Settings, env: Mapping[str, str]) -> ChangeSet:
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
    return _run(root, ["merge-base", "--is-ancestor", a, b], ok=(0, 1)).returncode == 0


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


def empty_tree(repo: Path) -> str:
    """Id of the empty tree in this repository's hash algorithm."""
    return _run(repo, ["hash-object", "-t", "tree", "--stdin"], stdin=b"").stdout.decode().strip()


def _diff_files(root: Path, revs: list[str], *, worktree: bool) -> list[FileChange]:
    if len(revs) == 2 and revs[0] == revs[1]:
        return []
    records, patch = split_raw(_run(root, [*_DIFF_OPTS, *revs, "--"]).stdout)
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


def blob_sizes(repo: Path, shas: Sequence[str]) -> dict[str, int]:
    """Sizes of many objects with one `git cat-file --batch-check`; missing ones are left out."""
    if not shas:
        return {}
    out = _run(repo, ["cat-file", "--batch-check"], stdin="\n".join(shas).encode() + b"\n")
    sizes: dict[str, int] = {}
    for line in out.stdout.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


# --------------------------------------------------------------------------- reading trees


def read_blob_at(repo: Path, rev: str, path: str) -> bytes | None:
    """Content of `path` at commit `rev` (e.g. the config file at the base); None if absent."""
    sha = rev_parse(repo, rev)
    if sha is None:
        raise GitError(f"unknown ref '{rev}'")
    proc = _run(repo, ["cat-file", "blob", f"{sha}:{path}"], ok=(0, 128))
    return proc.stdout if proc.returncode == 0 else None


def git_attr(
    repo: Path, paths: Sequence[str], attr: str, rev: str | None = None, *, index: bool = False
) -> dict[str, str]:
    """Value of `attr` for each path: 'set', 'unset', 'unspecified' or the value string.

    Reads the .gitattributes of tree-ish `rev` (None: the working tree, or the index with
    index=True) without checking anything out; git < 2.40 lacks `check-attr --source`,
    so a throw-away index is filled with `read-tree` instead. Read-only, runs nothing.
    """
    if not paths or attr.startswith("-"):
        return {}
    stdin = b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths) + b"\0"
    base = ["check-attr", "-z", "--stdin"]
    if rev is None:
        args = [*base, "--cached", attr] if index else [*base, attr]
        return _parse_attrs(_run(repo, args, stdin=stdin).stdout)
    proc = _run(repo, [*base, f"--source={rev}", attr], stdin=stdin, ok=(0, 128, 129))
    if proc.returncode == 0:
        return _parse_attrs(proc.stdout)
    with tempfile.TemporaryDirectory(prefix="prreview-attr-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        _run(repo, ["read-tree", rev], env=index_env)
        out = _run(repo, [*base, "--cached", attr], stdin=stdin, env=index_env).stdout
    return _parse_attrs(out)


def _parse_attrs(out: bytes) -> dict[str, str]:
    fields = out.split(b"\0")
    return {
        fields[i].decode("utf-8", "replace"): fields[i + 2].decode("utf-8", "replace")
        for i in range(0, len(fields) - 2, 3)
    }


def reader_for(changes: ChangeSet, side: Literal["new", "old"] = "new") -> gittree.TreeReader:
    """A TreeReader for one side of `changes` (see gittree.reader_for)."""
    from prreview.change.tree import reader_for as _reader_for

    return _reader_for(changes, side)
