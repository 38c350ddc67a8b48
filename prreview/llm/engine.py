"""The LLM engine: the only module that talks to LiteLLM.

It runs chat requests concurrently, answers from the cache first (a fully cached run never
imports litellm), retries transient failures itself (429, 5xx, connection errors, timeouts;
exponential backoff with full jitter, Retry-After honoured up to a cap), then tries the
fallback models, and enforces the run's deadline and budget. It does not interpret answers.

Keys come from the provider's environment variables through LiteLLM; they are never logged,
cached or put in an error message. With --api-base and an `openai/...` model but no
OPENAI_API_KEY, a dummy key "sk-no-key" is sent: self-hosted OpenAI-compatible servers
(vLLM, llama.cpp, Ollama) usually do not check it, and the OpenAI client refuses to run
without one.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal

from pydantic import ValidationError

from prreview.errors import AuthError, Terminated, UsageError
from prreview.llm import tokens
from prreview.llm.cache import Cache, key_for
from prreview.llm.errors import Failure, classify, retry_after, scrub
from prreview.models import Frozen

log = logging.getLogger(__name__)

ErrorKind = Literal["context_length", "truncated", "failed", "deadline", "budget"]
DUMMY_KEY = "sk-no-key"
_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")
PROVIDER_KEY_ENV: dict[str, str | None] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "azure": "AZURE_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS",
    "bedrock": "AWS_ACCESS_KEY_ID",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "ollama": None,
    "ollama_chat": None,
}


class ChatRequest(Frozen):
    key: str
    """The caller's id for this request; results carry it back."""
    model: str
    messages: tuple[dict[str, str], ...]
    response_schema: dict[str, Any] | None = None
    max_output_tokens: int = 2048
    temperature: float = 0.0
    seed: int | None = None
    template_hash: str = ""


class ChatResult(Frozen):
    key: str
    text: str = ""
    finish_reason: str | None = None
    model: str
    """The model that answered (the primary or a fallback)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    """What this run paid: 0.0 for a cache hit or a model without known prices."""
    cost_known: bool = True
    latency_s: float = 0.0
    cached: bool = False
    attempts: int = 0
    error: ErrorKind | None = None
    error_detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


class EngineConfig(Frozen):
    api_base: str | None = None
    fallback_models: tuple[str, ...] = ()
    timeout: float = 120.0
    max_concurrency: int = 8
    retries: int = 4
    """Retries per model after the first attempt (attempts = retries + 1)."""
    retry_after_cap: float = 30.0
    deadline_at: float | None = None
    """time.monotonic() value after which no call starts and pending calls end."""
    max_cost: float | None = None
    max_tokens: int | None = None
    verbose: bool = False
    backoff_base: float = 0.5
    backoff_max: float = 8.0


ProgressKind = Literal["cached", "started", "retry", "fallback", "finished"]


class ProgressEvent(Frozen):
    kind: ProgressKind
    key: str
    model: str = ""
    attempt: int = 0
    done: int = 0
    total: int = 0
    detail: str = ""


@dataclass
class _Run:
    """Accounting of one Engine.run call."""

    total: int
    done: int = 0
    cost: float = 0.0
    tokens: int = 0
    exhausted: bool = False
    unpriced: set[str] = field(default_factory=set)


# --------------------------------------------------------------------------- errors


def _provider(model: str) -> tuple[str, str | None]:
    """The model's provider and the env var that holds its key (None: none or unknown)."""
    prefix, sep, _ = model.partition("/")
    if sep and prefix in PROVIDER_KEY_ENV:
        return prefix, PROVIDER_KEY_ENV[prefix]
    found = _lookup(lambda: _litellm().get_llm_provider(model), None)
    if not found:
        return (prefix if sep else "the provider"), None
    provider = str(found[1])
    return provider, PROVIDER_KEY_ENV.get(provider, f"{provider.upper()}_API_KEY")


# --------------------------------------------------------------------------- litellm access


