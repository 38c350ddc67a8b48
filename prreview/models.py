"""Shared frozen types that flow through the pipeline.

read changes -> ChangeSet; identify symbols -> Symbol; gather context -> Snippet;
plan units -> Unit; evaluators -> Finding; merge/score/summarise -> Review.

This module imports nothing else from the package.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "1"

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
SEVERITY_RANK: dict[str, int] = {s: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}
"""critical=5 ... info=1; higher is worse."""

LineKind = Literal["added", "removed", "context"]
FileStatus = Literal["added", "modified", "deleted", "renamed", "copied"]
ChangeMode = Literal["range", "staged", "working-tree"]
FindingSource = Literal["builtin", "llm", "imported"]
FilterMode = Literal["added", "diff_context", "file", "nofilter"]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- changes


class DiffLine(Frozen):
    kind: LineKind
    old_lineno: int | None = None
    new_lineno: int | None = None
    text: str
    """The line without its terminator (a trailing CR of a CRLF file is kept)."""


class Hunk(Frozen):
    old_start: int
    old_length: int
    new_start: int
    new_length: int
    section_header: str = ""
    lines: tuple[DiffLine, ...] = ()

    @property
    def added(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "added")

    @property
    def removed(self) -> int:
        return sum(1 for ln in self.lines if ln.kind == "removed")

    @property
    def new_end(self) -> int:
        """Last new-side line covered by the hunk (new_start - 1 for a pure deletion)."""
        return self.new_start + max(self.new_length, 1) - 1


class FileChange(Frozen):
    path: str
    """Repo-relative, '/'-separated path on the new side (the old path for deletions)."""
    old_path: str | None = None
    status: FileStatus
    old_mode: str | None = None
    new_mode: str | None = None
    similarity: int | None = None
    is_binary: bool = False
    is_submodule: bool = False
    is_symlink: bool = False
    language: str | None = None
    size: int | None = None
    """Size in bytes of the new blob (old blob for deletions); None when unknown."""
    added: int = 0
    removed: int = 0
    hunks: tuple[Hunk, ...] = ()
    skip_reason: str | None = None
    skip_incomplete: bool = False
    """With skip_reason: the pull request controls the skip (a marker, a path, a size) or the
    diff could not be read, so the file's SkippedItem makes the review incomplete."""

    @property
    def reviewable(self) -> bool:
        return self.skip_reason is None

    def added_lines(self) -> Iterator[DiffLine]:
        for hunk in self.hunks:
            for line in hunk.lines:
                if line.kind == "added":
                    yield line

    def new_lines_in_diff(self) -> set[int]:
        """New-side line numbers shown in the diff (added and context)."""
        return {ln.new_lineno for h in self.hunks for ln in h.lines if ln.new_lineno is not None}

    def added_line_numbers(self) -> set[int]:
        return {ln.new_lineno for ln in self.added_lines() if ln.new_lineno is not None}


class ChangeSet(Frozen):
    repo_root: str
    mode: ChangeMode = "range"
    base_ref: str | None = None
    base_sha: str | None = None
    head_ref: str | None = None
    head_sha: str | None = None
    base_reason: str = ""
    """Why this base was chosen (flag, GitHub event, GitLab variable, fallback branch)."""
    files: tuple[FileChange, ...] = ()

    @property
    def reviewable_files(self) -> tuple[FileChange, ...]:
        return tuple(f for f in self.files if f.reviewable)

    @property
    def additions(self) -> int:
        return sum(f.added for f in self.files)

    @property
    def deletions(self) -> int:
        return sum(f.removed for f in self.files)

    def file(self, path: str) -> FileChange | None:
        for f in self.files:
            if f.path == path:
                return f
        return None


# --------------------------------------------------------------------------- intelligence


SymbolKind = Literal["function", "method", "class", "module", "block", "constant", "other"]
SymbolChange = Literal["added", "modified", "deleted"]


class Symbol(Frozen):
    path: str
    kind: SymbolKind
    name: str
    qualified_name: str
    change: SymbolChange
    old_start: int | None = None
    old_end: int | None = None
    new_start: int | None = None
    new_end: int | None = None


