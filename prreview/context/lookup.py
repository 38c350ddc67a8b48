"""Finding definitions of the names a change uses, and the call sites of what it changes.

A grep of the head tree finds lines that look like definitions (a cheap, language-agnostic
prefilter); the parser then confirms them and gives exact ranges.
"""

from __future__ import annotations

from collections.abc import Iterable

from prreview.context.cache import ContextCache, ContextLimits
from prreview.context.outline import Definition
from prreview.context.paths import cut, is_test_path, nearness, signature_end
from prreview.context.resolve import call_resolves, import_lines, import_paths
from prreview.models import Snippet, Symbol


def find_definitions(
    origin: str,
    words: list[str],
    local: list[Definition],
    local_lines: list[str],
    visible: list[tuple[int, int]],
    cache: ContextCache,
    limits: ContextLimits,
) -> list[Snippet]:
    """Definitions of `words`: in the changed file first, else the nearest unambiguous ones."""
    include_tests = is_test_path(origin)
    imports = import_lines(local_lines)
    out: list[Snippet] = []
    seen: set[tuple[str, int]] = set()
    for word in words:
        if len(out) >= limits.max_definitions:
            break
        same_file = [d for d in local if d.name == word]
        if any(_within(d, visible) for d in same_file):
            continue
        if same_file:
            found = [(origin, d, local_lines, local) for d in same_file[: limits.ambiguity]]
        else:
            where = _imported(origin, word, local_lines, imports, cache, limits)
            where = where or _repo_definitions(origin, word, cache, limits, include_tests)
            found = [
                (path, d, cache.lines(path) or [], cache.definitions(path)) for path, d in where
            ]
        for path, d, lines, defs in found:
            if (path, d.start_line) in seen or len(out) >= limits.max_definitions:
                continue
            seen.add((path, d.start_line))
            out += _definition_snippets(word, path, d, lines, defs, limits)
    return out


def _within(d: Definition, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= d.start_line and d.end_line <= b for a, b in ranges)


def _imported(
    origin: str,
    word: str,
    lines: list[str],
    imports: tuple[str, ...],
    cache: ContextCache,
    limits: ContextLimits,
) -> list[tuple[str, Definition]]:
    """The definitions in the module the changed file imports `word` (or `m` of `m.word`) from."""
    paths = import_paths(word, origin, lines, imports, cache.file_set())
    found = [(p, d) for p in paths for d in cache.definitions(p) if d.name == word]
    return found[: limits.ambiguity]


def _repo_definitions(
    origin: str, word: str, cache: ContextCache, limits: ContextLimits, include_tests: bool
) -> list[tuple[str, Definition]]:
    if len(cache.hits(word)) > limits.max_grep_lines:
        return []
    sites = cache.definition_sites(word, include_tests)
    candidates = [path for path in sites if path != origin]
    if not candidates or sum(sites[p] for p in candidates) > limits.max_candidate_lines:
        return []
    found = [
        (path, d)
        for path in sorted(candidates, key=lambda p: nearness(origin, p))
        for d in cache.definitions(path)
        if d.name == word
    ]
    return found if len(found) <= limits.ambiguity else []


def _definition_snippets(
    word: str,
    path: str,
    d: Definition,
    lines: list[str],
    defs: list[Definition],
    limits: ContextLimits,
) -> list[Snippet]:
    """A function whole (truncated when long); a class with methods as its header and
    constructor (a struct or interface without methods is whole, like a function)."""
    what = f"{d.kind} {d.qualified_name}"
    label = f"definition of {what}" if d.qualified_name == word else f"definition of {word}: {what}"
    members = [x for x in defs if d.start_line < x.start_line and x.end_line <= d.end_line]
    if d.kind == "class" and any(x.kind in ("method", "function") for x in members):
        head = cut("definition", path, lines, d.start_line, class_head_end(lines, d), label)
        ctor = constructor_of(d, defs)
        out = [head] if head is not None else []
        if ctor is not None:
            end = ctor.end_line
            if ctor.length > limits.max_caller_lines:
                end = signature_end(lines, ctor.start_line, ctor.end_line, ctor.name)
            text = f"constructor of {d.qualified_name}"
            out += [x for x in [cut("definition", path, lines, ctor.start_line, end, text)] if x]
        return out
    snippet = _definition_snippet(label, path, d, lines, limits)
    return [snippet] if snippet is not None else []


def constructor_of(cls: Definition, defs: list[Definition]) -> Definition | None:
    for d in defs:
        inside = cls.start_line < d.start_line and d.end_line <= cls.end_line
        if inside and d.name in CONSTRUCTORS and d.kind in ("method", "function"):
            return d
    return None


def class_head_end(lines: list[str], cls: Definition) -> int:
    return signature_end(lines, cls.start_line, cls.end_line, cls.name)


