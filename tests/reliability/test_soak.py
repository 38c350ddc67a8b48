"""Item 10: 200 units against a model that fails 30% of requests (HTTP 500 or 429).

Faults are keyed on (prompt, attempt number), not on arrival order, so the run is the same
however the 16 concurrent calls interleave. The answer is keyed on the prompt too: one
finding per added line that contains BUG, so a fault-free run is the reference.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.security.support import answer, base_env, model_args, prompt_text, run_cli

UNITS = 200
FAULT_RATE = 0.3
SEED = 20240102
_ADDED_BUG = re.compile(r"^### (\S+) \[|^\s*(\d+)\|\+ .*BUG", re.MULTILINE)


def findings_for(prompt: str) -> str:
    """One finding per added line containing BUG, on that file and line."""
    items, path = [], None
    for match in _ADDED_BUG.finditer(prompt.split("## The change (DATA)", 1)[-1]):
        if match.group(1):
            path = match.group(1)
        elif path is not None:
            line = int(match.group(2))
            items.append({"file": path, "line": line, "title": f"bug at {path}:{line}"})
    return answer(*items, summary="ok")


def faulty(rate: float, seed: int) -> tuple[Callable[[dict[str, Any]], Response], Counter[str]]:
    attempts: Counter[str] = Counter()
    lock = threading.Lock()

    def respond(body: dict[str, Any]) -> Response:
        prompt = prompt_text(body)
        key = hashlib.sha256(prompt.encode()).hexdigest()
        with lock:
            attempts[key] += 1
            n = attempts[key]
        rng = random.Random(f"{seed}:{key}:{n}")
        if rng.random() < rate:
            if rng.random() < 0.5:
                return Response.error(500, "injected server error", "server_error")
            return Response.error(429, "injected rate limit", "rate_limit_exceeded")
        return Response(content=findings_for(prompt))

    return respond, attempts


def _repo(git_repo):
    repo = git_repo()
    for i in range(UNITS):
        repo.write(f"m{i:03d}/mod.py", f"def f{i}(x):\n    return x\n")
    repo.commit("base")
    for i in range(UNITS):
        body = f"def f{i}(x):\n    y = x + {i}  # BUG off by {i}\n    return y\n"
        repo.write(f"m{i:03d}/mod.py", body)
    repo.commit("change")
    return repo


def _run(repo, tmp_path: Path, capsys, monkeypatch, server: FakeOpenAIServer, retries: int):
    out = tmp_path / f"r{retries}.json"
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={out}"]
    args += ["--evaluator", "correctness", "--max-concurrency", "16", "--fail-on", "none"]
    args += ["--no-cache", "--retries", str(retries), "--timeout", "30"]
    env = {**base_env(tmp_path), "PRREVIEW_RETRY_BACKOFF": "0.01"}
    result = run_cli(capsys, monkeypatch, [*args, *model_args(server)], env)
    assert "Traceback" not in result.stderr
    return result, json.loads(out.read_text())


def _llm_findings(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (f["path"], f["start_line"], f["title"]) for f in report["findings"] if f["source"] == "llm"
    ]


def _faulty_run(repo, tmp_path, capsys, monkeypatch, retries: int):
    with FakeOpenAIServer() as server:
        server.responder, attempts = faulty(FAULT_RATE, SEED)
        result, report = _run(repo, tmp_path, capsys, monkeypatch, server, retries)
        assert len(server.requests) == sum(attempts.values()) > UNITS
    retried = sum(1 for n in attempts.values() if n > 1)
    assert retried > UNITS * 0.2, f"faults were injected and retried ({retried} units)"
    return result, report


def _assert_nothing_lost_or_doubled(report: dict[str, Any], expected: list) -> int:
    """Every unit is reviewed or counted as failed; returns the number that failed."""
    stats = report["stats"]
    got = _llm_findings(report)
    assert len(got) == len(set(got)), "no finding duplicated"
    assert set(got) <= set(expected), "no finding invented"
    lost_units = {path.split("/")[0] for path, _line, _title in set(expected) - set(got)}
    assert stats["units_failed"] == len(lost_units), "a finding is lost only with its unit"
    assert stats["hunks_reviewed"] + stats["units_failed"] == stats["hunks"] == UNITS
    assert stats["units"] + stats["units_failed"] == UNITS  # `units` counts the answered ones
    return int(stats["units_failed"])


def test_two_hundred_units_with_thirty_percent_faults(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    repo = _repo(git_repo)
    with FakeOpenAIServer() as server:
        server.responder = lambda body: Response(content=findings_for(prompt_text(body)))
        clean, reference = _run(repo, tmp_path, capsys, monkeypatch, server, 6)
    assert clean.code == 0, clean.stderr
    expected = sorted(_llm_findings(reference))
    assert reference["stats"]["units"] == UNITS and len(expected) == UNITS

    # 6 retries: a unit fails only after 7 faults in a row (0.3**7); with this seed none does.
    noisy, report = _faulty_run(repo, tmp_path, capsys, monkeypatch, 6)
    assert _assert_nothing_lost_or_doubled(report, expected) == 0
    assert noisy.code == 0 and report["complete"] is True
    assert sorted(_llm_findings(report)) == expected

    # 1 retry: about 9% of the units fail twice; the run says so and exits 3.
    short, report = _faulty_run(repo, tmp_path, capsys, monkeypatch, 1)
    failed = _assert_nothing_lost_or_doubled(report, expected)
    assert 0 < failed < UNITS * 0.2
    assert short.code == 3 and report["complete"] is False
    assert f"{failed} model call(s) failed" in report["incomplete_reason"]
