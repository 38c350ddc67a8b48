"""`prreview eval import aacr`: AACR-Bench entries as corpus cases, from local clones.

An entry (alibaba/aacr-bench, dataset/positive_samples.json) names a pull request
(`githubPrUrl`), the base branch commit (`source_commit`) and the pull request's head
(`target_commit`), and carries expert-verified review comments (`path`, `side`,
`from_line`, `to_line`, `note`, `category`). A case is variant `pr`: base = merge-base of
source and target, change = merge-base..target (the pull request as GitHub shows it), truth =
one primary finding per comment: right-side comments on their new-file lines, left-side
comments moved to the new side (context lines by their new number, removed lines at their
deletion point). Entries whose clone or commits are missing, and comments that cannot be
anchored, are reported with a reason; the rest is still built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from prreview.change import history
from prreview.errors import GitError, UsageError
from prreview.eval import casewrite as cw
from prreview.models import FileChange, Frozen

Progress = Callable[[str], None]
_PR_URL = re.compile(r"^https?://github\.com/([\w.-]+)/([\w.-]+)/pull/(\d+)/?$")
LANGUAGES = {
    "C++": "cpp", "C#": "csharp", "C": "c", "Go": "go", "Java": "java",
    "JavaScript": "javascript", "TypeScript": "typescript", "Python": "python",
    "PHP": "php", "Rust": "rust", "Ruby": "ruby", "Kotlin": "kotlin",
}  # fmt: skip
CATEGORIES = {
    "Code Defect": ("defect", "medium"),
    "Security Vulnerability": ("security", "high"),
    "Performance": ("performance", "medium"),
    "Maintainability and Readability": ("maintainability", "low"),
}


class ImportOptions(Frozen):
    dataset: Path
    repos: Path
    out: Path
    languages: tuple[str, ...] = ()
    """Project languages as the dataset names them (`Go`, `C++`); case-insensitive."""
    limit: int | None = Field(None, ge=1)


class Skip(Exception):
    """An entry or a comment that does not become (part of) a case; the message says why."""


def load_dataset(path: Path) -> list[Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read the AACR-Bench dataset {path}: {exc}") from None
    if not isinstance(data, list):
        raise UsageError(
            f"{path} is not an AACR-Bench dataset (a JSON list of entries)",
            hint="pass dataset/positive_samples.json of alibaba/aacr-bench",
        )
    return data


def parse_pr_url(url: object) -> tuple[str, str, int]:
    match = _PR_URL.match(url) if isinstance(url, str) else None
    if match is None:
        raise Skip(f"githubPrUrl {url!r} is not a GitHub pull request URL")
    return match[1], match[2], int(match[3])


def find_clone(repos: Path, owner: str, name: str) -> Path:
    """The clone of owner/name under `repos` (`owner+name`, its `repo/`, or `owner/name`)."""
    for candidate in (repos / f"{owner}+{name}", repos / owner / name):
        nested = candidate / "repo"
        if (nested / "objects").is_dir() or (nested / ".git").exists():
            return nested  # the layout of the public corpus's mirrors: DIR/owner+name/repo
        if candidate.is_dir():
            return candidate
    raise Skip(f"no clone of {owner}/{name} under {repos} ({owner}+{name} or {owner}/{name})")


# --------------------------------------------------------------------------- anchoring


def old_to_new(change: FileChange, old: int, line_count: int) -> tuple[int, int, bool] | None:
    """New-side lines for old-side line `old`: its new number, or (removed: True) the lines
    around its deletion point."""
    delta = 0
    for hunk in change.hunks:
        olds = [ln.old_lineno for ln in hunk.lines if ln.old_lineno is not None]
        if olds and old < min(olds):
            break
        nxt = hunk.new_start + (hunk.new_length == 0)
        for line in hunk.lines:
            if line.old_lineno == old:
                if line.kind == "context" and line.new_lineno:
                    return line.new_lineno, line.new_lineno, False
                span = cw.deletion_range(nxt - 1, line_count)
                return (*span, True) if span else None
            nxt += line.kind != "removed"
        delta += hunk.new_length - hunk.old_length
    new = old + delta
    return (new, new, False) if 1 <= new <= line_count else None


def comment_span(comment: dict[str, Any], change: FileChange, count: int) -> tuple[int, int, bool]:
    """The new-side range of one comment and whether it is about removed lines (raises Skip
    for a malformed or unusable one)."""
    start, end, side = comment.get("from_line"), comment.get("to_line"), comment.get("side")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        raise Skip(f"malformed line range {start!r}-{end!r}")
    if not 1 <= start <= end:
        raise Skip(f"malformed line range {start}-{end} (from_line must be 1..to_line)")
    if side not in ("right", "left", "RIGHT", "LEFT", None):
        raise Skip(f"unknown side {side!r}")
    if str(side).lower() != "left":
        if end > count:
            raise Skip(f"lines {start}-{end} are outside the new file ({count} lines)")
        return start, end, False
    spans = [s for n in range(start, end + 1) if (s := old_to_new(change, n, count))]
    if not spans:
        raise Skip(f"left-side lines {start}-{end} have no place in the new file")
    return min(s[0] for s in spans), max(s[1] for s in spans), any(s[2] for s in spans)


def comment_finding(
    helper: Path, head: str, comment: Any, files: dict[str, FileChange]
) -> dict[str, Any]:
    if not isinstance(comment, dict) or not isinstance(comment.get("note"), str):
        raise Skip("not a comment object with a note")
    path = comment.get("path")
    if not isinstance(path, str) or not path:
        raise Skip("no path")
    change = files.get(path) or FileChange(path=path, status="modified")
    data = history.blob(helper, head, path) if change.status != "deleted" else None
    if data is None:
        raise Skip(f"{path} is not in the pull request's head")
    lines = cw.read_lines(data)
    start, end, removed = comment_span(comment, change, len(lines))
    category, severity = CATEGORIES.get(
        str(comment.get("category")), (cw.case_id(str(comment.get("category"))).lower(), "medium")
    )
    return cw.finding(
        change, lines, (start, end), category=category, severity=severity,
        description=comment["note"], removed=removed,
    )  # fmt: skip


# --------------------------------------------------------------------------- entries


def entry_case(
    helper: Path, entry: dict[str, Any], pr: tuple[str, str, int], opts: ImportOptions
) -> tuple[str, list[cw.Skipped]]:
    """Write the case of one entry; returns its name and the comments left out."""
    owner, name, number = pr
    commits = {k: entry.get(k) for k in ("source_commit", "target_commit")}
    for key, sha in commits.items():
        if not isinstance(sha, str) or not history.has_commit(helper, sha):
            raise Skip(f"{key} {sha} is not in the clone of {owner}/{name} (fetch it)")
    source, head = str(commits["source_commit"]), str(commits["target_commit"])
    out = history.git(helper, ["merge-base", source, head], ok=(0, 1)).decode("ascii").strip()
    if not out:
        raise Skip(f"source_commit and target_commit share no history in {owner}/{name}")
    base = out.split()[0]
    files = {f.path: f for f in history.diff_files(helper, base, head)}
    url = entry["githubPrUrl"]
    findings, dropped = [], []
    for k, comment in enumerate(entry.get("comments") or []):
        try:
            findings.append(comment_finding(helper, head, comment, files))
        except Skip as exc:
            dropped.append(cw.Skipped(item=f"{url} comment {k}", reason=str(exc)))
    if not findings:
        raise Skip("no comment could be anchored: " + "; ".join(d.reason for d in dropped[:3]))
    language = str(entry.get("project_main_language") or "")
    case = cw.case_id("aacr", owner, name, str(number))
    truth = {
        "case_id": case, "repo": f"{owner}/{name}", "source": "AACR-Bench", "variant": "pr",
        "language": LANGUAGES.get(language, language.lower() or "unknown"), "base_commit": base,
        "head_commit": head, "clean": False, "findings": findings,
        "license": cw.license_of(helper, base),
        "provenance": {
            "github_pr_url": url, "source_commit": source, "target_commit": head,
            "pr_category": entry.get("category"), "change_line_count": entry.get("change_line_count"),
            "dataset": opts.dataset.name,
        },
    }  # fmt: skip
    cw.write_case(
        opts.out / "cases", f"{case}__pr", tar_gz=history.archive(helper, base),
        diff=history.diff_bytes(helper, base, head), truth=truth,
    )  # fmt: skip
    return f"{case}__pr", dropped


def _selected(data: Sequence[Any], opts: ImportOptions) -> list[tuple[int, Any]]:
    wanted = {x.lower() for x in opts.languages}
    return [
        (i, e)
        for i, e in enumerate(data)
        if not wanted
        or (isinstance(e, dict) and str(e.get("project_main_language", "")).lower() in wanted)
    ]


def _by_repo(
    entries: Sequence[tuple[int, Any]], skipped: list[cw.Skipped]
) -> dict[tuple[str, str], list[tuple[Any, tuple[str, str, int]]]]:
    groups: dict[tuple[str, str], list[tuple[Any, tuple[str, str, int]]]] = {}
    for i, entry in entries:
        try:
            if not isinstance(entry, dict):
                raise Skip("not an object")
            pr = parse_pr_url(entry.get("githubPrUrl"))
        except Skip as exc:
            skipped.append(cw.Skipped(item=f"entry {i}", reason=str(exc)))
            continue
        groups.setdefault(pr[:2], []).append((entry, pr))
    return groups


def import_aacr(opts: ImportOptions, progress: Progress | None = None) -> cw.BuildReport:
    """Build the corpus under opts.out; see the module docstring."""
    note = progress or (lambda _m: None)
    data = load_dataset(opts.dataset)
    if not opts.repos.is_dir():
        raise UsageError(f"--repos {opts.repos} is not a directory")
    entries = _selected(data, opts)
    cases: list[str] = []
    skipped: list[cw.Skipped] = []
    for (owner, name), group in sorted(_by_repo(entries, skipped).items()):
        try:
            clone = find_clone(opts.repos, owner, name)
            with history.borrowed(clone) as helper:
                _import_repo(helper, group, opts, cases, skipped, note)
        except (Skip, GitError) as exc:
            skipped += [cw.Skipped(item=e["githubPrUrl"], reason=str(exc)) for e, _pr in group]
    report = cw.BuildReport(
        out=str(opts.out), cases=tuple(cases), skipped=tuple(skipped), scanned=len(entries)
    )
    if cases:
        cw.write_index(opts.out, report, f"AACR-Bench ({opts.dataset.name})")
    return report


def _import_repo(
    helper: Path,
    group: Sequence[tuple[Any, tuple[str, str, int]]],
    opts: ImportOptions,
    cases: list[str],
    skipped: list[cw.Skipped],
    note: Progress,
) -> None:
    for entry, pr in group:
        url = entry["githubPrUrl"]
        if opts.limit is not None and len(cases) >= opts.limit:
            skipped.append(cw.Skipped(item=url, reason=f"--limit {opts.limit} reached"))
            continue
        try:
            name, dropped = entry_case(helper, entry, pr, opts)
        except (Skip, GitError) as exc:
            skipped.append(cw.Skipped(item=url, reason=str(exc)))
            continue
        cases.append(name)
        skipped.extend(dropped)
        note(f"prreview eval import aacr: {name} ({len(dropped)} comments left out)")
