"""Item 12: output pre-flight, atomic writes, SARIF trimming."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import jsonschema
import pytest

from prreview.models import Finding, Review
from prreview.report.sarif import MAX_RESULTS, build
from tests.fakes.openai_server import FakeOpenAIServer
from tests.schemas import sarif_schema_path
from tests.security.support import base_env, model_args, one_line_change, run_cli


def test_unwritable_output_fails_before_any_model_call(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = one_line_change(git_repo)
    blocker = tmp_path / "somefile"
    blocker.write_text("x")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={blocker / 'out.json'}"]
    result = run_cli(capsys, monkeypatch, [*args, *model_args(openai_server)], base_env(tmp_path))
    assert result.code == 2
    assert "not a directory" in result.stderr
    assert openai_server.requests == []
    assert "Traceback" not in result.stderr


def test_writes_replace_the_file_and_leave_no_temp_files(
    git_repo, tmp_path: Path, capsys, monkeypatch
) -> None:
    repo = one_line_change(git_repo)
    out = tmp_path / "out"
    out.mkdir()
    (out / "r.json").write_text("stale")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={out / 'r.json'}"]
    args += ["-o", f"sarif={out / 'r.sarif'}"]
    assert run_cli(capsys, monkeypatch, args).code == 0
    assert sorted(p.name for p in out.iterdir()) == ["r.json", "r.sarif"]
    json.loads((out / "r.json").read_text())


def test_thirty_thousand_findings_give_a_valid_trimmed_sarif() -> None:
    findings = tuple(
        Finding(
            rule_id="todo/marker",
            evaluator="builtin",
            category="maintainability",
            severity="low",
            confidence=1.0,
            title=f"t{i}",
            message="m",
            path=f"d{i % 100}/f.py",
            start_line=i % 5000 + 1,
            end_line=i % 5000 + 1,
            fingerprint=f"{i:032x}",
        )
        for i in range(30_000)
    )
    sarif = build(Review(findings=findings))
    jsonschema.validate(sarif, json.loads(sarif_schema_path().read_text()))
    assert len(sarif["runs"][0]["results"]) == MAX_RESULTS == 25_000


def test_output_onto_dev_null_keeps_the_device(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    """`--output json=/dev/null` (common in CI scripts) writes in place, even as root."""
    repo = one_line_change(git_repo)
    before = os.stat("/dev/null")
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", "json=/dev/null"]
    args += ["-o", f"sarif={tmp_path / 'r.sarif'}"]
    result = run_cli(capsys, monkeypatch, [*args, *model_args(openai_server)], base_env(tmp_path))
    assert result.code == 0, result.stderr
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino, "the device node was replaced"
    assert len(openai_server.requests) >= 1
    json.loads((tmp_path / "r.sarif").read_text())


@pytest.mark.parametrize(
    "target", ["/proc/self/status", "/sys/prreview.json", "/dev/nope/r.json", "{tmp}"]
)
def test_unwritable_special_outputs_fail_before_any_model_call(
    target: str, git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = one_line_change(git_repo)
    target = target.format(tmp=tmp_path)
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={target}"]
    result = run_cli(capsys, monkeypatch, [*args, *model_args(openai_server)], base_env(tmp_path))
    assert result.code == 2, result.stderr
    assert f"--output json={target}" in result.stderr
    assert openai_server.requests == [], "the model was called before the output check"
    assert "Traceback" not in result.stderr
    assert not os.path.exists("/dev/nope")
