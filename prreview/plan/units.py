"""Plan units: pack hunks and their context into token-budgeted pieces of work.

Priority inside a unit: changed lines > enclosing scope > old version > definitions >
call sites > tests > guidelines. Every reviewable hunk is sent at least once; a hunk that
cannot fit is listed as skipped with its reason, never silently truncated.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable, Mapping, Sequence

from prreview.errors import UsageError
from prreview.models import ChangeSet, FileChange, Frozen, Hunk, SkippedItem, Snippet, Unit

Counter = Callable[[str], int]

SNIPPET_PRIORITY = {
    "changed": 0,
    "enclosing": 1,
    "old_version": 2,
    "definition": 3,
    "call_site": 4,
    "test": 5,
    "guideline": 6,
}
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


class Plan(Frozen):
    units: tuple[Unit, ...] = ()
    skipped: tuple[SkippedItem, ...] = ()
    hunks_total: int = 0
    hunks_planned: int = 0


def format_hunk(hunk: Hunk) -> str:
    head = f"@@ -{hunk.old_start},{hunk.old_length} +{hunk.new_start},{hunk.new_length} @@"
    if hunk.section_header:
        head += " " + hunk.section_header
    lines = [head]
    # unpadded numbers: right-aligning them to 6 columns cost 2 tokens a line (cl100k)
    for ln in hunk.lines:
        text = ln.text.rstrip("\r")
        if ln.kind == "removed":
            lines.append(f"|- {text}")
        else:
            mark = "+" if ln.kind == "added" else " "
            lines.append(f"{ln.new_lineno}|{mark} {text}")
    return "\n".join(lines)


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
    def __init__(self) -> None:
        self.pieces: list[tuple[FileChange, list[Hunk]]] = []
        self.refs: list[tuple[str, int]] = []
        self.tokens = 0
        self.lines = 0

    def add(self, file: FileChange, index: int, tokens: int) -> None:
        hunk = file.hunks[index]
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
                    skipped.append(
                        SkippedItem(
                            kind="hunk",
                            path=f.path,
                            reason=f"hunk too large for one model call ({tokens} tokens > "
                            f"{diff_budget}); raise --unit-tokens or split the change",
                            detail=f"lines {hunk.new_start}-{hunk.new_end}",
                        )
                    )
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


def _pack_snippets(
    draft: _Draft,
    context: Mapping[str, Sequence[Snippet]],
    budget: int,
    count: Counter,
) -> tuple[list[Snippet], int]:
    candidates: list[Snippet] = []
    seen: set[tuple[str, str, int, int]] = set()
    for file, _hunks in draft.pieces:
        for s in context.get(file.path, ()):
            key = (s.kind, s.path, s.start_line, s.end_line)
            if key not in seen:
                seen.add(key)
                candidates.append(s)
    candidates.sort(key=lambda s: SNIPPET_PRIORITY.get(s.kind, 9))
    chosen: list[Snippet] = []
    used = 0
    for s in candidates:
        cost = count(s.text) + 24
        if used + cost <= budget:
            chosen.append(s)
            used += cost
    return chosen, used


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
    units: list[Unit] = []
    for draft in drafts:
        snippets, used = _pack_snippets(draft, context, cfg.unit_tokens - draft.tokens, count)
        diff_text = "\n\n".join(format_file(f, hs) for f, hs in draft.pieces)
        parts = [(f.path, h.new_start, h.new_end) for f, hs in draft.pieces for h in hs]
        paths = tuple(dict.fromkeys(f.path for f, _ in draft.pieces))
        units.append(
            Unit(
                id=_unit_id(parts),
                paths=paths,
                module=module_of(paths[0]),
                diff_text=diff_text,
                snippets=tuple(snippets),
                hunk_refs=tuple(draft.refs),
                tokens=draft.tokens + used,
                hunk_count=len(parts),
                changed_lines=draft.lines,
            )
        )
    planned = sum(u.hunk_count for u in units)
    return Plan(
        units=tuple(units), skipped=tuple(skipped), hunks_total=total, hunks_planned=planned
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

    Returns no units when the unit is a single hunk that cannot be split further.
    """
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
