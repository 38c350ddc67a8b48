"""The default filter mode keeps findings about removed code (at the deletion point)."""

from __future__ import annotations

from prreview.change.read import read_changes
from prreview.config.settings import Settings
from prreview.models import ChangeSet, DiffLine, FileChange, Finding, Hunk
from prreview.review.filtermode import deletion_points, filter_findings

BEFORE = (
    "def build(url, args):\n"  # 1
    "    if not url:\n"  # 2
    "        raise ValueError(url)\n"  # 3
    "    if args is None:\n"  # 4
    "        return url\n"  # 5
    "    query = encode(args)\n"  # 6
    "    return url + '?' + query\n"  # 7
    "\n"  # 8
    "\n"  # 9
    "def encode(args):\n"  # 10
    "    sep = '&'\n"  # 11
    "    # join the pairs\n"  # 12
    "    return sep.join(args)\n"  # 13
)
# the guard on lines 4-5 is removed; line 13 is replaced (a deletion with an addition)
AFTER = (
    "def build(url, args):\n"  # 1
    "    if not url:\n"  # 2
    "        raise ValueError(url)\n"  # 3
    "    query = encode(args)\n"  # 4
    "    return url + '?' + query\n"  # 5
    "\n"  # 6
    "\n"  # 7
    "def encode(args):\n"  # 8
    "    sep = '&'\n"  # 9
    "    # join the pairs\n"  # 10
    "    return sep.join(sorted(args))\n"  # 11
)


def _changes(git_repo, before: str, after: str) -> ChangeSet:
    repo = git_repo()
    repo.write("lib/url.py", before)
    base = repo.commit("base")
    repo.write("lib/url.py", after)
    repo.commit("change")
    return read_changes(Settings(repo=repo.path, base=base), {})


def _at(line: int, end: int | None = None) -> Finding:
    return Finding(
        rule_id="llm/correctness", evaluator="correctness", category="correctness",
        severity="high", confidence=0.9, title="t", message="m", path="lib/url.py",
        start_line=line, end_line=end or line,
    )  # fmt: skip


def test_deletion_points_of_a_removed_guard(git_repo) -> None:
    change = _changes(git_repo, BEFORE, AFTER).files[0]
    # lines 3 and 4 border the removed guard; line 1 starts its hunk (-U3); the replaced
    # line 11 is not a pure deletion, so line 10 is not a deletion point
    assert deletion_points(change) == {1, 3, 4}


def test_added_mode_keeps_findings_next_to_a_pure_deletion(git_repo) -> None:
    changes = _changes(git_repo, BEFORE, AFTER)
    findings = [_at(3), _at(4), _at(3, 4), _at(1), _at(2), _at(5), _at(10), _at(11)]
    kept, dropped = filter_findings(findings, changes, "added")
    assert [f.start_line for f in kept] == [3, 4, 3, 1, 11]
    assert dropped == 3  # 2 and 5 are plain context lines, 10 borders a replacement


def test_a_hunk_that_only_deletes_at_the_end_of_the_file(git_repo) -> None:
    changes = _changes(git_repo, BEFORE, BEFORE.split("\n\n\n", 1)[0] + "\n")
    change = changes.files[0]
    assert change.added == 0 and change.removed == 6
    # the deletion follows line 7 (the last line); its hunk starts at line 5
    assert deletion_points(change) == {5, 7, 8}
    kept, _ = filter_findings([_at(7), _at(6)], changes, "added")
    assert [f.start_line for f in kept] == [7]


def test_zero_context_pure_deletion_hunk() -> None:
    # `@@ -4,2 +3,0 @@`: git names the new line before an empty new side
    hunk = Hunk(
        old_start=4, old_length=2, new_start=3, new_length=0,
        lines=(DiffLine(kind="removed", old_lineno=4, text="a"),
               DiffLine(kind="removed", old_lineno=5, text="b")),
    )  # fmt: skip
    change = FileChange(path="lib/url.py", status="modified", removed=2, hunks=(hunk,))
    assert deletion_points(change) == {3, 4}
