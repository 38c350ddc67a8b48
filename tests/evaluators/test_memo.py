"""The whole-run memo: identical re-runs skip analysis and planning; nothing else reuses it."""

from __future__ import annotations

from pathlib import Path

from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.run_support import answer, finding, run_main

MEMO = "identical to an earlier run"


def _repo(git_repo):  # type: ignore[no-untyped-def]
    repo = git_repo()
    repo.write("src/a.py", "def a(x):\n    return x\n")
    repo.commit("base")
    repo.write("src/a.py", "def a(x):\n    return x + 1\n")
    repo.commit("change")
    return repo


def _args(repo, server: FakeOpenAIServer, cache: Path, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/test-model",
        "--api-base", server.api_base, "--cache-dir", str(cache), "--retries", "0",
        "--no-summary", "-o", "json=-", *extra,
    ]  # fmt: skip


def test_identical_rerun_uses_the_memo(git_repo, openai_server, capsys, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    openai_server.responder = lambda body: answer(finding("src/a.py", 2, title="Off by one"))
    first = run_main(capsys, *_args(repo, openai_server, tmp_path / "c"))
    assert first.code == 1 and MEMO not in first.err
    calls = len(openai_server.requests)
    second = run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "--fail-on", "none"))
    assert second.code == 0, "the gate is applied after the memo, with this run's policy"
    assert MEMO in second.err
    assert len(openai_server.requests) == calls
    one, two = Review.model_validate_json(first.out), Review.model_validate_json(second.out)
    assert [f.fingerprint for f in one.findings] == [f.fingerprint for f in two.findings]
    assert two.stats.calls == 0 and two.stats.cache_hits == one.stats.calls
    assert two.change.symbols == one.change.symbols


def test_other_evaluators_do_not_reuse_the_memo(
    git_repo, openai_server, capsys, tmp_path: Path
) -> None:
    repo = _repo(git_repo)
    run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "-e", "correctness"))
    res = run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "-e", "security"))
    assert MEMO not in res.err
    assert len(openai_server.requests) == 2


def test_incomplete_runs_are_not_memoised(git_repo, openai_server, capsys, tmp_path: Path) -> None:
    repo = _repo(git_repo)
    openai_server.responder = lambda body: Response.error(500, "down")
    res = run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "-e", "correctness"))
    assert res.code == 3
    failed = len(openai_server.requests)
    openai_server.responder = lambda body: answer()
    res = run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "-e", "correctness"))
    assert res.code == 0 and MEMO not in res.err
    assert len(openai_server.requests) == failed + 1
    res = run_main(capsys, *_args(repo, openai_server, tmp_path / "c", "-e", "correctness"))
    assert res.code == 0 and MEMO in res.err
    assert len(openai_server.requests) == failed + 1
