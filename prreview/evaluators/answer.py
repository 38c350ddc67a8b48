"""The structured answer a model must give, and its validation.

Model output is untrusted: it is located (fences, <think> blocks and prose are tolerated),
parsed as JSON and validated item by item. Invalid items are dropped and counted; an answer
whose top level is unusable raises AnswerError, which the caller turns into one repair re-ask
with `repair_message`. Nothing here repairs content.

One source: `AnswerContract` (with `ModelFinding`) is the contract. The JSON schema sent to
the model (`ANSWER_SCHEMA`) is pydantic's schema of it, the repair prompt describes the
same schema, and answers are validated with the same models.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from prreview.models import Frozen, Severity

_MAX_ERROR_QUOTE = 2000
_MAX_DECODE_ATTEMPTS = 1000
"""Bounds the work on hostile output such as '{"a": [' repeated thousands of times."""


class AnswerError(ValueError):
    """The model's answer has no usable JSON object, or its top level is invalid."""


class ModelFinding(Frozen):
    """One finding as the model states it. Unknown keys are rejected, not ignored."""

    file: str = Field(min_length=1)
    line: int = Field(ge=1, strict=True)
    end_line: int | None = Field(default=None, ge=1, strict=True)
    """Defaults to `line`."""
    severity: Severity
    confidence: float = Field(default=0.5, ge=0.0, le=1.0, strict=True)
    category: str = "correctness"
    title: str = Field(min_length=1)
    message: str = Field(min_length=1)
    suggestion: str | None = None

    @field_validator("severity", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def last_line(self) -> int:
        return max(self.line, self.end_line or self.line)


class AnswerContract(Frozen):
    """A code review of the diff: the findings, then a short summary of the change."""

    findings: tuple[ModelFinding, ...]
    summary: str = ""


ANSWER_SCHEMA: dict[str, Any] = AnswerContract.model_json_schema()
"""Sent as the response format; generated, never written by hand."""


class ModelAnswer(Frozen):
    findings: tuple[ModelFinding, ...] = ()
    summary: str = ""
    ignored_keys: tuple[str, ...] = ()
    """Top-level keys the contract does not know (e.g. 'approve'): ignored, listed here."""


class _TopLevel(BaseModel):
    """The contract's top level, read leniently: unknown keys ignored, items checked later."""

    model_config = ConfigDict(extra="ignore")

    findings: list[Any]
    summary: str | None = ""


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return _shape(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in prop:
        return "|".join(json.dumps(v) for v in prop["enum"])
    if "anyOf" in prop:
        return " or ".join(_type_of(p, defs) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"[{_type_of(prop.get('items', {}), defs)}, ...]"
    bounds = [f">= {prop['minimum']}" if "minimum" in prop else "",
              f"<= {prop['maximum']}" if "maximum" in prop else ""]  # fmt: skip
    return " ".join([{"null": "null", "number": "number"}.get(kind, kind), *filter(None, bounds)])


def _shape(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """A compact description of an object schema: `"key": type` pairs, optional ones marked."""
    required = set(schema.get("required", ()))
    parts = [
        f'"{name}"{"" if name in required else " (optional)"}: {_type_of(prop, defs)}'
        for name, prop in schema.get("properties", {}).items()
    ]
    return "{" + ", ".join(parts) + "}"


def schema_outline(schema: dict[str, Any] = ANSWER_SCHEMA) -> str:
    """ANSWER_SCHEMA in one line, for prompts that cannot send a response format."""
    return _shape(schema, schema.get("$defs", {}))


_THINK_OPEN = re.compile(r"<think(?:ing)?>", re.IGNORECASE)
_THINK_CLOSE = re.compile(r"</think(?:ing)?>", re.IGNORECASE)


def _strip_think(text: str) -> str:
    """Drop <think>...</think> blocks (linear: the text is untrusted and may be large)."""
    parts: list[str] = []
    pos = 0
    while (opening := _THINK_OPEN.search(text, pos)) is not None:
        closing = _THINK_CLOSE.search(text, opening.end())
        if closing is None:
            break
        parts.append(text[pos : opening.start()])
        pos = closing.end()
    parts.append(text[pos:])
    return "".join(parts)


def _fenced_blocks(text: str) -> list[str]:
    """Bodies of ``` fences, without their info string (json, JSON, ...)."""
    segments = text.split("```")
    blocks = []
    for body in segments[1:-1:2]:
        first, newline, rest = body.partition("\n")
        blocks.append(rest if newline and not first.strip().startswith("{") else body)
    return blocks


def _objects(text: str) -> list[tuple[str, dict[str, Any]]]:
    """Every JSON object that parses at some '{' of `text`, in order (nested ones skipped)."""
    decoder = json.JSONDecoder()
    found: list[tuple[str, dict[str, Any]]] = []
    pos = text.find("{")
    for _ in range(_MAX_DECODE_ATTEMPTS):
        if pos == -1:
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            pos = text.find("{", pos + 1)
            continue
        if isinstance(value, dict):
            found.append((text[pos:end], value))
            pos = text.find("{", end)
        else:
            pos = text.find("{", pos + 1)
    return found


def _candidates(text: str) -> list[tuple[str, dict[str, Any]]]:
    stripped = _strip_think(text)
    fenced = [obj for block in _fenced_blocks(stripped) for obj in _objects(block)]
    return fenced + _objects(stripped)


def extract_json(text: str) -> str:
    """The answer's JSON object text: the first with a 'findings' key, else the first at all."""
    candidates = _candidates(text)
    if not candidates:
        raise AnswerError("no JSON object found in the answer")
    for raw, value in candidates:
        if "findings" in value:
            return raw
    return candidates[0][0]


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return f"{loc}: {err['msg']}"


def parse_answer(text: str) -> tuple[ModelAnswer, int]:
    """Validate a model answer: (answer with the valid findings, number of findings dropped)."""
    candidates = _candidates(text)
    if not candidates:
        raise AnswerError("no JSON object found in the answer")
    value = next((v for _, v in candidates if "findings" in v), candidates[0][1])
    try:
        top = _TopLevel.model_validate(value)
    except ValidationError as exc:
        raise AnswerError(f"invalid answer: {_first_error(exc)}") from None
    findings: list[ModelFinding] = []
    dropped = 0
    for item in top.findings:
        try:
            finding = ModelFinding.model_validate(item)
        except ValidationError:
            dropped += 1
            continue
        if finding.end_line is not None and finding.end_line < finding.line:
            dropped += 1
            continue
        findings.append(finding)
    ignored = tuple(sorted(k for k in value if k not in {"findings", "summary"}))
    answer = ModelAnswer(findings=tuple(findings), summary=top.summary or "", ignored_keys=ignored)
    return answer, dropped


def is_usable(text: str) -> bool:
    """True when `text` is an answer `parse_answer` accepts (the engine caches only those)."""
    try:
        parse_answer(text)
    except AnswerError:
        return False
    return True


def repair_message(error: AnswerError) -> dict[str, str]:
    """The user message for the single repair re-ask, quoting the validation error."""
    detail = str(error)[:_MAX_ERROR_QUOTE]
    return {
        "role": "user",
        "content": (
            "Your previous answer could not be used: "
            f"{detail}\n"
            "Reply again with only one JSON object of the form "
            f"{schema_outline()} and no other text."
        ),
    }
