"""Files related to a change: the tests that exercise it and the repository's guidelines.

Also the small path and snippet helpers the context steps share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from prreview.models import Snippet, SnippetKind

if TYPE_CHECKING:
    from prreview.context.gather import ContextCache, ContextLimits

_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "testing", "t"}
_TEST_NAME = re.compile(
    r"(?:^test_|^tests?$|_test$|_tests$|_spec$|\.test$|\.spec$|-test$|-spec$"
    r"|Tests?$|Spec$|^Test(?=[A-Z])|_unittest$)"
)
_IMPORT = re.compile(
    r"^\s*(?:#\s*include|import|from|require|require_relative|use|using|load|mod|extern\s+crate)\b"
    r"|\b(?:require|import)\s*\("
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)")
_RELEVANT_HEADING = re.compile(r"review|style|test|convention|guideline|lint|format|code", re.I)
GUIDELINE_NAMES = ("REVIEW.md", "AGENTS.md", "CONTRIBUTING.md")


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    if any(part.lower() in _TEST_DIRS for part in parts[:-1]):
        return True
    name = parts[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return bool(_TEST_NAME.search(name.split(".", 1)[0]) or _TEST_NAME.search(stem))


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


def _normal(stem: str) -> str:
    return re.sub(r"[_\-.]", "", stem).lower()


def _tested_stem(path: str) -> str:
    name = PurePosixPath(path).name
    stem = name.split(".", 1)[0]
    for part in name.split(".")[1:-1]:
        if part not in ("test", "spec"):
            stem += "." + part
    return _normal(_TEST_NAME.sub("", stem))


def find_tests(
    path: str,
    names: list[str],
    stem: str | None,
    mentions: list[str],
    cache: ContextCache,
    limits: ContextLimits,
) -> list[Snippet]:
    """Tests of `path`: by file name, then importing `stem`, then mentioning `mentions`.

    Within a test file, the tests that use one of `names` (else the head of the file).
    """
    ranked: dict[str, tuple[int, str]] = {}
    index = cache.test_index()
    for candidate in index.by_stem.get(_normal(module_stem(path)), []):
        ranked[candidate] = (0, f"named after {path}")
    if path.endswith(".go"):
        for candidate in index.go_by_dir.get(str(PurePosixPath(path).parent), []):
            ranked.setdefault(candidate, (1, "tests the same Go package"))
    hits = cache.grep([stem, *mentions] if stem else mentions)
    for hit_path, _, text in hits.get(stem or "", []):
        if cache.is_test(hit_path) and _IMPORT.search(text):
            ranked.setdefault(hit_path, (1, f"imports {stem}"))
    for name in mentions:
        for hit_path, _, _ in hits[name]:
            if cache.is_test(hit_path) and hit_path != path:
                ranked.setdefault(hit_path, (2, f"mentions {name}"))
    order = sorted(ranked, key=lambda p: (ranked[p][0], nearness(path, p)))
    snippets: list[Snippet] = []
    for test_path in order[: limits.max_test_files]:
        snippets.extend(_test_snippets(test_path, ranked[test_path][1], names, cache, limits))
    return snippets


def _test_snippets(
    path: str, reason: str, names: list[str], cache: ContextCache, limits: ContextLimits
) -> list[Snippet]:
    lines = cache.lines(path)
    if not lines:
        return []
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b") if names else None
    out: list[Snippet] = []
    tests_first = sorted(
        cache.definitions(path), key=lambda d: ("test" not in d.name.lower(), d.start_line)
    )
    for d in tests_first:
        if len(out) >= limits.max_tests_per_file or pattern is None:
            break
        if d.kind not in ("function", "method"):
            continue
        body = "\n".join(lines[d.start_line - 1 : d.end_line])
        if pattern.search(body) is None:
            continue
        end = min(d.end_line, d.start_line + limits.max_test_lines - 1)
        suffix = " (truncated)" if end < d.end_line else ""
        label = f"test {d.qualified_name} ({reason}){suffix}"
        snippet = cut("test", path, lines, d.start_line, end, label)
        if snippet is not None and not any(_inside(snippet, s) for s in out):
            out.append(snippet)
    if not out:
        label = f"head of test file ({reason})"
        head = cut("test", path, lines, 1, limits.max_test_lines, label)
        out = [head] if head is not None else []
    return out


def _inside(inner: Snippet, outer: Snippet) -> bool:
    return outer.start_line <= inner.start_line and inner.end_line <= outer.end_line


def find_guidelines(path: str, cache: ContextCache, limits: ContextLimits) -> list[Snippet]:
    """REVIEW.md, AGENTS.md and CONTRIBUTING.md: the nearest directories first, then .github/."""
    by_lower = {f.lower(): f for f in cache.files()}
    parents = [str(p) for p in PurePosixPath(path).parents]
    found: list[str] = []
    for name in GUIDELINE_NAMES:
        for folder in [*parents, ".github"]:
            wanted = name if folder == "." else f"{folder}/{name}"
            real = by_lower.get(wanted.lower())
            if real is not None and real not in found:
                found.append(real)
    snippets: list[Snippet] = []
    for guide in found[: limits.max_guidelines]:
        snippets.extend(_guideline_excerpt(guide, cache.lines(guide) or [], limits))
    return snippets


def _guideline_excerpt(path: str, lines: list[str], limits: ContextLimits) -> list[Snippet]:
    cap = limits.max_guideline_lines
    if len(lines) <= cap:
        whole = cut("guideline", path, lines, 1, len(lines), f"guidelines: {path}")
        return [whole] if whole is not None else []
    sections = _relevant_sections(lines)
    if not sections:
        head = cut("guideline", path, lines, 1, cap, f"guidelines: {path} (first {cap} lines)")
        return [head] if head is not None else []
    out: list[Snippet] = []
    budget = cap
    for start, end, title in sections:
        if budget <= 0:
            break
        end = min(end, start + budget - 1)
        snippet = cut("guideline", path, lines, start, end, f"guidelines: {path} § {title}")
        if snippet is not None:
            out.append(snippet)
            budget -= end - start + 1
    return out


def _relevant_sections(lines: list[str]) -> list[tuple[int, int, str]]:
    headings: list[tuple[int, int, str]] = []
    fenced = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            headings.append((number, len(match.group(1)), match.group(2).strip()))
    sections: list[tuple[int, int, str]] = []
    for index, (line, level, title) in enumerate(headings):
        if not _RELEVANT_HEADING.search(title):
            continue
        end = len(lines)
        for later_line, later_level, _ in headings[index + 1 :]:
            if later_level <= level:
                end = later_line - 1
                break
        if not sections or line > sections[-1][1]:
            sections.append((line, end, title))
    return sections
