"""Budgets: pre-flight --max-cost / --max-tokens before any request, and what they skip."""

from __future__ import annotations

from pathlib import Path

from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer
from tests.run_support import run_main


def _repo(git_repo):  # type: ignore[no-untyped-def]
    repo = git_repo()
    repo.write("src/auth/login.py", "def login(user):\n    return True\n")
    repo.write("docs/tools/fmt.py", "def fmt(x):\n    return str(x)\n")
    repo.commit("base")
    repo.write("src/auth/login.py", "def login(user):\n    return user.password == ''\n")
    repo.write("docs/tools/fmt.py", "def fmt(x):\n    return repr(x)\n")
    repo.commit("change")
    return repo


def _args(repo, server: FakeOpenAIServer, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/gpt-4.1-mini",
        "--api-base", server.api_base, "--no-cache", "--no-summary", "-e", "correctness",
        "--retries", "0", "-o", "json=-", *extra,
    ]  # fmt: skip


def test_max_cost_over_the_estimate_exits_2_before_any_request(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _repo(git_repo)
    res = run_main(capsys, *_args(repo, openai_server, "--max-cost", "0.0000001"))
    assert res.code == 2
    assert "--max-cost" in res.err
    assert openai_server.requests == []


def test_max_tokens_drops_the_least_risky_unit_and_says_so(
    git_repo, openai_server: FakeOpenAIServer, capsys, monkeypatch
) -> None:
    repo = _repo(git_repo)
    monkeypatch.setenv("PRREVIEW_MAX_OUTPUT_TOKENS", "100")
    dry = run_main(capsys, *_args(repo, openai_server, "--dry-run"))
    planned = Review.model_validate_json(dry.out).stats.prompt_tokens
    assert planned > 0 and openai_server.requests == []
    budget = planned + 2 * 100 - 1  # two units of one evaluator: one must go
    res = run_main(capsys, *_args(repo, openai_server, "--max-tokens", str(budget)))
    assert res.code == 3, res.err  # a unit the model never saw: incomplete (issue 12.3)
    review = Review.model_validate_json(res.out)
    assert not review.complete
    sent = "\n".join(str(m["content"]) for r in openai_server.requests for m in r.body["messages"])
    assert len(openai_server.requests) == 1
    assert "src/auth/login.py" in sent, "the security-sensitive unit is kept"
    assert "docs/tools/fmt.py" not in sent
    skipped = [s for s in review.skipped if s.path == "docs/tools/fmt.py"]
    assert skipped and "--max-tokens" in skipped[0].reason and skipped[0].incomplete
    assert review.stats.hunks_reviewed < review.stats.hunks


def test_max_tokens_below_the_smallest_unit_exits_2(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _repo(git_repo)
    res = run_main(capsys, *_args(repo, openai_server, "--max-tokens", "10"))
    assert res.code == 2
    assert "--max-tokens" in res.err
    assert openai_server.requests == []


def test_dry_run_dumps_every_prompt_and_sends_nothing(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path: Path
) -> None:
    repo = _repo(git_repo)
    out = tmp_path / "prompts"
    res = run_main(capsys, *_args(repo, openai_server, "--dry-run", "--dump-prompts", str(out)))
    assert res.code == 0
    assert len(list(out.iterdir())) == 2 and openai_server.requests == []