SnippetKind = Literal[
    "changed", "enclosing", "old_version", "definition", "call_site", "test", "guideline"
]


class Snippet(Frozen):
    kind: SnippetKind
    path: str
    start_line: int
    end_line: int
    text: str
    label: str = ""
    """What the snippet is, e.g. the symbol name it defines."""


class Unit(Frozen):
    """One piece of work for the LLM evaluators: some hunks plus the context they need."""

    id: str
    paths: tuple[str, ...]
    module: str = ""
    diff_text: str
    """The hunks, every new-side line prefixed with its new line number."""
    snippets: tuple[Snippet, ...] = ()
    hunk_refs: tuple[tuple[str, int], ...] = ()
    """(path, index into FileChange.hunks) of every hunk in the unit, for splitting."""
    tokens: int = 0
    hunk_count: int = 0
    changed_lines: int = 0
    piece: tuple[int, int] | None = None
    """(first, end) indices into the lines of its only hunk when the unit holds one piece of a
    hunk too large for one call; None when it holds whole hunks."""


# --------------------------------------------------------------------------- findings


class Rule(Frozen):
    id: str
    name: str
    short_description: str
    full_description: str = ""
    help_text: str = ""
    help_markdown: str = ""
    severity: Severity = "medium"
    category: str = "correctness"
    tags: tuple[str, ...] = ()
    precision: Literal["very-high", "high", "medium", "low"] = "medium"
    security_severity: float | None = None
    """CVSS-like 0.0-10.0 score for security rules (GitHub code scanning)."""
    evaluator: str = "builtin"


class SourceRef(Frozen):
    """One reported finding that a merged finding stands for (docs/evaluators.md, Merging)."""

    evaluator: str
    """The tool or evaluator that reported it: `builtin`, `ruff`, `bandit`, `security`, ..."""
    rule_id: str
    severity: Severity
    start_line: int | None = None
    end_line: int | None = None
    fingerprint: str = ""


class Finding(Frozen):
    rule_id: str
    evaluator: str
    evaluators: tuple[str, ...] = ()
    """Every evaluator that reported this finding (after merging)."""
    category: str
    severity: Severity
    confidence: float = Field(ge=0.0, le=1.0)
    title: str
    message: str
    """Markdown. Untrusted when source is llm or imported: reports escape it."""
    path: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    """New-side lines; None for a file-level (or change-level) finding."""
    start_column: int | None = None
    end_column: int | None = None
    suggestion: str | None = None
    tags: tuple[str, ...] = ()
    source: FindingSource = "builtin"
    fingerprint: str = ""
    sources: tuple[SourceRef, ...] = ()
    """Empty unless merged; then every finding merged into this one, itself included."""

    @property
    def rank(self) -> tuple[int, float]:
        return (SEVERITY_RANK[self.severity], self.confidence)


_WS = re.compile(r"\s+")


def fingerprint(rule_id: str, path: str | None, anchored_lines: list[str] | tuple[str, ...]) -> str:
    """A fingerprint that survives line shifts: rule + path + normalised anchored text."""
    text = "\n".join(_WS.sub(" ", ln).strip() for ln in anchored_lines)
    raw = f"{rule_id}\0{path or ''}\0{text}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:32]


class SkippedItem(Frozen):
    kind: Literal["file", "hunk", "unit", "finding"] = "file"
    path: str | None = None
    reason: str
    detail: str = ""
    incomplete: bool = False
    """True when this skip makes the review incomplete: the pull request controls the rule
    that caused it, or the model did not see the code (budget, truncation, failed call)."""


class FileSummary(Frozen):
    path: str
    old_path: str | None = None
    status: FileStatus
    language: str | None = None
    added: int = 0
    removed: int = 0
    hunks: int = 0
    new_ranges: tuple[tuple[int, int], ...] = ()
    """New-side line ranges shown in the diff (inclusive), for publishers."""
    skip_reason: str | None = None
    symbols: tuple[str, ...] = ()


