"""Secrets split over string literals on consecutive lines.

`KEY = ("sk-proj-abc…"` / `"…def")`, `"ghp_ab" +` / `"cd…"`: the pieces are joined and
scanned; every piece of a secret found across a line break is reported (masked) on its own.
Only continuations count: the first line ends with a literal (and at most a concatenation
operator), the next opens with one (after a diff prefix, blanks or an operator). A comma
between literals separates list items, so `"a",` / `"b",` is not joined.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Sequence

from prreview.secrets.patterns import SecretMatch
from prreview.secrets.scan import find_redactable, token_secrets

__all__ = ["Fragment", "split_literals"]

_LITERAL = r"([\"'`])([^\"'`\s\\]{4,})\1"
_PAIR = re.compile(
    r"(?=" + _LITERAL + r"[ \t]*(?:\+|\.|&|\|\||\\)?[ \t]*\n"
    r"(?:[ \t]*\d*\|[+ ]?)?[ \t+.&(]*([\"'`])([^\"'`\s\\]{4,})\3)"
)
Fragment = tuple[int, int, int]
"""(line index, start, end) of a string literal's content."""
_MIN_JOINED = 16


def _pairs(lines: Sequence[str]) -> dict[int, tuple[Fragment, Fragment]]:
    """Line index -> (the literal ending it, the literal opening the next line)."""
    text = "\n".join(lines)
    starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)][:-1]
    found: dict[int, tuple[Fragment, Fragment]] = {}
    for m in _PAIR.finditer(text):
        i = bisect_right(starts, m.start(2)) - 1
        tail = (i, m.start(2) - starts[i], m.end(2) - starts[i])
        head = (i + 1, m.start(4) - starts[i + 1], m.end(4) - starts[i + 1])
        found[i] = (tail, head)
    return found


def _chains(lines: Sequence[str]) -> list[list[Fragment]]:
    pairs = _pairs(lines)
    chains: list[list[Fragment]] = []
    for i in sorted(pairs):
        tail, head = pairs[i]
        if chains and chains[-1][-1] == tail:
            chains[-1].append(head)
        else:
            chains.append([tail, head])
    return chains


def _spanned(
    frags: list[Fragment], lines: Sequence[str], precise: bool
) -> list[tuple[str, Fragment]]:
    pieces = [lines[i][a:b] for i, a, b in frags]
    joined = "".join(pieces)
    if len(joined) < _MIN_JOINED:
        return []
    bounds = list(itertools.pairwise(itertools.accumulate((len(p) for p in pieces), initial=0)))
    matches = token_secrets(joined)
    if not precise:
        matches += [
            SecretMatch(m.kind, m.start - 1, m.end - 1, 0) for m in find_redactable(f'"{joined}"')
        ]
    hit: list[tuple[str, Fragment]] = []
    for m in matches:
        touched = [k for k, (a, b) in enumerate(bounds) if m.start < b and a < m.end]
        if len(touched) > 1:
            hit.extend((m.kind, frags[k]) for k in touched)
    return hit


def split_literals(lines: Sequence[str], *, precise: bool) -> list[tuple[str, Fragment]]:
    """(kind, fragment) for every piece of a secret split over consecutive lines."""
    found: dict[Fragment, str] = {}
    for frags in _chains(lines):
        for kind, frag in _spanned(frags, lines, precise):
            found.setdefault(frag, kind)
    return [(kind, frag) for frag, kind in sorted(found.items())]
