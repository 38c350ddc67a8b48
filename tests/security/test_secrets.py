"""Item 5: secrets never reach the model, the reports, the terminal or the cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.security.support import all_requests_text, model_args, run_cli

AWS = "AKIA" + "Q3ZT5NLWXK2MVR7P"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "Zq8s4TgB2x"
GH = "ghp_" + "Z7xk2Lm9Qw4Er8Ty1Ui5Op3As6Df0Gh2Jk4L"
PEM_BODY = "MIIEowIBAAKCAQEA7canaryPEMbodyZx3Q9vLw2Kp8R" + "Tn4Yb6Hc1Jd5Fe0Ga9Mi2No7Pq3Rs"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----\n"
API_KEY = "sk-canary-" + "9b1e7f3c5d2a4068be"
CANARIES = [AWS, AWS_SECRET, GH, PEM_BODY]


def _repo(git_repo):
    repo = git_repo()
    repo.write("settings.py", "DEBUG = False\n")
    repo.commit("base")
    repo.write(
        "settings.py",
        f'DEBUG = False\nAWS_ACCESS_KEY_ID = "{AWS}"\nAWS_SECRET_ACCESS_KEY = "{AWS_SECRET}"\n'
        f'GITHUB_TOKEN = "{GH}"\nKEY = """{PEM}"""\n',
    )
    repo.write(".env", f"GITHUB_TOKEN={GH}\n")
    repo.write("deploy/server.pem", PEM)
    repo.write("home/.ssh/id_rsa", PEM)
    repo.commit("add secrets")
    return repo


def _everything(tmp_path: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()
    )


def test_secrets_are_redacted_reported_and_skipped(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = _repo(git_repo)
    out = tmp_path / "out"
    env = {"OPENAI_API_KEY": API_KEY, "PRREVIEW_CACHE_DIR": str(tmp_path / "cache")}
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={out / 'r.json'}"]
    args += ["-o", f"sarif={out / 'r.sarif'}", "-o", "markdown=-"]
    result = run_cli(capsys, monkeypatch, [*args, *model_args(openai_server, "--verbose")], env)
    assert openai_server.requests
    sent = all_requests_text(openai_server)
    for value in [*CANARIES, API_KEY]:
        assert value not in sent
        assert value not in result.stdout + result.stderr
    for name in (".env", "deploy/server.pem", "home/.ssh/id_rsa"):
        assert f"### {name} " not in sent
    report = json.loads((out / "r.json").read_text())
    skipped = {s["path"] for s in report["skipped"]}
    assert {".env", "deploy/server.pem", "home/.ssh/id_rsa"} <= skipped
    secret_lines = {
        (f["path"], f["start_line"])
        for f in report["findings"]
        if f["rule_id"].startswith("secret")
    }
    assert {("settings.py", 2), ("settings.py", 4)} <= secret_lines, report["findings"]
    everything = _everything(out) + _everything(tmp_path / "cache")
    for value in [*CANARIES, API_KEY]:
        assert value not in everything


@pytest.mark.parametrize("status", [401, 500])
def test_api_key_echoed_by_the_provider_is_scrubbed(
    git_repo, tmp_path: Path, capsys, monkeypatch, status: int
) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("change")
    env = {"OPENAI_API_KEY": API_KEY, "PRREVIEW_CACHE_DIR": str(tmp_path / "cache")}
    with FakeOpenAIServer() as server:
        message = f"Incorrect API key provided: {API_KEY}. Authorization: Bearer {API_KEY}"
        server.responder = lambda _b: Response.error(status, message, "invalid_api_key")
        args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--retries", "0"]
        args += ["-o", f"json={tmp_path / 'out' / 'r.json'}", "--timeout", "10"]
        result = run_cli(capsys, monkeypatch, [*args, *model_args(server, "--verbose")], env)
    assert server.requests
    assert result.code == (2 if status == 401 else 3), result.stderr
    assert API_KEY not in result.stdout + result.stderr
    assert API_KEY not in _everything(tmp_path / "out") + _everything(tmp_path / "cache")
