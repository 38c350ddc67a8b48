from __future__ import annotations

import json
from pathlib import Path

import pytest

from prreview.checks import run_checks
from prreview.errors import ConfigError
from prreview.models import Finding, Review
from prreview.review.suppress import (
    apply_baseline,
    apply_inline_suppressions,
    inline_suppressions,
    load_baseline,
    suppressing_ids,
    write_baseline,
)
from tests.checks_support import make_changes, make_file


def llm_finding(path: str, line: int | None, rule_id: str = "correctness/null-deref") -> Finding:
    return Finding(
        rule_id=rule_id,
        evaluator="correctness",
        category="correctness",
        severity="high",
        confidence=0.8,
        title="t",
        message="m",
        path=path,
        start_line=line,
        end_line=line,
        source="llm",
        fingerprint=f"fp-{path}-{line}-{rule_id}",
    )


def kept_rules(lines: list[str], **kw: object) -> tuple[list[str], int]:
    file = make_file("pkg/mod.py", lines, **kw)  # type: ignore[arg-type]
    kept, count = apply_inline_suppressions(run_checks([file]), make_changes(file))
    return [f.rule_id for f in kept], count


@pytest.mark.parametrize(
    "lines",
    [
        ["breakpoint()  # prreview: ignore[debug/breakpoint]"],
        ["breakpoint()  # prreview: ignore[debug]"],
        ["breakpoint()  # prreview: ignore"],
        ["breakpoint()  # prreview: ignore[*]"],
        ["breakpoint()  # PRReview:ignore[ todo/marker , debug/breakpoint ]"],
        ["# prreview: ignore[debug/breakpoint]", "breakpoint()"],
        ["# prreview: ignore[todo] prreview: ignore[debug]", "breakpoint()"],
    ],
)
def test_inline_suppression(lines: list[str]) -> None:
    assert kept_rules(lines) == ([], 1)


@pytest.mark.parametrize(
    "lines",
    [
        ["breakpoint()  # prreview: ignore[todo/marker]"],
        ["breakpoint()  # prreview: ignore[debug/print]"],
        ["breakpoint()  # prreview: ignore[deb]"],
        ["breakpoint()  # prreview: ignore[]"],
        ["breakpoint()  # noqa"],
        ["# prreview: ignore", "", "breakpoint()"],
        ["breakpoint()", "# prreview: ignore"],
    ],
)
def test_not_suppressed(lines: list[str]) -> None:
    rules, count = kept_rules(lines)
    assert rules == ["debug/breakpoint"] and count == 0


def test_suppression_on_a_context_line_above() -> None:
    rules = kept_rules(["breakpoint()"], start=7, context_before=("# prreview: ignore[debug]",))
    assert rules == ([], 1)


def test_only_the_named_rule_is_suppressed() -> None:
    rules, count = kept_rules(["breakpoint()  # TODO  prreview: ignore[todo]"])
    assert (rules, count) == (["debug/breakpoint"], 1)


def test_line_above_outside_the_diff_uses_the_reader(tmp_path: Path) -> None:
    source = tmp_path / "pkg" / "mod.py"
    source.parent.mkdir()
    source.write_text("def f():\n    # prreview: ignore[correctness]\n    return x.y\n")
    file = make_file("pkg/mod.py", ["    return x.y"], start=3)
    changes = make_changes(file)
    finding = llm_finding("pkg/mod.py", 3)
    asked: list[tuple[str, int]] = []

    def read(path: str, lineno: int) -> str | None:
        asked.append((path, lineno))
        lines = (tmp_path / path).read_text().splitlines()
        return lines[lineno - 1] if 0 < lineno <= len(lines) else None

    assert apply_inline_suppressions([finding], changes) == ([finding], 0)
    assert apply_inline_suppressions([finding], changes, read) == ([], 1)
    assert asked == [("pkg/mod.py", 2)]


def test_file_level_and_pathless_findings_are_kept() -> None:
    file = make_file("pkg/mod.py", ["# prreview: ignore"])
    findings = [
        llm_finding("pkg/mod.py", None),
        llm_finding("pkg/mod.py", 1).model_copy(update={"path": None}),
    ]
    assert apply_inline_suppressions(findings, make_changes(file)) == (findings, 0)


