from __future__ import annotations

from prreview.checks import run_checks
from prreview.checks.unicode import UnicodeCheck
from tests.checks_support import make_file

RLO, PDI, LRI = "\u202e", "\u2069", "\u2066"


def findings(lines: list[str], **kw: object) -> list:
    return list(UnicodeCheck().check(make_file("src/auth.js", lines, **kw)))  # type: ignore[arg-type]


def test_trojan_source_line_and_column() -> None:
    line = f'if (accessLevel != "user{RLO} {LRI}// Check if admin{PDI} {LRI}") {{'
    [f] = findings(["ok();", line])
    assert f.rule_id == "unicode/bidi" and f.severity == "high"
    assert (f.start_line, f.start_column) == (2, line.index(RLO) + 1)
    assert f.end_column == line.rindex(LRI) + 1
    assert "U+202E" in f.message and "RIGHT-TO-LEFT OVERRIDE" in f.message
    assert "U+2066" in f.message and "U+2069" in f.message
    for ch in (RLO, PDI, LRI):
        assert ch not in f.model_dump_json() and ch not in f.title


def test_marks_and_arabic_letter_mark() -> None:
    [a] = findings(["x = 'a\u200fb'"])
    [b] = findings(["x = 'a\u061cb'"])
    assert a.rule_id == b.rule_id == "unicode/bidi"
    assert "U+200F" in a.message and "U+061C" in b.message


def test_zero_width_characters() -> None:
    for ch in ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"):
        [f] = findings([f"let adm{ch}in = true;"], start=3)
        assert f.rule_id == "unicode/invisible", ch
        assert f"U+{ord(ch):04X}" in f.message
        assert f.start_column == 8


def test_legitimate_uses_are_not_reported() -> None:
    lines = [
        "\ufeffimport os",  # BOM at the start of the file
        "family = '👨\u200d👩\u200d👧'",  # emoji ZWJ sequence
        "word = 'می\u200cخواهم'",  # Persian ZWNJ
        "name = 'café naïve 日本語'",
        "plain ascii",
    ]
    assert findings(lines, start=1) == []


def test_bom_later_in_file_is_reported() -> None:
    [f] = findings(["\ufeffimport os"], start=5)
    assert (f.rule_id, f.start_line, f.start_column) == ("unicode/invisible", 5, 1)


def test_runs_on_skipped_files() -> None:
    file = make_file("vendor/x.js", [f"a{RLO}b"], skip_reason="vendored")
    assert [f.rule_id for f in run_checks([file])] == ["unicode/bidi"]
