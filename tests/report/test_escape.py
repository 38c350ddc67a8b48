from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prreview.report import escape
from tests.markdown_check import assert_inert, inspect

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<!-- hidden -->",
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "![x](https://evil.example/x.png)",
    "[ref]: https://evil.example",
    "<https://evil.example>",
    "https://evil.example/path and www.evil.example",
    "@org/team and @all and mail me@evil.example",
    "&lt;img src=x onerror=alert(1)&gt;",
    "# heading\n- item\n1. one\n> quote\n---\n===",
    "```\nfenced\n```\n~~~\ntilde\n~~~",
    "    indented code",
    "| a | b |\n|---|---|\n| c | d |",
    "$\\color{red}{spoof}$",
    "``a ` b`` and ` stray",
    "\\[escaped\\](javascript:alert(1))",
    "trojan \u202e source \u2066 isolate",
]


def test_hostile_samples_render_inert_in_every_markdown_context() -> None:
    for sample in HOSTILE:
        assert_inert(escape.md_text(sample))
        assert_inert(escape.md_inline(sample))
        assert_inert("| h |\n| --- |\n| " + escape.table_cell(sample) + " |")


def test_md_text_keeps_paragraphs_and_code_spans() -> None:
    seen = inspect(escape.md_text("Call `foo()` here.\n\nSecond <b>para</b>"))
    assert seen.tags.count("p") == 2
    assert "".join(seen.code_text) == "foo()"
    assert "<b>para</b>" in "".join(seen.text)


def test_intraword_underscores_are_left_alone() -> None:
    assert escape.md_inline("user_id and __init__") == "user_id and \\_\\_init\\_\\_"


def test_mentions_get_a_zero_width_space() -> None:
    assert escape.md_inline("@org/team") == "@\u200borg/team"
    assert escape.html_text("cc @all") == "cc @\u200ball"


def test_table_cell_escapes_pipes_inside_code_too() -> None:
    markdown = "| a | b |\n| --- | --- |\n| " + escape.table_cell("x | `y|z`") + " | 2 |"
    seen = inspect(markdown)
    assert seen.tags.count("td") == 2
    assert "".join(seen.code_text) == "y|z"


def test_html_text_escapes_and_flattens() -> None:
    assert escape.html_text("a <b>\n & 'c'") == "a &lt;b&gt; &amp; &#39;c&#39;"


def test_code_span_fence_is_longer_than_inner_runs() -> None:
    span = escape.code_span("a``b`")
    assert span == "``` a``b` ```"
    assert "".join(inspect(span).code_text) == "a``b`"


def test_fenced_block_outlasts_inner_fences() -> None:
    block = escape.fenced_block("x\n````\ny", "py")
    assert block.startswith("`````py\n") and block.endswith("\n`````")
    seen = inspect(block + "\n\n<details>\n\nafter\n")
    assert "".join(seen.code_text) == "x\n````\ny\n"
    assert "after" in "".join(seen.text)


def test_truncate_marks_the_cut() -> None:
    assert escape.truncate("abcdef", 10) == "abcdef"
    cut = escape.truncate("a" * 50, 20)
    assert len(cut) <= 20 and cut.endswith("(truncated)")


_PIECES = [*"ab <>&@#|`*_[]()!~$\\-=+.:/\n1 wh", "://", "www.", "-->", "<!--", "http"]
_TEXT = st.lists(st.sampled_from(_PIECES), max_size=40).map("".join)


@settings(max_examples=200, deadline=None, database=None)
@given(_TEXT)
def test_any_text_renders_inert(text: str) -> None:
    assert_inert(escape.md_text(text))
    assert_inert(escape.md_inline(text))


@settings(max_examples=200, deadline=None, database=None)
@given(_TEXT.filter(lambda t: "`" not in t))
def test_text_without_code_spans_reads_back_unchanged(text: str) -> None:
    seen = inspect(escape.md_inline(text))
    shown = "".join(seen.text).replace("\u200b", "")
    assert " ".join(shown.split()) == " ".join(text.split())
