# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""Prompt templates: sandboxed custom evaluators, and diff content that stays data."""

from __future__ import annotations

from typing import Any

import pytest

from prreview.errors import TemplateError
from prreview.evaluators.prompts.render import render_source
from tests.fakes.openai_server import Response, openai_server  # noqa: F401
from tests.run_support import answer, run_main, two_commits

ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ undefined_variable }}",
]


@pytest.fixture(autouse=True)
def _key(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-templates")
    monkeypatch.setenv("PRREVIEW_CANARY_VALUE", "canary-env-value-91")
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE"):
        monkeypatch.delenv(name, raising=False)


def _args(repo, server, *extra: str) -> list[str]:
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/test-model",
        "--api-base", server.api_base, "--no-summary", "--no-cache", "--retries", "0", *extra,
    ]  # fmt: skip


@pytest.mark.parametrize("source", ESCAPES)
def test_custom_template_escape_fails_with_exit_2(
    source: str, git_repo, openai_server, capsys
) -> None:
    repo = git_repo()
    two_commits(
        repo,
        {
            ".prreview.toml": '[evaluators.house]\ntemplate = "review/house.j2"\n',
            "review/house.j2": f"Task: check house rules.\n{source}\n",
            "src/a.py": "x = 1\n",
        },
        {"src/a.py": "x = 2\n"},
    )
    res = run_main(capsys, *_args(repo, openai_server, "-e", "house"))
    assert res.code == 2, res.err
    assert "review/house.j2" in res.err
    assert openai_server.requests == []
    assert "canary-env-value-91" not in res.out + res.err


def test_sandbox_blocks_escape_in_render_source() -> None:
    with pytest.raises(TemplateError) as info:
        render_source("{{ ''.__class__.__mro__ }}", "custom.j2", {})
    assert "custom.j2" in str(info.value)


def test_custom_evaluator_template_runs_with_documented_variables(
    git_repo, openai_server, capsys
) -> None:
    repo = git_repo()
    two_commits(
        repo,
        {
            ".prreview.toml": (
                '[evaluators.house]\ntemplate = "review/house.j2"\ninstructions = "no globals"\n'
            ),
            "review/house.j2": "Task: HOUSE RULES for {{ evaluator }} on {{ paths | join(', ') }}."
            "\n{{ instructions }}\n",
            "src/a.py": "x = 1\n",
        },
        {"src/a.py": "x = 2\n"},
    )
    tasks: list[str] = []

    def respond(body: dict[str, Any]) -> Response:
        tasks.append(body["messages"][-1]["content"])
        return answer()

    openai_server.responder = respond
    res = run_main(capsys, *_args(repo, openai_server, "-e", "house"))
    assert res.code == 0, res.err
    assert tasks == ["Task: HOUSE RULES for house on src/a.py.\nno globals\n"]


def test_template_syntax_in_the_diff_reaches_the_model_verbatim(
    git_repo, openai_server, capsys
) -> None:
    repo = git_repo()
    payload = "{{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ cycler.__init__ }}"
    two_commits(
        repo,
        {"templates/page.html": "<p>hello</p>\n"},
        {"templates/page.html": f"<p>hello</p>\n<p>{payload}</p>\n"},
    )
    openai_server.responder = lambda body: answer()
    res = run_main(capsys, *_args(repo, openai_server, "-e", "correctness"))
    assert res.code == 0, res.err
    [request] = openai_server.requests
    shared = request.body["messages"][1]["content"]
    assert payload in shared
    assert "<p>49" not in shared and "012" not in shared.replace(payload, "")
