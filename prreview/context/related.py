"""Files related to a change: the tests that exercise it (guidelines: context/guidelines.py)."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from prreview.context.cache import ContextCache, ContextLimits
from prreview.context.paths import cut, module_stem, nearness, normal_stem
from prreview.models import Snippet

_IMPORT = re.compile(
    r"^\s*(?:#\s*include|import|from|require|require_relative|use|using|load|mod|extern\s+crate)\b"
    r"|\b(?:require|import)\s*\("
)


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
    for candidate in index.by_stem.get(normal_stem(module_stem(path)), []):
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
