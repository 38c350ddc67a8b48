"""Path and snippet helpers the context steps share: test files, nearness, line cutting."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from prreview.models import Snippet, SnippetKind

_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "testing", "t"}


TEST_NAME = re.compile(
    r"(?:^test_|^tests?$|_test$|_tests$|_spec$|\.test$|\.spec$|-test$|-spec$"
    r"|Tests?$|Spec$|^Test(?=[A-Z])|_unittest$)"
)


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    if any(part.lower() in _TEST_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return bool(TEST_NAME.search(name.split(".", 1)[0]) or TEST_NAME.search(stem))


def nearness(origin: str, path: str) -> tuple[int, int, str]:
    """Sort key: the same file, then the same directory, then the longest shared prefix."""
    if path == origin:
        return (0, 0, path)
    here, there = origin.split("/")[:-1], path.split("/")[:-1]
    shared = 0
    for a, b in zip(here, there, strict=False):
        if a != b:
            break
        shared += 1
    return (1 if here == there else 2, -shared, path)


@dataclass(frozen=True)
class TestIndex:
    by_stem: dict[str, list[str]]
    """Normalised name of the module a test file is named after -> test files."""
    go_by_dir: dict[str, list[str]]


def build_test_index(files: list[str]) -> TestIndex:
    by_stem: dict[str, list[str]] = {}
    go_by_dir: dict[str, list[str]] = {}
    for path in files:
        if not is_test_path(path):
            continue
        by_stem.setdefault(_tested_stem(path), []).append(path)
        if path.endswith("_test.go"):
            go_by_dir.setdefault(str(PurePosixPath(path).parent), []).append(path)
    return TestIndex(by_stem, go_by_dir)


def split_lines(text: str) -> list[str]:
    """The lines of a text as numbered in a diff (a final newline ends the last line)."""
    lines = text.split("\n")
    if len(lines) > 1 and lines[-1] == "":
        lines.pop()
    return lines


def cut(
    kind: SnippetKind, path: str, lines: list[str], start: int, end: int, label: str
) -> Snippet | None:
    """A snippet of lines start..end (1-based, inclusive), clipped to the file."""
    start, end = max(start, 1), min(end, len(lines))
    if start > end:
        return None
    text = "\n".join(lines[start - 1 : end])
    return Snippet(kind=kind, path=path, start_line=start, end_line=end, text=text, label=label)


def module_stem(path: str) -> str:
    """The name other files import this one by (the package for __init__.py or index.js)."""
    pure = PurePosixPath(path)
    stem = pure.name.split(".", 1)[0]
    if stem in ("__init__", "index", "mod", "main", "lib") and pure.parent.name:
        return pure.parent.name
    return stem


def normal_stem(stem: str) -> str:
    return re.sub(r"[_\-.]", "", stem).lower()


def _tested_stem(path: str) -> str:
    name = PurePosixPath(path).name
    stem = name.split(".", 1)[0]
    for part in name.split(".")[1:-1]:
        if part not in ("test", "spec"):
            stem += "." + part
    return normal_stem(TEST_NAME.sub("", stem))


_OPENS = re.compile(r"[{:]\s*(?:#.*|//.*|/\*.*)?$|\{|=>|\bdo\s*(?:\|[^|]*\|)?\s*$")


def signature_end(lines: list[str], start: int, end: int, name: str) -> int:
    """Last line of the signature (or class line) of the definition at start..end."""
    word = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])") if name else None
    first = start
    for n in range(start, min(end, start + 30) + 1):
        if word is None or word.search(lines[n - 1]):
            first = n
            break
    for n in range(first, min(end, first + 12) + 1):
        if _OPENS.search(lines[n - 1].rstrip()):
            return n
    return first
