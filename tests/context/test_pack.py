"""pack_context: rank order, the budget, lines the diff shows, merging, and the report."""

from __future__ import annotations

from prreview.context.pack import SNIPPET_OVERHEAD, pack_context, visible_lines
from prreview.models import Snippet
from prreview.plan.view import render_packs_text
from tests.textdiff import make_change


def words(text: str) -> int:
    return len(text.split())


def snippet(kind: str, path: str, start: int, lines: list[str], label: str = "") -> Snippet:
    return Snippet(
        kind=kind,  # type: ignore[arg-type]
        path=path,
        start_line=start,
        end_line=start + len(lines) - 1,
        text="\n".join(lines),
        label=label or f"{kind} {path}:{start}",
    )


def test_rank_order_beats_gather_order_and_the_budget_cuts_the_rest() -> None:
    test = snippet("test", "tests/t.py", 1, ["def test_a():", "    assert a()"])
    guide = snippet("guideline", "REVIEW.md", 1, ["Be nice."])
    definition = snippet("definition", "lib/a.py", 1, ["def a():", "    return 1"])
    cost = words("def a():\n    return 1") + SNIPPET_OVERHEAD
    chosen, report = pack_context(
        [test, guide, definition], {}, budget=cost + 5, setting=cost + 5, count=words
    )
    assert [s.kind for s in chosen] == ["definition"]
    assert [i.kind for i in report.included] == ["definition"]
    assert [(i.kind, i.reason.split(" (")[0]) for i in report.cut] == [
        ("test", "over budget"),
        ("guideline", "over budget"),
    ]
    assert report.used == cost and report.note == ""


def test_lines_the_diff_shows_are_left_out_and_a_fully_shown_snippet_is_cut() -> None:
    old = "def f(x):\n    a = 1\n    b = 2\n    return x\n\n\ndef g():\n    return 0\n"
    new = old.replace("    return x\n", "    return x + a\n")
    change = make_change("app/m.py", old, new, "python")
    hunks = [h.model_copy(update={"lines": tuple(ln for ln in h.lines if ln.kind != "context")})
             for h in change.hunks]  # fmt: skip
    shown = visible_lines([(change, hunks)])
    assert shown[("app/m.py", False)] == {4}
    body = snippet("enclosing", "app/m.py", 1, new.split("\n")[:4], "function f (modified)")
    in_diff = snippet("call_site", "app/m.py", 4, ["    return x + a"], "call site")
    chosen, report = pack_context([body, in_diff], shown, budget=1000, setting=1000, count=words)
    assert [(s.start_line, s.end_line) for s in chosen] == [(1, 3)]
    assert "return x + a" not in chosen[0].text
    assert "left out" in chosen[0].label
    assert [(i.kind, i.reason) for i in report.cut] == [("call_site", "the diff shows it")]


def test_overlapping_snippets_merge_and_cost_only_their_new_lines() -> None:
    lines = [f"line {n}" for n in range(1, 21)]
    a = snippet("definition", "lib/x.py", 1, lines[0:10], "definition of a")
    b = snippet("call_site", "lib/x.py", 6, lines[5:15], "call site of b")
    inside = snippet("test", "lib/x.py", 2, lines[1:4], "test inside")
    chosen, report = pack_context([a, b, inside], {}, budget=10_000, setting=10_000, count=words)
    assert [(s.start_line, s.end_line, s.kind) for s in chosen] == [(1, 15, "definition")]
    assert chosen[0].label == "definition of a; call site of b"
    assert chosen[0].text == "\n".join(lines[0:15])
    assert [i.tokens for i in report.included] == [
        words("\n".join(lines[0:10])) + SNIPPET_OVERHEAD,
        words("\n".join(lines[10:15])) + SNIPPET_OVERHEAD,
    ]
    assert [(i.label, i.reason) for i in report.cut] == [("test inside", "already in the pack")]


def test_old_and_new_side_lines_do_not_mix() -> None:
    old = snippet("old_version", "app/m.py", 1, ["def f():", "    return 0"], "old f")
    new = snippet("enclosing", "app/m.py", 1, ["def f():", "    return 1"], "f")
    chosen, _ = pack_context([old, new], {}, budget=10_000, setting=10_000, count=words)
    assert sorted(s.kind for s in chosen) == ["enclosing", "old_version"]


def test_a_budget_too_small_for_anything_packs_nothing_and_says_so() -> None:
    definition = snippet("definition", "lib/a.py", 1, ["def a():", "    return 1"], "definition a")
    chosen, report = pack_context([definition], {}, budget=3, setting=3, count=words)
    assert chosen == []
    assert "no context" in report.note and "3 tokens" in report.note
    text = render_packs_text([report.model_copy(update={"unit_id": "u-1", "paths": ("a.py",)})])
    assert "unit u-1 (a.py): context 0/3 tokens" in text
    assert "- [1] definition: definition a (lib/a.py:1-2)  cut: over budget" in text
    assert "note: no context" in text
    short = render_packs_text([report], detail=False)
    assert short.count("\n") == 1 and "no context" in short


def test_nothing_to_pack_needs_no_note() -> None:
    chosen, report = pack_context([], {}, budget=0, setting=0, count=words)
    assert chosen == [] and report.note == ""
    assert render_packs_text([report], detail=False) == ""


def test_a_run_names_only_the_units_given_less_context_and_caps_the_list() -> None:
    reports = []
    for n in range(5):
        _, report = pack_context(
            [snippet("definition", "lib/a.py", 1, ["def a():", "    return 1"])],
            {},
            budget=0,
            setting=0,
            count=words,
        )
        reports.append(report.model_copy(update={"unit_id": f"u-{n}", "paths": (f"f{n}.py",)}))
    text = render_packs_text(reports, detail=False).splitlines()
    assert len(text) == 4 and text[-1] == "... and 2 more units (see --dry-run)"


def test_context_the_diff_already_shows_is_not_a_budget_problem() -> None:
    body = snippet("enclosing", "app/m.py", 1, ["def f():", "    return 1"], "f")
    chosen, report = pack_context(
        [body], {("app/m.py", False): {1, 2}}, budget=0, setting=0, count=words
    )
    assert chosen == [] and report.note == ""
    assert [i.reason for i in report.cut] == ["the diff shows it"]


def test_the_pack_view_escapes_control_characters_from_the_pull_request() -> None:
    evil = snippet("definition", "lib/\x1b[2Ja.py", 1, ["x = 1"], "definition of \x1b]0;pwn\x07")
    _, report = pack_context([evil], {}, budget=1000, setting=1000, count=words)
    text = render_packs_text([report.model_copy(update={"paths": ("\x1b[31mred.py",)})])
    assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b[2Ja.py" in text
