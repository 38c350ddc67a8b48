"""A real loopback HTTP server that speaks the OpenAI chat-completions API, scripted per test.

    with FakeOpenAIServer() as server:
        server.enqueue(Response(status=429, headers={"Retry-After": "0"}), Response(content="{}"))
        ... call model "openai/test-model" with api_base=server.api_base ...
        assert len(server.requests) == 2

Responses are taken from the queue first, then from `responder(request_json)` when set, else
the default answer `{"findings": [], "summary": ""}`. Register the pytest fixture with
`from tests.fakes.openai_server import openai_server  # noqa: F401`.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_CONTENT = '{"findings": [], "summary": ""}'
CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
_SECRET_HEADERS = {"authorization", "api-key", "x-api-key"}


@dataclass
class Response:
    status: int = 200
    content: str = DEFAULT_CONTENT
    """The assistant message; for an error status, the error message."""
    finish_reason: str | None = "stop"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: str | bytes | None = None
    """Raw body sent as is (overrides everything but status and headers)."""
    hang: bool = False
    """Never answer (until the server closes): for timeouts and deadlines."""
    reset: bool = False
    """Reset the connection (TCP RST) instead of answering."""
    error_code: str | None = None
    error_type: str = "invalid_request_error"
    prompt_tokens: int = 11
    completion_tokens: int = 7

    @classmethod
    def error(cls, status: int, message: str, code: str | None = None, **headers: str) -> Response:
        return cls(status=status, content=message, error_code=code, headers=dict(headers))


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    """Secret headers (Authorization, api-key) are recorded as '<present>', never their value."""
    auth_present: bool
    body: dict[str, Any]
    started: float
    ended: float = 0.0

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))


class FakeOpenAIServer:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.responder: Callable[[dict[str, Any]], Response] | None = None
        self.requests: list[RecordedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: deque[Response] = deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def enqueue(self, *responses: Response) -> None:
        with self._lock:
            self._queue.extend(responses)

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- used by the handler threads

    def _next_response(self, body: dict[str, Any]) -> Response:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return Response()

    def _enter(self, record: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(record)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _leave(self, record: RecordedRequest) -> None:
        with self._lock:
            self._in_flight -= 1
            record.ended = time.monotonic()


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"_unparsed": raw.decode("utf-8", "replace")}
            record = RecordedRequest(
                path=self.path,
                headers={
                    k.lower(): ("<present>" if k.lower() in _SECRET_HEADERS else v)
                    for k, v in self.headers.items()
                },
                auth_present=any(k.lower() in _SECRET_HEADERS for k in self.headers),
                body=body,
                started=time.monotonic(),
            )
            server._enter(record)
            try:
                self._answer(body)
            finally:
                server._leave(record)

        def _answer(self, body: dict[str, Any]) -> None:
            if self.path.split("?")[0] not in CHAT_PATHS:
                self._send(404, _error_body("not found", "not_found", None), {})
                return
            resp = server._next_response(body)
            if resp.hang:
                server._stop.wait()
                return
            if resp.reset:
                _reset(self)
                return
            delay = resp.delay + server.latency
            if delay and server._stop.wait(delay):
                return
            if resp.body is not None:
                raw = resp.body.encode() if isinstance(resp.body, str) else resp.body
                self._send(resp.status, raw, resp.headers)
            elif resp.status >= 400:
                payload = _error_body(resp.content, resp.error_type, resp.error_code)
                self._send(resp.status, payload, resp.headers)
            elif body.get("stream"):
                self._stream(body, resp)
            else:
                self._send(resp.status, json.dumps(_completion(body, resp)).encode(), resp.headers)

        def _send(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _stream(self, body: dict[str, Any], resp: Response) -> None:
            self.send_response(resp.status)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            for name, value in resp.headers.items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in _stream_chunks(body, resp):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

    return Handler


def _reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the client's connection with a TCP RST (SO_LINGER 0), sending nothing."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    handler.connection.close()


def _error_body(message: str, kind: str, code: str | None) -> bytes:
    error = {"message": message, "type": kind, "param": None, "code": code}
    return json.dumps({"error": error}).encode()


def _completion(body: dict[str, Any], resp: Response) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": resp.content},
                "finish_reason": resp.finish_reason,
            }
        ],
        "usage": _usage(resp),
    }


def _usage(resp: Response) -> dict[str, int]:
    total = resp.prompt_tokens + resp.completion_tokens
    return {
        "prompt_tokens": resp.prompt_tokens,
        "completion_tokens": resp.completion_tokens,
        "total_tokens": total,
    }


def _stream_chunks(body: dict[str, Any], resp: Response) -> Iterator[dict[str, Any]]:
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "test-model"),
    }
    pieces = [resp.content[i : i + 16] for i in range(0, len(resp.content), 16)] or [""]
    yield {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}
    for piece in pieces:
        yield {**base, "choices": [{"index": 0, "delta": {"content": piece}}]}
    yield {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": resp.finish_reason}]}
    if (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(resp)}


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        yield server
