from __future__ import annotations

import re

from prreview.models import Finding, Review
from prreview.report import github
from tests.review_fixture import HOSTILE_MESSAGE, HOSTILE_TITLE, review

_COMMAND = re.compile(r"^::(error|warning|notice)(?: ([^:]*))?::(.*)$")


def _unescape(text: str) -> str:
    for code, ch in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(code, ch)
    return text


def _parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    commands = []
    for line in text.splitlines():
        match = _COMMAND.match(line)
        assert match, f"not a single workflow command: {line!r}"
        props = {}
        for pair in (match.group(2) or "").split(","):
            if pair:
                key, _, value = pair.partition("=")
                props[key] = _unescape(value)
        commands.append((match.group(1), props, _unescape(match.group(3))))
    return commands


def test_every_line_is_one_command_and_hostile_text_round_trips() -> None:
    commands = _parse(github.render(review()))
    assert [c[0] for c in commands] == [
        "warning", "error", "error", "warning", "warning", "notice", "notice"
    ]  # fmt: skip
    _level, props, message = commands.pop(0)
    assert props == {"title": "prreview: not reviewed"}
    assert message.startswith("2 item(s) not reviewed:\nfile vendor/big.min.js: too large")
    assert "assets/logo.png: binary" in message
    _, props, message = commands[1]
    assert props == {"file": "app/db.py", "line": "12", "endLine": "14",
                     "title": f"[high] {HOSTILE_TITLE}"}  # fmt: skip
    assert message.startswith(HOSTILE_MESSAGE)
    assert props["file"] and commands[4][1] == {
        "file": "web/handlers.py",
        "title": "[low] Debug print left in the file",
    }


def test_injected_commands_stay_inside_the_data() -> None:
    finding = Finding(
        rule_id="llm/x/y", evaluator="x", category="x", severity="high", confidence=0.9,
        title="a,b:c\n::add-mask::secret", message="ok\r\n::set-output name=x::1\n%0A",
        path="dir,with:odd/file.py", start_line=1,
    )  # fmt: skip
    text = github.render(Review(findings=(finding,)))
    assert text.count("\n") == 1 and text.startswith("::error file=dir%2Cwith%3Aodd/file.py,")
    ((_, props, message),) = _parse(text)
    assert props["title"] == "[high] a,b:c ::add-mask::secret"
    assert message.startswith("ok\r\n::set-output name=x::1\n%0A")


def _finding(i: int, severity: str) -> Finding:
    return Finding(
        rule_id="r", evaluator="e", category="c", severity=severity, confidence=i / 100,
        title=f"t{i}", message="m", path="a.py", start_line=i + 1, fingerprint=f"{i:032x}",
    )  # fmt: skip


def test_budget_keeps_the_best_ten_per_level_and_counts_the_rest() -> None:
    findings = tuple(_finding(i, "high") for i in range(25)) + tuple(
        _finding(i, "low") for i in range(25, 40)
    )
    commands = _parse(github.render(Review(findings=findings)))
    errors = [c for c in commands if c[0] == "error"]
    notices = [c for c in commands if c[0] == "notice"]
    assert len(errors) == 10 and len(notices) == 10
    assert [c[1]["title"] for c in errors] == [f"[high] t{i}" for i in range(24, 14, -1)]
    assert notices[-1][2].startswith("prreview: 21 more findings not annotated")
    assert len(commands) <= 50


def test_no_overflow_line_when_everything_fits() -> None:
    findings = tuple(_finding(i, "info") for i in range(10))
    commands = _parse(github.render(Review(findings=findings)))
    assert len(commands) == 10
    assert not github.render(Review())
