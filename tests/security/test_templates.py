"""Item 3: PR content is a template *value*, never template source; repo templates are sandboxed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import base_env, model_args, prompt_text, run_cli

PAYLOAD = "{{ cycler.__init__.__globals__.os.popen('id').read() }}"


def test_jinja_in_the_diff_reaches_the_model_verbatim(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = git_repo()
    repo.write("page.py", "x = 1\n")
    repo.commit("base")
    repo.write("page.py", f"x = 1\nTEMPLATE = \"{PAYLOAD}\"\nOTHER = '{{{{ 7*7 }}}}'\n")
    repo.commit("change")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", *model_args(openai_server)]
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert result.code in (0, 1), result.stderr
    assert openai_server.requests
    for request in openai_server.requests:
        text = prompt_text(request.body)
        assert PAYLOAD in text
        assert "{{ 7*7 }}" in text
        assert "uid=" not in text and "OTHER = '49'" not in text


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{{ os.environ }}",
        "{% for k in paths.__class__.__base__.__subclasses__() %}{{ k }}{% endfor %}",
    ],
)
def test_repository_template_escape_fails_in_the_sandbox(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer, template: str
) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.write("t.j2", template + "\n")
    repo.write(".prreview.toml", '[evaluators.x]\ntemplate = "t.j2"\n')
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("change")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-e", "x", *model_args(openai_server)]
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert result.code == 2, result.stderr
    assert "template t.j2" in result.stderr
    assert "uid=" not in result.stderr + result.stdout
    assert openai_server.requests == []
