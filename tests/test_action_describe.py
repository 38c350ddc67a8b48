"""The action's comment step with `describe` and `request-changes` (a recording fake CLI)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_ci_files import run_step

COMMENT = "Comment on the pull request"
FAKE = """#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
open({log!r}, "a").write(json.dumps(args) + "\\n")
if args[0] == "describe":
    open(args[args.index("--output") + 1], "w").write("### Suggested title\\n\\nx\\n")
sys.exit({code})
"""


def _step(tmp_path: Path, code: int = 0, **env: str) -> list[list[str]]:
    log = tmp_path / "args.log"
    exe = tmp_path / "prreview"
    exe.write_text(FAKE.format(log=str(log), code=code), encoding="utf-8")
    exe.chmod(0o755)
    report = tmp_path / "out" / "review.json"
    report.parent.mkdir()
    report.write_text("{}", encoding="utf-8")
    base = {"PRREVIEW": str(exe), "REPORT": str(report), "FORK": "false", "NOTE": ""}
    proc = run_step(COMMENT, tmp_path, {**base, **env})
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_describe_runs_first_and_its_file_is_published(tmp_path):
    calls = _step(
        tmp_path, IN_DESCRIBE="true", IN_MODEL="openai/gpt-4o-mini", IN_REQUEST_CHANGES="true"
    )
    describe, publish = calls
    assert describe[:3] == ["describe", "--output", str(tmp_path / "out" / "description.md")]
    assert describe[describe.index("--model") + 1] == "openai/gpt-4o-mini"
    assert publish[:2] == ["publish", "github"] and "--request-changes" in publish
    assert publish[publish.index("--description") + 1].endswith("description.md")


def test_without_the_inputs_only_the_review_is_published(tmp_path):
    (publish,) = _step(tmp_path, IN_DESCRIBE="false", IN_REQUEST_CHANGES="false")
    assert "--description" not in publish and "--request-changes" not in publish


def test_a_skipped_model_is_not_used_for_the_description(tmp_path):
    calls = _step(tmp_path, IN_DESCRIBE="true", IN_MODEL="openai/x", NOTE="LLM review skipped")
    assert "--model" not in calls[0] and "--note" in calls[1]
