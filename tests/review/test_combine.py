"""Sharding across CI jobs (`--shard I/N` + `prreview merge`) and incremental review."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response
from tests.run_support import answer, finding, run_main

_HEADER = re.compile(r"^### (\S+)")
_BUG = re.compile(r"^\s*(\d+)\|\+ .*BUG")


def bug_responder(body: dict[str, Any]) -> Response:
    """A deterministic model: every added line containing BUG is a finding."""
    items = []
    path = None
    for message in body["messages"]:
        for line in str(message["content"]).splitlines():
            if m := _HEADER.match(line):
                path = m.group(1)
            elif (m := _BUG.match(line)) and path:
                items.append(finding(path, int(m.group(1)), title=f"bug in {path}"))
    return answer(*items)


def _many_modules(repo: Any) -> None:
    for i in range(6):
        repo.write(f"pkg{i}/mod.py", "def f():\n    return 1\n")
    repo.commit("base")
    for i in range(6):
        extra = "    x = 2  # BUG\n" if i % 2 == 0 else "    y = 3\n"
        repo.write(f"pkg{i}/mod.py", f"def f():\n{extra}    return 1\n")
    repo.commit("change")


def _args(repo: Any, server: FakeOpenAIServer, *extra: str) -> list[str]:
    return [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/test-model",
        "--api-base", server.api_base, "--no-summary", "--no-cache", "--retries", "0",
        "-e", "correctness", *extra,
    ]  # fmt: skip


def _keys(review: Review) -> set[tuple[str, str | None, int | None]]:
    return {(f.rule_id, f.path, f.start_line) for f in review.findings}


def test_shards_merge_to_the_unsharded_review(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path: Path
) -> None:
    repo = git_repo()
    _many_modules(repo)
    openai_server.responder = bug_responder
    full = run_main(capsys, *_args(repo, openai_server, "-o", f"json={tmp_path / 'full.json'}"))
    assert full.code == 1, full.err
    unsharded = Review.model_validate_json((tmp_path / "full.json").read_text())
    requests_full = len(openai_server.requests)
    parts = []
    for i in (1, 2, 3):
        out = tmp_path / f"part{i}.json"
        res = run_main(
            capsys, *_args(repo, openai_server, "--shard", f"{i}/3", "-o", f"json={out}")
        )
        assert res.code in (0, 1), res.err
        parts.append(str(out))
    assert len(openai_server.requests) == 2 * requests_full, "each unit reviewed exactly once"
    merged_path = tmp_path / "merged.json"
    res = run_main(capsys, "merge", *parts, "-o", f"json={merged_path}", "-o", "sarif=-")
    assert res.code == 1
    merged = Review.model_validate_json(merged_path.read_text())
    assert _keys(merged) == _keys(unsharded)
    assert len(merged.findings) == len(unsharded.findings)
    assert merged.stats.hunks_reviewed == unsharded.stats.hunks_reviewed == unsharded.stats.hunks
    assert '"version": "2.1.0"' in res.out


def test_merge_rejects_reports_of_different_heads(git_repo, capsys, tmp_path: Path) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write("a.py", "x = 2\n")
    repo.commit("one")
    assert (
        run_main(
            capsys,
            "run",
            "--repo",
            str(repo.path),
            "--base",
            "HEAD~1",
            "-o",
            f"json={tmp_path / 'a.json'}",
        ).code
        == 0
    )
    repo.write("a.py", "x = 3\n")
    repo.commit("two")
    assert (
        run_main(
            capsys,
            "run",
            "--repo",
            str(repo.path),
            "--base",
            "HEAD~2",
            "-o",
            f"json={tmp_path / 'b.json'}",
        ).code
        == 0
    )
    res = run_main(capsys, "merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"))
    assert res.code == 2
    assert "different head" in res.err


def test_incremental_review_sends_only_new_hunks_and_carries_findings(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path: Path
) -> None:
    repo = git_repo()
    repo.write("a.py", "def a():\n    return 1\n")
    repo.write("b.py", "def b():\n    return 1\n")
    base = repo.commit("base")
    repo.write("a.py", "def a():\n    v = 1  # BUG one\n    return 1\n")
    first_head = repo.commit("first push")
    openai_server.responder = bug_responder
    first = tmp_path / "first.json"
    res = run_main(capsys, *_args(repo, openai_server, "--base", base, "-o", f"json={first}"))
    assert res.code == 1, res.err
    assert len(openai_server.requests) == 1

    repo.write("b.py", "def b():\n    w = 2  # BUG two\n    return 1\n")
    repo.commit("second push")
    second = tmp_path / "second.json"
    res = run_main(
        capsys,
        *_args(repo, openai_server, "--base", base, "--since", first_head),
        "--previous-report", str(first), "-o", f"json={second}",
    )  # fmt: skip
    assert res.code == 1, res.err
    new_requests = openai_server.requests[1:]
    assert len(new_requests) == 1
    sent = "\n".join(str(m["content"]) for m in new_requests[0].body["messages"])
    assert "### b.py" in sent and "### a.py" not in sent, "only the new commit's hunks are sent"
    review = Review.model_validate_json(second.read_text())
    paths = {(f.path, f.start_line) for f in review.findings if f.source == "llm"}
    assert paths == {("a.py", 2), ("b.py", 2)}, "the first push's finding is carried forward"
    assert any("carried forward" in n for n in review.notes)


def test_incremental_falls_back_to_full_review_after_force_push(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path: Path
) -> None:
    repo = git_repo()
    repo.write("a.py", "def a():\n    return 1\n")
    base = repo.commit("base")
    repo.write("a.py", "def a():\n    return 2\n")
    orphan = repo.commit("pushed then rewritten")
    repo.git("reset", "--hard", base)
    repo.write("a.py", "def a():\n    z = 3  # BUG\n    return 1\n")
    repo.commit("rewritten")
    openai_server.responder = bug_responder
    res = run_main(
        capsys, *_args(repo, openai_server, "--base", base, "--since", orphan, "-o", "json=-")
    )
    assert res.code == 1
    assert "full" in res.err.lower()
    review = Review.model_validate_json(res.out)
    assert [(f.path, f.start_line) for f in review.findings if f.source == "llm"] == [("a.py", 2)]


def test_since_auto_takes_the_head_of_the_previous_report(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path: Path
) -> None:
    repo = git_repo()
    repo.write("a.py", "def a():\n    return 1\n")
    repo.write("b.py", "def b():\n    return 1\n")
    base = repo.commit("base")
    repo.write("a.py", "def a():\n    v = 1  # BUG one\n    return 1\n")
    repo.commit("first push")
    openai_server.responder = bug_responder
    state = tmp_path / "last.json"
    auto = ("--since", "auto", "--previous-report", str(state))
    res = run_main(
        capsys, *_args(repo, openai_server, "--base", base, *auto, "-o", f"json={state}")
    )
    assert res.code == 1, res.err
    assert "no previous report" in res.err
    repo.write("b.py", "def b():\n    w = 2  # BUG two\n    return 1\n")
    repo.commit("second push")
    res = run_main(capsys, *_args(repo, openai_server, "--base", base, *auto, "-o", "json=-"))
    assert res.code == 1, res.err
    assert len(openai_server.requests) == 2
    assert "### a.py" not in str(openai_server.requests[1].body)
    review = Review.model_validate_json(res.out)
    assert {(f.path, f.start_line) for f in review.findings} == {("a.py", 2), ("b.py", 2)}
