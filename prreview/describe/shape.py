"""The deterministic description: modules, type, title, labels, from the change alone.

The type is a documented heuristic over file kinds (docs/ci.md): no source file changed ->
tests, docs or chore; a new source file -> feature; only renames, or source lines removed at
least as often as added -> refactor; any other source change -> fix. A model-backed
description replaces the guesses (type, title, summaries) but never the facts (files, +/-).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Literal

from prreview.context.paths import is_test_path
from prreview.models import ChangeSet, FileChange, Frozen

ChangeType = Literal["feature", "fix", "refactor", "docs", "tests", "chore"]
CHANGE_TYPES: tuple[ChangeType, ...] = ("feature", "fix", "refactor", "docs", "tests", "chore")
Kind = Literal["source", "tests", "docs", "ci", "dependencies", "config"]
VERBS = {
    "feature": "Add",
    "fix": "Fix",
    "refactor": "Refactor",
    "docs": "Document",
    "tests": "Test",
    "chore": "Update",
}
SYMBOLS_PER_FILE = 4
_DOC_EXTS = {".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc"}
_DOC_NAMES = ("readme", "changelog", "changes", "license", "contributing", "authors", "news")
_DEPENDENCY_NAMES = {
    "pyproject.toml", "setup.py", "setup.cfg", "requirements.txt", "poetry.lock", "uv.lock",
    "pipfile", "pipfile.lock", "package.json", "package-lock.json", "yarn.lock",
    "pnpm-lock.yaml", "go.mod", "go.sum", "cargo.toml", "cargo.lock", "gemfile",
    "gemfile.lock", "composer.json", "composer.lock",
}  # fmt: skip
_CI_NAMES = {".gitlab-ci.yml", ".pre-commit-config.yaml", "jenkinsfile", ".travis.yml"}
_CONFIG_EXTS = {".toml", ".yaml", ".yml", ".json", ".ini", ".cfg", ".lock"}
_CONFIG_NAMES = {"makefile", "dockerfile", ".gitignore", ".gitattributes", ".editorconfig"}


class FileNote(Frozen):
    path: str
    status: str
    added: int
    removed: int
    symbols: tuple[str, ...] = ()


class ModuleChange(Frozen):
    module: str
    """The directory of the files ("." for the repository root), as in the review report."""
    files: tuple[FileNote, ...]
    added: int
    removed: int
    summary: str
    """Deterministic facts, or the model's one line (untrusted: escaped when rendered)."""


class Description(Frozen):
    title: str
    type: ChangeType
    overview: str
    modules: tuple[ModuleChange, ...]
    imports: tuple[tuple[str, str], ...] = ()
    """(module, module it imports) for the imports of the changed files inside the repo."""
    labels: tuple[str, ...] = ()
    source: Literal["deterministic", "model"] = "deterministic"
    note: str = ""


def file_kind(path: str) -> Kind:
    pure = PurePosixPath(path)
    name, ext = pure.name.lower(), pure.suffix.lower()
    if path.startswith((".github/workflows/", ".circleci/")) or name in _CI_NAMES:
        return "ci"
    if name in _DEPENDENCY_NAMES or name.startswith("requirements"):
        return "dependencies"
    if is_test_path(path):
        return "tests"
    top = pure.parts[0].lower() if len(pure.parts) > 1 else ""
    if ext in _DOC_EXTS or top in ("docs", "doc") or name.startswith(_DOC_NAMES):
        return "docs"
    if ext in _CONFIG_EXTS or name in _CONFIG_NAMES or path.startswith(".github/"):
        return "config"
    return "source"


def module_of(path: str) -> str:
    return str(PurePosixPath(path).parent)


def change_type(files: Sequence[FileChange]) -> ChangeType:
    kinds = [file_kind(f.path) for f in files]
    source = [f for f, k in zip(files, kinds, strict=True) if k == "source"]
    if not source:
        if "tests" in kinds:
            return "tests"
        return "docs" if kinds and all(k == "docs" for k in kinds) else "chore"
    if any(f.status == "added" for f in source):
        return "feature"
    if all(f.status in ("renamed", "copied") for f in source):
        return "refactor"
    if sum(f.removed for f in source) >= sum(f.added for f in source):
        return "refactor"
    return "fix"


def labels_for(files: Sequence[FileChange], kind: ChangeType) -> tuple[str, ...]:
    kinds = {file_kind(f.path) for f in files}
    extra = [k for k in ("tests", "docs", "ci", "dependencies") if k in kinds and k != kind]
    size = sum(f.added + f.removed for f in files)
    bucket = "S" if size < 50 else "M" if size < 250 else "L" if size < 1000 else "XL"
    return (kind, *extra, f"size/{bucket}")


def group_modules(
    changes: ChangeSet, symbols: Mapping[str, Sequence[str]]
) -> tuple[ModuleChange, ...]:
    by_module: dict[str, list[FileChange]] = {}
    for f in changes.files:
        by_module.setdefault(module_of(f.path), []).append(f)
    out = []
    for module in sorted(by_module):
        files = by_module[module]
        notes = tuple(
            FileNote(
                path=f.path,
                status=f.status,
                added=f.added,
                removed=f.removed,
                symbols=tuple(symbols.get(f.path, ()))[:SYMBOLS_PER_FILE],
            )
            for f in files
        )
        out.append(
            ModuleChange(
                module=module,
                files=notes,
                added=sum(f.added for f in files),
                removed=sum(f.removed for f in files),
                summary=module_summary(notes),
            )
        )
    return tuple(out)


def module_summary(notes: Sequence[FileNote]) -> str:
    """e.g. "added 1 file, modified 2 files" (the symbols are shown next to it)."""
    counts: dict[str, int] = {}
    for n in notes:
        counts[n.status] = counts.get(n.status, 0) + 1
    return ", ".join(
        f"{status} {n} file{'s' if n > 1 else ''}" for status, n in sorted(counts.items())
    )


def title_for(kind: ChangeType, modules: Sequence[ModuleChange]) -> str:
    if not modules:
        return "Empty change"
    main = max(modules, key=lambda m: (m.added + m.removed, m.module))
    what = main.files[0].path if len(main.files) == 1 and len(modules) == 1 else main.module
    what = "the repository root" if what == "." else what
    rest = len(modules) - 1
    tail = f" (and {rest} other module{'s' if rest > 1 else ''})" if rest else ""
    return f"{VERBS[kind]} {what}{tail}"


def overview_for(changes: ChangeSet, modules: Sequence[ModuleChange]) -> str:
    files = len(changes.files)
    counts: dict[str, int] = {}
    for f in changes.files:
        counts[f.status] = counts.get(f.status, 0) + 1
    detail = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    noun = "file" if files == 1 else "files"
    where = f"{len(modules)} module{'s' if len(modules) != 1 else ''}"
    return f"{files} {noun} in {where}, +{changes.additions}/-{changes.deletions} ({detail})."


def deterministic(
    changes: ChangeSet,
    symbols: Mapping[str, Sequence[str]],
    imports: Sequence[tuple[str, str]],
) -> Description:
    modules = group_modules(changes, symbols)
    kind = change_type(changes.files)
    return Description(
        title=title_for(kind, modules),
        type=kind,
        overview=overview_for(changes, modules) if changes.files else "No changes.",
        modules=modules,
        imports=tuple(imports),
        labels=labels_for(changes.files, kind),
    )
