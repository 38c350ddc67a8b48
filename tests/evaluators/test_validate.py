"""validate.py: a model finding survives only on a real line of a reviewable changed file."""

from __future__ import annotations

import pytest

from prreview.evaluators.answer import ModelFinding
from prreview.evaluators.validate import (
    ANCHOR_CONTEXT,
    ANCHOR_ELSEWHERE,
    normalise_path,
    to_finding,
    validate_items,
)
from prreview.models import ChangeSet, DiffLine, FileChange, Hunk

LINES = [f"line {i}" for i in range(1, 21)]
HUNK = Hunk(
    old_start=9,
    old_length=3,
    new_start=9,
    new_length=3,
    lines=(
        DiffLine(kind="context", old_lineno=9, new_lineno=9, text="line 9"),
        DiffLine(kind="removed", old_lineno=10, text="old 10"),
        DiffLine(kind="added", new_lineno=10, text="line 10"),
        DiffLine(kind="context", old_lineno=11, new_lineno=11, text="line 11"),
    ),
)
CHANGES = ChangeSet(
    repo_root="/repo",
    files=(
        FileChange(path="src/a.py", status="modified", added=1, removed=1, hunks=(HUNK,)),
        FileChange(path="src/gone.py", status="deleted", removed=1),
        FileChange(path="vendor/x.py", status="modified", skip_reason="vendored"),
    ),
)


def lines_of(path: str) -> list[str] | None:
    return LINES if path in {"src/a.py", "vendor/x.py"} else None


def item(file: str = "src/a.py", line: int = 10, end: int | None = None, **kw) -> ModelFinding:
    data = dict(
        file=file, line=line, end_line=end, severity="high", confidence=0.8,
        category="Null Handling", title="t", message="m",
    )  # fmt: skip
    data.update(kw)
    return ModelFinding(**data)


def check(it: ModelFinding):
    return to_finding(it, evaluator="correctness", changes=CHANGES, lines_of=lines_of)


@pytest.mark.parametrize(
    "raw",
    ["../../etc/passwd", "/etc/passwd", "src/../../etc/passwd", "C:/Windows/x", "src//a.py",
     "src/./a.py", "", "a\0b", "\\\\server\\share"],
)  # fmt: skip
def test_normalise_path_rejects_traversal_and_absolute(raw: str) -> None:
    assert normalise_path(raw) is None


def test_normalise_path_accepts_relative_forms() -> None:
    assert normalise_path("./src/a.py") == "src/a.py"
    assert normalise_path("src\\a.py") == "src/a.py"


@pytest.mark.parametrize("path", ["../../etc/passwd", "/etc/passwd", "/repo/src/a.py", "src/b.py"])
def test_bad_paths_are_dropped(path: str) -> None:
    assert check(item(file=path)) is None


def test_deleted_and_skipped_files_are_dropped() -> None:
    assert check(item(file="src/gone.py", line=1)) is None
    assert check(item(file="vendor/x.py", line=1)) is None


def test_git_prefix_is_tolerated() -> None:
    f = check(item(file="b/src/a.py"))
    assert f is not None and f.path == "src/a.py"


def test_line_zero_cannot_even_be_parsed() -> None:
    with pytest.raises(ValueError):
        item(line=0)


def test_line_past_eof_is_dropped_and_end_is_clamped() -> None:
    assert check(item(line=21)) is None
    f = check(item(line=19, end=400))
    assert f is not None and (f.start_line, f.end_line) == (19, 20)
    g = check(item(line=12, end=3))
    assert g is not None and g.end_line == 12


def test_finding_fields_and_anchor_factor() -> None:
    f = check(item(line=10))
    assert f is not None
    assert f.rule_id == "llm/correctness/null-handling"
    assert f.source == "llm" and f.evaluators == ("correctness",)
    assert f.confidence == 0.8
    assert check(item(line=9)).confidence == pytest.approx(0.8 * ANCHOR_CONTEXT)
    assert check(item(line=2)).confidence == pytest.approx(0.8 * ANCHOR_ELSEWHERE)


def test_fingerprint_follows_text_not_line_number() -> None:
    a = check(item(line=10))
    shifted = [*LINES[:2], "new", *LINES[2:]]
    b = to_finding(
        item(line=11), evaluator="correctness", changes=CHANGES, lines_of=lambda p: shifted
    )
    assert a.fingerprint == b.fingerprint


def test_validate_items_counts_drops() -> None:
    kept, dropped = validate_items(
        [item(), item(file="../../etc/passwd"), item(line=999), item(file="/abs.py")],
        evaluator="security",
        changes=CHANGES,
        lines_of=lines_of,
    )
    assert len(kept) == 1 and dropped == 3
