from __future__ import annotations

import re
import time

from prreview.checks import BUILTIN_CHECKS, all_rules, rule_id_matches, run_checks
from prreview.models import FileChange, Rule
from tests.checks_support import make_file

GH = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"


def test_rules_are_complete_and_unique() -> None:
    rules = all_rules()
    ids = [r.id for r in rules]
    assert len(ids) == len(set(ids))
    families = {c.family for c in BUILTIN_CHECKS}
    for rule in rules:
        assert isinstance(rule, Rule)
        assert re.fullmatch(r"[a-z]+/[a-z0-9-]+", rule.id), rule.id
        assert rule.id.split("/")[0] in families
        assert rule.evaluator == "builtin"
        assert rule.name and rule.short_description and rule.full_description
        assert rule.help_text and rule.help_markdown.startswith("**")
        if rule.category == "security":
            assert "security" in rule.tags
            assert rule.security_severity is not None and 0 < rule.security_severity <= 10
        else:
            assert rule.security_severity is None
    expected = {
        "secrets/aws-access-key",
        "secrets/github-token",
        "secrets/generic-secret",
        "conflicts/merge-marker",
        "unicode/bidi",
        "debug/breakpoint",
        "debug/print",
        "risky/eval",
        "risky/sql-injection",
        "tests/skipped",
        "tests/focused",
        "files/large",
        "files/binary",
        "todo/marker",
    }
    assert expected <= set(ids)


def test_every_finding_uses_a_registered_rule() -> None:
    by_id = {r.id: r for r in all_rules()}
    file = make_file(
        "pkg/mod.py",
        [
            f'T = "{GH}"',
            "breakpoint()",
            "print(x)",
            "eval(s)",
            "# TODO",
            "<<<<<<< HEAD",
            ">>>>>>> b",
        ],
    )
    findings = run_checks([file])
    assert len(findings) == 6  # the two markers form one conflict
    for f in findings:
        rule = by_id[f.rule_id]
        assert f.severity == rule.severity and f.category == rule.category
        assert f.source == "builtin" and f.evaluators == ("builtin",)
        assert f.tags == rule.tags
        assert len(f.fingerprint) == 32


def test_findings_are_sorted_deterministically() -> None:
    files = [
        make_file("z.py", ["# TODO", "breakpoint()"]),
        make_file("a.py", ["x = 1", "# FIXME", "breakpoint()  # TODO"]),
        FileChange(path="m.bin", status="added", is_binary=True, skip_reason="binary"),
    ]
    findings = run_checks(files)
    keys = [(f.path, f.start_line, f.start_column, f.rule_id) for f in findings]
    assert keys == [
        ("a.py", 2, 3, "todo/marker"),
        ("a.py", 3, 1, "debug/breakpoint"),
        ("a.py", 3, 17, "todo/marker"),
        ("m.bin", None, None, "files/binary"),
        ("z.py", 1, 3, "todo/marker"),
        ("z.py", 2, 1, "debug/breakpoint"),
    ]
    assert run_checks(list(reversed(files))) == findings


def test_enabled_selects_families_and_rules() -> None:
    file = make_file("pkg/mod.py", [f'T = "{GH}"', "breakpoint()", "print(x)", "# TODO"])
    assert {f.rule_id for f in run_checks([file], enabled={"debug"})} == {
        "debug/breakpoint",
        "debug/print",
    }
    assert [f.rule_id for f in run_checks([file], enabled={"debug/print", "todo"})] == [
        "debug/print",
        "todo/marker",
    ]
    assert run_checks([file], enabled=set()) == []
    assert run_checks([file], enabled={"nonexistent"}) == []


def test_skipped_files_get_only_the_always_on_checks() -> None:
    lines = [f'T = "{GH}"', "breakpoint()", "# TODO", "x\u202ey"]
    skipped = make_file("vendor/mod.py", lines, skip_reason="vendored")
    assert sorted(f.rule_id for f in run_checks([skipped])) == [
        "secrets/github-token",
        "unicode/bidi",
    ]
    reviewable = make_file("pkg/mod.py", lines)
    assert len(run_checks([reviewable])) == 4


def test_a_skip_the_pr_controls_switches_no_check_off() -> None:
    lines = [f'T = "{GH}"', "breakpoint()", "# TODO", "x\u202ey"]
    pr_skip = make_file("vendor/mod.py", lines, skip_reason="vendored").model_copy(
        update={"skip_incomplete": True}
    )
    assert len(run_checks([pr_skip])) == 4


def test_file_level_findings_of_a_streamed_file_are_reported_once() -> None:
    piece = make_file("new.pem", ["x = 1"], status="added", skip_reason="diff too large")
    pieces = [piece, piece.model_copy(update={"hunks": piece.hunks})]
    found = [f.rule_id for f in run_checks(pieces)]
    assert found.count("secrets/sensitive-file") == 1


def test_deleted_files_are_ignored() -> None:
    gone = FileChange(path="old.png", status="deleted", is_binary=True)
    assert run_checks([gone]) == []


def test_rule_id_matches() -> None:
    assert rule_id_matches("secrets", "secrets/github-token")
    assert rule_id_matches("Secrets/GitHub-Token", "secrets/github-token")
    assert rule_id_matches("todo/marker", "todo/marker")
    assert not rule_id_matches("secret", "secrets/github-token")
    assert not rule_id_matches("secrets/github", "secrets/github-token")
    assert not rule_id_matches("", "todo/marker")


def test_hostile_lines_stay_fast() -> None:
    lines = [
        "select " * 15000,
        "password = " * 10000,
        "-----BEGIN RSA PRIVATE KEY-----" * 2000,
        "f'" + "{" * 20000,
        "exec(`" * 10000,
        "key" + " " * 30000 + "x",
        ('"AKIA' + "Q7ZR2M4XK9PLW3NB" + '" ') * 3000,
    ]
    files = [make_file(p, lines) for p in ("a.py", "a.js", "a.php", "a.rb", ".env")]
    start = time.process_time()
    run_checks(files)
    assert time.process_time() - start < 10


def test_many_lines_stay_fast() -> None:
    sample = [
        "    def compute_token_count(self, text: str) -> int:",
        "        key = self.cache_key(text)",
        "    auth_header = request.headers.get('Authorization')",
        '        query = "SELECT id FROM users WHERE id = %s"',
        "        result.append(item.update(values))",
    ]
    files = [make_file(f"pkg/m{i}.py", sample * 400) for i in range(10)]
    start = time.process_time()
    assert run_checks(files) == []
    assert time.process_time() - start < 10
