"""`prreview eval mine`: a labelled corpus from a repository's own history.

Candidates are fix commits (see `fix_signal`), newest first. Each becomes a `revert` case
(base = the fix, change = the fix undone on the non-test source files it modified, truth =
one finding per hunk of the undo: the lines it brings back, or the deletion point of a guard
it removes) and, where one is found, a `clean` case: the nearest commit within
`clean_distance` that is no fix itself and none of whose added source lines a later fix
commit changed (`git blame` at each later fix's parent). Every skipped candidate is reported
with a reason.
The result depends only on the commit range and the options (see docs/evaluation.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from prreview.change import history as gitrun
from prreview.change.filters import path_matches
from prreview.errors import GitError, UsageError
from prreview.eval import casewrite as cw
from prreview.eval.fixes import category_of, comments_only, fix_signal, is_source, non_code_fix
from prreview.models import FileChange, Frozen, Hunk

Progress = Callable[[str], None]


class MineOptions(Frozen):
    repo: Path
    out: Path
    head: str = "HEAD"
    limit: int = Field(20, ge=1)
    since: str | None = None
    """A commit (mine since..head) or a date git understands (`2024-01-01`)."""
    paths: tuple[str, ...] = ()
    max_files: int = Field(4, ge=1)
    max_lines: int = Field(60, ge=1)
    clean: bool = True
    clean_distance: int = Field(10, ge=1)
    name: str | None = None


class Commit(Frozen):
    sha: str
    parents: tuple[str, ...]
    message: str

    @property
    def subject(self) -> str:
        return self.message.strip().split("\n", 1)[0].strip()


class Skip(Exception):
    """A candidate that does not become a case; the message is the reason."""


def list_commits(
    helper: Path, head: str, since_commit: str | None = None, since_date: str | None = None
) -> list[Commit]:
    """Commits reachable from `head`, not from `since_commit`, newer than `since_date`; newest
    first."""
    args = ["log", "--topo-order", "--no-color", "--format=%H%x1f%P%x1f%B%x1e"]
    args += [f"^{since_commit}"] if since_commit else []
    args += [f"--since={since_date}"] if since_date else []
    out = gitrun.git(helper, [*args, head, "--"]).decode("utf-8", "replace")
    commits = []
    for record in out.split("\x1e"):
        fields = record.lstrip("\n").split("\x1f")
        if len(fields) == 3:
            commits.append(
                Commit(sha=fields[0], parents=tuple(fields[1].split()), message=fields[2])
            )
    return commits


def _in_paths(path: str, paths: Sequence[str]) -> bool:
    return not paths or path_matches(path, paths)


# --------------------------------------------------------------------------- revert cases


def undo_paths(files: Sequence[FileChange], opts: MineOptions) -> list[str]:
    """The non-test source files the fix modified (raises Skip with the reason when none)."""
    source = [f for f in files if is_source(f.path) and _in_paths(f.path, opts.paths)]
    if not source:
        where = " under --paths" if opts.paths else ""
        raise Skip(f"no non-test source file changed{where} (tests, docs or config only)")
    modified = [f for f in source if f.status == "modified" and not f.is_binary]
    if not modified:
        raise Skip("the fix only adds, deletes or renames source files")
    lines = sum(f.added + f.removed for f in modified)
    if comments_only(modified):
        raise Skip("the fix changes only comments or blank lines")
    if len(modified) > opts.max_files:
        raise Skip(f"too large: {len(modified)} source files > --max-files {opts.max_files}")
    if lines > opts.max_lines:
        raise Skip(f"too large: {lines} changed source lines > --max-lines {opts.max_lines}")
    return [f.path for f in modified]


def hunk_span(hunk: Hunk, line_count: int) -> tuple[int, int] | None:
    """New-side lines a reviewer should flag for one hunk of the undo."""
    anchors = [ln.new_lineno for ln in hunk.lines if ln.kind == "added" and ln.new_lineno]
    nxt, run, pure = hunk.new_start + (hunk.new_length == 0), 0, True
    for line in (*hunk.lines, None):
        if line is not None and line.kind != "context":
            run, pure = run + 1, pure and line.kind == "removed"
            nxt += line.kind == "added"
            continue
        if run and pure and (span := cw.deletion_range(nxt - 1, line_count)):
            anchors += list(span)
        run, pure = 0, True
        nxt += line is not None
    return (min(anchors), max(anchors)) if anchors else None


def undo_truth(
    helper: Path, fix: Commit, changes: Sequence[FileChange], category: str
) -> list[dict[str, Any]]:
    description = f"Re-introduces the defect that commit {fix.sha[:12]} fixed: {fix.subject}"
    findings = []
    for change in changes:
        data = gitrun.blob(helper, fix.parents[0], change.path)
        if data is None:
            raise Skip(f"{change.path} is missing at the parent {fix.parents[0][:12]}")
        lines = cw.read_lines(data)
        for hunk in change.hunks:
            span = hunk_span(hunk, len(lines))
            if span is None:
                raise Skip(f"{change.path}: a hunk of the undo has no new-side anchor")
            findings.append(
                cw.finding(change, lines, span, category=category, severity="medium",
                           description=description, removed=True)
            )  # fmt: skip
    for f, change in ((f, next(c for c in changes if c.path == f["file"])) for f in findings):
        if problem := cw.anchor_problem(change, f["start_line"], f["end_line"], f["anchor_kind"]):
            raise Skip(f"{f['file']}:{f['start_line']}: {problem}")
    return findings


def revert_case(helper: Path, fix: Commit, opts: MineOptions, repo_name: str) -> tuple[str, dict]:
    """(case name, truth) of the revert case, written under opts.out/cases."""
    parent = fix.parents[0]
    paths = undo_paths(gitrun.diff_files(helper, parent, fix.sha), opts)
    undo = gitrun.diff_files(helper, fix.sha, parent, paths)
    if not any(c.hunks for c in undo):
        raise Skip("undoing the fix changes no line")
    category = category_of(fix.message)
    findings = undo_truth(helper, fix, undo, category)
    name = cw.case_id(repo_name.rsplit("/", 1)[-1], fix.sha[:12])
    truth = {
        "case_id": name, "repo": repo_name, "source": "mined-fix-commit", "variant": "revert",
        "language": cw.main_language(paths), "base_commit": fix.sha, "head_commit": None,
        "clean": False, "findings": findings, "license": cw.license_of(helper, fix.sha),
        "provenance": {
            "bug_source": "mined-fix-commit", "buggy_commit": parent, "fixed_commit": fix.sha,
            "fix_subject": fix.subject, "signal": fix_signal(fix.message) or "",
            "note": "base = the fix commit; change = the fix undone on the non-test source "
                    "files it modified (its tests stay in the base)",
        },
    }  # fmt: skip
    cw.write_case(
        opts.out / "cases", f"{name}__revert", tar_gz=gitrun.archive(helper, fix.sha),
        diff=gitrun.diff_bytes(helper, fix.sha, parent, paths), truth=truth,
    )  # fmt: skip
    return f"{name}__revert", truth


# --------------------------------------------------------------------------- clean cases


def fixed_later(
    helper: Path, commit: Commit, files: Sequence[FileChange], ctx: _Context
) -> str | None:
    """The later fix commit that changed a line `commit` added to a source file (None: none)."""
    for f in files:
        if not (f.added and f.status in ("added", "modified") and is_source(f.path)):
            continue
        log = ["log", "--topo-order", "--format=%H", ctx.tip, f"^{commit.sha}", "--", f.path]
        later = gitrun.git(helper, log).decode("ascii").split()
        for sha in (s for s in later if s in ctx.fixes):
            parent = gitrun.git(helper, ["rev-parse", f"{sha}^"]).decode("ascii").strip()
            if _touches(helper, parent, sha, f.path, commit.sha):
                return f"its lines in {f.path} were changed by the later fix {sha[:12]}"
    return None


def _touches(helper: Path, parent: str, fix: str, path: str, author: str) -> bool:
    """Does `fix` remove or rewrite a line of `path` that blame gives to commit `author`?"""
    for change in gitrun.diff_files(helper, parent, fix, [path]):
        for hunk in change.hunks:
            old = [ln.old_lineno for ln in hunk.lines if ln.kind == "removed" and ln.old_lineno]
            if old and author in gitrun.blame_range(helper, parent, path, min(old), max(old)):
                return True
    return False


def clean_problem(
    helper: Path, commit: Commit, ctx: _Context
) -> tuple[str | None, list[FileChange]]:
    """Why `commit` cannot be a clean case (None: it can), and its files."""
    if len(commit.parents) != 1:
        return "a merge or root commit", []
    if fix_signal(commit.message):
        return "a fix itself", []
    files = gitrun.diff_files(helper, commit.parents[0], commit.sha)
    source = [f for f in files if is_source(f.path) and f.status in ("added", "modified")]
    if not source or not any(_in_paths(f.path, ctx.opts.paths) for f in source):
        return "changes no source file", files
    lines = sum(f.added + f.removed for f in files)
    if len(files) > 2 * ctx.opts.max_files or lines > 2 * ctx.opts.max_lines or not lines:
        return f"size outside the limits ({len(files)} files, {lines} lines)", files
    return fixed_later(helper, commit, files, ctx), files


def clean_case(
    helper: Path, near: int, commits: Sequence[Commit], used: set[str], ctx: _Context
) -> str:
    """Write the clean case nearest to commits[near]; returns its name (raises Skip)."""
    for distance in range(1, ctx.opts.clean_distance + 1):
        for index in (near + distance, near - distance):  # older first, then newer
            if not 0 <= index < len(commits) or commits[index].sha in used:
                continue
            commit = commits[index]
            problem, files = clean_problem(helper, commit, ctx)
            if problem is None:
                used.add(commit.sha)
                return _write_clean(helper, commit, commits[near], files, ctx)
    raise Skip(f"no clean commit within {ctx.opts.clean_distance} commits")


def _write_clean(
    helper: Path, commit: Commit, fix: Commit, files: Sequence[FileChange], ctx: _Context
) -> str:
    parent = commit.parents[0]
    name = cw.case_id(ctx.repo_name.rsplit("/", 1)[-1], commit.sha[:12])
    truth = {
        "case_id": name, "repo": ctx.repo_name, "source": "mined-fix-commit",
        "variant": "clean", "language": cw.main_language(f.path for f in files if is_source(f.path)),
        "base_commit": parent, "head_commit": commit.sha, "clean": True, "findings": [],
        "license": cw.license_of(helper, parent),
        "provenance": {
            "bug_source": "mined-fix-commit", "near_fix": fix.sha, "subject": commit.subject,
            "note": f"no later fix commit up to {ctx.tip[:12]} changed a line this commit "
                    "added to source files (git blame at each later fix's parent)",
        },
    }  # fmt: skip
    cw.write_case(
        ctx.opts.out / "cases", f"{name}__clean", tar_gz=gitrun.archive(helper, parent),
        diff=gitrun.diff_bytes(helper, parent, commit.sha), truth=truth,
    )  # fmt: skip
    return f"{name}__clean"


# --------------------------------------------------------------------------- the run


class _Context(Frozen):
    opts: MineOptions
    tip: str
    repo_name: str
    fixes: frozenset[str] = frozenset()
    """Commits whose message looks like a fix."""


def repo_name(repo: Path, given: str | None) -> str:
    """`owner/name` from the origin remote when it names one, else the directory's name."""
    if given:
        return given
    url = gitrun.git(repo, ["config", "--get", "remote.origin.url"], ok=(0, 1)).decode()
    match = re.search(r"[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url.strip())
    if match:
        return f"{match[1]}/{match[2]}"
    path = repo.resolve()
    return path.parent.name.replace("+", "/") if path.name in {"repo", ".git"} else path.name


def _commits(helper: Path, repo: Path, opts: MineOptions) -> tuple[str, list[Commit]]:
    tip = gitrun.resolve_commit(repo, opts.head)
    if tip is None:
        if opts.head == "HEAD":
            raise GitError("the repository has no commits: there is no history to mine",
                           hint="commit first, or pass another REPO")  # fmt: skip
        raise GitError(f"unknown --head {opts.head!r}", hint="pass a branch, tag or commit")
    # --since: a commit or tag of the source repository, else a date for git log
    since = gitrun.resolve_commit(repo, opts.since) if opts.since else None
    date = opts.since if opts.since and since is None else None
    commits = list_commits(helper, tip, since, date)
    if not commits:
        raise UsageError(f"no commits to mine in {opts.head} since {opts.since}",
                         hint="pass an older --since, or none")  # fmt: skip
    return tip, commits


def mine(opts: MineOptions, progress: Progress | None = None) -> cw.BuildReport:
    """Build the corpus under opts.out; see the module docstring."""
    note = progress or (lambda _m: None)
    with gitrun.borrowed(opts.repo) as helper:
        tip, commits = _commits(helper, opts.repo, opts)
        fixes = [i for i, c in enumerate(commits) if fix_signal(c.message)]
        ctx = _Context(
            opts=opts, tip=tip, repo_name=repo_name(opts.repo, opts.name),
            fixes=frozenset(commits[i].sha for i in fixes),
        )  # fmt: skip
        cases, skipped, used = [], [], set()
        used.update(commits[i].sha for i in fixes)
        note(f"prreview eval mine: {len(commits)} commits, {len(fixes)} look like fixes")
        for i in fixes:
            fix = commits[i]
            label = f"{fix.sha[:12]} {fix.subject[:60]}"
            if sum(n.endswith("__revert") for n in cases) >= opts.limit:
                skipped.append(cw.Skipped(item=label, reason=f"--limit {opts.limit} reached"))
                continue
            try:
                cases.append(_revert(helper, fix, ctx))
            except (Skip, GitError) as exc:
                skipped.append(cw.Skipped(item=label, reason=str(exc)))
                continue
            note(f"prreview eval mine: {cases[-1]}")
            try:
                if opts.clean:
                    cases.append(clean_case(helper, i, commits, used, ctx))
                    note(f"prreview eval mine: {cases[-1]} (near {fix.sha[:12]})")
            except (Skip, GitError) as exc:
                skipped.append(cw.Skipped(item=label, reason=f"no clean case: {exc}"))
    report = cw.BuildReport(
        out=str(opts.out), cases=tuple(cases), skipped=tuple(skipped), scanned=len(commits)
    )
    if cases:
        cw.write_index(opts.out, report, f"mined from {ctx.repo_name} at {tip}")
    return report


def _revert(helper: Path, fix: Commit, ctx: _Context) -> str:
    if len(fix.parents) != 1:
        raise Skip("a merge commit" if fix.parents else "the root commit (no parent to undo to)")
    if fix.subject.lower().startswith("revert"):
        raise Skip("a revert commit")
    if words := non_code_fix(fix.message, fix.subject):
        raise Skip(f"the message names a non-code fix ({words!r})")
    return revert_case(helper, fix, ctx.opts, ctx.repo_name)[0]
