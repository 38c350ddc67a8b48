"""plan.py: units by module, the token budget, oversized hunks, shards and splitting."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prreview.errors import UsageError
from prreview.models import ChangeSet, DiffLine, FileChange, Hunk, Snippet, Unit
from prreview.plan.units import (
    PlanConfig,
    format_hunk,
    module_of,
    parse_shard,
    plan_units,
    shard_units,
    split_unit,
)


def words(text: str) -> int:
    return len(text.split())


def hunk(start: int, added: list[str]) -> Hunk:
    lines = tuple(DiffLine(kind="added", new_lineno=start + i, text=t) for i, t in enumerate(added))
    return Hunk(old_start=start, old_length=0, new_start=start, new_length=len(added), lines=lines)


def file(path: str, *hunks: Hunk) -> FileChange:
    added = sum(h.added for h in hunks)
    return FileChange(path=path, status="modified", added=added, hunks=hunks)


def changes(*files: FileChange) -> ChangeSet:
    return ChangeSet(repo_root="/repo", files=files)


def test_units_group_by_module() -> None:
    cs = changes(
        file("src/a.py", hunk(1, ["a = 1"])),
        file("src/b.py", hunk(1, ["b = 1"])),
        file("docs/c.md", hunk(1, ["c"])),
    )
    plan = plan_units(cs, {}, PlanConfig(), words)
    assert [u.paths for u in plan.units] == [("docs/c.md",), ("src/a.py", "src/b.py")]
    assert [u.module for u in plan.units] == ["docs", "src"]
    assert plan.hunks_total == plan.hunks_planned == 3
    assert "src/a.py" in plan.units[1].diff_text and "src/b.py" in plan.units[1].diff_text
    assert module_of("top.py") == "."


def test_budget_splits_a_module_into_several_units() -> None:
    hunks = [hunk(i * 10 + 1, ["x = 1 " * 20]) for i in range(6)]
    cs = changes(file("src/a.py", *hunks))
    per_hunk = words(format_hunk(hunks[0])) + 4
    cfg = PlanConfig(unit_tokens=int(per_hunk * 2.5 / 0.6) + 1)
    plan = plan_units(cs, {}, cfg, words)
    assert len(plan.units) == 3
    assert all(u.hunk_count == 2 for u in plan.units)
    assert sorted(r for u in plan.units for r in u.hunk_refs) == [("src/a.py", i) for i in range(6)]


def test_changed_line_cap_starts_new_units() -> None:
    hunks = [hunk(i * 10 + 1, ["x"] * 5) for i in range(4)]
    plan = plan_units(
        changes(file("src/a.py", *hunks)), {}, PlanConfig(max_changed_lines=10), words
    )
    assert [u.changed_lines for u in plan.units] == [10, 10]


def test_hunk_too_large_is_split_into_pieces_under_the_cap() -> None:
    big = hunk(1, [f"w{i} " * 50 for i in range(20)])
    small = hunk(100, ["ok"])
    cs = changes(file("src/a.py", big, small))
    cfg = PlanConfig(unit_tokens=600)
    budget = int(cfg.unit_tokens * cfg.diff_share)
    plan = plan_units(cs, {}, cfg, words)
    assert plan.skipped == ()
    assert plan.hunks_total == plan.hunks_planned == 2
    pieces = [u for u in plan.units if u.piece is not None]
    assert len(pieces) >= 3
    assert all(u.hunk_refs == (("src/a.py", 0),) for u in pieces)
    assert all(u.tokens <= budget for u in pieces)
    # every line of the big hunk is in exactly one piece, in order
    spans = [u.piece for u in pieces]
    assert spans[0][0] == 0 and spans[-1][1] == 20
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
    shown = [n for u in pieces for n in range(1, 21) if f"w{n - 1} w{n - 1}" in u.diff_text]
    assert shown == list(range(1, 21))
    assert len({u.id for u in plan.units}) == len(plan.units)


def test_a_single_line_over_the_cap_is_listed_incomplete() -> None:
    big = hunk(1, ["short", "word " * 500, "also short"])
    plan = plan_units(changes(file("src/a.py", big)), {}, PlanConfig(unit_tokens=600), words)
    [skip] = plan.skipped
    assert skip.kind == "hunk" and skip.incomplete and skip.detail == "line 2 of the hunk"
    assert "single diff line" in skip.reason
    assert [u.piece for u in plan.units] == [(0, 1), (2, 3)]


def test_split_unit_halves_a_single_hunk_by_lines() -> None:
    cs = changes(file("src/a.py", hunk(1, [f"v{i}" for i in range(8)])))
    [unit] = plan_units(cs, {}, PlanConfig(), words).units
    halves, skipped = split_unit(unit, cs, {}, PlanConfig(), words)
    assert skipped == []
    assert [u.piece for u in halves] == [(0, 4), (4, 8)]
    assert "v3" in halves[0].diff_text and "v4" not in halves[0].diff_text
    assert "@@ -1,0 +5,4 @@" in halves[1].diff_text
    quarters, _ = split_unit(halves[1], cs, {}, PlanConfig(), words)
    assert [u.piece for u in quarters] == [(4, 6), (6, 8)]
    one = changes(file("b.py", hunk(1, ["x"])))
    [single] = plan_units(one, {}, PlanConfig(), words).units
    assert split_unit(single, one, {}, PlanConfig(), words) == ([], [])


def test_snippets_packed_by_priority_within_budget() -> None:
    cs = changes(file("src/a.py", hunk(1, ["x = f()"])))
    context = {
        "src/a.py": [
            Snippet(kind="test", path="tests/t.py", start_line=1, end_line=1, text="t " * 50),
            Snippet(kind="definition", path="src/f.py", start_line=1, end_line=2, text="def f"),
            Snippet(kind="guideline", path="AGENTS.md", start_line=1, end_line=1, text="g " * 500),
        ]
    }
    plan = plan_units(cs, context, PlanConfig(unit_tokens=200), words)
    kinds = [s.kind for s in plan.units[0].snippets]
    assert kinds == ["definition", "test"]  # the guideline does not fit


def test_each_unit_has_a_pack_report_and_a_small_unit_budget_is_noted() -> None:
    cs = changes(file("src/a.py", hunk(1, ["x = f()"])), file("lib/b.py", hunk(1, ["y"])))
    definition = Snippet(kind="definition", path="src/f.py", start_line=1, end_line=1, text="f")
    plan = plan_units(cs, {"src/a.py": [definition]}, PlanConfig(context_tokens=100), words)
    assert [p.unit_id for p in plan.packs] == [u.id for u in plan.units]
    assert [p.note for p in plan.packs] == ["", ""]
    assert [len(p.included) for p in plan.packs] == [0, 1]
    tight = plan_units(
        cs, {"src/a.py": [definition]}, PlanConfig(unit_tokens=30, context_tokens=100), words
    )
    note = next(p.note for p in tight.packs if p.paths == ("src/a.py",))
    assert note.startswith("context pack cut to") and "context_tokens 100" in note
    assert all(u.tokens <= 30 for u in tight.units)


def test_binary_and_skipped_files_are_not_planned() -> None:
    cs = changes(
        file("src/a.py", hunk(1, ["a"])),
        FileChange(path="img.png", status="modified", is_binary=True),
        file("gen.py", hunk(1, ["b"])).model_copy(update={"skip_reason": "generated"}),
    )
    plan = plan_units(cs, {}, PlanConfig(), words)
    assert [u.paths for u in plan.units] == [("src/a.py",)]


def test_unit_ids_are_stable() -> None:
    cs = changes(file("src/a.py", hunk(1, ["a"]), hunk(20, ["b"])))
    a = plan_units(cs, {}, PlanConfig(), words)
    b = plan_units(cs, {}, PlanConfig(), words)
    assert [u.id for u in a.units] == [u.id for u in b.units]


def test_split_unit_halves_hunks_and_keeps_original_indices() -> None:
    cs = changes(file("src/a.py", *(hunk(i * 10 + 1, [f"v{i}"]) for i in range(4))))
    [unit] = plan_units(cs, {}, PlanConfig(), words).units
    halves, skipped = split_unit(unit, cs, {}, PlanConfig(), words)
    assert skipped == []
    assert [u.hunk_refs for u in halves] == [
        (("src/a.py", 0), ("src/a.py", 1)),
        (("src/a.py", 2), ("src/a.py", 3)),
    ]
    quarters, _ = split_unit(halves[1], cs, {}, PlanConfig(), words)
    assert [u.hunk_refs for u in quarters] == [(("src/a.py", 2),), (("src/a.py", 3),)]
    # a one-line hunk cannot be split further
    assert split_unit(quarters[0], cs, {}, PlanConfig(), words) == ([], [])


def test_parse_shard() -> None:
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/3", "4/3", "x", "1-2"):
        with pytest.raises(UsageError, match="--shard"):
            parse_shard(bad)


def _unit(i: int, tokens: int) -> Unit:
    return Unit(id=f"u-{i:03d}", paths=(f"f{i}.py",), diff_text="", tokens=tokens)


@given(st.lists(st.integers(min_value=1, max_value=5000), max_size=40), st.integers(1, 6))
def test_shards_partition_units_completely_and_deterministically(sizes: list[int], n: int) -> None:
    units = [_unit(i, t) for i, t in enumerate(sizes)]
    shards = [shard_units(units, i, n) for i in range(1, n + 1)]
    ids = [u.id for s in shards for u in s]
    assert sorted(ids) == sorted(u.id for u in units)  # complete, no duplicates
    again = [shard_units(list(reversed(units)), i, n) for i in range(1, n + 1)]
    assert [sorted(u.id for u in s) for s in shards] == [sorted(u.id for u in s) for s in again]
    if units:
        loads = [sum(u.tokens for u in s) for s in shards]
        assert max(loads) - min(loads) <= max(u.tokens for u in units)
