"""Context for reviewing a changed file: the code a reviewer would open next to the diff.

Snippets come back in priority order (the planner packs them in that order under a token
budget): enclosing > old_version > definition > call_site > test > guideline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from prreview.grammars import is_code
from prreview.lookup import call_targets, defined_names, find_call_sites, find_definitions
from prreview.models import FileChange, Snippet, Symbol
from prreview.outline import Definition, extract_definitions
from prreview.related import (
    TestIndex,
    build_test_index,
    cut,
    find_guidelines,
    find_tests,
    is_test_path,
    module_stem,
    split_lines,
)
from prreview.secretfiles import is_secret_file
from prreview.symbols import bound_names, identifier_uses, module_bindings

Hit = tuple[str, int, str]
"""(path, line, text) of one grep match."""


class SourceTree(Protocol):
    """Read access to one revision of the repository (gittree.TreeReader implements it)."""

    def read_text(self, path: str) -> str | None: ...

    def read_bytes(self, path: str) -> bytes | None: ...

    def ls_files(self) -> list[str]: ...

    def grep(self, words: list[str], paths: list[str] | None = None) -> dict[str, list[Hit]]: ...


class ContextLimits(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_words: int = Field(40, ge=0, description="Identifiers looked up per file.")
    max_total_words: int = Field(
        4000, ge=0, description="Names grepped per gather_context_many call (all files)."
    )
    max_enclosing_lines: int = Field(200, ge=10)
    max_definition_lines: int = Field(80, ge=5)
    truncated_definition_lines: int = Field(30, ge=1)
    max_definitions: int = Field(10, ge=0)
    ambiguity: int = Field(3, ge=1, description="Skip names defined more often than this.")
    max_candidate_lines: int = Field(12, ge=1)
    max_grep_lines: int = Field(
        450,
        ge=1,
        description="A name matched more often is too common (keep under gitio's per-word cap).",
    )
    max_call_sites: int = Field(5, ge=0, description="Per changed function.")
    max_call_site_symbols: int = Field(10, ge=0, description="Changed functions per file.")
    max_call_sites_total: int = Field(15, ge=0)
    call_site_context: int = Field(3, ge=0)
    max_caller_lines: int = Field(
        40, ge=0, description="Send the whole calling function when it is at most this long."
    )
    max_test_files: int = Field(3, ge=0)
    max_tests_per_file: int = Field(2, ge=1)
    max_test_lines: int = Field(60, ge=1)
    max_guidelines: int = Field(3, ge=0)
    max_guideline_lines: int = Field(60, ge=1)


_GREP_CHUNK = 500


class ContextCache:
    """Reads, parses and grep results for one SourceTree, memoised for one run.

    The only reader of other files for context: secret-bearing files (secretfiles) are
    never read, listed or returned as grep hits, so no definition, call site, test or
    guideline comes from a `.env` or a key.
    """

    def __init__(self, tree: SourceTree) -> None:
        self.tree = tree
        self._lines: dict[str, list[str] | None] = {}
        self._definitions: dict[str, list[Definition]] = {}
        self._hits: dict[str, list[Hit]] = {}
        self._names: dict[tuple[str, int], frozenset[str]] = {}
        self._files: list[str] | None = None
        self._tests: TestIndex | None = None
        self._is_test: dict[str, bool] = {}
        self._sites: dict[tuple[str, bool], dict[str, int]] = {}

    def lines(self, path: str) -> list[str] | None:
        if path not in self._lines:
            text = None if is_secret_file(path) else self.tree.read_text(path)
            self._lines[path] = split_lines(text) if text is not None else None
        return self._lines[path]

    def definitions(self, path: str) -> list[Definition]:
        if path not in self._definitions:
            lines = self.lines(path)
            found = extract_definitions("\n".join(lines), None, path) if lines else []
            self._definitions[path] = found
        return self._definitions[path]

    def files(self) -> list[str]:
        if self._files is None:
            self._files = sorted(p for p in self.tree.ls_files() if not is_secret_file(p))
        return self._files

    def is_test(self, path: str) -> bool:
        if path not in self._is_test:
            self._is_test[path] = is_test_path(path)
        return self._is_test[path]

    def test_index(self) -> TestIndex:
        if self._tests is None:
            self._tests = build_test_index(self.files())
        return self._tests

    def fetch(self, words: Iterable[str]) -> None:
        """Grep every word not fetched yet: one tree.grep call per chunk of words."""
        missing = sorted({w for w in words if w and w not in self._hits})
        for i in range(0, len(missing), _GREP_CHUNK):
            chunk = missing[i : i + _GREP_CHUNK]
            found = self.tree.grep(chunk)
            for word in chunk:
                hits = [h for h in found.get(word, []) if not is_secret_file(h[0])]
                self._hits[word] = sorted(hits, key=lambda h: (h[0], h[1]))

    def hits(self, word: str) -> list[Hit]:
        self.fetch([word])
        return self._hits[word]

    def grep(self, words: Iterable[str]) -> dict[str, list[Hit]]:
        wanted = list(words)
        self.fetch(wanted)
        return {w: self._hits.get(w, []) for w in wanted}

    def definition_sites(self, word: str, include_tests: bool) -> dict[str, int]:
        """Files with lines that look like they define `word` -> how many such lines."""
        key = (word, include_tests)
        if key not in self._sites:
            sites: dict[str, int] = {}
            for path, line, text in self.hits(word):
                if not include_tests and self.is_test(path):
                    continue
                if word in self.defined_names(path, line, text):
                    sites[path] = sites.get(path, 0) + 1
            self._sites[key] = sites
        return self._sites[key]

    def defined_names(self, path: str, line: int, text: str) -> frozenset[str]:
        key = (path, line)
        if key not in self._names:
            self._names[key] = defined_names(path, text)
        return self._names[key]


class ContextRequest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
) -> list[list[Snippet]]:
    """gather_context for many files with one batched grep; results in request order."""
    if cache is None:
        cache = ContextCache(head)
    elif cache.tree is not head:
        raise ValueError("the ContextCache was built for another SourceTree")
    prepared = [_prepare(r, limits) for r in requests]
    chosen = _within_budget([p.searched for p in prepared], limits.max_total_words)
    cache.fetch(sorted(chosen))
    return [_assemble(p, chosen, cache, limits) for p in prepared]


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
    p: _Prepared, chosen: set[str], cache: ContextCache, limits: ContextLimits
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
    out += find_guidelines(path, cache, limits)
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
