"""One run's memo of a source tree: reads, parsed definitions and grep hits, plus the limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import Field

from prreview.context.names import defined_names
from prreview.context.outline import Definition, extract_definitions
from prreview.context.paths import TestIndex, build_test_index, is_test_path, split_lines
from prreview.models import Frozen
from prreview.secrets.files import is_secret_file

Hit = tuple[str, int, str]
"""(path, line, text) of one grep match."""


class SourceTree(Protocol):
    """Read access to one revision of the repository (gittree.TreeReader implements it)."""

    def read_text(self, path: str) -> str | None: ...

    def read_bytes(self, path: str) -> bytes | None: ...

    def ls_files(self) -> list[str]: ...

    def grep(self, words: list[str], paths: list[str] | None = None) -> dict[str, list[Hit]]: ...


class ContextLimits(Frozen):
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

    The only reader of other files for context: secret-bearing files (secrets/files.py) are
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
        self._file_set: frozenset[str] | None = None
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

    def file_set(self) -> frozenset[str]:
        if self._file_set is None:
            self._file_set = frozenset(self.files())
        return self._file_set

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
