"""Which repository modules the changed files import (Python, JavaScript/TypeScript, Go).

Imports are read with regular expressions from the new text of each changed file and
resolved against the head tree's file list; an import that resolves to no file of the
repository (the standard library, a package) is left out. A module is a directory, as in
the review report. Deleted files import nothing any more, so they add no edge.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence

from prreview.describe.shape import module_of

MAX_EDGES = 60
_PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w. \t,]+)", re.M)
_PY_FROM = re.compile(
    r"^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]*(?:\(([^)]*)\)|([\w \t,*]+))", re.M
)
_JS = re.compile(
    r"""(?:\bimport\s+(?:[\w*{}\s,$]+\s+from\s+)?|\bexport\s+[\w*{}\s,$]+\s+from\s+|"""
    r"""\brequire\s*\(\s*|\bimport\s*\(\s*)["'](\.{1,2}/[^"'\n]+)["']"""
)
_GO_BLOCK = re.compile(r"^import\s*\(([^)]*)\)", re.M | re.S)
_GO_ONE = re.compile(r'^import\s+(?:[\w.]+\s+)?"([^"]+)"', re.M)
_GO_SPEC = re.compile(r'(?:[\w.]+\s+)?"([^"]+)"')
_JS_SUFFIXES = (
    "", ".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs",
    "/index.ts", "/index.tsx", "/index.js", "/index.jsx",
)  # fmt: skip
_LANGS = {"python", "javascript", "jsx", "typescript", "tsx", "go"}


class RepoIndex:
    """The head tree's files, indexed for resolving imports."""

    def __init__(self, files: Iterable[str]) -> None:
        self.files = set(files)
        self.by_suffix: dict[str, str] = {}
        self.go_dirs: set[str] = set()
        for path in sorted(self.files, key=lambda p: (p.count("/"), p)):
            if path.endswith(".py"):
                parts = path.split("/")
                for i in range(len(parts)):  # src/pkg/mod.py is found as pkg/mod.py too
                    self.by_suffix.setdefault("/".join(parts[i:]), path)
            elif path.endswith(".go"):
                self.go_dirs.add(module_of(path))

    def python(self, path: str, dots: str, name: str, names: Sequence[str]) -> list[str]:
        parts = [p for p in name.split(".") if p]
        if dots:
            base = module_of(path).split("/") if module_of(path) != "." else []
            up = len(dots) - 1
            if up > len(base):
                return []
            prefix = base[: len(base) - up]
            found = [self._py_exact("/".join([*prefix, *parts, n])) for n in names]
            found.append(self._py_exact("/".join(prefix + parts)))
            return [f for f in found if f]
        found = [self._py_suffix("/".join([*parts, n])) for n in names]
        found.append(self._py_suffix("/".join(parts)))
        return [f for f in found if f]

    def _py_exact(self, stem: str) -> str | None:
        stem = stem.strip("/")
        for candidate in (f"{stem}.py", f"{stem}/__init__.py"):
            if candidate in self.files:
                return candidate
        return None

    def _py_suffix(self, stem: str) -> str | None:
        if not stem:
            return None
        return self.by_suffix.get(f"{stem}.py") or self.by_suffix.get(f"{stem}/__init__.py")

    def javascript(self, path: str, spec: str) -> str | None:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(path), spec))
        if target.startswith("../"):
            return None
        for suffix in _JS_SUFFIXES:
            if target + suffix in self.files:
                return target + suffix
        return None

    def go(self, spec: str) -> str | None:
        """Module paths only (a dot in the first element): the longest suffix that is a dir."""
        parts = spec.split("/")
        if "." not in parts[0]:
            return None
        for i in range(1, len(parts)):
            candidate = "/".join(parts[i:])
            if candidate in self.go_dirs:
                return candidate + "/"
        return None


def imported_files(path: str, language: str | None, text: str, index: RepoIndex) -> list[str]:
    if language == "python":
        found = []
        for match in _PY_IMPORT.finditer(text):
            for item in match.group(1).split(","):
                name = item.split(" as ")[0].strip()
                found.extend(index.python(path, "", name, ()))
        for match in _PY_FROM.finditer(text):
            listed = match.group(3) if match.group(3) is not None else match.group(4)
            names = [n.split(" as ")[0].strip() for n in listed.split(",")]
            names = [n for n in names if n and n != "*"]
            found.extend(index.python(path, match.group(1), match.group(2), names))
        return found
    if language in ("javascript", "jsx", "typescript", "tsx"):
        hits = (index.javascript(path, m.group(1)) for m in _JS.finditer(text))
        return [h for h in hits if h]
    if language == "go":
        specs = [m.group(1) for m in _GO_ONE.finditer(text)]
        for block in _GO_BLOCK.finditer(text):
            specs.extend(m.group(1) for m in _GO_SPEC.finditer(block.group(1)))
        return [h for h in (index.go(s) for s in specs) if h]
    return []


def module_imports(
    texts: Mapping[str, tuple[str | None, str]], index: RepoIndex
) -> tuple[tuple[str, str], ...]:
    """Edges (module, imported module) from {path: (language, new text)}, sorted, capped."""
    edges: set[tuple[str, str]] = set()
    for path, (language, text) in texts.items():
        if language not in _LANGS:
            continue
        source = module_of(path)
        for target in imported_files(path, language, text, index):
            dest = module_of(target) if not target.endswith("/") else target.rstrip("/")
            if dest != source:
                edges.add((source, dest))
    return tuple(sorted(edges))[:MAX_EDGES]
