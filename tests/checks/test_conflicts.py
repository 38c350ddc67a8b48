from __future__ import annotations

from prreview.checks import run_checks
from prreview.checks.conflicts import ConflictsCheck
from tests.checks_support import make_file

CONFLICT = [
    "def f():",
    "<<<<<<< HEAD",
    "    return 1",
    "=======",
    "    return 2",
    ">>>>>>> feature",
    "",
]


def spans(file) -> list[tuple[int | None, int | None]]:
    return [(f.start_line, f.end_line) for f in ConflictsCheck().check(file)]


def test_conflict_block_is_one_finding() -> None:
    findings = list(ConflictsCheck().check(make_file("a.py", CONFLICT, start=10)))
    assert [(f.rule_id, f.start_line, f.end_line) for f in findings] == [
        ("conflicts/merge-marker", 11, 15)
    ]
    assert findings[0].severity == "high"
    assert "HEAD" not in findings[0].message and "feature" not in findings[0].message


def test_diff3_marker_and_two_blocks() -> None:
    lines = ["<<<<<<< ours", "a", "||||||| base", "b", "=======", "c", ">>>>>>> theirs"] * 2
    assert spans(make_file("a.txt", lines)) == [(1, 7), (8, 14)]


def test_separator_alone_is_a_heading_underline() -> None:
    assert spans(make_file("README.rst", ["Title", "=======", "", "text"])) == []


def test_separator_counts_next_to_other_markers() -> None:
    lines = ["=======", "theirs", ">>>>>>> branch"]
    assert spans(make_file("a.py", lines)) == [(1, 1), (3, 3)]


def test_lookalikes_are_not_markers() -> None:
    lines = ["<<<<<<<< eight", "<<<<<<<x", "  <<<<<<< indented", "x = a >>>>>>> b", "========"]
    assert spans(make_file("a.py", lines)) == []


def test_unclosed_marker_and_crlf() -> None:
    assert spans(make_file("a.py", ["<<<<<<< HEAD\r", "x\r"])) == [(1, 1)]


def test_markers_in_context_lines_are_not_reported() -> None:
    file = make_file("a.py", ["x = 1"], context_before=("<<<<<<< HEAD",))
    assert spans(file) == []


def test_conflicts_run_on_skipped_lock_files() -> None:
    file = make_file("poetry.lock", CONFLICT, skip_reason="lock file")
    assert [f.rule_id for f in run_checks([file])] == ["conflicts/merge-marker"]