def _definition_snippet(
    label: str, path: str, d: Definition, lines: list[str], limits: ContextLimits
) -> Snippet | None:
    end = d.end_line
    if d.length > limits.max_definition_lines:
        end = d.start_line + limits.truncated_definition_lines - 1
        label += f" (truncated, {d.length} lines)"
    return cut("definition", path, lines, d.start_line, end, label)


CONSTRUCTORS = {"__init__", "constructor", "initialize"}


def call_targets(symbols: Iterable[Symbol], limit: int) -> list[tuple[Symbol, str]]:
    """The name each changed function or method is called by (a constructor: its class)."""
    out: list[tuple[Symbol, str]] = []
    names: set[str] = set()
    for s in symbols:
        if s.kind not in ("function", "method"):
            continue
        name = s.name
        if name in CONSTRUCTORS:
            parts = s.qualified_name.split(".")
            name = parts[-2] if len(parts) > 1 else ""
        if len(name) >= 3 and name not in names:
            names.add(name)
            out.append((s, name))
    return out[:limit]


def find_call_sites(
    origin: str, targets: list[tuple[Symbol, str]], cache: ContextCache, limits: ContextLimits
) -> list[Snippet]:
    """Up to max_call_sites callers of each changed function (see call_targets), nearest first."""
    include_tests = is_test_path(origin)
    out: list[Snippet] = []
    for symbol, name in targets:
        room = limits.max_call_sites_total - len(out)
        if room <= 0:
            break
        sites = _call_sites(origin, symbol, name, cache, limits, include_tests)
        out.extend(_windows(symbol, sites, cache, limits)[:room])
    return out


def _call_sites(
    origin: str,
    symbol: Symbol,
    name: str,
    cache: ContextCache,
    limits: ContextLimits,
    include_tests: bool,
) -> list[tuple[str, int]]:
    hits = cache.hits(name)
    if len(hits) > limits.max_grep_lines:
        return []
    elsewhere = [p for p in cache.definition_sites(name, True) if p != origin]
    if len(elsewhere) >= limits.ambiguity:
        return []  # the callers found would mostly call the other definitions
    own = (symbol.new_start or 0, symbol.new_end or -1)
    unique = sum(cache.definition_sites(name, True).values()) <= 1
    sites: list[tuple[str, int]] = []
    for path, line, text in sorted(hits, key=lambda h: (nearness(origin, h[0]), h[1])):
        if not include_tests and cache.is_test(path):
            continue
        if path == origin and own[0] <= line <= own[1]:
            continue
        if name in cache.defined_names(path, line, text):
            continue
        if _resolves(text, name, symbol, path, line, cache, unique):
            sites.append((path, line))
            if len(sites) >= limits.max_call_sites:
                break
    return sites


def _resolves(
    text: str, name: str, symbol: Symbol, path: str, line: int, cache: ContextCache, unique: bool
) -> bool:
    if symbol.name in CONSTRUCTORS:  # called by its class name: `Queue(`, `new Queue(`
        return _calls(text, name)
    lines = cache.lines(path) or []
    return call_resolves(text, name, symbol, path, lines, line, unique)


def _calls(text: str, name: str) -> bool:
    """Whether `text` calls `name`: `name(`, `name (` or Ruby's `name.new`."""
    at = text.find(name)
    while at >= 0:
        before = text[at - 1] if at else " "
        after = text[at + len(name) :].lstrip()
        if not (before.isalnum() or before in "_$") and after.startswith(("(", ".new")):
            return True
        at = text.find(name, at + 1)
    return False


def _caller_span(
    path: str, line: int, cache: ContextCache, limits: ContextLimits
) -> tuple[int, int]:
    """The whole calling function when it is short (the caller's expectations), else a window."""
    pad = limits.call_site_context
    enclosing = [
        d
        for d in cache.definitions(path)
        if d.kind in {"function", "method"} and d.start_line <= line <= d.end_line
    ]
    if enclosing:
        inner = min(enclosing, key=lambda d: d.end_line - d.start_line)
        if inner.end_line - inner.start_line + 1 <= limits.max_caller_lines:
            return inner.start_line, inner.end_line
    return line - pad, line + pad


def _windows(
    symbol: Symbol, sites: list[tuple[str, int]], cache: ContextCache, limits: ContextLimits
) -> list[Snippet]:
    spans: list[tuple[str, int, int]] = []
    for path, line in sites:
        start, end = _caller_span(path, line, cache, limits)
        if spans and spans[-1][0] == path and start <= spans[-1][2] + 1:
            spans[-1] = (path, spans[-1][1], max(end, spans[-1][2]))
        else:
            spans.append((path, start, end))
    out: list[Snippet] = []
    for path, start, end in spans:
        label = f"call site of {symbol.qualified_name}"
        snippet = cut("call_site", path, cache.lines(path) or [], start, end, label)
        if snippet is not None:
            out.append(snippet)
    return out
