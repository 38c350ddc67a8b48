"""Item 1: in CI the pull request cannot change its own review policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.security.support import MODEL, base_env, run_cli

EVIL_TEMPLATE = "EVIL-TEMPLATE-MARKER {{ paths }}"


def _pr(git_repo, good: FakeOpenAIServer, evil: FakeOpenAIServer):
    repo = git_repo()
    repo.write(
        "pyproject.toml",
        f'[tool.prreview]\nmodel = "{MODEL}"\napi_base = "{good.api_base}"\nfail_on = "high"\n'
        "summary = false\n",
    )
    repo.write("app.py", "x = 1\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(
        "pyproject.toml",
        f'[tool.prreview]\nmodel = "openai/evil-model"\napi_base = "{evil.api_base}"\n'
        'fail_on = "none"\nsummary = false\n[tool.prreview.evaluators.x]\ntemplate = "t.j2"\n',
    )
    repo.write("t.j2", EVIL_TEMPLATE)
    repo.write("app.py", "x = 1\n<<<<<<< HEAD\ny = 2\n")
    head = repo.commit("change policy")
    return repo, base, head


@pytest.mark.parametrize("mode", ["github-actions", "config-source-base"])
def test_pr_head_config_is_ignored(
    git_repo, tmp_path: Path, capsys, monkeypatch, mode: str
) -> None:
    with FakeOpenAIServer() as good, FakeOpenAIServer() as evil:
        evil.responder = lambda body: Response(content='{"findings": [], "summary": ""}')
        repo, base, head = _pr(git_repo, good, evil)
        env = base_env(tmp_path)
        args = ["run", "-C", str(repo.path), "-o", f"json={tmp_path / 'r.json'}"]
        if mode == "github-actions":
            event = tmp_path / "event.json"
            pull = {"base": {"sha": base}, "head": {"sha": head}}
            event.write_text(json.dumps({"pull_request": pull}))
            env.update(GITHUB_ACTIONS="true", GITHUB_EVENT_PATH=str(event))
        else:
            args += ["--config-source", "base", "--base", "main"]
        result = run_cli(capsys, monkeypatch, args, env)

    assert (
        "pyproject.toml in the change differs from the base commit; it is ignored" in result.stderr
    )
    assert evil.requests == []
    assert good.requests, result.stderr
    assert {r.model for r in good.requests} == {"test-model"}
    tasks = [m["content"] for r in good.requests for m in r.body["messages"]]
    assert not [t for t in tasks if t.startswith("EVIL-TEMPLATE-MARKER")], "PR template used"
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["gate"]["fail_on"] == "high"
    assert result.code == 1, "the merge marker trips the base's fail_on=high"


def test_change_to_a_dotfile_with_model_is_reviewed(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = git_repo()
    repo.write(".prreview.toml", 'fail_on = "high"\n')
    repo.commit("base")
    repo.write(".prreview.toml", 'fail_on = "none"\n')
    repo.commit("change")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--model", MODEL]
    args += ["--api-base", openai_server.api_base, "--no-summary", "-o", "json=-"]
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert "internal error" not in result.stderr
    assert result.code == 0
