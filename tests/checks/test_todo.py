from __future__ import annotations

import pytest

from prreview.checks import run_checks
from prreview.checks.todo import TodoCheck
from tests.checks_support import make_file


@pytest.mark.parametrize(
    ("line", "word"),
    [
        ("# TODO: handle errors", "TODO"),
        ("// FIXME(bob) race", "FIXME"),
        ("/* XXX unsafe */", "XXX"),
        ("x = 1  # HACK", "HACK"),
    ],
)
def test_markers(line: str, word: str) -> None:
    [f] = TodoCheck().check(make_file("a.py", ["ok", line]))
    assert (f.rule_id, f.severity, f.start_line) == ("todo/marker", "info", 2)
    assert line[f.start_column - 1 : f.end_column] == word
    assert f"`{word}`" in f.message


@pytest.mark.parametrize(
    "line",
    ["todo_list = []", "# todo: lower case", "ssn = 'XXX-XX-XXXX'", "TODOS = 3", "HACKER = 1"],
)
def test_not_markers(line: str) -> None:
    assert list(TodoCheck().check(make_file("a.py", [line]))) == []


def test_todo_only_on_reviewable_files() -> None:
    assert run_checks([make_file("gen/x.py", ["# TODO"], skip_reason="generated")]) == []
