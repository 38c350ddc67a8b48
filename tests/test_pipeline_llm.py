# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""Issue 4 at the pipeline level: `prreview run --model` against a loopback model server."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.run_support import (
    answer,
    evaluator_of,
    finding,
    run_main,
    run_python,
    run_subprocess,
    two_commits,
)

CANARY = "sk-test-canary-7f3a9c2e1b"
BASE_PY = "def total(items):\n    n = 0\n    for i in range(len(items)):\n        n += items[i]\n    return n\n"
HEAD_PY = (
    "def total(items):\n    n = 0\n    for i in range(len(items) - 1):\n"
    "        n += items[i]\n    return n\n"
)


@pytest.fixture
def repo(git_repo, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE", "PRREVIEW_FAIL_ON"):
        monkeypatch.delenv(name, raising=False)
    r = git_repo()
    two_commits(r, {"src/calc.py": BASE_PY}, {"src/calc.py": HEAD_PY})
    return r


def llm_args(repo, server: FakeOpenAIServer, *extra: str) -> list[str]:
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1",
        "--model", "openai/test-model", "--api-base", server.api_base,
        "--no-summary", "--evaluator", "correctness", "--retries", "0",
        "--cache-dir", str(repo.path.parent / "cache"), *extra,
    ]  # fmt: skip


