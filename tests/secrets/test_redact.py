"""prreview/secrets/redact.py: messages, Reviews and stderr lines lose every secret."""

from __future__ import annotations

import pytest

from prreview.cli import main
from prreview.secrets.redact import (
    credential_values,
    redact_messages,
    redact_review,
    redact_strings,
    scrub,
)
from tests.review_fixture import review

GH = "ghp_" + "Zq8xLm3Np7wQ2e4R6t8Y0u1I3o5P7a9S2d4F"
NPM = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_credential_values_from_the_environment() -> None:
    env = {
        "OPENAI_API_KEY": "sk-live-value-123",
        "CI_JOB_TOKEN": "job-token-value-1",
        "DB_PASSWORD": "hunter2hunter2",
        "SHORT_TOKEN": "abc",
        "PWD": "/home/runner/work/app",
        "GOOGLE_APPLICATION_CREDENTIALS_FILE": "/tmp/key.json",
        "HOME": "/root",
    }
    assert set(credential_values(env)) == {
        "sk-live-value-123",
        "job-token-value-1",
        "hunter2hunter2",
    }


def test_scrub_removes_env_values_and_scanner_hits() -> None:
    env = {"GITHUB_TOKEN": "plain-looking-value-42"}
    line = f"error: token plain-looking-value-42 rejected; also {GH} in /home/runner/work/app"
    assert scrub(line, env) == (
        "error: token *** rejected; also [REDACTED:github-token] in /home/runner/work/app"
    )


def test_messages_count_distinct_values() -> None:
    shared = {"role": "user", "content": f"diff with {GH} and {NPM}"}
    task = {"role": "user", "content": f"again {GH}"}
    messages, digests = redact_messages([shared, task, shared])
    assert len(digests) == 2
    assert all(GH not in m["content"] and NPM not in m["content"] for m in messages)
    assert messages[0]["role"] == "user"


def test_review_strings_are_redacted_but_fingerprints_kept() -> None:
    rv = review()
    first = rv.findings[0]
    leaky = first.model_copy(
        update={"path": f"keys/{GH}.json", "message": f"uses {NPM}", "suggestion": GH}
    )
    rv = rv.model_copy(update={"findings": (leaky, *rv.findings[1:]), "notes": (f"n {GH}",)})
    out = redact_review(rv)
    text = out.model_dump_json()
    assert GH not in text and NPM not in text
    assert out.findings[0].path == "keys/[REDACTED:github-token].json"
    assert out.findings[0].fingerprint == first.fingerprint
    assert out.change.head_sha == rv.change.head_sha
    clean = review()
    assert redact_review(clean) is clean


def test_redact_strings_keeps_each_string_apart() -> None:
    values = ['x = "ab" +', '"cd"', f"{GH}", "", "multi\nline"]
    assert redact_strings(values) == [
        'x = "ab" +',
        '"cd"',
        "[REDACTED:github-token]",
        "",
        "multi\nline",
    ]


@pytest.mark.parametrize("debug", ["0", "1"])
def test_cli_errors_and_tracebacks_are_scrubbed(capsys, monkeypatch, debug: str) -> None:
    monkeypatch.setenv("PRREVIEW_DEBUG", debug)
    capsys.readouterr()
    main([GH])  # click's "No such command" echoes the argument
    out, err = capsys.readouterr()
    assert "[REDACTED:github-token]" in err
    assert GH not in out + err
