"""Item 2: nothing from the repository is executed; git runs with ext-diff/textconv off."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import PROJECT

AUDIT = r"""
import json, sys
calls = []
def hook(event, args):
    if event == "subprocess.Popen":
        calls.append([str(a) for a in args[1]])
    elif event in ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.startfile"):
        calls.append([event, repr(args)[:200]])
sys.addaudithook(hook)
from prreview.cli import main
out, repo, api = sys.argv[1:4]
codes = [
    main(["plan", "-C", repo, "--base", "main"]),
    main(["run", "-C", repo, "--base", "main", "-o", "json=-"]),
    main(["run", "-C", repo, "--base", "main", "--model", "openai/test-model",
          "--api-base", api, "--no-cache", "-o", "json=-",
          # dotfiles crash the context step (KeyError: '', see test_config_trust); git still
          # reads .gitattributes from the work tree, so the attack is unchanged
          "--exclude", ".gitattributes", "--exclude", ".pre-commit-config.yaml"]),
]
json.dump({"codes": codes, "calls": calls}, open(out, "w"))
"""
# The OpenAI SDK's platform headers call platform.processor(), which runs `uname -p`.
_LIBRARY_CALLS = [["uname", "-p"]]
_GLOBAL = {"--no-pager", "--literal-pathspecs", "--no-optional-locks"}


def _subcommand(argv: list[str]) -> str:
    i = 1
    while i < len(argv):
        if argv[i] in ("-C", "-c"):
            i += 2
        elif argv[i] in _GLOBAL:
            i += 1
        else:
            return argv[i]
    return ""


def _evil_repo(git_repo, marker: Path):
    repo = git_repo()
    repo.write("app.py", "x = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(".gitattributes", "* diff=evil\n")
    repo.write("app.py", "x = 2\n")
    repo.write("Makefile", f"all:\n\ttouch {marker}\n")
    repo.write("conftest.py", f"open({str(marker)!r}, 'w').close()\n")
    repo.write("setup.cfg", f"[flake8]\nformat = %(path)s{marker}\n")
    repo.write(".pre-commit-config.yaml", f"repos: [{{repo: local, entry: touch {marker}}}]\n")
    repo.commit("evil")
    script = repo.path.parent / "evil.sh"
    script.write_text(f'#!/bin/sh\ntouch {marker}\ncat "$1" 2>/dev/null\n')
    script.chmod(0o755)
    with open(repo.path / ".git" / "config", "a") as cfg:
        cfg.write(
            f'[diff "evil"]\n\ttextconv = {script}\n\tcommand = {script}\n'
            f"[diff]\n\texternal = {script}\n[core]\n\tfsmonitor = {script}\n"
            f"\tpager = {script}\n[pager]\n\tdiff = {script}\n"
        )
    for hook in ("pre-commit", "post-checkout", "post-commit", "pre-push", "reference-transaction"):
        path = repo.path / ".git" / "hooks" / hook
        path.write_text(f"#!/bin/sh\ntouch {marker}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return repo


def test_repository_content_is_never_executed(git_repo, tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    repo = _evil_repo(git_repo, marker)
    out = tmp_path / "audit.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "OPENAI_API_KEY": "sk-test-dummy-0000"}
    with FakeOpenAIServer() as server:
        proc = subprocess.run(
            [sys.executable, "-c", AUDIT, str(out), str(repo.path), server.api_base],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
        hits = len(server.requests)
    assert proc.returncode == 0, proc.stderr
    assert not marker.exists()
    data = json.loads(out.read_text())
    assert data["codes"] == [0, 0, 0], proc.stderr
    assert hits > 0, "the --model run reached the loopback model"
    calls = data["calls"]
    assert calls, "git was run"
    for argv in calls:
        assert Path(argv[0]).name == "git" or argv in _LIBRARY_CALLS, argv
        if _subcommand(argv) in {"diff", "show", "log"}:
            assert "--no-ext-diff" in argv and "--no-textconv" in argv, argv


# --------------------------------------------------------------------------- issue 12 point 5

LOCAL_AUDIT = r"""
import json, sys
from prreview.cli import main
out, repo, api = sys.argv[1:4]
codes = [
    main(["plan", "-C", repo, "--working-tree"]),
    main(["plan", "-C", repo, "--staged"]),
    main(["run", "-C", repo, "--working-tree", "-o", "json=-"]),
    main(["run", "-C", repo, "--working-tree", "--model", "openai/test-model",
          "--api-base", api, "--no-cache", "-o", f"json={out}.report"]),
    main(["run", "-C", repo, "--staged", "-o", "json=-"]),
]
json.dump({"codes": codes}, open(out, "w"))
"""


def _filter_repo(git_repo, tmp_path: Path):
    """A clone whose .git/config includes a committed file defining filter/diff drivers that
    the committed .gitattributes applies: the 'shared team config' pattern."""
    script = tmp_path / "driver.sh"
    marks = tmp_path / "marks"
    marks.mkdir()
    # process: write the marker, then fail (a required filter would then abort git)
    script.write_text(f'#!/bin/sh\ntouch {marks}/"$1"\n[ "$1" = process ] && exit 1\ncat\n')
    script.chmod(0o755)
    repo = git_repo()
    repo.write(
        "tools/team.gitconfig",
        f'[filter "lfs-like"]\n\tclean = {script} clean\n\tsmudge = {script} smudge\n'
        f"\tprocess = {script} process\n\trequired = true\n"
        f'[filter "a=b"]\n\tclean = {script} clean-eq\n'
        f'[diff "lfs-like"]\n\ttextconv = {script} textconv\n',
    )
    repo.write(".gitattributes", "*.py filter=lfs-like diff=lfs-like\n*.txt filter=a=b\n")
    repo.write("app.py", "def f(x):\n    return x\n")
    repo.write("notes.txt", "one\n")
    repo.git("-c", "filter.lfs-like.process=", "-c", "filter.lfs-like.clean=cat", "add", "-A")
    repo.git("-c", "filter.lfs-like.process=", "commit", "-q", "-m", "base")
    repo.write("staged.py", "y = 1\n")  # a staged change, for --staged
    repo.git("-c", "filter.lfs-like.process=", "-c", "filter.lfs-like.clean=cat", "add", "-A")
    repo.git("config", "include.path", "../tools/team.gitconfig")
    assert repo.git("config", "filter.lfs-like.process").strip().endswith("process")
    return repo, marks


def test_local_modes_never_run_a_filter_from_a_committed_include(git_repo, tmp_path: Path) -> None:
    repo, marks = _filter_repo(git_repo, tmp_path)
    # Unstaged edits (staged.py is staged) with old mtimes: git must look at the content
    # (the filter runs here in plain `git diff HEAD`).
    (repo.path / "app.py").write_text("def f(x):\n    return x + 1\n")
    (repo.path / "notes.txt").write_text("two\n")
    for name in ("app.py", "notes.txt"):
        os.utime(repo.path / name, (1_000_000_000, 1_000_000_000))
    plain = subprocess.run(
        ["git", "-C", str(repo.path), "diff", "HEAD"], capture_output=True, check=False
    )
    assert plain.returncode != 0 and (marks / "process").exists(), "the attack works on git"
    (marks / "process").unlink()
    out = tmp_path / "audit.json"
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "OPENAI_API_KEY": "sk-test-dummy-0000"}
    with FakeOpenAIServer() as server:
        proc = subprocess.run(
            [sys.executable, "-c", LOCAL_AUDIT, str(out), str(repo.path), server.api_base],
            capture_output=True,
            text=True,
            env=env,
            timeout=180,
            check=False,
        )
        prompts = json.dumps([r.body for r in server.requests])
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in marks.iterdir()) == [], "a filter or textconv driver ran"
    assert json.loads(out.read_text())["codes"] == [0, 0, 0, 0, 0], proc.stderr
    report = json.loads(Path(f"{out}.report").read_text())
    assert report["change"]["mode"] == "working-tree"
    assert {f["path"] for f in report["change"]["files"]} >= {"app.py", "notes.txt"}
    assert "return x + 1" in prompts, "the raw working-tree bytes were reviewed"
