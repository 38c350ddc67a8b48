"""The structured answer contract: locate, parse, validate, drop and count."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prreview.evaluators.answer import (
    ANSWER_SCHEMA,
    AnswerError,
    ModelAnswer,
    ModelFinding,
    extract_json,
    parse_answer,
    repair_message,
)

FINDING = {
    "file": "src/app.py",
    "line": 12,
    "end_line": 14,
    "severity": "high",
    "confidence": 0.9,
    "category": "correctness",
    "title": "Off-by-one",
    "message": "The loop skips the last item.",
    "suggestion": "range(len(items))",
}
ANSWER = {"findings": [FINDING], "summary": "One bug."}


def test_schema_is_valid_and_accepts_the_example() -> None:
    jsonschema.Draft202012Validator.check_schema(ANSWER_SCHEMA)
    jsonschema.validate(ANSWER, ANSWER_SCHEMA)
    answer, dropped = parse_answer(json.dumps(ANSWER))
    assert dropped == 0 and answer.summary == "One bug."
    assert answer.findings == (ModelFinding(**FINDING),)


@pytest.mark.parametrize(
    "wrap",
    [
        "{}",
        "```json\n{}\n```",
        "Here is my review:\n```\n{}\n```\nThanks!",
        '<think>maybe {{"findings": 1}} is wrong</think>\n{}',
        "Sure. {} Let me know.",
        'An example item {{"file": "a"}} first, then the answer: {}',
    ],
)
def test_answer_is_found_in_noise(wrap: str) -> None:
    text = wrap.format(json.dumps(ANSWER))
    assert json.loads(extract_json(text)) == ANSWER
    answer, dropped = parse_answer(text)
    assert len(answer.findings) == 1 and dropped == 0


def test_invalid_items_are_dropped_and_counted() -> None:
    bad = [
        {**FINDING, "approve": True},  # unknown key inside an item
        {**FINDING, "severity": "blocker"},
        {**FINDING, "confidence": 1.5},
        {**FINDING, "line": 0},
        {**FINDING, "line": "12"},  # no coercion: the contract says integer
        {**FINDING, "line": True},
        {**FINDING, "confidence": "0.9"},
        {**FINDING, "end_line": 3},  # before line
        {k: v for k, v in FINDING.items() if k != "message"},
        "not an object",
    ]
    answer, dropped = parse_answer(json.dumps({"findings": [FINDING, *bad], "summary": ""}))
    assert len(answer.findings) == 1 and dropped == len(bad)


def test_top_level_extras_are_ignored_and_listed() -> None:
    text = json.dumps({**ANSWER, "approve": True, "exit_code": 0})
    answer, dropped = parse_answer(text)
    assert answer.ignored_keys == ("approve", "exit_code") and dropped == 0
    assert "approve" not in answer.model_dump_json(exclude={"ignored_keys"})


def test_optional_fields_and_normalised_severity() -> None:
    item = {"file": "a.py", "line": 3, "severity": " HIGH ", "title": "t", "message": "m"}
    answer, _ = parse_answer(json.dumps({"findings": [item]}))
    [finding] = answer.findings
    assert finding.severity == "high" and finding.last_line == 3
    assert finding.suggestion is None and answer.summary == ""


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no json here",
        "[1, 2, 3]",
        '{"summary": "no findings key"}',
        '{"findings": "none"}',
        '{"findings": [], "summary": 5}',
        '{"findings": [' * 50_000,
        "{" * 50_000,
        '{"findings": ' + "[" * 100_000 + "]" * 100_000 + "}",
    ],
    ids=lambda text: f"{text[:20]!r}...{len(text)}",
)
def test_unusable_answers_raise_answer_error(text: str) -> None:
    with pytest.raises(AnswerError):
        parse_answer(text)


def test_answer_error_is_a_value_error() -> None:
    assert issubclass(AnswerError, ValueError)


def test_repair_message_quotes_the_error() -> None:
    with pytest.raises(AnswerError) as info:
        parse_answer('{"findings": "none"}')
    message = repair_message(info.value)
    assert message["role"] == "user"
    assert "findings" in message["content"] and str(info.value) in message["content"]


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from([*FINDING, "findings", "summary", "x"]), children, max_size=6
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300) | _json_values.map(json.dumps))
def test_arbitrary_text_only_raises_answer_error(text: str) -> None:
    try:
        answer, dropped = parse_answer(text)
    except AnswerError:
        return
    assert isinstance(answer, ModelAnswer) and dropped >= 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80), _json_values)
def test_answer_survives_surrounding_prose(before: str, after: str, findings: object) -> None:
    body = json.dumps({"findings": [FINDING], "summary": "s"})
    text = f"{before.replace('{', '(')}\n{body}\n{after.replace('{', '(')}"
    answer, _ = parse_answer(text)
    assert len(answer.findings) == 1
