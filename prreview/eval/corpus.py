"""The evaluation corpus: load cases (truth.json) and materialise them as git repositories.

A case directory holds `base.tar.gz` (the full tree at the base commit), `change.diff` (the
change under review) and `truth.json` (where the defect is, or `clean: true`). The format is
described in docs/evaluation.md. Only the materialised repository is shown to the reviewer:
never truth.json, never the case directory's name.
"""

from __future__ import annotations

import fnmatch
import json
import os
import tarfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prreview.change.git import run
from prreview.errors import GitError, UsageError
from prreview.models import Frozen

CASE_FILES = ("base.tar.gz", "change.diff", "truth.json")
NEUTRAL_ATTRIBUTES = "* -text -eol -ident -filter -working-tree-encoding -export-subst\n"
BASE_DATE = "2000-01-01T00:00:00+0000"
HEAD_DATE = "2000-01-02T00:00:00+0000"
_IDENTITY = {
    "GIT_AUTHOR_NAME": "prreview-eval",
    "GIT_AUTHOR_EMAIL": "eval@prreview.invalid",
    "GIT_COMMITTER_NAME": "prreview-eval",
    "GIT_COMMITTER_EMAIL": "eval@prreview.invalid",
}
# Variables that would point git at another repository or change what it stores.


class CaseError(UsageError):
    """A case directory is malformed or cannot be materialised."""


class TruthFinding(Frozen):
    file: str
    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    anchor_kind: Literal["changed", "context", "missing"]
    role: Literal["primary", "related"]
    category: str
    severity: Literal["low", "medium", "high", "critical"]
    description: str
    lines_text: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _ordered(self) -> TruthFinding:
        if self.end_line < self.start_line:
            raise ValueError("end_line < start_line")
        return self


class Case(BaseModel):
    """One case: truth.json plus where it lives. `name` is the directory name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    directory: Path
    case_id: str
    variant: str
    language: str
    clean: bool
    findings: tuple[TruthFinding, ...] = ()
    repo: str = ""
    source: str = ""
    base_commit: str | None = None
    head_commit: str | None = None
    license: str = ""
    changed_lines: int = 0
    """Added plus removed lines of change.diff."""

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if self.clean and self.findings:
            raise ValueError("a clean case has no findings")
        if not self.clean and not any(f.role == "primary" for f in self.findings):
            raise ValueError("a defect case needs at least one primary finding")
        return self

    @property
    def primary(self) -> tuple[TruthFinding, ...]:
        return tuple(f for f in self.findings if f.role == "primary")


def count_changed_lines(diff_text: str) -> int:
    """Added plus removed lines inside the hunks of a git diff."""
    count = 0
    in_hunk = False
    for line in diff_text.split("\n"):
        if line.startswith("diff --git "):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line[:1] in {"+", "-"}:
            count += 1
    return count


def cases_root(corpus_dir: Path) -> Path:
    """The directory that holds the case directories: CORPUS/cases when present."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        raise UsageError(f"corpus directory {corpus_dir} does not exist")
    nested = corpus_dir / "cases"
    return nested if nested.is_dir() else corpus_dir


def load_case(case_dir: Path) -> Case:
    case_dir = Path(case_dir)
    missing = [n for n in CASE_FILES if not (case_dir / n).is_file()]
    if missing:
        raise CaseError(f"case {case_dir.name}: missing {', '.join(missing)}")
    try:
        data: Any = json.loads((case_dir / "truth.json").read_text(encoding="utf-8"))
        diff = (case_dir / "change.diff").read_text(encoding="utf-8", errors="replace")
    except (OSError, ValueError) as exc:
        raise CaseError(f"case {case_dir.name}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise CaseError(f"case {case_dir.name}: truth.json is not an object")
    data.pop("provenance", None)
    data.pop("upstream_repo", None)
    fields = {
        **data,
        "name": case_dir.name,
        "directory": case_dir.resolve(),
        "changed_lines": count_changed_lines(diff),
    }
    try:
        return Case.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CaseError(f"case {case_dir.name}: truth.json {where}: {first['msg']}") from None


def load_cases(corpus_dir: Path | str, pattern: str = "*") -> list[Case]:
    """Every case under `corpus_dir` (or `corpus_dir/cases`) whose name matches `pattern`."""
    root = cases_root(Path(corpus_dir))
    dirs = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and (p / "truth.json").is_file() and fnmatch.fnmatchcase(p.name, pattern)
    )
    return [load_case(p) for p in dirs]


