"""Merge, score and rank findings.

Duplicates across evaluators, units and samples (same path, overlapping or adjacent lines,
and the same category or a similar title) become one finding that lists every evaluator and
keeps the highest severity. Confidence (docs/evaluators.md):

    c_item    = model confidence x anchor factor          (validate.py)
    c_merged  = 1 - prod(1 - c_e)  over distinct evaluators e (best item per evaluator)
    c_final   = min(c_merged, 0.99)

Identical fingerprints (built-in findings from several shards) collapse to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from prreview.models import SEVERITY_RANK, Finding

_WORD = re.compile(r"[a-z0-9_]+")
ADJACENT = 2
TITLE_SIMILARITY = 0.5
MAX_CONFIDENCE = 0.99


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def similar(a: Finding, b: Finding) -> bool:
    if a.path != b.path or a.path is None:
        return False
    if a.start_line is None or b.start_line is None:
        return a.start_line is None and b.start_line is None and a.category == b.category
    a_end = a.end_line or a.start_line
    b_end = b.end_line or b.start_line
    if a.start_line > b_end + ADJACENT or b.start_line > a_end + ADJACENT:
        return False
    if a.category == b.category or a.rule_id == b.rule_id:
        return True
    wa, wb = _words(a.title), _words(b.title)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= TITLE_SIMILARITY


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
    return best.model_copy(
        update={
            "evaluators": tuple(sorted(per_evaluator)),
            "severity": severity,
            "confidence": confidence,
            "tags": tuple(dict.fromkeys(t for f in group for t in f.tags)),
        }
    )


def merge_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Collapse duplicates; model findings are also merged by location and similarity."""
    by_fp: dict[str, Finding] = {}
    for f in findings:
        prev = by_fp.get(f.fingerprint)
        by_fp[f.fingerprint] = combine([prev, f]) if prev is not None else f
    ordered = sorted(by_fp.values(), key=lambda f: (f.path or "", f.start_line or 0, f.rule_id))
    groups: list[list[Finding]] = []
    for f in ordered:
        if f.source != "llm":
            groups.append([f])
            continue
        for group in groups:
            if group[0].source == "llm" and any(similar(f, g) for g in group):
                group.append(f)
                break
        else:
            groups.append([f])
    return rank([combine(g) if len(g) > 1 else g[0] for g in groups])


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
                and (g.fingerprint == f.fingerprint or similar(f, g))
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
