"""Which findings of different tools describe the same problem (docs/evaluators.md, Merging).

Two kinds of keys:
- a rule family: the same check in several tools. Bandit's test ids are the reference:
  `bandit/B602`, ruff's flake8-bandit port `ruff/S602` (it keeps bandit's numbers) and the
  built-in `risky/shell` all carry `bandit:B602`;
- a CWE id, from tags such as `external/cwe/cwe-078` (CodeQL, bandit, built-in checks) or
  `CWE-89: SQL Injection` (semgrep); ruff's S rules get the CWE of their bandit test.

A family key is the stronger evidence: one CWE covers several distinct checks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from prreview.models import Finding

_CWE_TAG = re.compile(r"^(?:external/cwe/)?cwe[-_ ]?0*(\d+)\b", re.IGNORECASE)
_RUFF_BANDIT = re.compile(r"^ruff[^/]*/S(\d{3})$")
_BANDIT = re.compile(r"^bandit[^/]*/B(\d{3})$")

# CWE of each bandit test (bandit 1.9: plugins and blacklists), for ruff's S rules, whose
# SARIF carries no tags, and for bandit logs written without them.
_BANDIT_CWE_TEXT = """
101:703 102:78 103:732 104:605 105:259 106:259 107:259 108:377 110:703 112:703 113:400
201:94 202:22 301:502 302:502 303:327 304:327 305:327 306:377 307:78 308:79 310:22 311:330
312:319 313:20 314:20 315:20 316:20 317:20 318:20 319:20 321:319 323:295 324:327 401:319
402:319 403:502 404:78 405:20 406:20 407:20 408:20 409:20 411:20 412:284 413:327 415:319
501:295 502:327 503:327 504:327 505:326 506:20 507:295 508:319 509:319 601:78 602:78
603:78 604:78 605:78 606:78 607:78 608:89 609:155 610:89 611:89 612:94 613:838 614:502
615:494 701:94 702:80 703:80 704:79
"""
BANDIT_CWE: dict[str, int] = {
    f"B{num}": int(cwe) for num, cwe in (pair.split(":") for pair in _BANDIT_CWE_TEXT.split())
}

# The built-in checks and the bandit tests that look for the same thing.
BUILTIN_FAMILIES: dict[str, tuple[str, ...]] = {
    "risky/shell": ("B602", "B604", "B605"),
    "risky/eval": ("B102", "B307"),
    "risky/deserialization": ("B301", "B302", "B506"),
    "risky/sql-injection": ("B608",),
}


def families(f: Finding) -> frozenset[str]:
    """The rule families of a finding (`bandit:B602`); empty when none is known."""
    return _families(f.rule_id)


def cwes(f: Finding) -> frozenset[int]:
    """The CWE ids a finding's tags name, plus those of its bandit family."""
    return _cwes(f.rule_id, f.tags)


@lru_cache(maxsize=4096)
def _families(rule_id: str) -> frozenset[str]:
    for pattern in (_RUFF_BANDIT, _BANDIT):
        match = pattern.match(rule_id)
        if match:
            return frozenset({f"bandit:B{match[1]}"})
    return frozenset(f"bandit:{b}" for b in BUILTIN_FAMILIES.get(rule_id, ()))


@lru_cache(maxsize=4096)
def _cwes(rule_id: str, tags: tuple[str, ...]) -> frozenset[int]:
    found = {int(m[1]) for t in tags if (m := _CWE_TAG.match(t.strip()))}
    for family in _families(rule_id):
        cwe = BANDIT_CWE.get(family.removeprefix("bandit:"))
        if cwe is not None and not BUILTIN_FAMILIES.get(rule_id):
            found.add(cwe)
    return frozenset(found)
