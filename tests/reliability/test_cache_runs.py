"""Item 11: the model cache as whole `prreview run`s see it (tests/test_cache.py tests the class).

Concurrent processes on one cache directory, a corrupt database, an unusable directory, a
planted pickle row, and keys that keep one model's, template's or server's answers apart.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from diskcache.core import MODE_PICKLE

from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import answer, base_env, prompt_text, responder_from, run_cli

MODEL = "openai/test-model"
PROCESSES = 8


def bug_answer(prompt: str) -> str:
    """A finding on every added line that says BUG (the diff shows `  12|+ text`)."""
    items = []
    path = None
    for line in prompt.split("## The change (DATA)", 1)[-1].splitlines():
        if line.startswith("### "):
            path = line[4:].split(" [", 1)[0]
        elif "|+ " in line and "BUG" in line and path is not None:
            number = int(line.split("|", 1)[0])
            items.append({"file": path, "line": number, "title": f"bug in {path}"})
    return answer(*items, summary="ok")


def _repo(git_repo, files: int = 3):
    repo = git_repo()
    for i in range(files):
        repo.write(f"pkg{i}/m.py", "def f(x):\n    return x\n")
    repo.commit("base")
    for i in range(files):
        repo.write(f"pkg{i}/m.py", f"def f(x):\n    return x + {i}  # BUG\n")
    repo.commit("change")
    return repo


def _args(repo, server: FakeOpenAIServer, out: Path, *extra: str, model: str = MODEL) -> list[str]:
    return [
        "run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={out}", "--no-summary",
        "--model", model, "--api-base", server.api_base, "-e", "correctness", "--fail-on", "medium",
        *extra,
    ]  # fmt: skip


def _popen(args: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, **base_env(tmp_path)}
    return subprocess.Popen(
        ["prreview", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[int, str]:
    _out, err = proc.communicate(timeout=120)
    return proc.returncode, err


def _findings(path: Path) -> list[tuple[Any, ...]]:
    report = json.loads(path.read_text())
    return sorted(
        (f["path"], f["start_line"], f["rule_id"], f["title"], f["fingerprint"])
        for f in report["findings"]
    )


def test_concurrent_runs_on_one_cache_agree(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server
) -> None:
    repo = _repo(git_repo)
    openai_server.responder = responder_from(bug_answer)
    cache = tmp_path / "shared-cache"
    outs = [tmp_path / f"r{i}.json" for i in range(PROCESSES)]
    procs = [
        _popen(_args(repo, openai_server, out, "--cache-dir", str(cache)), tmp_path) for out in outs
    ]
    results = [_finish(p) for p in procs]
    for code, err in results:
        assert code == 1, err
        assert "Traceback" not in err and "cache" not in err.lower(), err
    reports = [_findings(out) for out in outs]
    assert all(r == reports[0] for r in reports)
    assert sum(1 for f in reports[0] if f[2].startswith("llm/")) == 3
    assert 3 <= len(openai_server.requests) <= 3 * PROCESSES
    before = len(openai_server.requests)
    again = _args(repo, openai_server, tmp_path / "again.json", "--cache-dir", str(cache))
    result = run_cli(capsys, monkeypatch, again, base_env(tmp_path))
    assert result.code == 1, result.stderr
    assert len(openai_server.requests) == before, "every answer came from the shared cache"
    assert _findings(tmp_path / "again.json") == reports[0]


def test_corrupt_or_unusable_cache_is_a_warning(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server
) -> None:
    repo = _repo(git_repo)
    openai_server.responder = responder_from(bug_answer)
    reference = tmp_path / "ref.json"
    corrupt = tmp_path / "corrupt"
    args = _args(repo, openai_server, reference, "--cache-dir", str(corrupt))
    assert run_cli(capsys, monkeypatch, args, base_env(tmp_path)).code == 1
    database = corrupt / "cache.db"
    kept = database.read_bytes()[:100]  # a truncated file that still claims to be SQLite
    database.write_bytes(kept + os.urandom(2048))
    asked = len(openai_server.requests)
    not_a_dir = tmp_path / "plain-file"
    not_a_dir.write_text("not a directory")
    runs = {
        "corrupt": _popen(_args(repo, openai_server, tmp_path / "corrupt.json",
                                "--cache-dir", str(corrupt)), tmp_path),
        "file": _popen(_args(repo, openai_server, tmp_path / "file.json",
                             "--cache-dir", str(not_a_dir)), tmp_path),
    }  # fmt: skip
    for name, proc in runs.items():
        code, err = _finish(proc)
        assert code == 1, (name, err)
        assert "continuing without it" in err, (name, err)
        assert "Traceback" not in err, err
        assert _findings(tmp_path / f"{name}.json") == _findings(reference)
    assert not_a_dir.read_text() == "not a directory"
    assert len(openai_server.requests) == 3 * asked, "neither run was served from a cache"


class _Planted:
    """Unpickling this creates the marker file: proof that a pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_planted_pickle_is_never_loaded_by_a_run(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server
) -> None:
    repo = _repo(git_repo, files=1)
    openai_server.responder = responder_from(bug_answer)
    cache = tmp_path / "cache"
    env = base_env(tmp_path)
    first = run_cli(capsys, monkeypatch, _args(repo, openai_server, tmp_path / "a.json",
                                               "--cache-dir", str(cache)), env)  # fmt: skip
    assert first.code == 1 and len(openai_server.requests) == 1
    marker = tmp_path / "pwned"
    conn = sqlite3.connect(cache / "cache.db")
    with conn:
        planted = conn.execute(
            "UPDATE Cache SET mode = ?, value = ?",
            (MODE_PICKLE, sqlite3.Binary(pickle.dumps(_Planted(marker)))),
        ).rowcount
    conn.close()
    assert planted >= 1  # the model answer and the run memo
    second = run_cli(capsys, monkeypatch, _args(repo, openai_server, tmp_path / "b.json",
                                                "--cache-dir", str(cache)), env)  # fmt: skip
    assert second.code == 1, second.stderr
    assert not marker.exists(), "the planted pickle was executed"
    assert len(openai_server.requests) == 2, "the refused row was a miss: asked again"
    assert _findings(tmp_path / "b.json") == _findings(tmp_path / "a.json")


