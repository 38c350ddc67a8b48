from __future__ import annotations

from prreview.models import Finding, Review
from prreview.report import markdown
from prreview.review import gate
from tests.markdown_check import assert_inert, inspect
from tests.review_fixture import HOSTILE_SUGGESTION, review


def test_fixture_report_is_inert_markdown() -> None:
    seen = assert_inert(markdown.render(review()))
    assert seen.tags.count("details") == len(review().findings)
    assert seen.tags.count("summary") == len(review().findings)


def test_hostile_title_and_message_are_shown_as_text() -> None:
    seen = inspect(markdown.render(review()))
    prose = "".join(seen.text)
    assert "<img src=x onerror=alert(1)>" in prose
    assert "<!-- hidden -->" in prose
    assert "[click](javascript:alert(1))" in prose
    assert "@\u200borg/team" in prose and "@\u200ball" in prose


def test_suggestion_is_one_code_block_even_with_backticks_inside() -> None:
    seen = inspect(markdown.render(review()))
    code = "".join(seen.code_text)
    assert HOSTILE_SUGGESTION + "\n" in code


def test_verdict_gate_policy_and_tripping_findings() -> None:
    text = markdown.render(review())
    assert "❌ **Gate failed:** 2 findings at or above `high`" in text
    assert "minimum confidence 0.50; tripped by:" in text
    assert "- 🔴 `app/config.py:7` AWS access key committed" in text
    assert "Part of the change was not reviewed." in text
    assert "**6 findings:** 🔴 1 critical · 🟠 1 high · 🟡 2 medium · 🔵 1 low · ⚪ 1 info" in text


def _with(review_: Review, **changes: object) -> Review:
    return review_.model_copy(update=changes)


def test_verdict_passed_and_fail_open() -> None:
    base = review()
    passed = _with(
        base,
        gate=gate.decide(base.findings, fail_on="critical", min_confidence=1.1 - 0.05),
        complete=True,
        incomplete_reason=None,
    )
    assert "✅ **Passed:** no finding at or above `critical`" in markdown.render(passed)
    fail_open = _with(passed, complete=False, incomplete_reason="deadline", fail_open=True)
    text = markdown.render(fail_open)
    assert "⚠️ **Incomplete review:** deadline." in text
    assert "Fail-open (`--fail-open`): the run exits 0 anyway." in text
    assert "✅" not in text
    off = _with(passed, gate=gate.decide(base.findings, fail_on="none", min_confidence=0.0))
    assert "the gate is off" in markdown.render(off)


def test_empty_review_renders() -> None:
    text = markdown.render(Review())
    assert "✅ **Passed:**" in text and "### Findings" not in text
    assert_inert(text)


def _big_review(n: int) -> Review:
    severities = ("critical", "high", "medium", "low", "info")
    findings = tuple(
        Finding(
            rule_id="llm/correctness/x",
            evaluator="correctness",
            category="correctness",
            severity=severities[i % 5],
            confidence=0.5,
            title=f"finding {i}",
            message="word " * 40,
            path=f"src/f{i % 9}.py",
            start_line=i + 1,
            source="llm",
            fingerprint=f"{i:032x}",
        )
        for i in range(n)
    )
    return Review(findings=findings, gate=gate.decide(findings, fail_on="high", min_confidence=0))


def test_long_reports_drop_the_lowest_ranked_findings_with_a_note() -> None:
    big = _big_review(500)
    text = markdown.render(big)
    assert len(text) <= markdown.MAX_CHARS
    assert "lower-ranked findings are not shown" in text
    shown = text.count("<details>")
    assert 0 < shown < 500
    assert text.count("🔴 critical —") == 100
    assert "⚪ info —" not in text
    assert_inert(text)


def test_max_chars_is_respected_even_when_tiny() -> None:
    text = markdown.render(review(), max_chars=500)
    assert len(text) <= 500
    assert text.endswith("_The report was cut here to fit the size limit._\n")
