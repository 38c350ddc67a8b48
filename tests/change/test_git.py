"""read_changes on real repositories: every kind of change and the bad input that must work."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from prreview.change.read import read_changes
from prreview.config.settings import Settings
from prreview.errors import UsageError
from prreview.models import ChangeSet, FileChange


def _changes(repo, **kw) -> ChangeSet:
    return read_changes(Settings(repo=repo.path, **kw), {})


def _assert_parity(repo, changes: ChangeSet) -> None:
    expected = repo.numstat(changes.base_sha, changes.head_sha)
    got = {f.path: (f.added, f.removed) for f in changes.files}
    assert got == expected
    for f in changes.files:
        assert f.skip_reason is None, (f.path, f.skip_reason)


def _one(changes: ChangeSet, path: str) -> FileChange:
    found = changes.file(path)
    assert found is not None, [f.path for f in changes.files]
    return found


@pytest.fixture
def base_repo(git_repo):
    repo = git_repo()
    repo.write("app.py", "".join(f"line {i}\n" for i in range(1, 21)))
    repo.write("keep.txt", "alpha\nbeta\ngamma\ndelta\n")
    repo.write("gone.txt", "one\ntwo\n")
    repo.write("run.sh", "echo hi\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    return repo


def test_modified_file_lines_and_numbers(base_repo):
    lines = [f"line {i}\n" for i in range(1, 21)]
    lines[4] = "line five\n"
    lines.insert(15, "inserted\n")
    base_repo.write("app.py", "".join(lines))
    base_repo.commit("edit")
    changes = _changes(base_repo, base="main")
    f = _one(changes, "app.py")
    assert (f.status, f.language, f.added, f.removed) == ("modified", "python", 2, 1)
    assert f.old_mode == f.new_mode == "100644"
    assert f.size == len("".join(lines).encode())
    assert len(f.hunks) == 2
    first = f.hunks[0]
    assert (first.old_start, first.new_start) == (2, 2)
    removed = [ln for ln in first.lines if ln.kind == "removed"]
    added = [ln for ln in first.lines if ln.kind == "added"]
    assert [(ln.old_lineno, ln.new_lineno, ln.text) for ln in removed] == [(5, None, "line 5")]
    assert [(ln.old_lineno, ln.new_lineno, ln.text) for ln in added] == [(None, 5, "line five")]
    assert f.added_line_numbers() == {5, 16}
    assert changes.mode == "range"
    assert changes.base_ref == "main" and changes.head_ref == "HEAD"
    assert changes.base_reason == "base main (from --base)"
    _assert_parity(base_repo, changes)


def test_rename_without_and_with_edits(base_repo):
    base_repo.move("keep.txt", "moved.txt")
    base_repo.move("app.py", "pkg/app.py")
    text = (base_repo.path / "pkg/app.py").read_text() + "tail\n"
    base_repo.write("pkg/app.py", text)
    base_repo.commit("renames")
    changes = _changes(base_repo, base="main")
    pure = _one(changes, "moved.txt")
    assert (pure.status, pure.old_path, pure.similarity, pure.hunks) == (
        "renamed",
        "keep.txt",
        100,
        (),
    )
    edited = _one(changes, "pkg/app.py")
    assert (edited.status, edited.old_path, edited.added, edited.removed) == (
        "renamed",
        "app.py",
        1,
        0,
    )
    assert 50 <= edited.similarity < 100
    _assert_parity(base_repo, changes)


def test_copy_is_detected(base_repo):
    body = "".join(f"def f{i}():\n    return {i}\n" for i in range(30))
    base_repo.git("checkout", "-q", "main")
    base_repo.write("lib.py", body)
    base_repo.commit("lib")
    base_repo.git("checkout", "-q", "-b", "copy")
    base_repo.write("lib.py", body + "# edited\n")
    base_repo.write("lib_copy.py", body)
    base_repo.commit("copy")
    changes = _changes(base_repo, base="main")
    copy = _one(changes, "lib_copy.py")
    assert (copy.status, copy.old_path, copy.added, copy.removed) == ("copied", "lib.py", 0, 0)
    _assert_parity(base_repo, changes)


def test_deletion_mode_change_and_binary(base_repo):
    base_repo.remove("gone.txt")
    os.chmod(base_repo.path / "run.sh", 0o755)
    base_repo.write("blob.bin", b"\x00\x01\x02binary\x00" * 10)
    base_repo.commit("misc")
    changes = _changes(base_repo, base="main")
    gone = _one(changes, "gone.txt")
    assert (gone.status, gone.removed, gone.size) == ("deleted", 2, len(b"one\ntwo\n"))
    assert gone.hunks[0].lines[0].old_lineno == 1
    mode = _one(changes, "run.sh")
    assert (mode.status, mode.old_mode, mode.new_mode, mode.hunks) == (
        "modified",
        "100644",
        "100755",
        (),
    )
    binary = _one(changes, "blob.bin")
    assert (binary.is_binary, binary.added, binary.removed, binary.size) == (True, 0, 0, 100)
    _assert_parity(base_repo, changes)


def test_empty_file_and_binary_attribute(base_repo):
    base_repo.write(".gitattributes", "*.dat -diff\n")
    base_repo.write("empty.txt", "")
    base_repo.write("table.dat", "plain text marked binary\n")
    base_repo.commit("attrs")
    changes = _changes(base_repo, base="main")
    empty = _one(changes, "empty.txt")
    assert (empty.status, empty.hunks, empty.size, empty.is_binary) == ("added", (), 0, False)
    assert _one(changes, "table.dat").is_binary
    _assert_parity(base_repo, changes)


def test_symlink_and_type_change(base_repo):
    base_repo.symlink("link", "keep.txt")
    base_repo.remove("gone.txt")
    base_repo.symlink("gone.txt", "app.py")
    base_repo.commit("links")
    changes = _changes(base_repo, base="main")
    link = _one(changes, "link")
    assert (link.status, link.is_symlink, link.new_mode, link.added) == ("added", True, "120000", 1)
    typechange = _one(changes, "gone.txt")
    assert (typechange.status, typechange.is_symlink) == ("modified", True)
    assert (typechange.old_mode, typechange.new_mode) == ("100644", "120000")
    assert (typechange.added, typechange.removed, len(typechange.hunks)) == (1, 2, 2)
    _assert_parity(base_repo, changes)


def test_submodule_bump(git_repo):
    sub = git_repo("sub")
    sub.write("s.txt", "v1\n")
    sub.commit("s1")
    repo = git_repo("super")
    repo.write("README.md", "# super\n")
    repo.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "dep")
    repo.commit("add submodule")
    sub.write("s.txt", "v2\n")
    new = sub.commit("s2")
    repo.git("-C", "dep", "fetch", "-q", "origin")
    repo.git("-C", "dep", "checkout", "-q", new)
    repo.commit("bump")
    changes = _changes(repo, base="HEAD~1")
    dep = _one(changes, "dep")
    assert (dep.is_submodule, dep.status, dep.new_mode, dep.size) == (
        True,
        "modified",
        "160000",
        None,
    )
    assert dep.added_lines().__next__().text == f"Subproject commit {new}"
    _assert_parity(repo, changes)


def test_line_endings_and_final_newline(base_repo):
    base_repo.write("crlf.txt", "one\r\ntwo\r\n")
    base_repo.write("nofinal.txt", "a\nb")
    base_repo.commit("add")
    base_repo.write("crlf.txt", "one\r\nTWO\r\nthree\r\n")
    base_repo.write("nofinal.txt", "a\nb\nc")
    base_repo.commit("edit")
    changes = _changes(base_repo, base="HEAD~1")
    crlf = _one(changes, "crlf.txt")
    assert [ln.text for ln in crlf.added_lines()] == ["TWO\r", "three\r"]
    nofinal = _one(changes, "nofinal.txt")
    assert (nofinal.added, nofinal.removed) == (2, 1)
    assert [ln.text for ln in nofinal.added_lines()] == ["b", "c"]
    assert all("No newline" not in ln.text for h in nofinal.hunks for ln in h.lines)
    _assert_parity(base_repo, changes)


def test_odd_encodings_and_bytes(base_repo):
    base_repo.write("latin1.txt", "caf\xe9\nna\xefve\n".encode("latin-1"))
    base_repo.write("invalid.txt", b"ok\n\xff\xfe\xfd broken\n\xc3\n")
    base_repo.write("utf16.txt", "hello\nworld\n".encode("utf-16"))
    base_repo.write("nul.txt", b"text\x00with nul\n")
    base_repo.write("seps.txt", "a\x0cb\nc\u2028d\ne\x85f\r\ng\rh\n")
    base_repo.commit("encodings")
    changes = _changes(base_repo, base="main")
    latin = _one(changes, "latin1.txt")
    assert [ln.text for ln in latin.added_lines()] == ["caf\ufffd", "na\ufffdve"]
    invalid = _one(changes, "invalid.txt")
    assert invalid.added == 3 and not invalid.is_binary
    assert _one(changes, "utf16.txt").is_binary
    assert _one(changes, "nul.txt").is_binary
    seps = _one(changes, "seps.txt")
    assert [ln.text for ln in seps.added_lines()] == ["a\x0cb", "c\u2028d", "e\x85f\r", "g\rh"]
    _assert_parity(base_repo, changes)


def test_exotic_paths(base_repo):
    names = [
        "with space.py",
        "dir with space/a b.txt",
        "ünïcödé/файл.md",
        "-leading-dash.txt",
        "new\nline.txt",
        "tab\there.txt",
        'quote"name.txt',
        "back\\slash.txt",
        "x b/y.txt",
        "\u202eevil.txt",
        "cr\rname.txt",
        "trailing space ",
    ]
    for name in names:
        base_repo.write(name, f"content of {name!r}\n")
    base_repo.commit("names")
    base_repo.move("x b/y.txt", "x b/y b/z.txt")
    base_repo.commit("rename with ' b/' inside")
    changes = _changes(base_repo, base="main")
    expected = {n for n in names if n != "x b/y.txt"} | {"x b/y b/z.txt"}
    assert {f.path for f in changes.files} == expected
    for f in changes.files:
        assert f.added == 1 and f.hunks[0].lines[0].text.startswith("content of")
    assert _one(changes, "with space.py").language == "python"
    _assert_parity(base_repo, changes)


def test_path_that_is_not_utf8(base_repo):
    (base_repo.path / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name\n")
    base_repo.commit("bad name")
    changes = _changes(base_repo, base="main")
    (f,) = changes.files
    assert (f.path, f.skip_reason, f.added) == ("caf\ufffd.txt", "path is not valid UTF-8", 1)
    changes.model_dump_json()


def test_empty_change_and_detached_head(base_repo):
    same = _changes(base_repo, base="main")
    assert same.files == ()
    assert "empty change" in same.base_reason
    base_repo.write("app.py", "changed\n")
    base_repo.commit("edit")
    base_repo.git("checkout", "-q", "--detach")
    detached = _changes(base_repo, base="main")
    assert [f.path for f in detached.files] == ["app.py"]
    assert detached.head_sha == base_repo.head()
    behind = _changes(base_repo, base="HEAD", head="main")
    assert behind.files == ()


def test_large_change_in_one_pass(base_repo):
    for i in range(300):
        base_repo.write(f"pkg/m{i}.py", "".join(f"x{j} = {j}\n" for j in range(40)))
    base_repo.commit("many files")
    changes = _changes(base_repo, base="main")
    assert len(changes.files) == 300 and changes.additions == 300 * 40
    assert all(f.size == len("".join(f"x{j} = {j}\n" for j in range(40))) for f in changes.files)


# --------------------------------------------------------------------------- local modes


def test_staged_mode(base_repo):
    base_repo.write("keep.txt", "alpha\nBETA\ngamma\ndelta\n")
    base_repo.git("add", "keep.txt")
    base_repo.write("keep.txt", "alpha\nBETA\ngamma\nDELTA unstaged\n")
    base_repo.write("untracked.txt", "new\n")
    changes = _changes(base_repo, staged=True)
    assert changes.mode == "staged" and changes.base_sha == base_repo.head()
    keep = _one(changes, "keep.txt")
    assert [ln.text for ln in keep.added_lines()] == ["BETA"]
    assert changes.file("untracked.txt") is None
    assert "index vs HEAD" in changes.base_reason


def test_working_tree_mode_excludes_untracked(base_repo):
    base_repo.write("keep.txt", "alpha\nBETA\ngamma\ndelta\n")
    base_repo.git("add", "keep.txt")
    base_repo.write("app.py", "rewritten\n")
    base_repo.write("untracked.txt", "new\n")
    base_repo.remove("gone.txt")
    changes = _changes(base_repo, working_tree=True)
    assert changes.mode == "working-tree"
    assert {f.path for f in changes.files} == {"keep.txt", "app.py", "gone.txt"}
    app = _one(changes, "app.py")
    assert app.size == len(b"rewritten\n")
    assert [ln.text for ln in app.added_lines()] == ["rewritten"]
    assert _one(changes, "gone.txt").status == "deleted"
    assert "untracked files are not included" in changes.base_reason


def test_staged_and_working_tree_without_commits(git_repo):
    repo = git_repo()
    repo.write("first.py", "print('hi')\n")
    repo.git("add", "first.py")
    staged = _changes(repo, staged=True)
    assert staged.base_sha is None and "empty tree" in staged.base_reason
    assert [(f.path, f.status, f.added) for f in staged.files] == [("first.py", "added", 1)]
    repo.write("first.py", "print('hi')\nprint('more')\n")
    worktree = _changes(repo, working_tree=True)
    assert [(f.path, f.added) for f in worktree.files] == [("first.py", 2)]


def test_staged_and_working_tree_together_is_a_usage_error(base_repo):
    with pytest.raises(UsageError, match="cannot be combined"):
        _changes(base_repo, staged=True, working_tree=True)


# --------------------------------------------------------------------------- safety


def _marker_script(tmp: Path, name: str) -> tuple[Path, Path]:
    marker = tmp / f"{name}.ran"
    script = tmp / f"{name}.sh"
    script.write_text(f"#!/bin/sh\ntouch '{marker}'\ncat \"$1\" 2>/dev/null\nexit 0\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, marker


def test_no_textconv_external_diff_or_fsmonitor(base_repo, tmp_path, monkeypatch):
    textconv, textconv_ran = _marker_script(tmp_path, "textconv")
    external, external_ran = _marker_script(tmp_path, "external")
    fsmonitor, fsmonitor_ran = _marker_script(tmp_path, "fsmonitor")
    base_repo.write(".gitattributes", "*.txt diff=evil\n")
    base_repo.write("keep.txt", "alpha\nchanged\n")
    base_repo.commit("edit")
    base_repo.git("config", "diff.evil.textconv", str(textconv))
    base_repo.git("config", "diff.external", str(external))
    base_repo.git("config", "core.fsmonitor", str(fsmonitor))
    monkeypatch.setenv("GIT_EXTERNAL_DIFF", str(external))
    base_repo.write("keep.txt", "alpha\nchanged again\n")
    range_changes = _changes(base_repo, base="main")
    worktree = _changes(base_repo, working_tree=True)
    assert [ln.text for ln in _one(range_changes, "keep.txt").added_lines()] == ["changed"]
    assert [ln.text for ln in _one(worktree, "keep.txt").added_lines()] == ["changed again"]
    assert not textconv_ran.exists()
    assert not external_ran.exists()
    assert not fsmonitor_ran.exists()


def test_user_diff_config_does_not_change_the_parse(base_repo):
    for key, value in [
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("diff.suppressBlankEmpty", "true"),
        ("diff.context", "10"),
        ("diff.submodule", "log"),
        ("color.diff", "always"),
    ]:
        base_repo.git("config", key, value)
    base_repo.write("keep.txt", "alpha\n\nbeta\ngamma\ndelta\n")
    base_repo.commit("blank line")
    changes = _changes(base_repo, base="main")
    keep = _one(changes, "keep.txt")
    assert (keep.added, keep.removed, keep.hunks[0].old_start) == (1, 0, 1)
    assert len(keep.hunks[0].lines) == 5
