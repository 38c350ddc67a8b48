"""The frozen result of the model half: one wave's, and the fold of every wave.

Each wave of model calls returns a `ModelOutcome`; the model half adds them up with `+`
(nothing is mutated), and the pipeline reads the total. The run memo stores the total with
pydantic. Redacted secrets are kept only as SHA-256 digests, so the count of distinct values
survives folding and the memo without a secret being stored.
"""

from __future__ import annotations

import hashlib
import statistics
from collections.abc import Iterable

from prreview.models import Finding, Frozen, RunCounters, SkippedItem


class Sample(Frozen):
    """The findings of one answer: one evaluator on one unit (one of --samples)."""

    unit: str
    evaluator: str
    findings: tuple[Finding, ...] = ()


class UnitSummary(Frozen):
    unit: str
    paths: tuple[str, ...] = ()
    text: str = ""


class ModelOutcome(Frozen):
    samples: tuple[Sample, ...] = ()
    dropped: int = 0
    """Model findings dropped by validation (schema, path, lines)."""
    ignored_keys: int = 0
    redacted: frozenset[str] = frozenset()
    """SHA-256 digests of the distinct secret values replaced in the requests sent."""
    skipped: tuple[SkippedItem, ...] = ()
    failed: tuple[str, ...] = ()
    incomplete_reason: str | None = None
    counters: RunCounters = RunCounters()
    latencies: tuple[float, ...] = ()
    overview: str = ""
    unit_summaries: tuple[UnitSummary, ...] = ()
    """The one-paragraph summary of each unit's first valid answer (the overview's input)."""
    reviewed_refs: frozenset[tuple[str, int]] = frozenset()
    planned_prompt_tokens: int = 0
    shared_prefix_tokens: int = 0

    def __add__(self, other: ModelOutcome) -> ModelOutcome:
        return fold((self, other))

    @property
    def redactions(self) -> int:
        return len(self.redacted)

    @property
    def latency_median(self) -> float:
        return round(statistics.median(self.latencies), 3) if self.latencies else 0.0

    @property
    def units(self) -> int:
        return len({s.unit for s in self.samples})

    def summaries_by_unit(self) -> dict[str, tuple[tuple[str, ...], str]]:
        """unit id -> (its paths, the first summary its answers gave)."""
        found: dict[str, tuple[tuple[str, ...], str]] = {}
        for u in self.unit_summaries:
            found.setdefault(u.unit, (u.paths, u.text))
        return found

    def sample_groups(self) -> dict[tuple[str, str], list[list[Finding]]]:
        """(unit, evaluator) -> the findings of each sample, in answer order (for voting)."""
        groups: dict[tuple[str, str], list[list[Finding]]] = {}
        for sample in self.samples:
            groups.setdefault((sample.unit, sample.evaluator), []).append(list(sample.findings))
        return groups


def fold(parts: Iterable[ModelOutcome]) -> ModelOutcome:
    """The sum of `parts` in order (one construction, however many parts)."""
    ps = list(parts)
    return ModelOutcome(
        samples=tuple(s for p in ps for s in p.samples),
        dropped=sum(p.dropped for p in ps),
        ignored_keys=sum(p.ignored_keys for p in ps),
        redacted=frozenset().union(*(p.redacted for p in ps)),
        skipped=tuple(s for p in ps for s in p.skipped),
        failed=tuple(f for p in ps for f in p.failed),
        incomplete_reason=next((p.incomplete_reason for p in ps if p.incomplete_reason), None),
        counters=sum((p.counters for p in ps), RunCounters()),
        latencies=tuple(t for p in ps for t in p.latencies),
        overview=next((p.overview for p in ps if p.overview), ""),
        unit_summaries=tuple(u for p in ps for u in p.unit_summaries),
        reviewed_refs=frozenset().union(*(p.reviewed_refs for p in ps)),
        planned_prompt_tokens=sum(p.planned_prompt_tokens for p in ps),
        shared_prefix_tokens=sum(p.shared_prefix_tokens for p in ps),
    )


def digests(values: Iterable[str]) -> frozenset[str]:
    return frozenset(hashlib.sha256(v.encode("utf-8", "surrogatepass")).hexdigest() for v in values)
