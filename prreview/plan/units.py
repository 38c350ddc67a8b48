"""Plan units: pack hunks and their context into token-budgeted pieces of work.

The diff comes first; the unit's context pack (context/pack.py: ranked candidates under the
context_tokens budget) gets what is left of unit_tokens. Every reviewable hunk is sent at
least once. A hunk larger than the diff share of one unit is split at line boundaries into
pieces under the cap, one unit each (`Unit.piece`); only a single line longer than the cap is
left out, listed as an incomplete SkippedItem with its line number, never silently truncated.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping, Sequence

from prreview.context.pack import DEFAULT_CONTEXT_TOKENS, PackReport, pack_context, visible_lines
from prreview.errors import UsageError
from prreview.models import (
    ChangeSet,
    DiffLine,
    FileChange,
    Frozen,
    Hunk,
    SkippedItem,
    Snippet,
    Unit,
)

Counter = Callable[[str], int]

_SENSITIVE = (
    "auth", "crypt", "secur", "login", "passw", "token", "secret", "permission", "admin",
    "payment", "billing", "session", "oauth", "sql", "migrat", "acl", "sandbox",
)  # fmt: skip


class PlanConfig(Frozen):
    unit_tokens: int = 12_000
    """Prompt tokens for one unit's shared block (context + diff)."""
    diff_share: float = 0.6
    """At most this share of unit_tokens goes to diff text; the rest to context."""
    max_changed_lines: int = 400
    """Start a new unit after this many changed lines, so units run in parallel."""
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    """Budget of a unit's context pack (less when the diff leaves less of unit_tokens)."""


class Plan(Frozen):
    units: tuple[Unit, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    hunks_total: int = 0
    hunks_planned: int = 0
    packs: tuple[PackReport, ...] = ()
    """What each unit's context pack holds and left out (same order as units)."""


def format_hunk(hunk: Hunk) -> str:
    head = f"@@ -{hunk.old_start},{hunk.old_length} +{hunk.new_start},{hunk.new_length} @@"
    if hunk.section_header:
        head += " " + hunk.section_header
    return "\n".join([head, *(_format_line(ln) for ln in hunk.lines)])


def _format_line(ln: DiffLine) -> str:
    # unpadded numbers: right-aligning them to 6 columns cost 2 tokens a line (cl100k)
    text = ln.text.rstrip("\r")
    if ln.kind == "removed":
        return f"|- {text}"
    mark = "+" if ln.kind == "added" else " "
    return f"{ln.new_lineno}|{mark} {text}"


def format_file(file: FileChange, hunks: Sequence[Hunk]) -> str:
    title = f"### {file.path}"
    if file.old_path and file.old_path != file.path:
        title += f" (renamed from {file.old_path})"
    title += f" [{file.status}, +{file.added}/-{file.removed}]"
    return "\n".join([title, *(format_hunk(h) for h in hunks)])


def module_of(path: str) -> str:
    return posixpath.dirname(path) or "."


def path_risk(path: str, changed_lines: int) -> tuple[int, int, str]:
    """Sort key: security-sensitive paths first, then larger changes, then path."""
    lowered = path.lower()
    sensitive = any(word in lowered for word in _SENSITIVE)
    return (0 if sensitive else 1, -changed_lines, path)


def _unit_id(parts: Sequence[tuple[str, int, int]]) -> str:
    raw = "|".join(f"{p}:{a}-{b}" for p, a, b in parts)
    return "u-" + hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:12]


class _Draft:
    def __init__(self, piece: tuple[int, int] | None = None) -> None:
        self.pieces: list[tuple[FileChange, list[Hunk]]] = []
        self.refs: list[tuple[str, int]] = []
        self.tokens = 0
        self.lines = 0
        self.piece = piece
        """(first, end) line indices when the draft holds one piece of a split hunk."""

    def add(self, file: FileChange, index: int, tokens: int, hunk: Hunk | None = None) -> None:
        hunk = hunk or file.hunks[index]
        self.refs.append((file.path, index))
        if self.pieces and self.pieces[-1][0].path == file.path:
            self.pieces[-1][1].append(hunk)
        else:
            self.pieces.append((file, [hunk]))
        self.tokens += tokens
        self.lines += hunk.added + hunk.removed


def _drafts(
    files: Sequence[FileChange], cfg: PlanConfig, count: Counter
) -> tuple[list[_Draft], list[SkippedItem]]:
    diff_budget = int(cfg.unit_tokens * cfg.diff_share)
    drafts: list[_Draft] = []
    skipped: list[SkippedItem] = []
    by_module: dict[str, list[FileChange]] = {}
    for f in files:
        by_module.setdefault(module_of(f.path), []).append(f)
    for module in sorted(by_module):
        current = _Draft()
        for f in sorted(by_module[module], key=lambda x: x.path):
            for index, hunk in enumerate(f.hunks):
                tokens = count(format_hunk(hunk)) + 4
                if tokens > diff_budget:
                    pieces, too_long = split_hunk(hunk, diff_budget, count)
                    skipped.extend(_long_line_items(f.path, too_long, diff_budget))
                    if current.pieces:
                        drafts.append(current)
                        current = _Draft()
                    for span in pieces:
                        draft = _Draft(span)
                        piece = piece_hunk(hunk, span)
                        draft.add(f, index, count(format_hunk(piece)) + 4, piece)
                        drafts.append(draft)
                    continue
                full = current.tokens + tokens > diff_budget
                if current.pieces and (full or current.lines >= cfg.max_changed_lines):
                    drafts.append(current)
                    current = _Draft()
                current.add(f, index, tokens)
        if current.pieces:
            drafts.append(current)
    return _merge_small(drafts, diff_budget, cfg.max_changed_lines), skipped


