"""Issue 12, secrets: 22 random canaries never leave the process, whatever path they take.

A real git repository carries fresh random credentials in 22 provider formats in a changed
file, plus: a key split over two lines, a base64-encoded key, a password in a URL, a secret
in a guideline file, a secret in a file name, and unchanged committed `.env` and `.npmrc`
files that mention the changed function (so the context gatherer would find them as call
sites). The loopback model records every request; the model's answer echoes a canary in a
finding and the first answer is invalid, so a repair re-ask is sent; the overview call runs.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import string
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.publish_support import A, review
from tests.security.canaries import Canary, make_canaries, python_module
from tests.security.support import MODEL, prompt_text, run_cli

FORMATS = ("markdown", "json", "sarif", "codequality", "github", "rdjsonl")
_ALNUM = string.ascii_letters + string.digits


def _token(prefix: str, n: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(n))


class Leak:
    """Every value that must stay inside the process, with a name for the failure message."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def add(self, name: str, value: str) -> str:
        self.values[name] = value
        return value

    def found_in(self, text: str) -> list[str]:
        return [name for name, value in self.values.items() if value in text]


def _repo(git_repo: Any, leak: Leak, canaries: list[Canary]) -> Any:
    repo = git_repo()
    env_value = leak.add(".env", _token("ghp_", 36))
    npm_value = leak.add(".npmrc", _token("npm_", 36))
    guide_value = leak.add("guideline", _token("glpat-", 20))
    repo.write("app/service.py", "def process_payment(amount):\n    return amount\n")
    repo.write("app/caller.py", "from app.service import process_payment\n\n\ndef checkout():\n"
               "    # CALLER_CONTEXT_MARKER\n    return process_payment(3)\n")  # fmt: skip
    repo.write(".env", f"ENV_FILE_MARKER=1\nHOOK=process_payment(1)\nGITHUB_TOKEN={env_value}\n")
    repo.write(".npmrc", f"; NPMRC_FILE_MARKER process_payment(2)\n"
               f"//registry.npmjs.org/:_authToken={npm_value}\n")  # fmt: skip
    repo.write("REVIEW.md", "# Review guide\n\nGUIDELINE_MARKER: check amounts.\n"
               f"Staging deploy token for manual tests: {guide_value}\n")  # fmt: skip
    repo.commit("base")
    split = leak.add("split key", _token("sk-proj-", 80))
    encoded = leak.add("base64 key", _token("ghp_", 36))
    named = leak.add("file name", _token("ghp_", 36))
    repo.write(
        "app/service.py",
        "def process_payment(amount):\n    return amount * 2\n\n\n" + python_module(canaries),
    )
    b64 = base64.b64encode(encoded.encode()).decode()
    repo.write(
        "app/split.py",
        f'OPENAI_KEY = (\n    "{split[:40]}"\n    "{split[40:]}"\n)\nENCODED = "{b64}"\n',
    )
    repo.write(f"keys/{named}.json", "{}\n")
    repo.commit("change")
    return repo


def _answer(echo: str) -> str:
    finding = {
        "file": "app/service.py",
        "line": 2,
        "end_line": 2,
        "severity": "low",
        "confidence": 0.9,
        "category": "correctness",
        "title": f"Echoed {echo}",
        "message": f"The model repeats {echo} in its message.",
        "suggestion": f"Use {echo} nowhere.",
    }
    return json.dumps({"findings": [finding], "summary": f"Summary naming {echo}."})


def _responder(echo: str) -> Any:
    calls = {"n": 0}

    def respond(body: dict[str, Any]) -> Response:
        calls["n"] += 1
        if calls["n"] == 1:
            return Response(content="this is not JSON")  # forces a repair re-ask
        return Response(content=_answer(echo))

    return respond


def _files_text(root: Path) -> str:
    return "\n".join(p.read_text("utf-8", "replace") for p in root.rglob("*") if p.is_file())


