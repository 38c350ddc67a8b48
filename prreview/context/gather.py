"""Context for reviewing a changed file: the code a reviewer would open next to the diff.

Snippets come back in priority order (the planner packs them in that order under a token
budget): enclosing > old_version > definition > call_site > test > guideline.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from prreview.change.languages import is_code
from prreview.context.cache import ContextCache, ContextLimits, SourceTree
from prreview.context.guidelines import GuidelineLimits, Guidelines
from prreview.context.lookup import call_targets, find_call_sites, find_definitions
from prreview.context.outline import Definition, extract_definitions
from prreview.context.paths import cut, is_test_path, module_stem, split_lines
from prreview.context.related import find_tests
from prreview.context.symbols import bound_names, identifier_uses, module_bindings
from prreview.models import FileChange, Frozen, Snippet, Symbol


class ContextRequest(Frozen):
    file: FileChange
    old_text: str | None = None
    new_text: str | None = None
    symbols: tuple[Symbol, ...] = ()


@dataclass(frozen=True)
class _Prepared:
    file: FileChange
    local_defs: list[Definition]
    local_lines: list[str]
    shown: list[Snippet]
    words: list[str]
    """Identifiers to look up, best first."""
    searched: list[str]
    """What needs a grep, best first: callees' names, the module, then identifiers."""
    targets: list[tuple[Symbol, str]]
    """Changed functions and the name they are called by."""
    stem: str | None
    """The name tests import the module by (None for a test file)."""
    mentions: list[str]
    """Names of changed symbols that tests may mention."""


def gather_context(
    file: FileChange,
    *,
    old_text: str | None,
    new_text: str | None,
    head: SourceTree,
    symbols: list[Symbol],
    limits: ContextLimits = ContextLimits(),
    cache: ContextCache | None = None,
) -> list[Snippet]:
    """Snippets for reviewing one changed file, in priority order.

    Pass one ContextCache (built on `head`) to every call of a run so that files are read,
    parsed and grepped once; gather_context_many does that and batches the greps too.
    """
    request = ContextRequest(
        file=file, old_text=old_text, new_text=new_text, symbols=tuple(symbols)
    )
    return gather_context_many([request], head=head, limits=limits, cache=cache)[0]


def gather_context_many(
    requests: Sequence[ContextRequest],
    *,
    head: SourceTree,
    limits: ContextLimits = ContextLimits(),
    cache: ContextCache | None = None,
    guidelines: Guidelines | None = None,
) -> list[list[Snippet]]:
    """gather_context for many files with one batched grep; results in request order.

    `guidelines` are read from the tree they were built on (the pipeline passes the trusted
    policy tree: config.trust); without it they come from `head`.
    """
    if cache is None:
        cache = ContextCache(head)
    elif cache.tree is not head:
        raise ValueError("the ContextCache was built for another SourceTree")
    if guidelines is None:
        guidelines = Guidelines(cache, GuidelineLimits(max_lines=limits.max_guideline_lines))
    prepared = [_prepare(r, limits) for r in requests]
    chosen = _within_budget([p.searched for p in prepared], limits.max_total_words)
    cache.fetch(sorted(chosen))
    return [_assemble(p, chosen, cache, limits, guidelines) for p in prepared]


def _within_budget(ranked: list[list[str]], budget: int) -> set[str]:
    """The best words of every file in turn (round robin) until the budget is spent."""
    chosen: set[str] = set()
    for position in range(max(map(len, ranked), default=0)):
        for words in ranked:
            if position < len(words) and words[position] not in chosen:
                if len(chosen) >= budget:
                    return chosen
                chosen.add(words[position])
    return chosen


