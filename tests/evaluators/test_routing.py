# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""Issue 5 end to end: evaluator routing, cross-evaluator merging and re-anchoring."""

from __future__ import annotations

from typing import Any

import pytest

from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.run_support import answer, evaluator_of, finding, run_main, two_commits

AUTH_BASE = "def login(user, password):\n    return check(user, password)\n"
AUTH_HEAD = "def login(user, password):\n    return check(user, password) or True\n"
PAY_BASE = "def pay(amount):\n    return charge(amount)\n"
PAY_HEAD = "def pay(amount):\n    return charge(amount * 100)\n"


@pytest.fixture(autouse=True)
def _key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-routing")
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE", "PRREVIEW_FILTER_MODE"):
        monkeypatch.delenv(name, raising=False)


def run_args(repo, server: FakeOpenAIServer, *extra: str) -> list[str]:
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/test-model",
        "--api-base", server.api_base, "--no-summary", "--no-cache", "--retries", "0",
        "-o", "json=-", *extra,
    ]  # fmt: skip


def test_security_evaluator_sees_only_its_paths(git_repo, openai_server, capsys) -> None:
    repo = git_repo()
    two_commits(
        repo,
        {
            ".prreview.toml": '[evaluators.security]\npaths = ["src/auth/**"]\n',
            "src/auth/login.py": AUTH_BASE,
            "src/billing/pay.py": PAY_BASE,
        },
        {"src/auth/login.py": AUTH_HEAD, "src/billing/pay.py": PAY_HEAD},
    )
    prompts: dict[str, list[str]] = {}

    def respond(body: dict[str, Any]) -> Response:
        text = "\n".join(m["content"] for m in body["messages"][:-1])
        prompts.setdefault(evaluator_of(body) or "?", []).append(text)
        return answer()

    openai_server.responder = respond
    res = run_main(capsys, *run_args(repo, openai_server, "-e", "security", "-e", "correctness"))
    assert res.code == 0, res.err
    security = "\n".join(prompts["security"])
    assert "src/auth/login.py" in security and "or True" in security
    assert "src/billing/pay.py" not in security and "amount * 100" not in security
    correctness = "\n".join(prompts["correctness"])
    assert "or True" in correctness and "amount * 100" in correctness


def test_pyproject_evaluator_table_routes_too(git_repo, openai_server, capsys) -> None:
    repo = git_repo()
    two_commits(
        repo,
        {
            "pyproject.toml": '[tool.prreview.evaluators.security]\npaths = ["src/auth/**"]\n',
            "src/auth/login.py": AUTH_BASE,
            "src/billing/pay.py": PAY_BASE,
        },
        {"src/auth/login.py": AUTH_HEAD, "src/billing/pay.py": PAY_HEAD},
    )
    seen: list[str] = []

    def respond(body: dict[str, Any]) -> Response:
        seen.append(body["messages"][1]["content"])
        return answer()

    openai_server.responder = respond
    assert run_main(capsys, *run_args(repo, openai_server, "-e", "security")).code == 0
    assert seen and all("amount * 100" not in s for s in seen)
    assert any("or True" in s for s in seen)


def test_two_evaluators_same_line_merge_into_one(git_repo, openai_server, capsys) -> None:
    repo = git_repo()
    two_commits(repo, {"src/auth/login.py": AUTH_BASE}, {"src/auth/login.py": AUTH_HEAD})

    def respond(body: dict[str, Any]) -> Response:
        name = evaluator_of(body)
        confidence = {"security": 0.9, "correctness": 0.8}.get(name or "", 0.0)
        if not confidence:
            return answer()
        return answer(
            finding(
                "src/auth/login.py", 2, title="Login always succeeds", category="auth-bypass",
                confidence=confidence,
            )
        )  # fmt: skip

    openai_server.responder = respond
    res = run_main(capsys, *run_args(repo, openai_server, "-e", "security", "-e", "correctness"))
    assert res.code == 1, res.err
    review = Review.model_validate_json(res.out)
    llm = [f for f in review.findings if f.source == "llm"]
    assert len(llm) == 1
    assert llm[0].evaluators == ("correctness", "security")
    assert llm[0].confidence == pytest.approx(1 - 0.1 * 0.2)


