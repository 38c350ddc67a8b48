"""The one model call of `prreview describe`, through the same engine and cache as `run`.

The prompt holds the file list, the module list and the hunks (up to DIFF_TOKENS, then file
names only), with secrets redacted before anything leaves the process. The answer is
validated against `DescribeAnswer` (unknown keys rejected); an invalid answer is asked for
once more with the error, then the deterministic description stands, with a note saying so.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field, ValidationError

from prreview.config.settings import Settings
from prreview.describe.shape import ChangeType, Description
from prreview.evaluators.answer import AnswerError, extract_json
from prreview.evaluators.prompts.render import (
    boundary_for,
    builtin_source,
    render_builtin,
    template_hash,
)
from prreview.llm.engine import ChatRequest
from prreview.models import ChangeSet, Frozen
from prreview.plan.units import format_file
from prreview.secrets.redact import redact_messages

DIFF_TOKENS = 8_000
MAX_LABELS = 8
_LABEL = re.compile(r"^[a-z0-9][a-z0-9 ./:_-]{0,39}$")
_SYSTEM = "You write pull request descriptions for code reviewers."


class ModuleLine(Frozen):
    module: str = Field(min_length=1, max_length=400)
    summary: str = Field(max_length=600)


class DescribeAnswer(Frozen):
    title: str = Field(min_length=1, max_length=200)
    type: ChangeType
    overview: str = Field(default="", max_length=4_000)
    modules: list[ModuleLine] = Field(default_factory=list)
    labels: list[str] = Field(default_factory=list, max_length=20)


ANSWER_SCHEMA: dict[str, Any] = DescribeAnswer.model_json_schema()


def prompt(
    changes: ChangeSet, base: Description, count: Callable[[str], int]
) -> tuple[dict[str, str], ...]:

    parts: list[str] = []
    used = 0
    for f in changes.reviewable_files:
        if f.is_binary or not f.hunks:
            continue
        text = format_file(f, f.hunks)
        cost = count(text)
        if used + cost > DIFF_TOKENS:
            parts.append(f"### {f.path} (diff left out of this prompt)")
            continue
        parts.append(text)
        used += cost
    diff = "\n\n".join(parts)
    files = [n.model_dump() for m in base.modules for n in m.files]
    content = render_builtin(
        "describe",
        {
            "files": files,
            "modules": [m.module for m in base.modules],
            "diff": diff,
            "boundary": boundary_for(diff),
        },
    )
    return ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": content})


def request(messages: tuple[dict[str, str], ...], settings: Settings) -> Any:
    """The describe call; its messages pass the one redaction choke point like every request."""
    messages, _replaced = redact_messages(messages)
    key = "describe-" + hashlib.sha256(messages[-1]["content"].encode()).hexdigest()[:12]
    return ChatRequest(
        key=key,
        model=settings.summary_model or settings.model or "",
        messages=messages,
        response_schema=ANSWER_SCHEMA,
        max_output_tokens=min(settings.max_output_tokens, 2048),
        temperature=settings.temperature,
        seed=settings.seed,
        template_hash=template_hash(builtin_source("describe"), "describe-v1"),
    )


def parse(text: str) -> DescribeAnswer:
    """The validated answer; ValueError with the first problem otherwise."""

    try:
        return DescribeAnswer.model_validate_json(extract_json(text))
    except AnswerError as exc:
        raise ValueError(str(exc)) from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise ValueError(f"{where}: {err['msg']}") from None


def repair(
    messages: tuple[dict[str, str], ...], answer: str, error: str
) -> tuple[dict[str, str], ...]:
    again = {
        "role": "user",
        "content": f"Your previous answer could not be used: {error[:300]}\n"
        "Reply again with only the JSON object described above and no other text.",
    }
    return (*messages, {"role": "assistant", "content": answer[:4000]}, again)


def merge(base: Description, answer: DescribeAnswer) -> Description:
    """The model's title, type, overview, module lines and labels over the facts."""
    lines = {m.module: " ".join(m.summary.split()) for m in answer.modules}
    modules = tuple(
        m.model_copy(update={"summary": lines[m.module]}) if lines.get(m.module) else m
        for m in base.modules
    )
    return base.model_copy(
        update={
            "title": " ".join(answer.title.split()),
            "type": answer.type,
            "overview": answer.overview.strip() or base.overview,
            "modules": modules,
            "labels": clean_labels([answer.type, *answer.labels]),
            "source": "model",
        }
    )


def clean_labels(labels: Sequence[str]) -> tuple[str, ...]:
    kept = [x.strip().lower() for x in labels]
    return tuple(dict.fromkeys(x for x in kept if _LABEL.match(x)))[:MAX_LABELS]
