"""SIGTERM during the model calls exits 143, leaves no half-written report and keeps the
findings of the calls that had finished (docs/security.md)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.security.support import answer, base_env, model_args, one_line_change, prompt_text


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


def test_sigterm_keeps_the_findings_of_finished_calls(git_repo, tmp_path: Path) -> None:
    """Two units: `one/fast.py` answers at once with a finding, `slow.py` takes 30 s. SIGTERM
    after the first answer: exit 143, complete false, and the fast finding is reported."""
    repo = git_repo()
    repo.write("one/fast.py", "a = 1\n")  # two modules: two units, two calls
    repo.write("two/slow.py", "b = 1\n")
    repo.commit("base")
    repo.write("one/fast.py", "a = 2\n")
    repo.write("two/slow.py", "b = 2\n")
    repo.commit("change")
    finding = {"file": "one/fast.py", "line": 1, "severity": "high", "title": "Kept after SIGTERM"}

    def respond(body: dict) -> Response:
        if "slow.py" in prompt_text(body):
            return Response(content=answer(), delay=30.0)
        return Response(content=answer(finding))

    out = tmp_path / "r.json"
    with FakeOpenAIServer() as server:
        server.responder = respond
        args = ["prreview", "run", "-C", str(repo.path), "--base", "HEAD~1", "--no-cache"]
        args += ["-e", "correctness", *model_args(server), "--output", f"json={out}"]
        env = {**os.environ, **base_env(tmp_path)}
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        deadline = time.monotonic() + 60
        while not any(r.ended and "fast.py" in prompt_text(r.body) for r in server.requests):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the fast call never finished"
            time.sleep(0.05)
        time.sleep(0.5)  # the client has read the answer
        proc.send_signal(signal.SIGTERM)
        _stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 143, stderr
    assert "Traceback" not in stderr, stderr
    report = json.loads(out.read_text())
    assert report["complete"] is False
    assert "SIGTERM" in report["incomplete_reason"]
    titles = [f["title"] for f in report["findings"]]
    assert titles == ["Kept after SIGTERM"], report["findings"]
