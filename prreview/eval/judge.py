"""The optional LLM judge: does a located prediction describe the same defect as the truth?

It talks to the model only through the engine (`prreview.llm`), so answers are cached and
retried like review calls. Every pair the scorer may ask about is sent in one batch
(`prefetch`); the scorer then calls the judge as a plain `judge(pred, truth) -> bool`.
An unusable answer counts as "not the same defect" and is counted in `failures`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib import resources

from prreview.config.settings import Settings
from prreview.eval.corpus import TruthFinding
from prreview.eval.models import Predicted
from prreview.evaluators.prompts.render import boundary_for, render_source, template_hash
from prreview.llm.cache import Cache
from prreview.llm.engine import ChatRequest, Engine, EngineConfig
from prreview.models import RunCounters
from prreview.secrets.redact import redact_messages

_SCHEMA = {
    "type": "object",
    "properties": {"same_defect": {"type": "boolean"}},
    "required": ["same_defect"],
    "additionalProperties": False,
}
_SYSTEM = "You judge code review findings against known defects. Answer only with JSON."
_MAX_MESSAGE = 4000


def _template() -> str:
    return resources.files("prreview.eval").joinpath("judge.j2").read_text(encoding="utf-8")


def judge_messages(pred: Predicted, truth: TruthFinding) -> tuple[dict[str, str], ...]:

    message = pred.message[:_MAX_MESSAGE]
    boundary = boundary_for(truth.description, pred.title, message)
    start = pred.start_line or 0
    variables = {
        "category": truth.category,
        "truth_file": truth.file,
        "truth_start": truth.start_line,
        "truth_end": truth.end_line,
        "description": truth.description,
        "pred_file": pred.path or "",
        "pred_start": start,
        "pred_end": pred.end_line or start,
        "title": pred.title,
        "message": message,
        "boundary": boundary,
    }
    user = render_source(_template(), "prreview/eval/judge.j2", variables)
    return ({"role": "system", "content": _SYSTEM}, {"role": "user", "content": user})


def parse_verdict(text: str) -> bool | None:
    """True/False from the answer, None when it is not the expected JSON object."""
    raw = text.strip()
    if raw.startswith("```"):
        raw = raw.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("same_defect"), bool):
        return None
    return bool(data["same_defect"])


class LLMJudge:
    """A judge backed by the engine; verdicts are memoised per (prediction, truth) pair."""

    def __init__(self, model: str, settings: Settings) -> None:

        same_provider = (settings.model or "").partition("/")[0] == model.partition("/")[0]
        config = EngineConfig(
            api_base=settings.api_base if same_provider else None,
            timeout=settings.timeout,
            max_concurrency=settings.max_concurrency,
            retries=settings.retries,
            retry_after_cap=settings.retry_after_cap,
        )
        cache = (
            None if settings.no_cache or settings.cache_dir is None else Cache(settings.cache_dir)
        )
        self.model = model
        self.engine = Engine(config, cache)
        self.verdicts: dict[tuple[Predicted, TruthFinding], bool] = {}
        self.failures = 0
        self.counters = RunCounters()

    def prefetch(self, pairs: Sequence[tuple[Predicted, TruthFinding]]) -> None:

        todo = list(dict.fromkeys(p for p in pairs if p not in self.verdicts))
        if not todo:
            return
        thash = template_hash(_template(), _SYSTEM)
        requests = [
            ChatRequest(
                key=str(i),
                model=self.model,
                messages=redact_messages(judge_messages(pred, truth))[0],
                response_schema=_SCHEMA,
                max_output_tokens=64,
                template_hash=thash,
            )
            for i, (pred, truth) in enumerate(todo)
        ]
        for pair, result in zip(todo, self.engine.run_sync(requests), strict=True):
            self.counters = self.counters + result.counters
            verdict = parse_verdict(result.text) if result.ok else None
            self.failures += verdict is None
            self.verdicts[pair] = bool(verdict)

    @property
    def calls(self) -> int:
        return self.counters.calls

    def __call__(self, pred: Predicted, truth: TruthFinding) -> bool:
        if (pred, truth) not in self.verdicts:
            self.prefetch([(pred, truth)])
        return self.verdicts[(pred, truth)]
