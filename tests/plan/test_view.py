"""The plan views (text and JSON) of a real, filtered change."""

from __future__ import annotations

import json

import pytest

from prreview.change.filters import apply_filters
from prreview.change.read import read_changes
from prreview.config.settings import Settings
from prreview.models import ChangeSet, FileChange
from prreview.plan.view import plan_dict, render_plan_json, render_plan_text


@pytest.fixture
def changes(git_repo) -> ChangeSet:
    repo = git_repo()
    repo.write("src/app.py", "a = 1\nb = 2\n")
    repo.write("notes.txt", "x\n")
    repo.write("old_name.md", "# doc\n\nbody\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("src/app.py", "a = 1\nb = 3\nc = 4\n")
    repo.remove("notes.txt")
    repo.move("old_name.md", "new_name.md")
    repo.write("yarn.lock", "lock\n")
    repo.write("evil\x1b[31mname.txt", "other\n")
    repo.commit("feature")
    settings = Settings(repo=repo.path, base="main")
    return apply_filters(read_changes(settings, {}), settings, None)


def test_plan_json_keys_and_values(changes):
    text = render_plan_json(changes)
    data = json.loads(text)
    assert text.endswith("}\n") and text.startswith('{\n  "base_ref": "main",')
    assert list(data) == sorted(data)
    assert data["schema_version"] == "1"
    assert (data["mode"], data["base_ref"], data["head_ref"]) == ("range", "main", "HEAD")
    assert data["base_sha"] == changes.base_sha and data["head_sha"] == changes.head_sha
    assert data["reason"] == "base main (from --base)"
    by_path = {f["path"]: f for f in data["files"]}
    assert by_path["src/app.py"] == {
        "added": 2,
        "binary": False,
        "hunks": 1,
        "language": "python",
        "old_path": None,
        "path": "src/app.py",
        "removed": 1,
        "skip_reason": None,
        "status": "modified",
    }
    assert by_path["new_name.md"]["old_path"] == "old_name.md"
    assert by_path["notes.txt"]["skip_reason"].startswith("deleted")
    assert data["totals"] == {
        "added": 4,
        "files": 5,
        "hunks": 2,
        "removed": 2,
        "reviewable": 2,
        "skipped": 3,
    }
    assert plan_dict(changes)["totals"] == data["totals"]


def test_plan_text(changes):
    text = render_plan_text(changes)
    base, head = changes.base_sha[:12], changes.head_sha[:12]
    assert text == (
        f"main ({base})..HEAD ({head})\n"
        "  base main (from --base)\n"
        "A evil\\x1b[31mname.txt        +1 -0  -         1 hunk\n"
        "R old_name.md -> new_name.md  +0 -0  markdown  skipped: renamed without content changes\n"
        "D notes.txt                   +0 -1  -         skipped: deleted (nothing to review on the new side)\n"
        "M src/app.py                  +2 -1  python    1 hunk\n"
        "A yarn.lock                   +1 -0  -         skipped: lock file\n"
        "5 files: 2 to review, 3 skipped; +4 -2; 2 hunks to review\n"
    )


def test_empty_and_local_plans():
    empty = ChangeSet(
        repo_root="/r", mode="staged", base_reason="staged changes: the index vs HEAD"
    )
    assert render_plan_text(empty) == (
        "staged changes vs the empty tree\n"
        "  staged changes: the index vs HEAD\n"
        "0 files: 0 to review, 0 skipped; +0 -0; 0 hunks to review\n"
    )
    data = json.loads(render_plan_json(empty))
    assert data["files"] == [] and data["totals"]["files"] == 0 and data["base_sha"] is None
    one = empty.model_copy(
        update={
            "files": (FileChange(path="a\nb", status="added", added=1),),
            "mode": "working-tree",
        }
    )
    assert "A a\\nb" in render_plan_text(one)
    assert json.loads(render_plan_json(one))["files"][0]["path"] == "a\nb"