def test_valid_finding_is_reported_and_gates(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: answer(finding("src/calc.py", 3))
    res = run_main(capsys, *llm_args(repo, openai_server, "-o", "json=-"))
    assert res.code == 1, res.err
    review = Review.model_validate_json(res.out)
    [f] = [f for f in review.findings if f.source == "llm"]
    assert (f.path, f.start_line, f.evaluator) == ("src/calc.py", 3, "correctness")
    assert review.complete
    assert len(openai_server.requests) == 1


def test_findings_outside_the_change_are_dropped(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: answer(
        finding("src/calc.py", 3),
        finding("src/other.py", 1),  # not in the change
        finding("src/calc.py", 99),  # past the end of the file
        finding("../../etc/passwd", 1),
        finding("/etc/passwd", 1),
    )
    res = run_main(capsys, *llm_args(repo, openai_server, "-o", "json=-"))
    review = Review.model_validate_json(res.out)
    assert [f.start_line for f in review.findings if f.source == "llm"] == [3]
    assert review.stats.findings_dropped == 4


def _big_change(git_repo, hunks: int):
    """A file with `hunks` separate changed regions (one hunk each)."""
    repo = git_repo("big")
    lines = [f"value_{i} = {i}\n" for i in range(hunks * 10)]
    changed = list(lines)
    for h in range(hunks):
        changed[h * 10 + 5] = f"value_{h * 10 + 5} = {h} * 2\n"
    two_commits(repo, {"src/big.py": "".join(lines)}, {"src/big.py": "".join(changed)})
    return repo


def test_truncated_answer_splits_the_unit(git_repo, openai_server, capsys, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    repo = _big_change(git_repo, 4)
    seen: list[int] = []

    def respond(body: dict[str, Any]) -> Response:
        diff = body["messages"][1]["content"]
        hunks = diff.count("@@ -")
        seen.append(hunks)
        if hunks > 1:
            return Response(content='{"findings": [{"file": "src/b', finish_reason="length")
        return answer()

    openai_server.responder = respond
    res = run_main(capsys, *llm_args(repo, openai_server, "-o", "json=-"))
    assert res.code == 0, res.err
    review = Review.model_validate_json(res.out)
    assert seen[0] == 4 and seen.count(1) == 4  # split 4 -> 2+2 -> 1+1+1+1
    assert review.complete
    assert review.stats.hunks_reviewed == review.stats.hunks == 4


def test_truncated_single_hunk_is_listed_as_skipped(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(content='{"find', finish_reason="length")
    res = run_main(capsys, *llm_args(repo, openai_server, "-o", "json=-"))
    review = Review.model_validate_json(res.out)
    assert any(
        s.path == "src/calc.py" and "truncated" in s.reason and s.kind == "hunk"
        for s in review.skipped
    ), review.skipped
    assert review.stats.hunks_reviewed == 0


def test_server_error_forever_is_incomplete_exit_3(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response.error(500, "boom")
    res = run_main(capsys, *llm_args(repo, openai_server, "-o", "json=-"))
    assert res.code == 3, res.err
    review = Review.model_validate_json(res.out)
    assert not review.complete and review.incomplete_reason
    assert "INCOMPLETE" in res.err
    md = run_main(capsys, *llm_args(repo, openai_server, "--no-cache"))
    assert md.code == 3
    assert "incomplete" in md.out.lower()


def test_fail_open_exits_0_and_says_so(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response.error(503, "overloaded")
    res = run_main(capsys, *llm_args(repo, openai_server, "--fail-open", "-o", "json=-"))
    assert res.code == 0, res.err
    review = Review.model_validate_json(res.out)
    assert review.fail_open and not review.complete
    assert "fail-open" in res.err
    md = run_main(capsys, *llm_args(repo, openai_server, "--fail-open"))
    assert md.code == 0
    assert "incomplete" in md.out.lower()


def test_auth_error_exits_2_and_never_prints_the_key(repo, openai_server, tmp_path) -> None:
    openai_server.responder = lambda body: Response.error(401, f"Incorrect API key: {CANARY}")
    out = tmp_path / "r.json"
    res = run_subprocess(*llm_args(repo, openai_server, "-o", f"json={out}", "-v"))
    assert res.code == 2, res.err
    assert CANARY not in res.out and CANARY not in res.err
    assert not out.exists() or CANARY not in out.read_text()
    assert openai_server.requests and openai_server.requests[0].auth_present


def test_second_run_is_served_from_cache_without_litellm(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: answer(finding("src/calc.py", 3))
    args = llm_args(repo, openai_server, "-o", "json=-")
    first = run_main(capsys, *args)
    assert first.code == 1
    calls = len(openai_server.requests)
    assert calls == 1
    code = (
        "import sys\n"
        "from prreview.cli import main\n"
        f"rc = main({args!r})\n"
        "sys.stderr.write(f'RC={rc} LITELLM={\"litellm\" in sys.modules}\\n')\n"
    )
    second = run_python(code)
    assert "RC=1 LITELLM=False" in second.err, second.err
    assert len(openai_server.requests) == calls  # zero new requests
    r1 = Review.model_validate_json(first.out)
    r2 = Review.model_validate_json(second.out)
    assert [f.fingerprint for f in r1.findings] == [f.fingerprint for f in r2.findings]
    assert r2.stats.cache_hits == 1 and r2.stats.calls == 0


def test_dry_run_dumps_prompts_and_makes_no_request(repo, openai_server, tmp_path, capsys) -> None:
    dump = tmp_path / "prompts"
    res = run_main(capsys, *llm_args(repo, openai_server, "--dry-run", "--dump-prompts", str(dump)))
    assert res.code == 0, res.err
    assert openai_server.requests == []
    files = sorted(dump.iterdir())
    assert files
    text = files[0].read_text()
    assert "n += items[i]" in text and "CORRECTNESS" in text
    assert "dry run" in res.err


def test_deadline_exits_3(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(hang=True)
    res = run_main(capsys, *llm_args(repo, openai_server, "--deadline", "1", "-o", "json=-"))
    assert res.code == 3, res.err
    review = Review.model_validate_json(res.out)
    assert not review.complete
    assert "deadline" in (review.incomplete_reason or "")


def test_all_default_evaluators_run_and_summary_call(repo, openai_server, capsys) -> None:
    asked: list[str | None] = []

    def respond(body: dict[str, Any]) -> Response:
        asked.append(evaluator_of(body))
        return Response(content=json.dumps({"findings": [], "summary": "Adds a bug."}))

    openai_server.responder = respond
    args = [a for a in llm_args(repo, openai_server, "-o", "json=-")]
    args = [a for a in args if a not in {"--no-summary", "--evaluator", "correctness"}]
    res = run_main(capsys, *args, "--depth", "deep", "--summary-call")
    assert res.code == 0, res.err
    assert sorted(a for a in asked if a) == ["correctness", "performance", "security", "tests"]
    assert asked.count(None) == 1  # the overview call
    review = Review.model_validate_json(res.out)
    assert review.summary.overview == "Adds a bug."