def _untouched_line_repo(git_repo):
    repo = git_repo()
    body = "".join(f"def f{i}():\n    return {i}\n\n" for i in range(10))
    changed = body.replace("return 8\n", "return 80\n")
    two_commits(repo, {"src/mod.py": body}, {"src/mod.py": changed})
    return repo


def test_finding_off_the_change_is_filtered_unless_file_mode(
    git_repo, openai_server, capsys
) -> None:
    repo = _untouched_line_repo(git_repo)
    openai_server.responder = lambda body: answer(finding("src/mod.py", 2, title="f0 is wrong"))
    args = run_args(repo, openai_server, "-e", "correctness")
    res = run_main(capsys, *args, "--filter-mode", "added")
    review = Review.model_validate_json(res.out)
    assert res.code == 0
    assert [f for f in review.findings if f.source == "llm"] == []
    assert review.stats.filtered == 1
    kept = run_main(capsys, *args, "--filter-mode", "file")
    review = Review.model_validate_json(kept.out)
    [f] = [f for f in review.findings if f.source == "llm"]
    assert (f.path, f.start_line) == ("src/mod.py", 2)
    assert f.confidence == pytest.approx(0.9 * 0.75)  # anchored away from the diff
    assert review.stats.filtered == 0


def test_definition_from_another_file_reaches_the_prompt(git_repo, openai_server, capsys) -> None:
    repo = git_repo()
    util = (
        "def clamp_between(value, low, high):\n"
        '    """Return value limited to [low, high]."""\n'
        "    return max(low, min(value, high))\n"
    )
    two_commits(
        repo,
        {
            "src/util.py": util,
            "src/app.py": "from src.util import clamp_between\n\n\ndef volume(v):\n    return v\n",
        },
        {
            "src/app.py": (
                "from src.util import clamp_between\n\n\n"
                "def volume(v):\n    return clamp_between(v, 100, 0)\n"
            )
        },
    )
    prompts: list[str] = []

    def respond(body: dict[str, Any]) -> Response:
        prompts.append(body["messages"][1]["content"])
        return answer(finding("src/app.py", 5, title="Arguments swapped", category="logic"))

    openai_server.responder = respond
    res = run_main(capsys, *run_args(repo, openai_server, "-e", "correctness"))
    assert res.code == 1, res.err
    assert prompts and "return max(low, min(value, high))" in prompts[0]
    assert "src/util.py" in prompts[0]


def test_samples_keep_only_majority_findings(git_repo, openai_server, capsys) -> None:
    repo = git_repo()
    two_commits(repo, {"src/auth/login.py": AUTH_BASE}, {"src/auth/login.py": AUTH_HEAD})

    def respond(body: dict[str, Any]) -> Response:
        seed = body.get("seed")
        items = [finding("src/auth/login.py", 2, title="Login always succeeds", category="auth")]
        if seed == 0:
            items.append(finding("src/auth/login.py", 2, title="Lonely guess", category="naming"))
        return answer(*items) if seed in (0, 1) else answer(items[0])

    openai_server.responder = respond
    res = run_main(capsys, *run_args(repo, openai_server, "-e", "correctness", "--samples", "3"))
    assert res.code == 1, res.err
    assert sorted(r.body.get("seed") for r in openai_server.requests) == [0, 1, 2]
    assert {r.body.get("temperature") for r in openai_server.requests} == {0.7}
    review = Review.model_validate_json(res.out)
    titles = [f.title for f in review.findings if f.source == "llm"]
    assert titles == ["Login always succeeds"], "a finding one sample of three made is dropped"
