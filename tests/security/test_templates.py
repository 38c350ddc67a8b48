"""Item 3: PR content is a template *value*, never template source; repo templates are sandboxed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import (
    all_requests_text,
    base_env,
    model_args,
    prompt_text,
    run_cli,
)

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


def _template_repo(git_repo, template: str):
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.write("t.j2", template + "\n")
    repo.write("other.j2", "OTHER-TEMPLATE-MARKER\n")
    repo.write(".prreview.toml", '[evaluators.x]\ntemplate = "t.j2"\n')
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("change")
    return repo


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{% include 'other.j2' %}", "{% include %} is not allowed"),
        ("{% import 'other.j2' as m %}", "{% import %} is not allowed"),
        ("{% from 'other.j2' import m %}", "{% from %} is not allowed"),
        ("{% extends 'other.j2' %}", "{% extends %} is not allowed"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "more than 200000 steps",
        ),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            "stopped:",
        ),
        ("{% macro f(n) %}{{ f(n) }}{{ f(n) }}{% endmacro %}{{ f(1) }}", "stopped:"),
        ("{{ 'x' * 10000000000 }}", "a repetition over"),
        ("{{ 'x'|center(1000000000) }}", "an integer argument over"),
        ("{{ '{:>999999999}'.format('x') }}", "would produce over"),
        (
            "{% set ns = namespace(s='ab') %}{% for i in range(64) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
            "a value over",
        ),
    ],
    ids=[
        "include",
        "import",
        "from",
        "extends",
        "nested-loop",
        "nested-output",
        "macro-bomb",
        "repeat",
        "center",
        "format-width",
        "doubling",
    ],
)
def test_unbounded_or_composed_templates_are_a_clean_config_error(
    git_repo,
    tmp_path: Path,
    capsys,
    monkeypatch,
    openai_server: FakeOpenAIServer,
    template: str,
    message: str,
) -> None:
    repo = _template_repo(git_repo, template)
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-e", "x", *model_args(openai_server)]
    started = time.monotonic()
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert time.monotonic() - started < 60
    assert result.code == 2, result.stderr
    assert "template t.j2" in result.stderr and message in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "OTHER-TEMPLATE-MARKER" not in all_requests_text(openai_server)
    assert openai_server.requests == []


def test_a_bounded_template_still_renders(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    template = (
        "Review {{ evaluator }} for {{ paths|join(', ') }}.{% for p in paths %} [{{ p|upper }}]"
        "{% endfor %} {{ '-' * 10 }} {{ 'v%d' % 2 }}"
    )
    repo = _template_repo(git_repo, template)
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-e", "x", *model_args(openai_server)]
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert result.code == 0, result.stderr
    assert "Review x for a.py. [A.PY] ---------- v2" in all_requests_text(openai_server)
