# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""Issue 14.1/14.2/14.6: one call per unit by default, routing by file kind, the three depths,
the overview from the unit answers, and the per-depth dry run. Real git, the loopback model."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prreview.evaluators.registry import file_kind
from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.run_support import finding, prompt_text, run_main, two_commits

CODE_BASE = "def total(items):\n    return sum(items)\n"
CODE_HEAD = "def total(items):\n    return sum(items[1:])\n"
HELPER = "def helper(x):\n    return x * 2\n"


@pytest.fixture(autouse=True)
def _key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-depth")
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE", "PRREVIEW_DEPTH"):
        monkeypatch.delenv(name, raising=False)


def _args(repo, server: FakeOpenAIServer, *extra: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/test-model",
        "--api-base", server.api_base, "--no-cache", "--retries", "0", "-o", "json=-", *extra,
    ]  # fmt: skip


def _code_and_docs(git_repo):  # type: ignore[no-untyped-def]
    repo = git_repo()
    two_commits(
        repo,
        {
            "pkg/calc.py": CODE_BASE,
            "pkg/util.py": HELPER,
            "CONTRIBUTING.md": "# Contributing\n\nRun the tests.\n",
        },
        {
            "pkg/calc.py": CODE_HEAD,
            "pkg/util.py": HELPER + "\n\ndef triple(x):\n    return x * 3\n",
            "CONTRIBUTING.md": "# Contributing\n\nRun the tests with pytest.\n",
        },
    )
    return repo


