from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from prreview.errors import OutputError, UsageError
from prreview.output import (
    append_step_summary,
    check_writable,
    fit_bytes,
    parse_outputs,
    write_atomic,
    write_output,
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


# --------------------------------------------------------------------------- issue 12 point 5


def test_stdout_aliases_are_stdout() -> None:
    assert parse_outputs(["json=/dev/stdout"]) == [("json", "-")]
    with pytest.raises(UsageError, match="only one output can"):
        parse_outputs(["json=/dev/stdout", "markdown=-"])


def test_dev_null_is_written_in_place_and_stays_a_character_device() -> None:
    before = os.stat("/dev/null")
    check_writable([("json", "/dev/null")])
    write_output("/dev/null", "{}\n")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_fifo_gets_the_report_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    check_writable([("sarif", str(fifo))])
    write_output(str(fifo), "line 1\nline 2\n")
    reader.join(10)
    assert received == [b"line 1\nline 2\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.fifo"], "no temp file"


def test_a_descriptor_path_appends_instead_of_truncating(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with open(log, "w", encoding="utf-8") as handle:
        handle.write("earlier\n")
        handle.flush()
        path = f"/proc/self/fd/{handle.fileno()}"
        check_writable([("json", path)])
        write_output(path, "report\n")
    assert log.read_text(encoding="utf-8") == "earlier\nreport\n"


def test_a_regular_file_is_still_replaced_atomically(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    target.write_text("old", encoding="utf-8")
    inode = target.stat().st_ino
    write_output(str(target), "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_ino != inode, "renamed into place, not rewritten"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("/proc/self/status", "pseudo filesystem"),
        ("/proc/nonexistent/report.json", "pseudo filesystem"),
        ("/sys/kernel/report.json", "pseudo filesystem"),
        ("/dev/no-such-dir/report.json", "/dev holds devices"),
        ("/dev/prreview-report.json", "/dev holds devices"),
        ("/", "is a directory"),
        ("/dev/fd/987", "not open for writing"),
    ],
)
def test_special_paths_are_refused_up_front(target: str, message: str) -> None:
    with pytest.raises(OutputError) as info:
        check_writable([("json", target)])
    assert info.value.exit_code == 2
    assert message in str(info.value) and f"--output json={target}" in str(info.value)
    assert not os.path.exists("/dev/no-such-dir") and not os.path.exists(
        "/dev/prreview-report.json"
    )


def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        with pytest.raises(OutputError, match="socket"):
            check_writable([("json", str(path))])
    finally:
        server.close()