def test_suppressing_ids() -> None:
    assert suppressing_ids("x = 1") is None
    assert suppressing_ids("# prreview: ignore") == ["*"]
    assert suppressing_ids("# prreview: ignore[]") == []
    assert suppressing_ids("# prreview: ignore[a, b/c]") == ["a", "b/c"]


def report_json(findings: list[Finding]) -> str:
    return Review(findings=tuple(findings)).model_dump_json(indent=2)


def test_baseline_round_trip(tmp_path: Path) -> None:
    old = [llm_finding("a.py", 1), llm_finding("b.py", 2), llm_finding("a.py", 1)]
    text = write_baseline(report_json(old))
    data = json.loads(text)
    assert data == {"version": 1, "fingerprints": sorted({f.fingerprint for f in old})}
    path = tmp_path / "baseline.json"
    path.write_text(text)
    fps = load_baseline(path)
    new = llm_finding("c.py", 3)
    kept, count = apply_baseline([*old[:2], new], fps)
    assert (kept, count) == ([new], 2)


def test_builtin_fingerprints_survive_line_shifts(tmp_path: Path) -> None:
    before = run_checks([make_file("a.py", ["breakpoint()"], start=10)])
    after = run_checks([make_file("a.py", ["breakpoint()"], start=42)])
    path = tmp_path / "b.json"
    path.write_text(write_baseline(report_json(before)))
    assert apply_baseline(after, load_baseline(path)) == ([], 1)


def test_a_json_report_is_accepted_as_baseline(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_text(report_json([llm_finding("a.py", 1)]))
    assert load_baseline(path) == {"fp-a.py-1-correctness/null-deref"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "file not found"),
        ("{not json", "not valid JSON"),
        ('{"version": 2, "fingerprints": []}', "not a version 1 baseline"),
        ("[1, 2]", "not a version 1 baseline"),
        ('{"version": 1, "fingerprints": [1]}', "list of strings"),
        ('{"version": 1}', "list of strings"),
        ('{"findings": {}}', '"findings" must be a list'),
        (b"\xff\xfe\x00", "cannot read"),
    ],
)
def test_bad_baseline_files(tmp_path: Path, content: str | bytes | None, problem: str) -> None:
    path = tmp_path / "baseline.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_baseline(path)
    assert "--baseline" in str(info.value) and problem in str(info.value)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("text", ["{", "[]", '{"findings": [{"fingerprint": 3}]}', "{}"])
def test_write_baseline_rejects_non_reports(text: str) -> None:
    with pytest.raises(ConfigError):
        write_baseline(text)


def test_apply_baseline_keeps_findings_without_fingerprint() -> None:
    finding = llm_finding("a.py", 1).model_copy(update={"fingerprint": ""})
    assert apply_baseline([finding], {""}) == ([finding], 0)


def test_a_secret_is_never_suppressed_inline() -> None:
    token = "ghp_" + "Q7ZR2M4XK9PLW3NBa1B2c3D4e5F6g7H8i9J0"
    file = make_file("pkg/mod.py", [f'TOKEN = "{token}"  # prreview: ignore[secrets]'])
    out = inline_suppressions(run_checks([file]), make_changes(file))
    assert [f.rule_id for f in out.kept] == ["secrets/github-token"]
    assert (out.suppressed, out.refused) == (0, 1)
    assert out.notes() == ["1 secret finding(s) kept: `prreview: ignore` cannot suppress a secret"]


def test_suppressions_the_change_adds_are_listed() -> None:
    added = make_file("pkg/mod.py", ["breakpoint()  # prreview: ignore[debug]"], start=4)
    out = inline_suppressions(run_checks([added]), make_changes(added))
    assert out.suppressed == 1 and out.added == ["pkg/mod.py:4 (debug/breakpoint)"]
    assert "this change adds: pkg/mod.py:4 (debug/breakpoint)" in out.notes()[0]
    # a comment already in the file (a context line) is not the change's own
    old = make_file("pkg/mod.py", ["breakpoint()"], start=7, context_before=("# prreview: ignore",))
    out = inline_suppressions(run_checks([old]), make_changes(old))
    assert out.suppressed == 1 and out.added == [] and out.notes() == []
