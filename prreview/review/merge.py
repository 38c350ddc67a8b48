"""Merge, score and rank findings (docs/evaluators.md, "Merging").

Two findings merge only when they are on the same path, their line ranges overlap (adjacent
lines do not count) and they describe the same problem:
- found by different tools with a shared rule family (ruff S602 = bandit B602 = the built-in
  risky/shell) or a shared CWE (prreview.review.families); or
- near-identical: similar titles (word overlap >= 0.5 with the same rule or category,
  >= 0.8 otherwise), unless both are on one line with disjoint column spans.
Two results of one deterministic tool (a built-in check, an imported tool) never merge: the
tool reported two problems.

Merging never chains: a cluster's representative is its first finding in location order and
stays fixed; a finding joins the cluster whose representative it matches best (family, then
near-identical text, then CWE), so A~B and B~C never pull C in with A unless C~A. Every merge
is counted (`Stats.merged`, see merged_count) and listed in the merged finding's `sources`.
Identical copies of one finding (same rule, evaluator, fingerprint, location and title: a
built-in finding in several shard reports) are one finding, not a merge.

Confidence:
    c_item    = model confidence x anchor factor          (validate.py)
    c_merged  = 1 - prod(1 - c_e)  over distinct evaluators e (best item per evaluator)
    c_final   = min(c_merged, 0.99)
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from prreview.models import SEVERITY_RANK, Finding, SourceRef
from prreview.review.families import cwes, families

_WORD = re.compile(r"[a-z0-9_]+")
TITLE_SIMILARITY = 0.5
"""Word overlap (Jaccard) for near-identical titles of the same rule or category."""
TITLE_SIMILARITY_ACROSS = 0.8
"""Word overlap for near-identical titles of different categories."""
MAX_CONFIDENCE = 0.99
MAX_CANDIDATES = 32
"""A finding is compared with at most this many overlapping clusters (the most recent);
beyond that it stays on its own: a missed merge, never a wrong one, and never quadratic."""


@lru_cache(maxsize=65536)
def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if len(w) > 2)


def _span(f: Finding) -> tuple[int, int]:
    """Inclusive new-side lines; (0, 0) for a file-level finding."""
    if f.start_line is None:
        return 0, 0
    return f.start_line, max(f.end_line or f.start_line, f.start_line)


class _Shape:
    """What the merge rule looks at, computed once per finding."""

    __slots__ = (
        "category", "columns", "cwes", "end", "families", "lined", "llm", "path", "rule_id",
        "start", "tools", "words",
    )  # fmt: skip

    def __init__(self, f: Finding) -> None:
        self.path = f.path
        self.lined = f.start_line is not None
        self.start, self.end = _span(f)
        cols = (f.start_column, f.end_column)
        self.columns = cols if self.start == self.end and None not in cols else None
        self.tools = frozenset(f.evaluators or (f.evaluator,))
        self.llm = f.source == "llm"
        self.families = families(f)
        self.cwes = cwes(f)
        self.words = _words(f.title)
        self.rule_id = f.rule_id
        self.category = f.category


def _overlap(a: _Shape, b: _Shape) -> bool:
    if a.path != b.path or a.path is None or a.lined != b.lined:
        return False
    return a.start <= b.end and b.start <= a.end


def _disjoint_columns(a: _Shape, b: _Shape) -> bool:
    if a.columns is None or b.columns is None or a.start != b.start:
        return False
    (a0, a1), (b0, b1) = a.columns, b.columns
    return a1 < b0 or b1 < a0  # type: ignore[operator]


def _near_identical(a: _Shape, b: _Shape) -> bool:
    if not a.words or not b.words:
        return False
    same_kind = a.rule_id == b.rule_id or a.category == b.category
    threshold = TITLE_SIMILARITY if same_kind else TITLE_SIMILARITY_ACROSS
    return len(a.words & b.words) >= threshold * len(a.words | b.words)


def _strength(a: _Shape, b: _Shape) -> int:
    if not _overlap(a, b):
        return 0
    shared_tool = not a.tools.isdisjoint(b.tools)
    if shared_tool and not (a.llm and b.llm):
        return 0  # one deterministic tool reported two problems
    if not shared_tool and not a.families.isdisjoint(b.families):
        return 3  # tools mark different parts of one statement: columns do not matter
    if not _disjoint_columns(a, b) and _near_identical(a, b):
        return 2
    if not shared_tool and not a.cwes.isdisjoint(b.cwes):
        return 1
    return 0


def strength(a: Finding, b: Finding) -> int:
    """How strongly `b` matches `a`: 0 no merge, 1 shared CWE, 2 near-identical, 3 family."""
    return _strength(_Shape(a), _Shape(b))


def similar(a: Finding, b: Finding) -> bool:
    """Whether two findings would merge (the rule in the module docstring)."""
    return strength(a, b) > 0


def source_refs(f: Finding) -> tuple[SourceRef, ...]:
    """The findings `f` stands for: its own sources after a merge, else itself."""
    if f.sources:
        return f.sources
    return (
        SourceRef(
            evaluator=f.evaluator,
            rule_id=f.rule_id,
            severity=f.severity,
            start_line=f.start_line,
            end_line=f.end_line,
            fingerprint=f.fingerprint,
        ),
    )


def combine(group: Sequence[Finding]) -> Finding:
    best = max(group, key=lambda f: (SEVERITY_RANK[f.severity], f.confidence))
    per_evaluator: dict[str, float] = {}
    for f in group:
        for e in f.evaluators or (f.evaluator,):
            per_evaluator[e] = max(per_evaluator.get(e, 0.0), f.confidence)
    miss = 1.0
    for c in per_evaluator.values():
        miss *= 1.0 - c
    confidence = (
        round(min(1.0 - miss, MAX_CONFIDENCE), 4) if len(per_evaluator) > 1 else best.confidence
    )
    severity = max((f.severity for f in group), key=lambda s: SEVERITY_RANK[s])
    sources = tuple(dict.fromkeys(ref for f in group for ref in source_refs(f)))
    return best.model_copy(
        update={
            "evaluators": tuple(sorted(per_evaluator)),
            "severity": severity,
            "confidence": confidence,
            "tags": tuple(dict.fromkeys(t for f in group for t in f.tags)),
            "sources": tuple(sorted(sources, key=_ref_order)),
        }
    )


def _ref_order(ref: SourceRef) -> tuple[str, str, int, str]:
    return (ref.evaluator, ref.rule_id, ref.start_line or 0, ref.fingerprint)


def merged_count(findings: Iterable[Finding]) -> int:
    """How many reported findings were merged into another one (`Stats.merged`)."""
    return sum(len(f.sources) - 1 for f in findings if len(f.sources) > 1)


def _identity(f: Finding) -> tuple[object, ...]:
    return (
        f.rule_id, f.evaluator, f.fingerprint, f.path, f.start_line, f.end_line,
        f.start_column, f.end_column, f.title,
    )  # fmt: skip


def _order(f: Finding) -> tuple[object, ...]:
    start, end = _span(f)
    return (
        f.path or "", start, end, f.rule_id, f.evaluator, f.fingerprint, f.title, f.message,
        -SEVERITY_RANK[f.severity], -f.confidence,
    )  # fmt: skip


class _Cluster:
    __slots__ = ("members", "rep")

    def __init__(self, first: Finding, shape: _Shape) -> None:
        self.rep = shape
        self.members = [first]


def _cluster_path(findings: Sequence[Finding]) -> list[_Cluster]:
    """Clusters of one path's findings, sorted by start line: a sweep over open clusters."""
    clusters: list[_Cluster] = []
    open_: list[int] = []  # indices into clusters, oldest first; some may have closed
    ends: list[tuple[int, int]] = []  # heap of (last line, cluster index)
    closed: set[int] = set()
    for f in findings:
        shape = _Shape(f)
        start, end = shape.start, shape.end
        while ends and ends[0][0] < start:
            closed.add(heapq.heappop(ends)[1])
        if len(closed) > 32 and len(closed) * 2 > len(open_):
            open_ = [i for i in open_ if i not in closed]
            closed.clear()
        best, best_strength, checked = None, 0, 0
        for i in reversed(open_):
            if i in closed:
                continue
            checked += 1
            s = _strength(clusters[i].rep, shape)
            if s > best_strength or (s and s == best_strength and best is not None and i < best):
                best, best_strength = i, s
            if checked >= MAX_CANDIDATES:
                break
        if best is not None:
            clusters[best].members.append(f)
            continue
        clusters.append(_Cluster(f, shape))
        open_.append(len(clusters) - 1)
        heapq.heappush(ends, (end, len(clusters) - 1))
    return clusters


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Collapse identical copies, then merge the same problem reported more than once."""
    unique: dict[tuple[object, ...], Finding] = {}
    for f in findings:
        key = _identity(f)
        prev = unique.get(key)
        if prev is None or f.rank > prev.rank:
            unique[key] = f
    by_path: dict[str | None, list[Finding]] = {}
    for f in sorted(unique.values(), key=_order):
        by_path.setdefault(f.path, []).append(f)
    merged: list[Finding] = []
    for path, group in by_path.items():
        if path is None:
            merged.extend(group)
            continue
        for cluster in _cluster_path(group):
            members = cluster.members
            merged.append(combine(members) if len(members) > 1 else members[0])
    return rank(merged)


def vote(samples: Sequence[Sequence[Finding]]) -> list[Finding]:
    """Self-consistency: keep findings reported by a majority of samples; scale confidence."""
    n = len(samples)
    if n <= 1:
        return list(samples[0]) if samples else []
    pool: list[tuple[int, Finding]] = [(i, f) for i, s in enumerate(samples) for f in s]
    kept: list[Finding] = []
    used: set[int] = set()
    for idx, (i, f) in enumerate(pool):
        if idx in used:
            continue
        voters = {i}
        members = [f]
        for jdx in range(idx + 1, len(pool)):
            j, g = pool[jdx]
            if (
                jdx not in used
                and j not in voters
                and (
                    (g.fingerprint == f.fingerprint and _overlap(_Shape(f), _Shape(g)))
                    or similar(f, g)
                )
            ):
                voters.add(j)
                members.append(g)
                used.add(jdx)
        if len(voters) * 2 > n:
            best = max(members, key=lambda x: (SEVERITY_RANK[x.severity], x.confidence))
            conf = round(sum(m.confidence for m in members) / n, 4)
            kept.append(best.model_copy(update={"confidence": conf}))
    return kept


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Severity, then confidence, then location: the order every report uses."""
    return sorted(
        findings,
        key=lambda f: (
            -SEVERITY_RANK[f.severity],
            -f.confidence,
            f.path or "",
            f.start_line or 0,
            f.rule_id,
        ),
    )
