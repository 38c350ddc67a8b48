"""The context pack of one unit: ranked candidates packed under an explicit token budget.

Rank (how directly a snippet serves the changed lines), best first:

1. definitions of names used on the changed lines
2. the enclosing signature, the class header and constructor, then the rest of the
   enclosing definition (and an old version the hunks do not show)
3. callers whose call resolves to a changed symbol
4. tests of the changed symbols
5. guidelines

Within a rank, candidates keep the order gather_context gave them. Lines the unit's diff
already shows are left out of every candidate, a candidate costs only the lines not already
packed, and the chosen snippets of one file are merged where they overlap or touch. Every
candidate that does not make it is listed with the reason, for the dry run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from prreview.models import FileChange, Frozen, Hunk, Snippet

Counter = Callable[[str], int]

RANK = {
    "definition": 1,
    "enclosing": 2,
    "old_version": 2,
    "call_site": 3,
    "test": 4,
    "guideline": 5,
}
SNIPPET_OVERHEAD = 24
"""Tokens of the heading and DATA fences around each snippet in the prompt."""

DEFAULT_CONTEXT_TOKENS = 3000


class PackItem(Frozen):
    rank: int
    kind: str
    label: str
    path: str
    start_line: int
    end_line: int
    tokens: int
    reason: str = ""
    """Why it was cut (empty for an included item)."""


class PackReport(Frozen):
    """What one unit's pack holds and what it left out, for the dry run."""

    unit_id: str = ""
    paths: tuple[str, ...] = ()
    budget: int
    """The context budget after the diff took its share of the unit."""
    setting: int
    """The configured context_tokens."""
    used: int = 0
    included: tuple[PackItem, ...] = ()
    cut: tuple[PackItem, ...] = ()
    note: str = ""
    """Set when the pack is smaller than the setting or empty: says why."""


Side = tuple[str, bool]
"""(path, old side?): line numbers of the old and the new file are different spaces."""


def visible_lines(pieces: Iterable[tuple[FileChange, Sequence[Hunk]]]) -> dict[Side, set[int]]:
    """Lines a unit's diff shows: new-side (added and context) and old-side (removed, context)."""
    shown: dict[Side, set[int]] = {}
    for file, hunks in pieces:
        new = shown.setdefault((file.path, False), set())
        old = shown.setdefault((file.old_path or file.path, True), set())
        for hunk in hunks:
            for ln in hunk.lines:
                if ln.new_lineno is not None:
                    new.add(ln.new_lineno)
                if ln.old_lineno is not None:
                    old.add(ln.old_lineno)
    return shown


def pack_context(
    candidates: Sequence[Snippet],
    shown: Mapping[Side, set[int]],
    *,
    budget: int,
    setting: int,
    count: Counter,
    note: str = "",
) -> tuple[list[Snippet], PackReport]:
    """The snippets that fit `budget` tokens, best rank first, merged; and the report."""
    ranked = sorted(enumerate(_unique(candidates)), key=lambda p: (_rank(p[1]), p[0]))
    taken: dict[Side, dict[int, str]] = {}
    labels: dict[Side, list[tuple[int, int, int, str, str]]] = {}
    included: list[PackItem] = []
    cut: list[PackItem] = []
    used = 0
    for _, snippet in ranked:
        side = (snippet.path, snippet.kind == "old_version")
        lines = _lines_of(snippet)
        hidden = shown.get(side, set())
        new, reason = _new_lines(lines, hidden, taken.get(side, {}))
        cost = count("\n".join(new.values())) + SNIPPET_OVERHEAD if new else 0
        if new and used + cost > budget:
            reason = f"over budget (needs {cost} tokens, {max(budget - used, 0)} left)"
        if reason:
            cut.append(_item(snippet, cost, reason))
            continue
        used += cost
        taken.setdefault(side, {}).update(new)
        label = _label(snippet, hidden, lines)
        labels.setdefault(side, []).append(
            (min(new), max(new), _rank(snippet), snippet.kind, label)
        )
        included.append(_item(snippet, cost))
    chosen = _merged(taken, labels)
    if not note and not chosen and any(i.reason.startswith("over budget") for i in cut):
        note = f"no context: the budget of {budget} tokens is too small for any snippet"
    report = PackReport(
        budget=budget,
        setting=setting,
        used=used,
        included=tuple(included),
        cut=tuple(cut),
        note=note,
    )
    return chosen, report


def _rank(snippet: Snippet) -> int:
    return RANK.get(snippet.kind, 9)


def _unique(candidates: Sequence[Snippet]) -> list[Snippet]:
    seen: set[tuple[str, str, int, int]] = set()
    out: list[Snippet] = []
    for s in candidates:
        key = (s.kind, s.path, s.start_line, s.end_line)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _lines_of(snippet: Snippet) -> dict[int, str]:
    texts = snippet.text.split("\n")
    return {snippet.start_line + i: t for i, t in enumerate(texts)}


def _new_lines(
    lines: dict[int, str], hidden: set[int], taken: dict[int, str]
) -> tuple[dict[int, str], str]:
    """The lines a snippet would add to the pack, or why it adds none."""
    fresh = {n: t for n, t in lines.items() if n not in hidden}
    if not fresh:
        return {}, "the diff shows it"
    new = {n: t for n, t in fresh.items() if n not in taken}
    if not new:
        return {}, "already in the pack"
    if not any(t.strip() for t in new.values()):
        return {}, "only blank lines left"
    return new, ""


def _item(snippet: Snippet, tokens: int, reason: str = "") -> PackItem:
    return PackItem(
        rank=_rank(snippet),
        kind=snippet.kind,
        label=snippet.label or snippet.path,
        path=snippet.path,
        start_line=snippet.start_line,
        end_line=snippet.end_line,
        tokens=tokens,
        reason=reason,
    )


def _label(snippet: Snippet, hidden: set[int], lines: dict[int, str]) -> str:
    label = snippet.label or snippet.kind
    if any(n in hidden for n in lines):
        label += " (lines the diff shows left out)"
    return label


def _merged(
    taken: Mapping[Side, dict[int, str]],
    labels: Mapping[Side, list[tuple[int, int, int, str, str]]],
) -> list[Snippet]:
    """One snippet per run of consecutive packed lines of a file, in rank order."""
    out: list[tuple[int, int, Snippet]] = []
    for side, lines in taken.items():
        numbers = sorted(lines)
        runs: list[list[int]] = []
        for n in numbers:
            if runs and n == runs[-1][-1] + 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        for run in runs:
            first, last = run[0], run[-1]
            parts = [x for x in labels[side] if x[0] <= last and first <= x[1]]
            best = min(parts, key=lambda x: x[2])
            names = list(dict.fromkeys(x[4] for x in sorted(parts, key=lambda x: x[2])))
            text = "\n".join(lines[n] for n in run)
            snippet = Snippet(
                kind=best[3],  # type: ignore[arg-type]
                path=side[0],
                start_line=first,
                end_line=last,
                text=text,
                label="; ".join(names),
            )
            out.append((best[2], first, snippet))
    out.sort(key=lambda x: (x[0], x[2].path, x[1]))
    return [s for _, _, s in out]