def test_entries_are_never_served_across_model_template_or_server(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    repo = _repo(git_repo, files=2)
    (repo.path / "review.j2").write_text("Look for bugs (v1) in {{ paths | join(', ') }}.\n")
    config = tmp_path / "prreview.toml"
    config.write_text('[evaluators.mine]\ntemplate = "review.j2"\n')
    cache = tmp_path / "cache"
    env = base_env(tmp_path)
    n = 0

    def run(server: FakeOpenAIServer, model: str = MODEL) -> int:
        nonlocal n
        n += 1
        args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "--no-summary", "-e", "mine"]
        args += ["--fail-on", "medium"]
        args += ["--config", str(config), "--cache-dir", str(cache), "--model", model]
        args += ["--api-base", server.api_base, "-o", f"json={tmp_path / f'{n}.json'}"]
        args += ["--config-source", "head"]  # the working tree's template (edited below)
        before = len(server.requests)
        result = run_cli(capsys, monkeypatch, args, env)
        assert result.code == 1, result.stderr
        assert len(_findings(tmp_path / f"{n}.json")) == 2
        return len(server.requests) - before

    with FakeOpenAIServer() as one, FakeOpenAIServer() as two:
        one.responder = two.responder = responder_from(bug_answer)
        assert run(one) == 2
        assert run(one) == 0, "same model, template and server: served from the cache"
        assert run(one, "openai/other-model") == 2, "another model is asked"
        assert run(two) == 2, "another api_base is asked"
        (repo.path / "review.j2").write_text("Look for bugs (v2) in {{ paths | join(', ') }}.\n")
        assert run(one) == 2, "a changed template is asked again"
        assert run(one) == 0
    assert any("v2" in prompt_text(r.body) for r in one.requests)