def _task(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


def test_default_depth_sends_one_call_per_unit_with_every_lens(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _code_and_docs(git_repo)
    res = run_main(capsys, *_args(repo, openai_server))
    assert res.code == 0, res.err
    tasks = [_task(r.body) for r in openai_server.requests]
    code = [t for t in tasks if "CORRECTNESS" in t]
    assert len(code) == 1, "one combined call for the code unit"
    for lens in ("CORRECTNESS", "SECURITY", "PERFORMANCE", "TESTS"):
        assert lens in code[0]
    # no separate overview call: only unit calls were made
    assert len(openai_server.requests) == 2
    assert not any("Write a short overview" in prompt_text(r.body) for r in openai_server.requests)


def test_a_docs_only_unit_gets_no_security_or_performance_lens(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _code_and_docs(git_repo)
    for depth in ("default", "deep"):
        openai_server.requests.clear()
        res = run_main(capsys, *_args(repo, openai_server, "--depth", depth))
        assert res.code == 0, res.err
        docs = [r for r in openai_server.requests if "### CONTRIBUTING.md [" in prompt_text(r.body)]
        assert docs, depth
        for r in docs:
            task = _task(r.body)
            assert "DOCS" in task, depth
            assert "SECURITY" not in task and "PERFORMANCE" not in task, (depth, task)


def test_deep_depth_gives_each_lens_its_own_call_and_names_the_evaluator(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _code_and_docs(git_repo)
    res = run_main(capsys, *_args(repo, openai_server, "--depth", "deep"))
    assert res.code == 0, res.err
    code_tasks = [
        _task(r.body) for r in openai_server.requests if "pkg/calc.py" in prompt_text(r.body)
    ]
    assert len(code_tasks) == 4
    assert sum("for SECURITY" in t for t in code_tasks) == 1
    # naming an evaluator explicitly is a dedicated call too
    openai_server.requests.clear()
    res = run_main(capsys, *_args(repo, openai_server, "-e", "security"))
    assert res.code == 0, res.err
    assert len(openai_server.requests) == 1
    assert "for SECURITY" in _task(openai_server.requests[0].body)


def test_combined_findings_keep_their_lens_from_the_category(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = git_repo()
    two_commits(repo, {"pkg/calc.py": CODE_BASE}, {"pkg/calc.py": CODE_HEAD})
    items = [
        finding("pkg/calc.py", 2, title="Drops the first item", category="correctness/logic"),
        finding("pkg/calc.py", 2, title="Quadratic slice", category="performance", severity="low"),
        finding("pkg/calc.py", 2, title="Unclassified", category="edge-case", severity="low"),
    ]
    openai_server.enqueue(
        Response(content=json.dumps({"findings": items, "summary": "Sums all but the first."}))
    )
    res = run_main(capsys, *_args(repo, openai_server, "--filter-mode", "nofilter"))
    assert res.code == 1, res.err
    review = Review.model_validate_json(res.out)
    by_title = {f.title: f for f in review.findings}
    assert by_title["Drops the first item"].evaluator == "correctness"
    assert by_title["Drops the first item"].category == "logic"
    assert by_title["Quadratic slice"].evaluator == "performance"
    assert by_title["Unclassified"].evaluator == "correctness"
    assert len(openai_server.requests) == 1
    assert review.summary.overview == "Sums all but the first."


def test_overview_is_built_from_unit_answers_and_the_summary_call_is_an_option(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _code_and_docs(git_repo)

    def respond(body: dict[str, Any]) -> Response:
        text = prompt_text(body)
        if "Write a short overview" in text:
            return Response(content='{"findings": [], "summary": "From the summary call."}')
        part = "the docs" if "### CONTRIBUTING.md [" in text else "the code"
        return Response(content=json.dumps({"findings": [], "summary": f"Changes {part}."}))

    openai_server.responder = respond
    res = run_main(capsys, *_args(repo, openai_server))
    overview = Review.model_validate_json(res.out).summary.overview
    assert "Changes the code." in overview and "Changes the docs." in overview
    assert "`pkg/calc.py`" in overview
    calls = len(openai_server.requests)
    openai_server.requests.clear()
    res = run_main(capsys, *_args(repo, openai_server, "--summary-call"))
    assert Review.model_validate_json(res.out).summary.overview == "From the summary call."
    assert len(openai_server.requests) == calls + 1


def test_quick_depth_sends_the_diff_without_context(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = git_repo()
    caller = "from pkg.util import helper\n\n\ndef use():\n    return helper(2)\n"
    two_commits(
        repo,
        {"pkg/util.py": HELPER, "pkg/use.py": caller},
        {"pkg/util.py": "def helper(x):\n    return x * 3\n", "pkg/use.py": caller},
    )
    res = run_main(capsys, *_args(repo, openai_server))
    assert res.code == 0, res.err
    assert "## Context" in prompt_text(openai_server.requests[0].body)
    openai_server.requests.clear()
    res = run_main(capsys, *_args(repo, openai_server, "--depth", "quick"))
    assert res.code == 0, res.err
    assert len(openai_server.requests) == 1
    text = prompt_text(openai_server.requests[0].body)
    assert "## Context" not in text and "return x * 3" in text


def test_unknown_depth_is_a_usage_error_naming_the_values(git_repo, capsys) -> None:
    repo = git_repo()
    two_commits(repo, {"a.py": CODE_BASE}, {"a.py": CODE_HEAD})
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "--depth", "max")
    assert res.code == 2
    assert "--depth" in res.err and "quick, default, deep" in res.err
    assert "Traceback" not in res.err


def test_unknown_depth_in_the_config_file_is_exit_2(git_repo, capsys) -> None:
    repo = git_repo()
    two_commits(repo, {"a.py": CODE_BASE, ".prreview.toml": 'depth = "max"\n'}, {"a.py": CODE_HEAD})
    res = run_main(capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1")
    assert res.code == 2
    assert "depth" in res.err and "'quick'" in res.err


def test_dry_run_prints_each_depth_and_max_cost_gates_on_the_same_estimate(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _code_and_docs(git_repo)
    model = ["--model", "openai/gpt-4o"]
    res = run_main(capsys, *_args(repo, openai_server, "--dry-run", *model))
    assert res.code == 0, res.err
    assert openai_server.requests == []
    lines = {d: ln for ln in res.err.splitlines() for d in ("quick", "default", "deep")
             if f"depth {d}:" in ln}  # fmt: skip
    assert set(lines) == {"quick", "default", "deep"}
    assert "(selected)" in lines["default"]
    assert "2 calls" in lines["default"] and "2 calls" in lines["quick"]
    assert "5 calls" in lines["deep"], lines["deep"]
    cost = float(lines["default"].split("est. $")[1].split()[0])
    planned = Review.model_validate_json(res.out).stats.prompt_tokens
    assert f"~{planned:,} prompt tokens" in lines["default"]
    over = run_main(capsys, *_args(repo, openai_server, *model, "--max-cost", f"{cost * 0.9:.6f}"))
    assert over.code == 2 and "--max-cost" in over.err and openai_server.requests == []
    assert f"${cost:.4f}" in over.err


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("CONTRIBUTING.md", "docs"),
        ("CHANGELOG", "docs"),
        ("docs/guide.rst", "docs"),
        ("LICENSE", "docs"),
        ("config/app.yaml", "config"),
        ("pyproject.toml", "config"),
        ("requirements.txt", "config"),
        (".github/workflows/ci.yml", "code"),
        ("src/security.py", "code"),
        ("CMakeLists.txt", "code"),
        ("Dockerfile", "code"),
    ],
)
def test_file_kind(path: str, kind: str) -> None:
    from prreview.change.languages import detect_language

    assert file_kind(path, detect_language(path)) == kind