class ChangeSummary(Frozen):
    base_ref: str | None = None
    base_sha: str | None = None
    head_ref: str | None = None
    head_sha: str | None = None
    mode: ChangeMode = "range"
    files: tuple[FileSummary, ...] = ()
    additions: int = 0
    deletions: int = 0
    modules: tuple[str, ...] = ()
    symbols: tuple[Symbol, ...] = ()


class RunCounters(Frozen):
    """What a run's model calls cost: the one counter type.

    An engine result, a wave of the model half, the model half, the run memo, `Stats`,
    shard combining and the evaluation harness all count with it and add with `+`.
    """

    calls: int = 0
    """Requests a provider answered in this run (cache hits and memo replays excluded)."""
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Prompt tokens the provider served from its prompt cache (priced at the cached rate)."""
    cost_usd: float = 0.0
    """What this run paid (0.0 for cache hits and models without known prices)."""

    def __add__(self, other: RunCounters) -> RunCounters:
        return RunCounters(
            calls=self.calls + other.calls,
            cache_hits=self.cache_hits + other.cache_hits,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_tokens=self.cached_tokens + other.cached_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
        )

    @property
    def counters(self) -> RunCounters:
        """Only the counters (of a subclass such as Stats), rounded cost."""
        return RunCounters.of(self)

    @staticmethod
    def of(source: object) -> RunCounters:
        """The counters of any record that carries them by name (e.g. eval's RunStats)."""
        return RunCounters(
            calls=getattr(source, "calls", 0),
            cache_hits=getattr(source, "cache_hits", 0),
            prompt_tokens=getattr(source, "prompt_tokens", 0),
            completion_tokens=getattr(source, "completion_tokens", 0),
            cached_tokens=getattr(source, "cached_tokens", 0),
            cost_usd=round(getattr(source, "cost_usd", 0.0), 6),
        )

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @staticmethod
    def total(parts: Iterable[RunCounters]) -> RunCounters:
        total = RunCounters()
        for part in parts:
            total = total + part.counters
        return total.counters


class Stats(RunCounters):
    files: int = 0
    files_reviewed: int = 0
    additions: int = 0
    deletions: int = 0
    hunks: int = 0
    hunks_reviewed: int = 0
    units: int = 0
    units_failed: int = 0
    shared_prefix_tokens: int = 0
    latency_median_s: float = 0.0
    latency_max_s: float = 0.0
    duration_s: float = 0.0
    findings_dropped: int = 0
    """Model findings dropped by validation (bad path, bad lines, schema)."""
    suppressed: int = 0
    """Findings suppressed by inline comments or the baseline."""
    filtered: int = 0
    """Findings outside the change, removed by --filter-mode."""
    merged: int = 0
    """Findings merged into another one (each is listed in that finding's `sources`)."""

    @property
    def coverage(self) -> float:
        return 1.0 if self.hunks == 0 else self.hunks_reviewed / self.hunks


class GateResult(Frozen):
    fail_on: Severity | Literal["none"] = "high"
    min_confidence: float = 0.0
    passed: bool = True
    tripped: tuple[str, ...] = ()
    """Fingerprints of the findings that tripped the gate."""


class WalkthroughRow(Frozen):
    path: str
    status: FileStatus
    added: int
    removed: int
    symbols: tuple[str, ...] = ()
    findings: int = 0


class Summary(Frozen):
    overview: str = ""
    """Model-written (untrusted) overview; empty with --no-summary or without a model."""
    risk: Literal["low", "medium", "high", "critical"] = "low"
    risk_reason: str = ""
    walkthrough: tuple[WalkthroughRow, ...] = ()


class Review(Frozen):
    schema_version: str = SCHEMA_VERSION
    tool_version: str = ""
    change: ChangeSummary = ChangeSummary()
    findings: tuple[Finding, ...] = ()
    rules: tuple[Rule, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    stats: Stats = Stats()
    summary: Summary = Summary()
    gate: GateResult = GateResult()
    complete: bool = True
    incomplete_reason: str | None = None
    fail_open: bool = False
    """True when the user chose --fail-open and the review was incomplete."""
    notes: tuple[str, ...] = ()
    """Plain notices for the reader (e.g. 'LLM review skipped: no credentials')."""
