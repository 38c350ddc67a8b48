"""Item 8: hidden and bidi characters produce a finding on their exact line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.security.support import run_cli


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\u2067", "\u202a"])
def test_hidden_unicode_is_found_on_its_line(
    git_repo, tmp_path: Path, capsys, monkeypatch, char: str
) -> None:
    repo = git_repo()
    repo.write("auth.py", "a = 1\n")
    repo.commit("base")
    lines = ["a = 1", "b = 2", f"if user != 'admin{char}': # check", "c = 3", "d = 4"]
    repo.write("auth.py", "\n".join(lines) + "\n")
    repo.commit("change")
    out = tmp_path / "r.json"
    args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-o", f"json={out}"]
    run_cli(capsys, monkeypatch, args)
    findings = json.loads(out.read_text())["findings"]
    hits = [f for f in findings if f["rule_id"].startswith("unicode")]
    assert hits, findings
    assert {(f["path"], f["start_line"]) for f in hits} == {("auth.py", 3)}
