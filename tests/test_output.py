from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from prreview.errors import OutputError, UsageError
from prreview.output import (
    append_step_summary,
    check_writable,
    fit_bytes,
    parse_outputs,
    write_atomic,
)


def test_parse_outputs_accepts_pairs_bare_formats_and_stdout() -> None:
    assert parse_outputs([]) == [("markdown", "-")]
    assert parse_outputs(["SARIF=out/r.sarif", "markdown", "json=r.json"]) == [
        ("sarif", "out/r.sarif"),
        ("markdown", "-"),
        ("json", "r.json"),
    ]
    assert parse_outputs(["github=-"]) == [("github", "-")]


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (["html=r.html"], "unknown format 'html'"),
        (["json="], "empty path"),
        (["json", "markdown=-"], "only one output can"),
        (["json=r.txt", "sarif=./r.txt"], "both write"),
    ],
)
def test_parse_outputs_rejects_bad_specs(specs: list[str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_outputs(specs)
    assert message in str(info.value) and "--output" in str(info.value)
    if "unknown" in message:
        assert "markdown, json, sarif, codequality, github, rdjsonl" in str(info.value)


def test_check_writable_accepts_new_nested_paths(tmp_path: Path) -> None:
    check_writable([("json", str(tmp_path / "a" / "b" / "r.json")), ("markdown", "-")])
    assert not (tmp_path / "a").exists()


def test_check_writable_rejects_directories_and_files_as_parents(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as info:
        check_writable([("json", str(tmp_path))])
    assert info.value.exit_code == 2 and "is a directory" in str(info.value)
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError):
        check_writable([("json", str(tmp_path / "file" / "r.json"))])


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only directories")
def test_check_writable_rejects_read_only_directories(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(OutputError, match="not writable"):
            check_writable([("sarif", str(locked / "r.sarif"))])
    finally:
        locked.chmod(stat.S_IRWXU)


def test_write_atomic_writes_utf8_bytes_without_translation(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.md"
    write_atomic(target, "é\r\nline\n")
    assert target.read_bytes() == "é\r\nline\n".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    target.chmod(0o600)
    write_atomic(target, "second\n")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.md"]


def test_write_atomic_failure_is_an_output_error_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    (target / "child").mkdir(parents=True)
    with pytest.raises(OutputError, match="cannot write"):
        write_atomic(target, "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_step_summary_appends_and_respects_the_limit(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    append_step_summary(summary, "# report\n")
    assert summary.read_text(encoding="utf-8") == "earlier step output\n# report\n"
    big = "".join(f"line {i} ü\n" for i in range(200_000))
    append_step_summary(summary, big)
    data = summary.read_bytes()
    assert len(data) <= 1024 * 1024
    assert data.decode("utf-8").endswith(
        "step-summary limit; the JSON and SARIF reports list every finding.\n"
    )


def test_fit_bytes_cuts_at_a_line_end() -> None:
    cut = fit_bytes("aaaa\nbbbb\ncccc\n", 300)
    assert cut == b"aaaa\nbbbb\ncccc\n"
    small = fit_bytes("x" * 50 + "\n" + "y" * 500 + "\n", 250)
    assert small.startswith(b"x" * 50 + b"\n\n>") and len(small) <= 250
    assert fit_bytes("abc", 10) == b"abc\n"
