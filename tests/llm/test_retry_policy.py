# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""The one retry policy (prreview/retry.py), once, against both loopback servers.

The same faults hit the LLM engine (through real LiteLLM, at the fake OpenAI server) and the
REST publishers' client (at the fake GitHub/GitLab REST server): 429 with Retry-After in
seconds, as an HTTP date with a timezone and without one, a 5xx, and a connection reset.
The process runs in a timezone far from UTC, so reading a date without a timezone as local
time would show as a retry without the wait.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from prreview.errors import AuthError, IncompleteError
from prreview.llm.engine import ChatRequest, Engine, EngineConfig
from prreview.publish.http import Api
from prreview.retry import RetryPolicy, parse_retry_after
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.fakes.rest import FakeRestServer

CAP = 1.0
"""Cap on a server-named wait (it names 3 s); the backoff alone is at most 0.05 s."""
NAMED_WAIT = 3


def _in(seconds: float) -> datetime:
    return datetime.now(timezone.utc) + timedelta(seconds=seconds)


def _date_gmt() -> str:
    return format_datetime(_in(NAMED_WAIT), usegmt=True)


def _date_without_zone() -> str:
    return _in(NAMED_WAIT).strftime("%a, %d %b %Y %H:%M:%S")


FAULTS: dict[str, tuple[int, Callable[[], dict[str, str]], bool]] = {
    # name: (status, headers, whether the server named a wait)
    "429 Retry-After seconds": (429, lambda: {"Retry-After": str(NAMED_WAIT)}, True),
    "429 Retry-After HTTP date": (429, lambda: {"Retry-After": _date_gmt()}, True),
    "429 Retry-After date without timezone": (
        429,
        lambda: {"Retry-After": _date_without_zone()},
        True,
    ),
    "503": (503, dict, False),
    "connection reset": (0, dict, False),
}


@pytest.fixture(autouse=True)
def _far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def rest() -> Iterator[FakeRestServer]:
    with FakeRestServer() as server:
        server.route("GET", r"/thing", lambda call: (200, {"ok": True}))
        yield server


def _engine(server: FakeOpenAIServer, retries: int = 2) -> Engine:
    config = EngineConfig(
        api_base=server.api_base,
        timeout=5.0,
        retries=retries,
        backoff_base=0.01,
        backoff_max=0.05,
        retry_after_cap=CAP,
    )
    return Engine(config)


def _request() -> ChatRequest:
    return ChatRequest(
        key="k", model="openai/test-model", messages=({"role": "user", "content": "review"},)
    )


def _denied(status: int, need: str, endpoint: str) -> AuthError:
    return AuthError(f"{status} {endpoint} needs {need}")


def _api(server: FakeRestServer, retries: int = 2) -> Api:
    policy = RetryPolicy(retries=retries, backoff=0.01, backoff_max=0.05, max_wait=CAP, timeout=5)
    return Api(server.origin, {}, name="GitHub", denied=_denied, retry=policy)


def _assert_gap(gap: float, named: bool) -> None:
    if named:
        assert CAP - 0.1 <= gap < CAP + 1.5, f"the server's wait was not honoured ({gap:.3f}s)"
    else:
        assert gap < CAP - 0.1, f"without a named wait the backoff is short ({gap:.3f}s)"


@pytest.mark.parametrize("fault", list(FAULTS))
def test_llm_engine_retries_each_fault(
    fault: str, openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-retry")
    status, headers, named = FAULTS[fault]
    first = Response(reset=True) if status == 0 else Response.error(status, "slow", **headers())
    openai_server.enqueue(first, Response(content='{"findings": [], "summary": "ok"}'))
    [result] = _engine(openai_server).run_sync([_request()])
    assert result.ok and result.attempts == 2, result.error_detail
    one, two = openai_server.requests
    _assert_gap(two.started - one.ended, named)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_rest_publisher_retries_each_fault(fault: str, rest: FakeRestServer) -> None:
    status, headers, named = FAULTS[fault]
    rest.fail("GET", r"/thing", status or 500, headers=headers(), reset=status == 0)
    with _api(rest) as api:
        resp = api.call("GET", "/thing", need="read access")
    assert resp.status_code == 200 and resp.json() == {"ok": True}
    one, two = rest.calls("GET", r"/thing")
    _assert_gap(two.at - one.at, named)


def test_llm_engine_gives_up_after_the_retries(
    openai_server: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-retry")
    openai_server.responder = lambda body: Response(reset=True)
    [result] = _engine(openai_server, retries=1).run_sync([_request()])
    assert result.error == "failed" and result.attempts == 2
    assert result.error_detail.startswith("unavailable after 2 attempts")
    assert "Traceback" not in result.error_detail
    assert len(openai_server.requests) == 2


@pytest.mark.parametrize("reset", [False, True])
def test_rest_publisher_gives_up_after_the_retries(rest: FakeRestServer, reset: bool) -> None:
    rest.fail("GET", r"/thing", 502, times=10, reset=reset)
    with _api(rest, retries=1) as api, pytest.raises(IncompleteError) as info:
        api.call("GET", "/thing", need="read access")
    expected = "unreachable" if reset else "kept failing (502)"
    assert expected in str(info.value) and "after 2 attempts: GET /thing" in str(info.value)
    assert len(rest.calls("GET", r"/thing")) == 2


def test_the_one_retry_after_parser() -> None:
    now = datetime(2026, 12, 2, 18, 0, 0, tzinfo=timezone.utc)
    assert parse_retry_after({"Retry-After": "7"}, now) == 7.0
    assert parse_retry_after({"retry-after": " 1.5 "}, now) == 1.5
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}, now) == 0.25
    assert parse_retry_after({"Retry-After": "Wed, 02 Dec 2026 18:00:30 GMT"}, now) == 30.0
    assert parse_retry_after({"Retry-After": "Wed, 02 Dec 2026 18:00:30"}, now) == 30.0
    assert parse_retry_after({"Retry-After": "Wed, 02 Dec 2026 19:00:30 +0100"}, now) == 30.0
    assert parse_retry_after({"Retry-After": "Wed, 02 Dec 2026 17:00:00 GMT"}, now) == 0.0
    assert parse_retry_after({"Retry-After": "-3"}, now) == 0.0
    assert parse_retry_after({"Retry-After": "soon"}, now) is None
    assert parse_retry_after({}, now) is None and parse_retry_after(None, now) is None
