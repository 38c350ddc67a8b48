"""Item 12: SIGTERM during the model calls exits 143 and leaves no half-written report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import base_env, one_line_change


def _wait_for_request(server: FakeOpenAIServer, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not server.requests:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the run never called the model"
        time.sleep(0.05)


def test_sigterm_writes_an_incomplete_report_and_exits_143(git_repo, tmp_path: Path) -> None:
    repo = one_line_change(git_repo)
    out = tmp_path / "out"
    out.mkdir()
    with FakeOpenAIServer(latency=5.0) as server:
        args = ["prreview", "run", "-C", str(repo.path), "--base", "HEAD~1", "--no-cache"]
        args += ["--model", "openai/test-model", "--api-base", server.api_base]
        args += ["--output", f"json={out / 'out.json'}", "--output", f"sarif={out / 'out.sarif'}"]
        env = {**os.environ, **base_env(tmp_path)}
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        _wait_for_request(server, proc)
        time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=30)
        took = time.monotonic() - started
    assert proc.returncode == 143, stderr
    assert took < 4.0, "SIGTERM did not wait for the 5 s model answers"
    assert "Traceback" not in stderr, stderr
    assert "SIGTERM" in stderr
    left = sorted(p.name for p in out.iterdir())
    assert left == ["out.json", "out.sarif"], f"temp files left behind or reports missing: {left}"
    report = json.loads((out / "out.json").read_text())
    assert report["complete"] is False
    assert "SIGTERM" in report["incomplete_reason"]
    sarif = json.loads((out / "out.sarif").read_text())
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False
