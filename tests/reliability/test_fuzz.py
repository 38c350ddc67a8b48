"""Item 14: property tests for the diff parser and the model-answer parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prreview.change.diffparse import parse_hunks
from prreview.evaluators.answer import AnswerError, parse_answer

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
    max_size=20,
)
_line = st.tuples(st.sampled_from([" ", "+", "-"]), _text)


@st.composite
def _hunks(draw: st.DrawFn) -> list[list[tuple[str, str]]]:
    return draw(st.lists(st.lists(_line, min_size=1, max_size=12), min_size=1, max_size=5))


def _patch(hunks: list[list[tuple[str, str]]]) -> bytes:
    out = ["diff --git a/f b/f", "--- a/f", "+++ b/f"]
    old_at = new_at = 1
    for lines in hunks:
        old = sum(1 for t, _ in lines if t != "+")
        new = sum(1 for t, _ in lines if t != "-")
        out.append(f"@@ -{old_at},{old} +{new_at},{new} @@ ctx")
        out.extend(t + s for t, s in lines)
        old_at, new_at = old_at + old + 3, new_at + new + 3
    return ("\n".join(out) + "\n").encode("utf-8")


@settings(max_examples=200, deadline=None)
@given(_hunks())
def test_diff_round_trips_line_counts(hunks: list[list[tuple[str, str]]]) -> None:
    parsed, binary = parse_hunks(_patch(hunks))
    assert not binary
    assert len(parsed) == len(hunks)
    for hunk, lines in zip(parsed, hunks, strict=True):
        assert hunk.added == sum(1 for t, _ in lines if t == "+")
        assert hunk.removed == sum(1 for t, _ in lines if t == "-")
        assert len(hunk.lines) == len(lines)
        assert [ln.text for ln in hunk.lines] == [s for _, s in lines]


_json_ish = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=10),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=400) | _json_ish.map(repr) | _json_ish.map(lambda v: f'{{"findings": {v!r}}}')
)
def test_parse_answer_raises_only_answer_error(text: str) -> None:
    try:
        answer, dropped = parse_answer(text)
    except AnswerError:
        return
    assert dropped >= 0
    assert all(f.line >= 1 for f in answer.findings)
