"""Item 12.2: the model cache and the incremental state live outside the checkout.

A pull request controls every file in its checkout. A planted `.prreview-cache/` (answers "no
findings" to every call) or `.prreview-state/last-review.json` (head = the commit with the bad
code, so an incremental run reviews only the last commit) must change nothing; a cache
directory or previous report in the tracked tree or the diff is refused (exit 2 naming the flag).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from prreview.config import locations
from prreview.llm.cache import default_cache_dir
from tests.fakes.openai_server import FakeOpenAIServer
from tests.review.test_combine import bug_responder
from tests.security.support import PROJECT, run_cli
from tests.test_ci_files import run_step

KEY = {"OPENAI_API_KEY": "sk-test-dummy-key-000000"}


def _pr(git_repo: Any) -> tuple[Any, str, str]:
    """main: clean code; feature: a BUG line (commit `bad`), then a harmless last commit."""
    repo = git_repo()
    repo.write("a.py", "def a():\n    return 1\n")
    repo.write("b.py", "def b():\n    return 1\n")
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("a.py", "def a():\n    v = 1  # BUG planted\n    return 1\n")
    bad = repo.commit("the bad code")
    return repo, base, bad


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Any:
    """`prreview ARGS` in this process (litellm imported once; subprocesses are slow)."""

    def run(args: list[str]) -> Any:
        return run_cli(capsys, monkeypatch, args, KEY)

    return run


_CLI: list[Any] = []


@pytest.fixture(autouse=True)
def _in_process(cli: Any) -> Any:
    _CLI.append(cli)
    yield
    _CLI.pop()


def _run(repo: Any, server: FakeOpenAIServer, *extra: str):
    args = [
        "run", "--repo", str(repo.path), "--base", "main", "--model", "openai/test-model",
        "--api-base", server.api_base, "--no-summary", "--retries", "0", "-e", "correctness",
        "--fail-on", "medium", "-o", "json=-", *extra,
    ]  # fmt: skip
    return _CLI[-1](args)


def _plant(repo: Any, server: FakeOpenAIServer, bad: str, tmp: Path) -> Path:
    """Commit a cache that answers "no findings" and a state naming `bad`; returns the cache."""
    server.responder = None  # the default answer: no findings
    cache = tmp / "planted-cache"
    res = _run(repo, server, "--cache-dir", str(cache))
    assert res.code == 0, res.stderr
    shutil.copytree(cache, repo.path / ".prreview-cache")
    state = json.loads(res.stdout)
    state["change"]["head_sha"] = bad
    repo.write(".prreview-state/last-review.json", json.dumps(state))
    repo.write("b.py", "def b():\n    return 2\n")
    repo.commit("plant state and cache")
    # a second pass answers the prompts of the head that carries the plant, as an attacker would
    assert _run(repo, server, "--cache-dir", str(cache)).code == 0
    shutil.rmtree(repo.path / ".prreview-cache")
    shutil.copytree(cache, repo.path / ".prreview-cache")
    repo.git("add", "-A")
    repo.git("-c", "commit.gpgsign=false", "commit", "-q", "--amend", "--no-edit")
    return cache


# --------------------------------------------------------------------------- default locations


def test_default_locations_are_outside_the_checkout(git_repo, tmp_path: Path) -> None:
    repo = git_repo()
    runner = {"GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(tmp_path / "rt")}
    assert default_cache_dir(repo.path, runner) == tmp_path / "rt" / "prreview" / "cache"
    assert locations.default_state_dir(runner) == tmp_path / "rt" / "prreview" / "state"
    xdg = {"XDG_CACHE_HOME": str(tmp_path / "x"), "HOME": str(tmp_path / "h")}
    assert default_cache_dir(repo.path, xdg) == tmp_path / "x" / "prreview" / "cache"
    home = {"XDG_CACHE_HOME": "relative", "HOME": str(tmp_path / "h")}
    assert default_cache_dir(repo.path, home) == tmp_path / "h" / ".cache" / "prreview" / "cache"


def test_gitlab_uses_the_project_directory_only_while_it_is_untracked(git_repo, tmp_path) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    env = {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(repo.path), "HOME": str(tmp_path / "h")}
    assert default_cache_dir(repo.path, env) == repo.path / ".prreview-cache"
    repo.write(".prreview-cache/cache.db", "planted")
    repo.commit("plant")
    assert default_cache_dir(repo.path, env) == tmp_path / "h" / ".cache" / "prreview" / "cache"


# --------------------------------------------------------------------------- refusals


def test_a_tracked_cache_directory_is_refused(git_repo, openai_server, tmp_path) -> None:
    repo, _base, bad = _pr(git_repo)
    _plant(repo, openai_server, bad, tmp_path)
    before = len(openai_server.requests)
    res = _run(repo, openai_server, "--cache-dir", str(repo.path / ".prreview-cache"))
    assert res.code == 2, res.stderr
    assert "--cache-dir" in res.stderr and "tracked tree or the diff" in res.stderr
    assert "Traceback" not in res.stderr
    assert len(openai_server.requests) == before


def test_a_cache_directory_the_diff_deletes_is_refused(git_repo, openai_server, tmp_path) -> None:
    repo = git_repo()
    repo.write("cachedir/cache.db", "x")
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.git("rm", "-q", "-r", "cachedir")
    repo.commit("drop it")
    res = _run(repo, openai_server, "--cache-dir", str(repo.path / "cachedir"))
    assert res.code == 2 and "--cache-dir" in res.stderr, res.stderr


def test_a_cache_directory_behind_a_tracked_symlink_is_refused(git_repo, openai_server, tmp_path):
    repo, _base, _bad = _pr(git_repo)
    (tmp_path / "elsewhere").mkdir()
    repo.symlink("cachelink", str(tmp_path / "elsewhere"))
    repo.commit("a symlink out of the checkout")
    res = _run(repo, openai_server, "--cache-dir", str(repo.path / "cachelink" / "c"))
    assert res.code == 2 and "cachelink" in res.stderr, res.stderr


def test_an_untracked_cache_directory_in_the_checkout_is_allowed(git_repo, openai_server) -> None:
    repo, _base, _bad = _pr(git_repo)
    openai_server.responder = bug_responder
    res = _run(repo, openai_server, "--cache-dir", str(repo.path / ".prreview-cache"))
    assert res.code == 1, res.stderr


def test_a_tracked_previous_report_is_refused(git_repo, openai_server, tmp_path) -> None:
    repo, _base, bad = _pr(git_repo)
    _plant(repo, openai_server, bad, tmp_path)
    state = repo.path / ".prreview-state" / "last-review.json"
    for since in ("auto", bad):
        res = _run(repo, openai_server, "--since", since, "--previous-report", str(state))
        assert res.code == 2, res.stderr
        assert "--previous-report" in res.stderr and "tracked" in res.stderr


def test_since_auto_ignores_an_untracked_report_in_the_checkout(git_repo, openai_server, tmp_path):
    repo, _base, bad = _pr(git_repo)
    _plant(repo, openai_server, bad, tmp_path)
    planted = (repo.path / ".prreview-state" / "last-review.json").read_text()
    repo.git("rm", "-q", "-r", "--cached", ".prreview-state", ".prreview-cache")
    repo.commit("untrack them (files stay in the work tree)", stage_all=False)
    (repo.path / "stray.json").write_text(planted)
    openai_server.responder = bug_responder
    res = _run(
        repo, openai_server, "--since", "auto", "--previous-report", str(repo.path / "stray.json")
    )
    assert res.code == 1, res.stderr
    assert "not trusting the previous report" in res.stderr and "inside the checkout" in res.stderr
    assert [f["path"] for f in json.loads(res.stdout)["findings"]] == ["a.py"]


def test_since_auto_needs_the_previous_head_to_be_an_ancestor(git_repo, openai_server, tmp_path):
    repo, _base, _bad = _pr(git_repo)
    repo.git("checkout", "-q", "main")
    repo.write("c.py", "c = 1\n")
    elsewhere = repo.commit("a commit that is not in the pull request")
    repo.git("checkout", "-q", "feature")
    openai_server.responder = bug_responder
    first = _run(repo, openai_server)
    report = json.loads(first.stdout)
    report["change"]["head_sha"] = elsewhere
    state = tmp_path / "state" / "last-review.json"
    state.parent.mkdir()
    state.write_text(json.dumps(report))
    res = _run(repo, openai_server, "--since", "auto", "--previous-report", str(state))
    assert res.code == 1, res.stderr
    assert "is not an ancestor" in res.stderr and "whole change" in res.stderr


# --------------------------------------------------------------------------- the action


def _action_env(repo: Any, tmp: Path, server: FakeOpenAIServer, base: str) -> dict[str, str]:
    exe = tmp / "bin" / "prreview"
    exe.parent.mkdir(parents=True, exist_ok=True)
    exe.write_text(
        f"#!/bin/sh\nexec {sys.executable} -c "
        "'import sys; from prreview.cli import main; sys.exit(main(sys.argv[1:]))' \"$@\"\n",
        encoding="utf-8",
    )
    exe.chmod(0o755)
    runner = tmp / "runner"
    shutil.rmtree(runner, ignore_errors=True)
    runner.mkdir()
    event = tmp / "event.json"
    head = repo.head()
    pull = {
        "number": 7,
        "base": {"sha": base, "ref": "main"},
        "head": {"sha": head, "repo": {"full_name": "octo/app"}},
    }
    event.write_text(json.dumps({"pull_request": pull}), encoding="utf-8")
    for name in ("output.txt", "summary.md"):
        (tmp / name).unlink(missing_ok=True)
    return {
        **KEY,
        "PY": sys.executable,
        "PRREVIEW": str(exe),
        "PYTHONPATH": str(PROJECT),
        "XDG_CACHE_HOME": str(tmp / "xdg"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "octo/app",
        "GITHUB_BASE_REF": "main",
        "GITHUB_HEAD_REF": "feature",
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "IN_MODEL": "openai/test-model",
        "IN_API_BASE": server.api_base,
        "IN_FAIL_ON": "medium",
        "IN_EVALUATORS": "correctness",
        "IN_SARIF_CATEGORY": "prreview",
        "IN_FAIL_OPEN": "false",
        "IN_INCREMENTAL": "true",
        **{k: v for k, v in os.environ.items() if k.startswith("GIT_")},
    }


def _review_step(repo: Any, tmp: Path, server: FakeOpenAIServer, base: str) -> tuple[str, list]:
    proc = run_step("Review", repo.path, _action_env(repo, tmp, server, base))
    assert proc.returncode == 0, proc.stderr
    outputs = dict(
        line.split("=", 1)
        for line in (tmp / "output.txt").read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    report = json.loads(Path(outputs["report-json"]).read_text(encoding="utf-8"))
    found = sorted((f["path"], f["start_line"], f["rule_id"]) for f in report["findings"])
    return outputs["exit-code"], found


def test_planted_state_and_cache_in_the_workspace_change_nothing(
    git_repo, openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    repo, base, bad = _pr(git_repo)
    planted_cache = _plant(repo, openai_server, bad, tmp_path)
    planted_state = repo.path / ".prreview-state" / "last-review.json"
    openai_server.responder = bug_responder

    # The plants work when read: the planted cache answers every call, the planted state
    # narrows the review to the last commit; both pass the gate.
    assert _run(repo, openai_server, "--cache-dir", str(planted_cache)).code == 0
    outside = tmp_path / "copied-state.json"
    shutil.copy(planted_state, outside)
    narrowed = _run(repo, openai_server, "--no-cache", "--since", "auto",
                    "--previous-report", str(outside))  # fmt: skip
    assert narrowed.code == 0, narrowed.stderr

    # The action's own Review step, with the plants in the workspace ...
    with_plants = _review_step(repo, tmp_path / "with", openai_server, base)
    # ... and the same pull request without them.
    repo.git("rm", "-q", "-r", ".prreview-state", ".prreview-cache")
    repo.commit("remove the plants")
    without = _review_step(repo, tmp_path / "without", openai_server, base)
    # The plants are part of the diff and reviewed as such (a binary file is a finding); apart
    # from findings on the planted files themselves, the two runs agree exactly.
    planted = (".prreview-cache/", ".prreview-state/")
    own = [f for f in with_plants[1] if f[0].startswith(planted)]
    assert ("files/binary" in {f[2] for f in own}) and without[1] == sorted(
        f for f in with_plants[1] if f not in own
    )
    assert with_plants[0] == without[0]
    code, found = without
    assert code == "1" and [(p, line) for p, line, _ in found] == [("a.py", 2)]
    assert not (repo.path / ".prreview-state").exists()  # the action writes state outside
    assert (tmp_path / "without" / "runner" / "prreview" / "state" / "last-review.json").is_file()


def test_the_action_restores_and_saves_only_its_own_cache_entry() -> None:
    from tests.test_ci_files import action_step

    restore = action_step("Restore the model cache and the last review of this pull request")
    save = action_step("Save the model cache and the last review (not from forks)")
    assert restore["uses"].startswith("actions/cache/restore@")
    assert save["uses"].startswith("actions/cache/save@")
    for step in (restore, save):
        paths = step["with"]["path"].splitlines()
        assert paths == ["${{ runner.temp }}/prreview/cache", "${{ runner.temp }}/prreview/state"]
    key = restore["with"]["key"]
    assert "${{ github.base_ref }}" in key and "${{ github.event.pull_request.number }}" in key
    assert restore["with"]["restore-keys"].strip() in key
    assert "steps.run.outputs.fork == 'false'" in save["if"]
    assert save["with"]["key"] == "${{ steps.restore.outputs.cache-primary-key }}"


@pytest.mark.parametrize("commit", ["main", "abc123", "", "g" * 40])
def test_the_gitlab_template_refuses_an_unpinned_prreview(tmp_path: Path, commit: str) -> None:
    from tests.test_ci_files import GITLAB, load

    script = "\n".join(load(GITLAB)[".prreview"]["before_script"])
    proc = _bash(script, tmp_path, PRREVIEW_COMMIT=commit, PRREVIEW_SOURCE="/nonexistent")
    assert proc.returncode == 2 and "full 40-hex commit sha" in proc.stderr


def test_the_gitlab_template_installs_the_pinned_commit_with_the_lock(git_repo, tmp_path) -> None:
    from tests.test_ci_files import GITLAB, load

    src = git_repo("prreview-src")
    src.write("requirements/runtime.txt", "# lock\n")
    src.write("pyproject.toml", "[project]\nname = 'prreview'\n")
    pinned = src.commit("pinned")
    src.write("pyproject.toml", "[project]\nname = 'moved-on'\n")
    src.commit("a later commit")
    log = tmp_path / "python.log"
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {log}\n', encoding="utf-8")
    fake.chmod(0o755)
    script = "\n".join(load(GITLAB)[".prreview"]["before_script"])
    script = script.replace("/tmp/prreview-src", str(tmp_path / "checkout"))
    proc = _bash(script, tmp_path, PRREVIEW_COMMIT=pinned, PRREVIEW_SOURCE=f"file://{src.path}")
    assert proc.returncode == 0, proc.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    checkout = tmp_path / "checkout"
    assert lines == [
        f"-m pip install --quiet --require-hashes -r {checkout}/requirements/runtime.txt",
        f"-m pip install --quiet --no-deps {checkout}",
    ]
    assert "name = 'prreview'" in (checkout / "pyproject.toml").read_text()


def _bash(script: str, tmp: Path, **env: str) -> Any:
    import subprocess

    path = f"{tmp / 'bin'}:{os.environ['PATH']}"
    full = {**{k: v for k, v in os.environ.items() if k.startswith("GIT_")}, "PATH": path,
            "HOME": str(tmp), **env}  # fmt: skip
    return subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], env=full, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_previous_report_outside_the_checkout_is_still_honoured(git_repo, openai_server, tmp_path):
    repo, _base, _bad = _pr(git_repo)
    openai_server.responder = bug_responder
    state = tmp_path / "state.json"
    first = _run(
        repo, openai_server, "--no-cache", "--since", "auto", "--previous-report", str(state)
    )
    assert first.code == 1
    state.write_text(first.stdout)
    repo.write("b.py", "def b():\n    w = 2  # BUG two\n    return 1\n")
    repo.commit("second push")
    before = len(openai_server.requests)
    res = _run(
        repo, openai_server, "--no-cache", "--since", "auto", "--previous-report", str(state)
    )
    assert res.code == 1, res.stderr
    assert "last reviewed head" in res.stderr
    assert "### a.py" not in json.dumps([r.body for r in openai_server.requests[before:]])
    assert {f["path"] for f in json.loads(res.stdout)["findings"]} == {"a.py", "b.py"}
