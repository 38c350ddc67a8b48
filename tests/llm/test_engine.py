# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""The LLM engine against a real loopback OpenAI-compatible server, through real LiteLLM."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from prreview.errors import AuthError, UsageError
from prreview.evaluators.answer import ANSWER_SCHEMA
from prreview.llm.cache import Cache
from prreview.llm.engine import ChatRequest, ChatResult, Engine, EngineConfig, ProgressEvent, scrub
from prreview.llm.prices import context_window as model_context_window
from prreview.llm.prices import estimate_cost
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401

CANARY = "sk-test-canary-123"
MODEL = "openai/test-model"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)


def request(key: str = "u1", text: str = "review this", model: str = MODEL) -> ChatRequest:
    return ChatRequest(
        key=key,
        model=model,
        messages=(
            {"role": "system", "content": "Answer in JSON."},
            {"role": "user", "content": text},
        ),
        response_schema=ANSWER_SCHEMA,
        max_output_tokens=256,
        temperature=0.0,
        seed=7,
        template_hash="t1",
    )


def engine(server: FakeOpenAIServer, cache: Cache | None = None, **config: object) -> Engine:
    settings: dict[str, object] = {
        "api_base": server.api_base,
        "timeout": 5.0,
        "retries": 2,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "retry_after_cap": 0.3,
    }
    settings.update(config)
    return Engine(EngineConfig(**settings), cache=cache)  # type: ignore[arg-type]


def test_success_sends_the_request_and_reports_usage(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response(content='{"findings": [], "summary": "fine"}'))
    [result] = engine(openai_server).run_sync([request()])
    assert result.ok and result.text == '{"findings": [], "summary": "fine"}'
    assert (result.prompt_tokens, result.completion_tokens, result.attempts) == (11, 7, 1)
    assert result.model == MODEL and not result.cached and not result.cost_known
    [seen] = openai_server.requests
    assert seen.path == "/v1/chat/completions" and seen.auth_present
    assert seen.body["model"] == "test-model"
    assert seen.body["max_tokens"] == 256 and seen.body["seed"] == 7
    assert seen.body["response_format"] == {"type": "json_object"}


def test_known_model_gets_json_schema_and_a_cost(openai_server: FakeOpenAIServer) -> None:
    [result] = engine(openai_server).run_sync([request(model="openai/gpt-4o-mini")])
    fmt = openai_server.requests[0].body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == ANSWER_SCHEMA
    expected = estimate_cost("openai/gpt-4o-mini", 11, 7)
    assert expected and result.cost_known and result.cost_usd == pytest.approx(expected)
    assert model_context_window("openai/gpt-4o-mini") == 128000
    assert model_context_window("openai/no-such-model") is None
    assert estimate_cost("openai/no-such-model", 10, 10) is None


def test_429_with_retry_after_seconds_then_success(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response.error(429, "slow down", "rate_limit", **{"Retry-After": "5"}))
    [result] = engine(openai_server).run_sync([request()])
    first, second = openai_server.requests
    assert result.ok and result.attempts == 2
    assert 0.25 <= second.started - first.ended < 2.0  # honoured, capped at 0.3 s


def test_retry_after_http_date_is_honoured(openai_server: FakeOpenAIServer) -> None:
    when = formatdate(time.time() + 3, usegmt=True)
    openai_server.enqueue(Response.error(503, "busy", None, **{"Retry-After": when}))
    [result] = engine(openai_server).run_sync([request()])
    first, second = openai_server.requests
    assert result.ok and 0.25 <= second.started - first.ended < 2.0