@functools.cache
def _litellm() -> ModuleType:
    """Import and quieten litellm once: offline price map, no telemetry, no debug prints."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.set_verbose = False
    litellm.drop_params = True
    if hasattr(litellm, "telemetry"):
        litellm.telemetry = False
    return litellm


def prefetch() -> threading.Thread:
    """Import litellm on a background thread, overlapping git reads and planning.

    The caller only does this when requests are certain to miss the cache, so a fully
    cached run still never imports litellm.
    """

    def work() -> None:
        try:
            getattr(_litellm(), "acompletion", None)
            # The OpenAI client imports its chat resources on the first call (~0.7 s).
            import openai.resources.chat  # noqa: F401
        except ImportError:  # the engine raises it again, with context, when it needs litellm
            return

    # Not a daemon: a daemon thread frozen at interpreter exit while it holds an import lock
    # can deadlock the shutdown (seen when a run failed fast, e.g. on a 401, mid-import).
    thread = threading.Thread(target=work, name="prreview-litellm-import", daemon=False)
    thread.start()
    return thread


def _set_log_level(verbose: bool) -> None:
    for name in _LITELLM_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING if verbose else logging.CRITICAL)


def _lookup(fn: Callable[[], Any], default: Any) -> Any:
    # LiteLLM signals an unknown model with bare Exception subclasses (ModelNotMappedError...).
    try:
        return fn()
    except Exception as exc:
        log.debug("litellm lookup failed: %s", scrub(str(exc)))
        return default


@functools.cache
def response_format(model: str, schema_json: str) -> dict[str, Any] | None:
    """json_schema where supported, else json_object, else None (instructions only)."""
    llm = _litellm()
    if _lookup(lambda: llm.supports_response_schema(model=model), False):
        schema = json.loads(schema_json)
        return {
            "type": "json_schema",
            "json_schema": {"name": "review", "schema": schema, "strict": False},
        }
    params = _lookup(lambda: llm.get_supported_openai_params(model=model), None) or []
    return {"type": "json_object"} if "response_format" in params else None


# --------------------------------------------------------------------------- the engine


class Engine:
    def __init__(
        self,
        config: EngineConfig,
        cache: Cache | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
    ) -> None:
        self.config = config
        self.cache = cache
        self.on_progress = on_progress
        self._rng = random.Random()

    def cache_key(self, req: ChatRequest) -> str:
        params = {
            "temperature": req.temperature,
            "seed": req.seed,
            "max_output_tokens": req.max_output_tokens,
            "response_schema": req.response_schema,
            "api_base": self.config.api_base,
        }
        return key_for(req.model, req.messages, params, req.template_hash)

    def run_sync(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        """`run` on a fresh event loop. On SIGTERM (Terminated, raised out of the loop) the
        exception carries the results that had finished: `exc.partial`, one per request."""
        self._inflight: tuple[list[ChatResult | None], list[tuple[int, Any]]] | None = None
        try:
            return asyncio.run(self.run(requests))
        except Terminated as exc:
            exc.partial = self._finished_results(len(requests))
            raise

    def _finished_results(self, n: int) -> list[object]:
        if self._inflight is None:
            return [None] * n
        results, tasks = self._inflight
        for i, task in tasks:
            if task.done() and not task.cancelled() and task.exception() is None:
                results[i] = task.result()
        return list(results)

    async def run(self, requests: Sequence[ChatRequest]) -> list[ChatResult]:
        """One result per request, in input order."""
        run = _Run(total=len(requests))
        keys = [self.cache_key(r) for r in requests]
        results: list[ChatResult | None] = [
            self._cached(r, k, run) for r, k in zip(requests, keys, strict=True)
        ]
        pending = [i for i, res in enumerate(results) if res is None]
        if pending:
            _litellm()
            _set_log_level(self.config.verbose)
            sem = asyncio.Semaphore(self.config.max_concurrency)
            tasks = [
                asyncio.ensure_future(self._one(sem, run, requests[i], keys[i])) for i in pending
            ]
            self._inflight = (results, list(zip(pending, tasks, strict=True)))
            try:
                done = await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                raise
            for i, res in zip(pending, done, strict=True):
                results[i] = res
        return [r for r in results if r is not None]

    def _emit(self, kind: ProgressKind, req: ChatRequest, run: _Run, **extra: Any) -> None:
        if self.on_progress is not None:
            event = ProgressEvent(kind=kind, key=req.key, done=run.done, total=run.total, **extra)
            self.on_progress(event)

    def _cached(self, req: ChatRequest, key: str, run: _Run) -> ChatResult | None:
        text = self.cache.get(key) if self.cache is not None else None
        if text is None:
            return None
        try:
            data = json.loads(text)
            result = ChatResult.model_validate(
                {**data, "key": req.key, "cached": True, "latency_s": 0.0, "cost_usd": 0.0}
            )
        except (ValueError, TypeError, ValidationError):
            log.warning("cache entry %s is not a valid result; ignoring it", key[:12])
            return None
        if not result.ok:
            return None
        run.done += 1
        self._emit("cached", req, run, model=result.model)
        return result.model_copy(update={"attempts": 0})

    async def _one(
        self, sem: asyncio.Semaphore, run: _Run, req: ChatRequest, key: str
    ) -> ChatResult:
        remaining = None
        if self.config.deadline_at is not None:
            remaining = self.config.deadline_at - time.monotonic()
        attempts = [0]
        if remaining is not None and remaining <= 0:
            result = _failed(req, "deadline", "the run's deadline passed before the call", 0)
        else:
            try:
                result = await asyncio.wait_for(self._chain(sem, run, req, attempts), remaining)
            except asyncio.TimeoutError:
                result = _failed(req, "deadline", "the run's deadline passed", attempts[0])
        if result.ok and self.cache is not None:
            self.cache.set(key, result.model_dump_json(exclude={"key", "cached", "latency_s"}))
        run.done += 1
        self._emit("finished", req, run, model=result.model, detail=result.error or "")
        return result

    async def _chain(
        self, sem: asyncio.Semaphore, run: _Run, req: ChatRequest, attempts: list[int]
    ) -> ChatResult:
        """Primary model then fallbacks, each with its own retries."""
        async with sem:
            started = time.monotonic()
            last = ""
            for index, model in enumerate(self._models(req.model)):
                if index:
                    self._emit("fallback", req, run, model=model, detail=last)
                outcome = await self._with_retries(run, req, model, attempts)
                if isinstance(outcome, ChatResult):
                    return outcome.model_copy(update={"latency_s": time.monotonic() - started})
                last = outcome
            detail = f"unavailable after {attempts[0]} attempts: {last}"
            return _failed(req, "failed", detail, attempts[0])

    def _models(self, primary: str) -> list[str]:
        return [primary, *(m for m in self.config.fallback_models if m != primary)]

    async def _with_retries(
        self, run: _Run, req: ChatRequest, model: str, attempts: list[int]
    ) -> ChatResult | str:
        """A result, or the scrubbed reason the model stayed unavailable."""
        cfg = self.config
        reason = ""
        for retry in range(cfg.retries + 1):
            if run.exhausted:
                return _failed(req, "budget", "the run's budget was used up", attempts[0])
            attempts[0] += 1
            kind: ProgressKind = "retry" if retry else "started"
            self._emit(kind, req, run, model=model, attempt=retry + 1, detail=reason)
            try:
                response = await _litellm().acompletion(**self._call_args(req, model))
            except Exception as exc:
                failure = classify(_litellm(), exc)
                if failure is None:
                    raise
                if failure.kind != "retry":
                    return self._fatal(req, model, failure, attempts[0])
                reason = failure.detail
                if retry < cfg.retries:
                    await asyncio.sleep(self._backoff(retry, exc))
                continue
            return self._account(run, req, model, response, attempts[0])
        return reason

    def _fatal(self, req: ChatRequest, model: str, failure: Failure, attempts: int) -> ChatResult:
        if failure.kind == "context_length":
            return _failed(req, "context_length", failure.detail, attempts, model)
        provider, env_var = _provider(model)
        status = f"HTTP {failure.status}" if failure.status else "error"
        if failure.kind == "auth":
            if env_var and self.config.api_base and provider == "openai":
                hint = f"set {env_var} to the key of the server at --api-base"
            elif env_var:
                hint = f"set {env_var}"
            else:
                hint = "check the provider's credentials and --api-base"
            raise AuthError(
                f"{provider} rejected the credentials for model '{model}' ({status}): "
                f"{failure.detail}",
                hint=hint,
            )
        raise UsageError(
            f"{provider} rejected the request for model '{model}' ({status}): {failure.detail}",
            hint="check --model and --api-base",
        )

    def _backoff(self, retry: int, exc: BaseException) -> float:
        cfg = self.config
        wait = retry_after(exc)
        if wait is not None:
            return min(wait, cfg.retry_after_cap)
        return self._rng.uniform(0.0, min(cfg.backoff_max, cfg.backoff_base * 2**retry))

    def _call_args(self, req: ChatRequest, model: str) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": model,
            "messages": [dict(m) for m in req.messages],
            "max_tokens": req.max_output_tokens,
            "temperature": req.temperature,
            "timeout": self.config.timeout,
            "num_retries": 0,
            "max_retries": 0,
            "drop_params": True,
        }
        if req.seed is not None:
            args["seed"] = req.seed
        if req.response_schema is not None:
            schema_json = json.dumps(req.response_schema, sort_keys=True)
            fmt = response_format(model, schema_json)
            if fmt is not None:
                args["response_format"] = fmt
        if self.config.api_base and _same_provider(model, req.model):
            args["api_base"] = self.config.api_base
            if model.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
                args["api_key"] = DUMMY_KEY
        return args

    def _account(
        self, run: _Run, req: ChatRequest, model: str, response: Any, attempts: int
    ) -> ChatResult:
        choice = response.choices[0]
        text = choice.message.content or ""
        usage = getattr(response, "usage", None)
        prompt = getattr(usage, "prompt_tokens", None)
        completion = getattr(usage, "completion_tokens", None)
        if prompt is None:
            prompt = tokens.count_messages(req.messages, model)
        if completion is None:
            completion = tokens.count_tokens(text, model)
        cost = _lookup(lambda: _litellm().completion_cost(completion_response=response), None)
        if cost is None and self.config.max_cost is not None and model not in run.unpriced:
            run.unpriced.add(model)
            log.warning("no price known for %s: --max-cost cannot count its calls", model)
        run.cost += float(cost or 0.0)
        run.tokens += int(prompt) + int(completion)
        cfg = self.config
        if (cfg.max_cost is not None and run.cost >= cfg.max_cost) or (
            cfg.max_tokens is not None and run.tokens >= cfg.max_tokens
        ):
            run.exhausted = True
        truncated = choice.finish_reason == "length"
        return ChatResult(
            key=req.key,
            text=text,
            finish_reason=choice.finish_reason,
            model=model,
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            cost_usd=float(cost or 0.0),
            cost_known=cost is not None,
            attempts=attempts,
            error="truncated" if truncated else None,
            error_detail="the answer hit max_output_tokens" if truncated else "",
        )


def _same_provider(model: str, primary: str) -> bool:
    return model.partition("/")[0] == primary.partition("/")[0]


def _failed(
    req: ChatRequest, kind: ErrorKind, detail: str, attempts: int, model: str | None = None
) -> ChatResult:
    return ChatResult(
        key=req.key,
        model=model or req.model,
        attempts=attempts,
        error=kind,
        error_detail=scrub(detail),
    )