def _prepare(request: ContextRequest, limits: ContextLimits) -> _Prepared:
    file = request.file
    if file.is_binary or file.is_submodule:
        return _Prepared(file, [], [], [], [], [], [], None, [])
    own = tuple(s for s in request.symbols if s.path == file.path)
    new_text = request.new_text
    lines = split_lines(new_text) if new_text is not None else []
    local = extract_definitions(new_text, file.language, file.path) if new_text else []
    shown = _enclosing(file, own, lines, request.old_text, local, limits)
    visible = [(s.start_line, s.end_line) for s in shown if s.kind == "enclosing"]
    code = new_text is not None and is_code(file.language, file.path)
    words = _ranked_words(file, new_text, own, visible, limits) if code and new_text else []
    targets = call_targets(own, limits.max_call_site_symbols)
    stem = None if is_test_path(file.path) else module_stem(file.path)
    mentions = [] if stem is None else _mentioned(own, limits.max_call_site_symbols)
    local_names = {d.name for d in local}
    searched = [n for _, n in targets] + ([stem] if stem else []) + mentions
    searched += [w for w in words if w not in local_names]
    searched = list(dict.fromkeys(searched))
    return _Prepared(file, local, lines, shown, words, searched, targets, stem, mentions)


def _mentioned(symbols: tuple[Symbol, ...], limit: int) -> list[str]:
    kinds = ("function", "method", "class")
    names = [s.name for s in symbols if s.kind in kinds and len(s.name) >= 3]
    return list(dict.fromkeys(names))[:limit]


def _assemble(
    p: _Prepared,
    chosen: set[str],
    cache: ContextCache,
    limits: ContextLimits,
    guidelines: Guidelines,
) -> list[Snippet]:
    if p.file.is_binary or p.file.is_submodule:
        return []
    path = p.file.path
    visible = [(s.start_line, s.end_line) for s in p.shown if s.kind == "enclosing"]
    searched = set(p.searched)
    words = [w for w in p.words if w in chosen or w not in searched]
    targets = [(s, name) for s, name in p.targets if name in chosen]
    stem = p.stem if p.stem in chosen else None
    mentions = [n for n in p.mentions if n in chosen]
    names = [s.name for s, _ in p.targets] + p.mentions
    out = list(p.shown)
    out += find_definitions(path, words, p.local_defs, p.local_lines, visible, cache, limits)
    out += find_call_sites(path, targets, cache, limits)
    if p.stem is not None:
        out += find_tests(path, list(dict.fromkeys(names)), stem, mentions, cache, limits)
    out += guidelines.for_path(path)
    return out


def _enclosing(
    file: FileChange,
    symbols: tuple[Symbol, ...],
    lines: list[str],
    old_text: str | None,
    local: list[Definition],
    limits: ContextLimits,
) -> list[Snippet]:
    """The new version of each changed definition, then the old version of the modified ones."""
    added = file.added_line_numbers()
    removed = {ln.old_lineno for h in file.hunks for ln in h.lines if ln.kind == "removed"}
    old_lines = split_lines(old_text) if old_text is not None else []
    old_path = file.old_path or file.path
    new_out: list[Snippet] = []
    old_out: list[Snippet] = []
    for s in symbols:
        if s.kind == "module" or s.new_start is None or s.new_end is None or not lines:
            continue
        if any(n.start_line <= s.new_start and s.new_end <= n.end_line for n in new_out):
            continue
        huge_class = s.kind == "class" and s.new_end - s.new_start >= limits.max_enclosing_lines
        if huge_class:
            spans = [(s.new_start, _class_header_end(s.new_start, s.new_end, local))]
        else:
            spans = _spans(s.new_start, s.new_end, added, limits)
        suffix = _suffix(spans, s.new_start, s.new_end, huge_class)
        label = f"{s.kind} {s.qualified_name} ({s.change}){suffix}"
        new_out += [x for a, b in spans if (x := cut("enclosing", file.path, lines, a, b, label))]
        if s.change != "modified" or huge_class or s.old_start is None or s.old_end is None:
            continue
        spans = _spans(s.old_start, s.old_end, {n for n in removed if n}, limits)
        suffix = _suffix(spans, s.old_start, s.old_end, False)
        label = f"old version of {s.qualified_name}{suffix}; line numbers refer to the old file {old_path}"
        old_out += [
            x for a, b in spans if (x := cut("old_version", old_path, old_lines, a, b, label))
        ]
    return new_out + old_out