# --------------------------------------------------------------------------- materialise


def _check_member(member: tarfile.TarInfo, dest: Path) -> None:
    """Refuse absolute paths, '..', links that escape `dest`, and special files."""
    name = member.name
    if name.startswith("/") or os.path.isabs(name) or ".." in name.split("/"):
        raise CaseError(f"unsafe path in base.tar.gz: {name!r}")
    if name == ".git" or name.startswith(".git/"):
        raise CaseError("base.tar.gz contains a .git entry")
    if member.issym() or member.islnk():
        link = member.linkname
        if os.path.isabs(link):
            raise CaseError(f"absolute link in base.tar.gz: {name!r} -> {link!r}")
        anchor = os.path.dirname(name) if member.issym() else ""
        resolved = os.path.normpath(os.path.join(dest, anchor, link))
        if os.path.commonpath([resolved, str(dest)]) != str(dest):
            raise CaseError(f"link escapes the tree in base.tar.gz: {name!r} -> {link!r}")
    elif not (member.isfile() or member.isdir()):
        raise CaseError(f"unsupported entry in base.tar.gz: {name!r}")


def extract_base(archive: Path, dest: Path) -> None:
    dest = Path(os.path.realpath(dest))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(member, dest)
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Pythons without extraction filters
                tar.extractall(dest, members=members)
    except (tarfile.TarError, OSError) as exc:
        raise CaseError(f"cannot extract {archive.name}: {exc}") from None


def _git(repo: Path, *args: str, date: str = BASE_DATE) -> str:
    """Git through the package's one runner, with a fixed identity and date (stable shas)."""
    pins = ["-c", "core.autocrlf=false", "-c", "core.safecrlf=false"]
    pins += ["-c", "commit.gpgSign=false", "-c", "init.defaultBranch=main"]
    env = {**_IDENTITY, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    try:
        return run(repo, [*pins, *args], env=env).stdout.decode("utf-8", "replace").strip()
    except GitError as exc:
        raise CaseError(str(exc)) from None


def materialise(case_dir: Path | str, target: Path | str) -> tuple[str, str]:
    """Build `target` as a repository: `main` = base, `feature` = base + change (HEAD).

    Returns (base_sha, head_sha); authors and dates are fixed, so the SHAs are stable.
    """
    case_dir, target = Path(case_dir), Path(target)
    for name in ("base.tar.gz", "change.diff"):
        if not (case_dir / name).is_file():
            raise CaseError(f"case {case_dir.name}: missing {name}")
    if target.exists() and any(target.iterdir()):
        raise CaseError(f"target {target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    target = target.resolve()
    diff = (case_dir / "change.diff").resolve()
    extract_base(case_dir / "base.tar.gz", target)
    _git(target, "init", "-q", "--template=")
    _git(target, "symbolic-ref", "HEAD", "refs/heads/main")
    info = target / ".git" / "info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "attributes").write_text(NEUTRAL_ATTRIBUTES, encoding="ascii")
    _git(target, "add", "--all", "--force", ".")
    _git(target, "commit", "-q", "--no-verify", "--allow-empty", "-m", "Base snapshot")
    base_sha = _git(target, "rev-parse", "HEAD")
    _git(target, "checkout", "-q", "-b", "feature")
    _git(target, "apply", "--whitespace=nowarn", str(diff))
    _git(target, "add", "--all", "--force", ".", date=HEAD_DATE)
    _git(
        target,
        "commit",
        "-q",
        "--no-verify",
        "--allow-empty",
        "-m",
        "Proposed change",
        date=HEAD_DATE,
    )
    return base_sha, _git(target, "rev-parse", "HEAD", date=HEAD_DATE)
