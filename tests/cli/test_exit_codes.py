"""Issue 12 point 7, CLI side: every usage error is exit 2 with no traceback, never exit 4."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.run_support import run_main, run_subprocess, two_commits

PY = "def f(x):\n    return x\n"


@pytest.fixture
def repo(git_repo):
    r = git_repo()
    two_commits(r, {"a.py": PY}, {"a.py": PY.replace("x\n", "x + 1\n")})
    return r


def _clean_usage_error(res, *needles: str) -> None:
    assert res.code == 2, (res.code, res.err)
    assert "Traceback" not in res.err, res.err
    assert "internal error" not in res.err, res.err
    for needle in needles:
        assert needle in res.err, res.err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["bogus-command"], "bogus-command"),
        (["run", "--bogus-flag"], "--bogus-flag"),
        (["run", "--max-tokens", "many"], "--max-tokens"),
        (["run", "--output"], "--output"),
        (["merge"], "parts"),
        (["plan", "--format"], "--format"),
        (["cache", "nope"], "nope"),
    ],
)
def test_click_usage_errors_exit_2(capsys, args: list[str], needle: str) -> None:
    _clean_usage_error(run_main(capsys, *args), needle)


def test_click_usage_errors_exit_2_in_a_real_process() -> None:
    """The installed entry point, not only main(): typer's bundled click is what raises here."""
    _clean_usage_error(run_subprocess("run", "--no-such-flag"), "--no-such-flag")
    _clean_usage_error(run_subprocess("merge"), "parts")


def test_no_arguments_shows_help_and_exits_2(capsys) -> None:
    res = run_main(capsys)
    assert res.code == 2
    assert "Commands" in res.out + res.err
    assert "Traceback" not in res.err


def test_shard_out_of_range_exits_2_without_a_model(repo, capsys) -> None:
    res = run_main(capsys, "run", "-C", str(repo.path), "--base", "HEAD~1", "--shard", "3/2")
    _clean_usage_error(res, "--shard")
    assert res.out == ""


def test_non_utf8_config_exits_2_naming_the_flag(repo, tmp_path: Path, capsys) -> None:
    config = tmp_path / "prreview.toml"
    config.write_bytes(b'fail_on = "high"\n# \xff\xfe latin-1 \xe9\n')
    res = run_main(capsys, "run", "-C", str(repo.path), "--base", "HEAD~1", "--config", str(config))
    _clean_usage_error(res, "--config", "UTF-8")


def test_deeply_nested_sarif_exits_2(repo, tmp_path: Path, capsys) -> None:
    sarif = tmp_path / "deep.sarif"
    sarif.write_text('{"version": "2.1.0", "runs": ' + "[" * 200_000 + "]" * 200_000 + "}")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--import-sarif", str(sarif)]
    _clean_usage_error(run_main(capsys, *args), "--import-sarif", "nested")


def _run_with_closed_stdout(args: list[str]) -> subprocess.CompletedProcess[str]:
    code = "import sys; from prreview.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        check=False,
        # fd 1 closed in the child: Python starts with sys.stdout = None
        preexec_fn=lambda: __import__("os").close(1),
    )


def test_closed_stdout_exits_2_before_the_review(repo) -> None:
    proc = _run_with_closed_stdout(["run", "-C", str(repo.path), "--base", "HEAD~1"])
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "--output markdown=-: stdout is closed" in proc.stderr


def test_closed_stdout_is_fine_when_every_report_goes_to_a_file(repo, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = _run_with_closed_stdout(
        ["run", "-C", str(repo.path), "--base", "HEAD~1", "--output", f"json={out}"]
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(out.read_text())["complete"] is True


def test_closed_stdout_for_version_is_a_write_error_not_a_bug() -> None:
    proc = _run_with_closed_stdout(["--version"])
    assert proc.returncode == 2, proc.stderr
    assert "stdout was closed" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_broken_pipe_mid_report_exits_2_quietly(repo) -> None:
    """The reader of stdout went away (`prreview run | head -c0`): exit 2, one message."""
    code = "import sys; from prreview.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--output", "json=-"]
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    proc.stdout.close()  # nobody reads: the first write raises EPIPE
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert "stdout was closed" in stderr


def test_early_git_error_with_model_prints_no_thread_traceback(tmp_path: Path, git_repo) -> None:
    """--model starts the litellm pre-import thread; a fast git failure must not race it."""
    r = git_repo()
    two_commits(r, {"a.py": PY}, {"a.py": PY + "# x\n"})
    res = run_subprocess(
        "run", "-C", str(r.path), "--base", "no-such-ref", "--model", "openai/test-model",
        env={"OPENAI_API_KEY": "sk-dummy", "PRREVIEW_CACHE_DIR": str(tmp_path / "c")},
    )  # fmt: skip
    _clean_usage_error(res, "no-such-ref")
    assert "Exception in thread" not in res.err, res.err
