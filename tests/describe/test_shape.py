"""The deterministic parts of `prreview describe`: type heuristic, labels, import resolution."""

from __future__ import annotations

import pytest

from prreview.describe.imports import RepoIndex, imported_files, module_imports
from prreview.describe.llm import clean_labels
from prreview.describe.shape import change_type, file_kind, labels_for
from prreview.models import FileChange


def fc(path: str, status: str = "modified", added: int = 3, removed: int = 1) -> FileChange:
    return FileChange(path=path, status=status, added=added, removed=removed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([fc("docs/a.md"), fc("README.md")], "docs"),
        ([fc("tests/test_a.py"), fc("docs/a.md")], "tests"),
        ([fc(".github/workflows/ci.yml"), fc("pyproject.toml")], "chore"),
        ([fc("src/a.py"), fc("src/new.py", "added")], "feature"),
        ([fc("src/a.py", "renamed", 0, 0)], "refactor"),
        ([fc("src/a.py", added=2, removed=9)], "refactor"),
        ([fc("src/a.py", added=2, removed=1), fc("tests/test_a.py")], "fix"),
        ([], "chore"),
    ],
)
def test_change_type(files, expected) -> None:
    assert change_type(files) == expected


def test_file_kinds_and_labels() -> None:
    assert file_kind(".github/workflows/ci.yml") == "ci"
    assert file_kind("requirements-dev.txt") == "dependencies"
    assert file_kind("pkg/test_x.py") == "tests" and file_kind("docs/x.py") == "docs"
    files = [fc("src/a.py", added=300), fc("uv.lock"), fc(".gitlab-ci.yml")]
    assert labels_for(files, "fix") == ("fix", "ci", "dependencies", "size/L")


def test_model_labels_are_validated() -> None:
    assert clean_labels(["Fix", "fix", "area/api", "@team", "x" * 50, "a b"]) == (
        "fix",
        "area/api",
        "a b",
    )


def test_python_imports_resolve_relative_absolute_and_src_layout() -> None:
    index = RepoIndex(["src/pkg/__init__.py", "src/pkg/a.py", "src/pkg/sub/b.py", "lib/c.py"])
    text = "import os\nfrom .sub import b\nfrom pkg.a import thing\nfrom ..lib import nope\n"
    assert sorted(imported_files("src/pkg/x.py", "python", text, index)) == [
        "src/pkg/a.py",
        "src/pkg/sub/b.py",
    ]
    multi = "from pkg import (\n    a,\n    sub,\n)\nimport lib.c as c\n"
    assert "lib/c.py" in imported_files("tools/t.py", "python", multi, index)
    assert "src/pkg/a.py" in imported_files("tools/t.py", "python", multi, index)


def test_js_and_go_imports_resolve_inside_the_repository_only() -> None:
    index = RepoIndex(["web/lib/api.ts", "web/app.ts", "internal/db/db.go", "cmd/main.go"])
    js = "import x from './lib/api'\nimport React from 'react'\nconst y = require('../../up')\n"
    assert imported_files("web/app.ts", "typescript", js, index) == ["web/lib/api.ts"]
    go = 'import (\n\t"fmt"\n\tdb "example.com/shop/internal/db"\n)\n'
    edges = module_imports({"cmd/main.go": ("go", go)}, index)
    assert edges == (("cmd", "internal/db"),)
