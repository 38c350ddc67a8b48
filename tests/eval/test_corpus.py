"""Loading corpus cases and materialising them as git repositories (real git, real tarballs)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from prreview.errors import UsageError
from prreview.eval.corpus import CaseError, count_changed_lines, load_case, load_cases, materialise

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"
NAMES = [
    "calc-eval__szz",
    "fetch-nil__szz",
    "greet-format__clean",
    "pager-bounds__clean",
    "pager-bounds__revert",
]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout


def test_load_cases_from_corpus_or_cases_dir() -> None:
    cases = load_cases(CORPUS)
    assert [c.name for c in cases] == NAMES
    assert [c.name for c in load_cases(CORPUS / "cases")] == NAMES
    assert [c.name for c in load_cases(CORPUS, "pager-*")] == NAMES[3:]
    calc = cases[0]
    assert (calc.case_id, calc.variant, calc.language, calc.clean) == (
        "calc-eval",
        "szz",
        "python",
        False,
    )
    f = calc.findings[0]
    assert (f.file, f.anchor_kind, f.role, f.category, f.severity) == (
        "calc.py",
        "changed",
        "primary",
        "security",
        "high",
    )
    assert f.lines_text == ("    return eval(expr)",)
    assert f.start_line == f.end_line
    fetch = cases[1]
    assert [x.role for x in fetch.findings] == ["primary", "related"]
    assert len(fetch.primary) == 1
    assert cases[2].clean and not cases[2].findings


def test_changed_lines_counted_from_the_diff() -> None:
    fetch = load_case(CORPUS / "cases" / "fetch-nil__szz")
    assert fetch.changed_lines == 5  # 2 + 3 removed lines
    diff = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n+b\n c\n"
    assert count_changed_lines(diff) == 2


def test_missing_corpus_and_bad_truth(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_cases(tmp_path / "nope")
    case = tmp_path / "bad__clean"
    shutil.copytree(CORPUS / "cases" / "calc-eval__szz", case)
    truth = json.loads((case / "truth.json").read_text())
    truth["clean"] = True
    (case / "truth.json").write_text(json.dumps(truth))
    with pytest.raises(CaseError, match="clean case has no findings"):
        load_cases(tmp_path)
    (case / "change.diff").unlink()
    with pytest.raises(CaseError, match=r"missing change\.diff"):
        load_case(case)


@pytest.mark.parametrize("name", NAMES)
def test_materialise_gives_base_plus_change(tmp_path: Path, name: str) -> None:
    case_dir = CORPUS / "cases" / name
    truth = json.loads((case_dir / "truth.json").read_text())
    repo = tmp_path / "repo"
    base_sha, head_sha = materialise(case_dir, repo)
    # the fixture records the git tree ids of its base and head trees
    assert git(repo, "rev-parse", "main^{tree}").strip() == truth["base_commit"]
    if truth["head_commit"]:
        assert git(repo, "rev-parse", "feature^{tree}").strip() == truth["head_commit"]
    diff = git(repo, "diff", "--binary", "--full-index", "main", "feature")
    assert diff == (case_dir / "change.diff").read_text()
    assert git(repo, "symbolic-ref", "HEAD").strip() == "refs/heads/feature"
    assert git(repo, "rev-parse", "main").strip() == base_sha
    assert git(repo, "rev-parse", "HEAD").strip() == head_sha
    assert git(repo, "log", "--format=%s", "feature").splitlines() == [
        "Proposed change",
        "Base snapshot",
    ]
    assert not (repo / "truth.json").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_materialise_is_deterministic_and_keeps_modes(tmp_path: Path) -> None:
    case_dir = CORPUS / "cases" / "calc-eval__szz"
    first = materialise(case_dir, tmp_path / "one")
    second = materialise(case_dir, tmp_path / "two")
    assert first == second
    assert "100755 blob" in git(tmp_path / "one", "ls-tree", "main", "scripts/run.sh")
    link = materialise(CORPUS / "cases" / "pager-bounds__revert", tmp_path / "link")
    assert link[0] != first[0]
    assert "120000 blob" in git(tmp_path / "link", "ls-tree", "main", "docs/README")
    attrs = (tmp_path / "one" / ".git" / "info" / "attributes").read_text()
    assert attrs == "* -text -eol -ident -filter -working-tree-encoding -export-subst\n"


def test_materialise_refuses_a_non_empty_target(tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "x").write_text("x")
    with pytest.raises(CaseError, match="not empty"):
        materialise(CORPUS / "cases" / "calc-eval__szz", tmp_path / "repo")


def _evil_case(tmp_path: Path, member: tarfile.TarInfo, data: bytes = b"") -> Path:
    case = tmp_path / "evil"
    case.mkdir()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 3
        tar.addfile(ok, io.BytesIO(b"ok\n"))
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data) if data else None)
    (case / "base.tar.gz").write_bytes(raw.getvalue())
    (case / "change.diff").write_text("")
    return case


def _link(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (tarfile.TarInfo("../escape.txt"), "unsafe path"),
        (tarfile.TarInfo("/abs.txt"), "unsafe path"),
        (tarfile.TarInfo("a/../../escape.txt"), "unsafe path"),
        (tarfile.TarInfo(".git/config"), ".git"),
        (_link("sub/link", "../../outside"), "escapes"),
        (_link("link", "/etc/passwd"), "absolute link"),
        (_link("hard", "../outside", tarfile.LNKTYPE), "escapes"),
        (_link("fifo", "", tarfile.FIFOTYPE), "unsupported"),
    ],
)
def test_materialise_rejects_unsafe_archives(
    tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    data = b"x" if member.type == tarfile.REGTYPE else b""
    case = _evil_case(tmp_path, member, data)
    with pytest.raises(CaseError, match=message):
        materialise(case, tmp_path / "repo")
    assert not (tmp_path / "escape.txt").exists()
    assert not (tmp_path / "repo" / "ok.txt").exists()


def test_a_diff_that_does_not_apply_is_a_case_error(tmp_path: Path) -> None:
    case = tmp_path / "case"
    shutil.copytree(CORPUS / "cases" / "calc-eval__szz", case)
    (case / "change.diff").write_text(
        "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,1 +1,1 @@\n-nope\n+yes\n"
    )
    with pytest.raises(CaseError, match="git apply failed"):
        materialise(case, tmp_path / "repo")
