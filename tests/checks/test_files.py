from __future__ import annotations

from prreview.checks import run_checks
from prreview.checks.files import LARGE_FILE_BYTES, FilesCheck
from prreview.models import FileChange
from tests.checks_support import make_file


def binary(path: str, *, status: str = "added", size: int | None = 1000) -> FileChange:
    return FileChange(path=path, status=status, is_binary=True, size=size, skip_reason="binary")  # type: ignore[arg-type]


def test_binary_file_added() -> None:
    [f] = FilesCheck().check(binary("assets/logo.png"))
    assert (f.rule_id, f.path, f.start_line, f.end_line) == (
        "files/binary",
        "assets/logo.png",
        None,
        None,
    )
    assert f.severity == "low" and f.fingerprint


def test_large_file_added() -> None:
    file = make_file("data/dump.csv", ["a,b"], status="added", size=LARGE_FILE_BYTES + 1)
    [f] = FilesCheck().check(file)
    assert (f.rule_id, f.start_line) == ("files/large", None)
    assert "MB" in f.message


def test_large_binary_gives_both() -> None:
    findings = run_checks([binary("model.bin", size=5 * LARGE_FILE_BYTES)])
    assert [f.rule_id for f in findings] == ["files/binary", "files/large"]


def test_not_reported() -> None:
    check = FilesCheck()
    assert list(check.check(binary("logo.png", status="modified"))) == []
    at_limit = make_file("data.csv", ["x"], status="added", size=LARGE_FILE_BYTES)
    assert list(check.check(at_limit)) == []
    unknown = make_file("data.csv", ["x"], status="added", size=None)
    assert list(check.check(unknown)) == []
    lock = make_file("package-lock.json", ["{"], status="added", size=10 * LARGE_FILE_BYTES)
    assert list(check.check(lock)) == []
    grown = make_file("data.csv", ["x"], status="modified", size=10 * LARGE_FILE_BYTES)
    assert list(check.check(grown)) == []