def _top(draft: _Draft) -> str:
    path = draft.pieces[0][0].path
    return path.split("/", 1)[0] if "/" in path else ""


def _merge_small(drafts: list[_Draft], diff_budget: int, max_lines: int) -> list[_Draft]:
    """Pack neighbouring drafts (modules in path order) of one top-level directory into one
    while both limits hold: a change of many small modules takes a few calls, not one per
    directory."""
    merged: list[_Draft] = []
    for draft in drafts:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.piece is None
            and draft.piece is None  # a piece of a split hunk stays its own unit
            and _top(last) == _top(draft)
            and last.tokens + draft.tokens <= diff_budget
            and last.lines + draft.lines <= max_lines
        ):
            last.pieces.extend(draft.pieces)
            last.refs.extend(draft.refs)
            last.tokens += draft.tokens
            last.lines += draft.lines
        else:
            merged.append(draft)
    return merged


def split_hunk(
    hunk: Hunk, budget: int, count: Counter, span: tuple[int, int] | None = None
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Split `hunk` (or its lines `span`) at line boundaries into pieces of at most `budget`
    tokens each. Returns ((first, end) spans, (index, tokens) of lines over the cap alone)."""
    first, end = span or (0, len(hunk.lines))
    room = budget - count(format_hunk(hunk.model_copy(update={"lines": ()}))) - 8
    pieces: list[tuple[int, int]] = []
    too_long: list[tuple[int, int]] = []
    start, used = first, 0
    for i in range(first, end):
        cost = count(_format_line(hunk.lines[i])) + 1
        if cost > room:
            if i > start:
                pieces.append((start, i))
            too_long.append((i, cost))
            start, used = i + 1, 0
            continue
        if used + cost > room and i > start:
            pieces.append((start, i))
            start, used = i, 0
        used += cost
    if end > start:
        pieces.append((start, end))
    return pieces, too_long


def piece_hunk(hunk: Hunk, span: tuple[int, int]) -> Hunk:
    """The lines `span` of `hunk` as a hunk of their own (exact line numbers)."""
    first, end = span
    # the next line number on each side (a zero-length side names the line before it)
    old_no = hunk.old_start + (0 if hunk.old_length else 1)
    new_no = hunk.new_start + (0 if hunk.new_length else 1)
    for ln in hunk.lines[:first]:
        old_no += ln.kind != "added"
        new_no += ln.kind != "removed"
    lines = hunk.lines[first:end]
    old_len = sum(1 for ln in lines if ln.kind != "added")
    new_len = sum(1 for ln in lines if ln.kind != "removed")
    return Hunk(
        old_start=old_no if old_len else max(old_no - 1, 0),
        old_length=old_len,
        new_start=new_no if new_len else max(new_no - 1, 0),
        new_length=new_len,
        section_header=hunk.section_header,
        lines=lines,
    )


def _long_line_items(path: str, too_long: list[tuple[int, int]], budget: int) -> list[SkippedItem]:
    return [
        SkippedItem(
            kind="hunk",
            path=path,
            reason=f"a single diff line is larger than one model call allows ({tokens} tokens > "
            f"{budget}); raise --unit-tokens",
            detail=f"line {index + 1} of the hunk",
            incomplete=True,
        )
        for index, tokens in too_long
    ]


def _pack_snippets(
    draft: _Draft, context: Mapping[str, Sequence[Snippet]], cfg: PlanConfig, count: Counter
) -> tuple[list[Snippet], PackReport]:
    candidates = [s for file, _ in draft.pieces for s in context.get(file.path, ())]
    room = max(cfg.unit_tokens - draft.tokens, 0)
    budget = min(cfg.context_tokens, room)
    note = ""
    if budget < cfg.context_tokens and candidates:
        note = (
            f"context pack cut to {budget} tokens (context_tokens {cfg.context_tokens}): "
            f"the diff takes {draft.tokens} of the unit's {cfg.unit_tokens}"
        )
    shown = visible_lines(draft.pieces)
    return pack_context(
        candidates, shown, budget=budget, setting=cfg.context_tokens, count=count, note=note
    )


def _unit(
    draft: _Draft, context: Mapping[str, Sequence[Snippet]], cfg: PlanConfig, count: Counter
) -> tuple[Unit, PackReport]:
    snippets, report = _pack_snippets(draft, context, cfg, count)
    diff_text = "\n\n".join(format_file(f, hs) for f, hs in draft.pieces)
    parts = [(f.path, h.new_start, h.new_end) for f, hs in draft.pieces for h in hs]
    if draft.piece is not None:  # pieces of deleted lines can share their new range
        parts = [(f"{p}@{draft.piece[0]}-{draft.piece[1]}", a, b) for p, a, b in parts]
    paths = tuple(dict.fromkeys(f.path for f, _ in draft.pieces))
    unit = Unit(
        id=_unit_id(parts),
        paths=paths,
        module=module_of(paths[0]),
        diff_text=diff_text,
        snippets=tuple(snippets),
        hunk_refs=tuple(draft.refs),
        tokens=draft.tokens + report.used,
        hunk_count=len(parts),
        changed_lines=draft.lines,
        piece=draft.piece,
    )
    return unit, report.model_copy(update={"unit_id": unit.id, "paths": paths})


def plan_units(
    changes: ChangeSet,
    context: Mapping[str, Sequence[Snippet]],
    cfg: PlanConfig,
    count: Counter,
) -> Plan:
    """Split the reviewable hunks of `changes` into units and pack context into each."""
    files = [f for f in changes.files if f.reviewable and f.hunks and not f.is_binary]
    total = sum(len(f.hunks) for f in files)
    drafts, skipped = _drafts(files, cfg, count)
    built = [_unit(d, context, cfg, count) for d in drafts]
    units = [u for u, _ in built]
    packs = [p for _, p in built]
    planned = len({r for u in units for r in u.hunk_refs})
    return Plan(
        units=tuple(units),
        skipped=tuple(skipped),
        hunks_total=total,
        hunks_planned=planned,
        packs=tuple(packs),
    )


def shard_units(units: Sequence[Unit], index: int, count: int) -> list[Unit]:
    """Deterministic partition balanced by tokens: greedy onto the least-loaded shard."""
    loads = [0] * count
    owner: dict[str, int] = {}
    for unit in sorted(units, key=lambda u: (-u.tokens, u.id)):
        shard = min(range(count), key=lambda i: (loads[i], i))
        loads[shard] += unit.tokens
        owner[unit.id] = shard
    return [u for u in units if owner[u.id] == index - 1]


def parse_shard(spec: str) -> tuple[int, int]:

    try:
        i_s, n_s = spec.split("/", 1)
        i, n = int(i_s), int(n_s)
    except ValueError:
        raise UsageError(f"--shard {spec!r}: expected I/N, e.g. 2/4") from None
    if not 1 <= i <= n:
        raise UsageError(f"--shard {spec!r}: I must be between 1 and N")
    return i, n


def split_unit(
    unit: Unit,
    changes: ChangeSet,
    context: Mapping[str, Sequence[Snippet]],
    cfg: PlanConfig,
    count: Counter,
) -> tuple[list[Unit], list[SkippedItem]]:
    """Split a unit in two (by hunks) after a context-length error or a truncated answer.

    A unit of one hunk (or one piece of a hunk) is split in two at a line boundary. Returns
    no units when it holds a single line.
    """
    if len(unit.hunk_refs) == 1:
        return _split_lines(unit, changes, context, cfg, count), []
    if len(unit.hunk_refs) < 2:
        return [], []
    half = len(unit.hunk_refs) // 2
    out: list[Unit] = []
    skipped: list[SkippedItem] = []
    for refs in (unit.hunk_refs[:half], unit.hunk_refs[half:]):
        wanted: dict[str, list[int]] = {}
        for path, idx in refs:
            wanted.setdefault(path, []).append(idx)
        files = []
        for f in changes.files:
            if f.path in wanted:
                files.append(
                    f.model_copy(update={"hunks": tuple(f.hunks[i] for i in wanted[f.path])})
                )
        sub = ChangeSet(repo_root=changes.repo_root, files=tuple(files))
        budget = max(unit.tokens // 2, 1024)
        sub_cfg = cfg.model_copy(update={"unit_tokens": budget, "max_changed_lines": 10**9})
        plan = plan_units(sub, context, sub_cfg, count)
        skipped.extend(plan.skipped)
        for u in plan.units:
            # keep indices relative to the original change so a second split still works
            fixed = tuple((p, wanted[p][i]) for p, i in u.hunk_refs)
            out.append(u.model_copy(update={"hunk_refs": fixed}))
    return out, skipped


def _split_lines(
    unit: Unit,
    changes: ChangeSet,
    context: Mapping[str, Sequence[Snippet]],
    cfg: PlanConfig,
    count: Counter,
) -> list[Unit]:
    """The two halves (by lines) of a one-hunk unit, each with half the unit's budget."""
    path, index = unit.hunk_refs[0]
    file = changes.file(path)
    if file is None or index >= len(file.hunks):
        return []
    hunk = file.hunks[index]
    first, end = unit.piece or (0, len(hunk.lines))
    if end - first < 2:
        return []
    mid = first + (end - first) // 2
    budget = max(unit.tokens // 2, 1024)
    out = []
    for span in ((first, mid), (mid, end)):
        draft = _Draft(span)
        piece = piece_hunk(hunk, span)
        draft.add(file, index, count(format_hunk(piece)) + 4, piece)
        out.append(_unit(draft, context, cfg.model_copy(update={"unit_tokens": budget}), count)[0])
    return out
