"""Files related to a change: the tests that exercise it and the repository's guidelines.

Also the small path and snippet helpers the context steps share.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from prreview.models import Snippet, SnippetKind

if TYPE_CHECKING:
    from prreview.context import ContextCache, ContextLimits

_TEST_DIRS = {"test", "tests", "__tests__", "spec", "specs", "testing", "t"}
_TEST_NAME = re.compile(
    r"(?:^test_|^tests?$|_test$|_tests$|_spec$|\.test$|\.spec$|-test$|-spec$"
    r"|Tests?$|Spec$|^Test(?=[A-Z])|_unittest$)"
)
_IMPORT = re.compile(r"\b(?:import|from|require|require_relative|include|use|using|load)\b")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)")
_RELEVANT_HEADING = re.compile(r"review|style|test|convention|guideline|lint|format|code", re.I)
GUIDELINE_NAMES = ("REVIEW.md", "AGENTS.md", "CONTRIBUTING.md")


def is_test_path(path: str) -> bool:
    pure = PurePosixPath(path)
    if any(part.lower() in _TEST_DIRS for part in pure.parts[:-1]):
        return True
    stem = pure.name.split(".", 1)[0] if pure.name.count(".") > 1 else pure.stem
    return bool(_TEST_NAME.search(stem)) or bool(_TEST_NAME.search(pure.stem))


def nearness(origin: str, path: str) -> tuple[int, int, str]:
    """Sort key: the same file, then the same directory, then the longest shared prefix."""
    if path == origin:
        return (0, 0, path)
    here, there = PurePosixPath(origin).parent.parts, PurePosixPath(path).parent.parts
    shared = 0
    for a, b in zip(here, there, strict=False):
        if a != b:
            break
        shared += 1
    return (1 if here == there else 2, -shared, path)


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


def _same_go_package(path: str, candidate: str, folder: str) -> bool:
    go_test = path.endswith(".go") and candidate.endswith("_test.go")
    return go_test and str(PurePosixPath(candidate).parent) == folder


def find_tests(
    path: str, names: list[str], cache: ContextCache, limits: ContextLimits
) -> list[Snippet]:
    """Tests of `path`: by file name, then by importing it, then by mentioning `names`."""
    if is_test_path(path):
        return []
    ranked: dict[str, tuple[int, str]] = {}
    stem = module_stem(path)
    wanted = _normal(stem)
    same_dir = str(PurePosixPath(path).parent)
    for candidate in cache.files():
        if not is_test_path(candidate) or candidate == path:
            continue
        if _tested_stem(candidate) == wanted:
            ranked[candidate] = (0, f"named after {path}")
        elif _same_go_package(path, candidate, same_dir):
            ranked.setdefault(candidate, (1, "tests the same Go package"))
    hits = cache.grep([stem, *names])
    for hit_path, _, text in hits.get(stem, []):
        if is_test_path(hit_path) and _IMPORT.search(text):
            ranked.setdefault(hit_path, (1, f"imports {stem}"))
    for name in names:
        for hit_path, _, _ in hits.get(name, [])[: limits.max_grep_lines]:
            if is_test_path(hit_path) and hit_path != path:
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
    for d in cache.definitions(path):
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