def _spans(start: int, end: int, changed: set[int], limits: ContextLimits) -> list[tuple[int, int]]:
    """The whole definition, or for a huge one its first lines and the lines around the change."""
    if end - start < limits.max_enclosing_lines:
        return [(start, end)]
    inside = sorted(n for n in changed if start <= n <= end)
    header = (start, start + 9)
    if not inside:
        return [(start, start + limits.max_enclosing_lines - 1)]
    low = max(start, inside[0] - 10)
    high = min(end, inside[-1] + 10, low + limits.max_enclosing_lines - 1)
    if low <= header[1] + 1:
        return [(start, high)]
    return [header, (low, high)]


def _suffix(spans: list[tuple[int, int]], start: int, end: int, header: bool) -> str:
    if header:
        return " (class header)"
    return "" if spans == [(start, end)] else " (excerpt)"


def _class_header_end(start: int, end: int, local: list[Definition]) -> int:
    members = [d.start_line for d in local if start < d.start_line <= end]
    first = min(members, default=start + 20)
    return max(start, min(first - 1, start + 19))


_BOUND = [
    re.compile(
        r"^\s*(?:(?:let|const|var|my|local|auto|val|final|mut)\s+)*([A-Za-z_$][\w$]*)\s*(?::[^=]*)?(?::=|=(?!=))"
    ),
    re.compile(
        r"\bfor\s*\(?\s*(?:(?:const|let|var|auto|final)\s+)?(?:[\w<>]+\s+)?([A-Za-z_$][\w$]*)\s*(?:\bin\b|\bof\b|:|,)"
    ),
    re.compile(r"\b(?:as|catch\s*\(\s*\w*)\s+([A-Za-z_$][\w$]*)"),
    re.compile(r"^\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+)\s*:?="),
]
_PARAMS = re.compile(r"\(([^()]*)\)", re.S)


def _ranked_words(
    file: FileChange,
    new_text: str,
    symbols: tuple[Symbol, ...],
    visible: list[tuple[int, int]],
    limits: ContextLimits,
) -> list[str]:
    """Identifiers on added lines worth looking up: calls first, then Capitalised names."""
    added = sorted(file.added_line_numbers())
    uses = identifier_uses(new_text, file.language, added, file.path, limits.max_words * 50)
    lines = split_lines(new_text)
    params = bound_names(new_text, file.language, added, file.path)
    ranges = [(a, b) for a, b in visible if b - a < 2000]
    bound = _bound_names(lines, ranges, signatures=params is None) | (params or frozenset())
    skip = bound | module_bindings(lines) | {s.name for s in symbols}
    best: dict[str, tuple[int, int]] = {}
    for index, use in enumerate(uses):
        if use.name in skip:
            continue
        rank = 0 if use.called else 1 if use.name[:1].isupper() else 2
        prev = best.get(use.name)
        best[use.name] = (rank, index) if prev is None else (min(prev[0], rank), prev[1])
    return sorted(best, key=lambda w: best[w])[: limits.max_words]


def _bound_names(lines: list[str], ranges: list[tuple[int, int]], signatures: bool) -> set[str]:
    """Local variables in the shown definitions (and, without a grammar, their parameters)."""
    bound: set[str] = set()
    for start, end in ranges:
        signature = _PARAMS.search("\n".join(lines[start - 1 : start + 2])) if signatures else None
        if signature:
            params = re.findall(r"[A-Za-z_$][\w$]*", signature.group(1))
            bound |= {p for p in params if not p[:1].isupper()}
        for line in lines[start:end]:
            for pattern in _BOUND:
                for match in pattern.finditer(line):
                    bound |= {n.strip() for n in match.group(1).split(",")}
    return bound