def test_no_canary_reaches_the_model_stdout_stderr_or_any_report(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    canaries = make_canaries()
    assert len(canaries) == 22
    leak = Leak()
    for c in canaries:
        leak.add(c.name, c.value)
    repo = _repo(git_repo, leak, canaries)
    out = tmp_path / "out"
    env = {
        "OPENAI_API_KEY": leak.add("OPENAI_API_KEY", _token("sk-", 48)),
        "GITHUB_TOKEN": leak.add("GITHUB_TOKEN", _token("ghs_", 36)),
        "CI_JOB_TOKEN": leak.add("CI_JOB_TOKEN", _token("glcbt-", 30)),
        "PRREVIEW_CACHE_DIR": str(tmp_path / "cache"),
    }
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--verbose", "--fail-on", "none"]
    args += ["--model", MODEL, "--retries", "0", "-o", "markdown=-", "--summary-call"]
    args += [x for fmt in FORMATS for x in ("-o", f"{fmt}={out / fmt}")]
    with FakeOpenAIServer() as server:
        server.responder = _responder(canaries[0].value)
        result = run_cli(capsys, monkeypatch, [*args, "--api-base", server.api_base], env)
    bodies = [json.dumps(r.body, ensure_ascii=False) for r in server.requests]
    prompts = [prompt_text(r.body) for r in server.requests]
    sent = "\n".join(bodies + prompts)
    assert result.code == 0, result.stderr
    # the paths under test were taken: context, guideline, overview, repair, file name
    assert "CALLER_CONTEXT_MARKER" in sent and "GUIDELINE_MARKER" in sent
    assert any("summarise code changes" in p for p in prompts)
    assert any(m.get("role") == "assistant" for r in server.requests for m in r.body["messages"])
    assert "[REDACTED:github-token].json" in sent
    assert "ENV_FILE_MARKER" not in sent and "NPMRC_FILE_MARKER" not in sent
    assert leak.found_in(sent) == []
    assert leak.found_in(result.stdout) == []
    assert leak.found_in(result.stderr) == []
    reports = _files_text(out)
    for fmt in FORMATS:
        assert (out / fmt).stat().st_size > 0, fmt
    assert leak.found_in(reports) == []
    # the local cache keeps the model's own answer (here echoing canary 0) and the change's
    # paths as they are, like the checkout it came from; nothing else
    assert set(leak.found_in(_files_text(tmp_path / "cache"))) <= {canaries[0].name, "file name"}
    report = json.loads((out / "json").read_text())
    assert any("Echoed [REDACTED:" in f["title"] for f in report["findings"])
    found = {f["rule_id"] for f in report["findings"] if f["rule_id"].startswith("secrets/")}
    assert len(found) >= 20, sorted(found)


def test_redaction_count_is_the_number_of_distinct_values_replaced(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    """Three secrets, each in the diff and the context, sent to two evaluators: 3, not 12."""
    values = [_token("ghp_", 36), _token("npm_", 36), _token("glpat-", 20)]
    repo = git_repo()
    repo.write("app.py", "def f():\n    return 1\n")
    repo.commit("base")
    body = "".join(f'TOKEN_{i} = "{v}"\n' for i, v in enumerate(values))
    repo.write("app.py", f"def f():\n    {body.replace(chr(10), chr(10) + '    ')}return 2\n")
    repo.commit("change")
    env = {"OPENAI_API_KEY": "sk-test-dummy", "PRREVIEW_CACHE_DIR": str(tmp_path / "c")}
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--fail-on", "none", "--no-summary"]
    args += ["--model", MODEL, "-e", "correctness", "-e", "security", "-o", "json=-"]
    with FakeOpenAIServer() as server:
        result = run_cli(capsys, monkeypatch, [*args, "--api-base", server.api_base], env)
    assert result.code == 0, result.stderr
    assert len(server.requests) == 2
    sent = "\n".join(prompt_text(r.body) for r in server.requests)
    assert not any(v in sent for v in values)
    assert sent.count("[REDACTED:") >= 6
    notes = json.loads(result.stdout)["notes"]
    assert "3 secret value(s) redacted from the prompts" in notes, notes


def test_debug_traceback_holds_no_credential(git_repo, tmp_path: Path, capsys, monkeypatch):
    key = _token("sk-", 48)
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("change")
    env = {"OPENAI_API_KEY": key, "PRREVIEW_DEBUG": "1", "PRREVIEW_CACHE_DIR": str(tmp_path)}
    with FakeOpenAIServer() as server:
        message = f"Incorrect API key provided: {key}. You passed {key}"
        server.responder = lambda _b: Response.error(401, message, "invalid_api_key")
        args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--retries", "0"]
        args += ["--model", MODEL, "--api-base", server.api_base, "--no-summary"]
        result = run_cli(capsys, monkeypatch, args, env)
    assert result.code == 2, result.stderr
    assert "Traceback (most recent call last)" in result.stderr
    assert key not in result.stderr + result.stdout
    assert key[:-4] not in result.stderr


def test_publisher_error_holds_no_token(tmp_path: Path, capsys, monkeypatch) -> None:
    token = _token("ghs_", 36)
    report = tmp_path / "review.json"
    report.write_text(review(A).model_dump_json(), encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    with FakeGitHub("octo/app") as gh:
        gh.add_token(token)
        gh.add_pull(7, head="1" * 40, files={"app.py": "@@ -1,1 +1,2 @@\n x\n+y"})
        echoed = {"message": f"Validation Failed: token {token} is not allowed here"}
        gh.fail("POST", r"/repos/octo/app/issues/\d+/comments", 422, body=echoed, times=9)
        env = {
            "GITHUB_TOKEN": token,
            "GITHUB_API_URL": gh.api_url,
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_EVENT_PATH": str(event),
        }
        result = run_cli(capsys, monkeypatch, ["publish", "github", "--report", str(report)], env)
    assert result.code == 2, result.stderr
    assert "422" in result.stderr
    assert token not in result.stderr + result.stdout


@pytest.mark.parametrize("where", ["changed line", "line above"])
def test_a_secret_cannot_be_suppressed_inline(
    git_repo, tmp_path: Path, capsys, monkeypatch, where: str
) -> None:
    value = _token("ghp_", 36)
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    line = f'TOKEN = "{value}"'
    text = f"{line}  # prreview: ignore[secrets]\n" if where == "changed line" else (
        f"# prreview: ignore\n{line}\n"
    )  # fmt: skip
    repo.write("a.py", f"x = 1\n{text}breakpoint()  # prreview: ignore[debug]\n")
    repo.commit("change")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", "json=-"]
    result = run_cli(capsys, monkeypatch, args, {"PRREVIEW_CACHE_DIR": str(tmp_path)})
    assert result.code == 1, result.stderr
    data = json.loads(result.stdout)
    assert [f["rule_id"] for f in data["findings"]] == ["secrets/github-token"]
    assert data["stats"]["suppressed"] == 1
    notes = " | ".join(data["notes"])
    assert "1 secret finding(s) kept" in notes
    assert re.search(r"1 finding\(s\) suppressed by `prreview: ignore` comments that this "
                     r"change adds: a\.py:\d \(debug/breakpoint\)", notes), notes  # fmt: skip
    assert value not in result.stdout + result.stderr


def test_dumped_prompts_are_what_is_sent(git_repo, tmp_path: Path, capsys, monkeypatch) -> None:
    canaries = make_canaries()
    repo = git_repo()
    repo.write("app/service.py", "X = 1\n")
    repo.commit("base")
    repo.write("app/service.py", "X = 1\n" + python_module(canaries))
    repo.commit("change")
    dump = tmp_path / "prompts"
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--fail-on", "none", "--dry-run"]
    args += ["--model", MODEL, "--dump-prompts", str(dump), "-o", f"json={tmp_path / 'r.json'}"]
    result = run_cli(capsys, monkeypatch, args, {"PRREVIEW_CACHE_DIR": str(tmp_path / "c")})
    assert result.code == 0, result.stderr
    dumped = _files_text(dump)
    assert "[REDACTED:" in dumped
    assert [c.name for c in canaries if c.value in dumped] == []
