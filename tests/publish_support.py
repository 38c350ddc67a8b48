"""Reviews and findings built directly for the publish tests (GitHub and GitLab)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from prreview.models import ChangeSummary, Finding, GateResult, Review, fingerprint
from prreview.publish import RetryPolicy, publish_command

HEAD1 = "1" * 40
HEAD2 = "2" * 40
GITHUB_TOKEN = "ghs_secretTOKENvalue123"
FAST = RetryPolicy(retries=3, backoff=0.01, max_wait=0.05, timeout=5.0)

# app.py: lines 1-5 shown (2, 3 added; 1, 4, 5 context); util.py: lines 10-12 shown.
APP_PATCH = "@@ -1,3 +1,5 @@\n import os\n+import sys\n+import json\n def main():\n     pass"
UTIL_PATCH = "@@ -9,2 +10,3 @@\n x = 1\n+y = 2\n z = 3\n\\ No newline at end of file"
FILES = {"app.py": APP_PATCH, "util.py": UTIL_PATCH, "logo.png": None}


def finding(
    key: str, path: str | None, line: int | None, *, end: int | None = None, **kw: Any
) -> Finding:
    values = {
        "rule_id": f"test/{key}",
        "evaluator": "correctness",
        "category": "correctness",
        "severity": "high",
        "confidence": 0.9,
        "title": f"Problem {key}",
        "message": f"Details of {key}.",
        "path": path,
        "start_line": line,
        "end_line": end if end is not None else line,
        "source": "llm",
        "fingerprint": fingerprint(f"test/{key}", path, [key]),
    }
    values.update(kw)
    return Finding(**values)


def review(
    *findings: Finding, head: str = HEAD1, complete: bool = True, passed: bool = True
) -> Review:
    change = ChangeSummary(base_sha="0" * 40, head_sha=head)
    return Review(
        tool_version="0.1.0",
        change=change,
        findings=findings,
        gate=GateResult(passed=passed),
        complete=complete,
        incomplete_reason=None if complete else "a unit failed",
    )


class GitHubPublisher:
    """`prreview publish github` in this process, against a FakeGitHub with PR #7."""

    def __init__(self, server: Any, tmp_path: Path) -> None:
        self.server = server
        self.tmp = tmp_path
        self.messages: list[str] = []
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
        self.env = {
            "GITHUB_TOKEN": GITHUB_TOKEN,
            "GITHUB_API_URL": server.api_url,
            "GITHUB_REPOSITORY": "octo/app",
            "GITHUB_EVENT_PATH": str(event),
        }

    def __call__(self, rv: Review | None, **kw: Any) -> int:
        report = None
        if rv is not None:
            report = self.tmp / "review.json"
            report.write_text(rv.model_dump_json(), encoding="utf-8")
        kw.setdefault("retry", FAST)
        return publish_command("github", report, env=self.env, err=self.messages.append, **kw)


A = finding("a", "app.py", 2)  # added line
B = finding("b", "app.py", 4)  # context line
C = finding("c", "util.py", 11, severity="medium")
OUTSIDE = finding("outside", "app.py", 40, title="Far away problem")
FILE_LEVEL = finding("file", "util.py", None, severity="low")
D = finding("d", "util.py", 12)