def test_500_forever_fails_after_all_attempts(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda body: Response.error(500, "internal error")
    [result] = engine(openai_server, retries=2).run_sync([request()])
    assert result.error == "failed" and result.attempts == 3
    assert result.error_detail.startswith("unavailable after 3 attempts: HTTP 500")
    assert len(openai_server.requests) == 3


def test_malformed_body_is_retried(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response(body="<html>bad gateway</html>"))
    [result] = engine(openai_server).run_sync([request()])
    assert result.ok and result.attempts == 2


def test_fallback_model_after_retries(openai_server: FakeOpenAIServer) -> None:
    def responder(body: dict[str, object]) -> Response:
        if body["model"] == "test-model":
            return Response.error(503, "overloaded")
        return Response(content='{"findings": [], "summary": "from backup"}')

    openai_server.responder = responder
    eng = engine(openai_server, retries=1, fallback_models=("openai/backup-model",))
    [result] = eng.run_sync([request()])
    assert result.ok and result.model == "openai/backup-model" and result.attempts == 3
    assert [r.model for r in openai_server.requests] == ["test-model"] * 2 + ["backup-model"]


def test_401_raises_auth_error_without_the_key(
    openai_server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    openai_server.enqueue(
        Response.error(401, f"Incorrect API key provided: {CANARY}", "invalid_api_key")
    )
    with pytest.raises(AuthError) as info:
        engine(openai_server).run_sync([request()])
    assert info.value.exit_code == 2
    assert "OPENAI_API_KEY" in str(info.value) and "openai" in str(info.value)
    assert CANARY not in str(info.value) and CANARY not in caplog.text
    assert len(openai_server.requests) == 1


def test_404_is_a_usage_error_not_retried(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response.error(404, "The model does not exist", "model_not_found"))
    with pytest.raises(UsageError) as info:
        engine(openai_server).run_sync([request()])
    assert not isinstance(info.value, AuthError)
    assert "--model" in str(info.value) and len(openai_server.requests) == 1


def test_context_length_error(openai_server: FakeOpenAIServer) -> None:
    message = "This model's maximum context length is 8192 tokens. However, you requested 9000."
    openai_server.enqueue(Response.error(400, message, "context_length_exceeded"))
    [result] = engine(openai_server).run_sync([request()])
    assert result.error == "context_length" and len(openai_server.requests) == 1


def test_truncated_answer_is_an_error_and_not_cached(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    openai_server.responder = lambda body: Response(
        content='{"findings": [', finish_reason="length"
    )
    cache = Cache(tmp_path / "cache")
    for _ in range(2):
        [result] = engine(openai_server, cache=cache).run_sync([request()])
        assert result.error == "truncated" and result.text == '{"findings": ['
    assert len(openai_server.requests) == 2


def test_per_call_timeout_then_failed(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda body: Response(hang=True)
    start = time.monotonic()
    [result] = engine(openai_server, timeout=0.3, retries=1).run_sync([request()])
    assert result.error == "failed" and result.attempts == 2
    assert "unavailable after 2 attempts" in result.error_detail
    assert time.monotonic() - start < 4.0


def test_deadline_ends_running_and_waiting_calls(openai_server: FakeOpenAIServer) -> None:
    openai_server.responder = lambda body: Response(hang=True)
    start = time.monotonic()
    eng = engine(openai_server, timeout=30.0, max_concurrency=1, deadline_at=start + 0.5)
    results = eng.run_sync([request("a"), request("b"), request("c")])
    assert [r.error for r in results] == ["deadline"] * 3
    assert 0.4 < time.monotonic() - start < 4.0
    assert len(openai_server.requests) == 1


def test_passed_deadline_makes_no_request(openai_server: FakeOpenAIServer) -> None:
    eng = engine(openai_server, deadline_at=time.monotonic() - 1)
    [result] = eng.run_sync([request()])
    assert result.error == "deadline" and openai_server.requests == []


def test_concurrency_is_bounded_and_results_keep_input_order(
    openai_server: FakeOpenAIServer,
) -> None:
    def responder(body: dict[str, object]) -> Response:
        text = body["messages"][-1]["content"]  # type: ignore[index]
        delay = 0.05 + (int(text.split("-")[1]) * 7 % 5) * 0.04
        return Response(content=json.dumps({"echo": text}), delay=delay)

    openai_server.responder = responder
    reqs = [request(f"k{i}", f"unit-{i}") for i in range(12)]
    results = engine(openai_server, max_concurrency=4).run_sync(reqs)
    assert [r.key for r in results] == [f"k{i}" for i in range(12)]
    assert [json.loads(r.text)["echo"] for r in results] == [f"unit-{i}" for i in range(12)]
    assert 1 < openai_server.max_in_flight <= 4


def test_budget_in_tokens_stops_remaining_calls(openai_server: FakeOpenAIServer) -> None:
    reqs = [request(f"k{i}", f"text {i}") for i in range(4)]
    results = engine(openai_server, max_concurrency=1, max_tokens=20).run_sync(reqs)
    assert [r.error for r in results] == [None, None, "budget", "budget"]
    assert len(openai_server.requests) == 2


def test_budget_in_cost(openai_server: FakeOpenAIServer) -> None:
    model = "openai/gpt-4o-mini"
    one_call = estimate_cost(model, 11, 7)
    assert one_call
    reqs = [request(f"k{i}", f"text {i}", model=model) for i in range(3)]
    eng = engine(openai_server, max_concurrency=1, max_cost=one_call * 1.5)
    assert [r.error for r in eng.run_sync(reqs)] == [None, None, "budget"]


def test_second_identical_run_is_served_from_the_cache(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    cache = Cache(tmp_path / "cache")
    reqs = [request(f"k{i}", f"text {i}") for i in range(3)]
    first = engine(openai_server, cache=cache).run_sync(reqs)
    events: list[ProgressEvent] = []
    eng = Engine(engine(openai_server).config, cache=cache, on_progress=events.append)
    second = eng.run_sync(reqs)
    assert len(openai_server.requests) == 3
    assert all(r.cached and r.cost_usd == 0.0 for r in second)
    assert [r.text for r in second] == [r.text for r in first]
    assert [e.kind for e in events] == ["cached"] * 3
    cache.close()
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes()


def test_fully_cached_run_does_not_import_litellm(
    openai_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    reqs = [request(f"k{i}", f"text {i}") for i in range(2)]
    engine(openai_server, cache=Cache(tmp_path / "c")).run_sync(reqs)
    script = f"""
import json, sys
from prreview.llm.cache import Cache
from prreview.llm.engine import Engine, EngineConfig, ChatRequest
reqs = [ChatRequest.model_validate_json(line) for line in sys.stdin.read().splitlines()]
eng = Engine(EngineConfig.model_validate_json({engine(openai_server).config.model_dump_json()!r}),
             cache=Cache({str(tmp_path / "c")!r}))
results = eng.run_sync(reqs)
print(json.dumps({{"cached": [r.cached for r in results], "litellm": "litellm" in sys.modules}}))
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        input="\n".join(r.model_dump_json() for r in reqs),
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"cached": [True, True], "litellm": False}
    assert len(openai_server.requests) == 2


def test_dummy_key_for_a_self_hosted_server(
    openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    [result] = engine(openai_server).run_sync([request()])
    assert result.ok and openai_server.requests[0].auth_present


def test_progress_events(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response.error(500, "once"))
    events: list[ProgressEvent] = []
    eng = Engine(engine(openai_server).config, on_progress=events.append)
    eng.run_sync([request()])
    assert [(e.kind, e.attempt) for e in events] == [("started", 1), ("retry", 2), ("finished", 0)]
    assert events[1].detail == "HTTP 500: once"
    assert events[-1].done == events[-1].total == 1


def test_scrub_removes_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-very-secret-value")
    text = scrub(
        f"key {CANARY}, Authorization: Bearer abc.def-123, api_key=hunter22 and "
        "tok-very-secret-value; task-runner stays"
    )
    assert CANARY not in text and "abc.def-123" not in text and "hunter22" not in text
    assert "tok-very-secret-value" not in text and "task-runner stays" in text


def test_result_round_trips_as_json() -> None:
    result = ChatResult(key="k", model=MODEL, text="x", error="failed", error_detail="d")
    assert ChatResult.model_validate_json(result.model_dump_json()) == result


def test_fake_server_streams_sse_chunks(openai_server: FakeOpenAIServer) -> None:
    openai_server.enqueue(Response(content='{"findings": [], "summary": "streamed answer"}'))
    body = {"model": "m", "messages": [], "stream": True, "stream_options": {"include_usage": True}}
    reply = httpx.post(f"{openai_server.api_base}/chat/completions", json=body, timeout=5)
    lines = [ln[len("data: ") :] for ln in reply.text.splitlines() if ln.startswith("data: ")]
    assert reply.headers["content-type"] == "text/event-stream" and lines[-1] == "[DONE]"
    chunks = [json.loads(ln) for ln in lines[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == '{"findings": [], "summary": "streamed answer"}'
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] == 18
