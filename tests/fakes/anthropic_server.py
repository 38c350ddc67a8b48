"""A real loopback HTTP server that speaks Anthropic's Messages API (POST .../v1/messages).

    with FakeAnthropicServer() as server:
        ... call model "anthropic/claude-sonnet-4-5" with api_base=server.api_base ...
        assert server.requests[0].body["system"][-1]["cache_control"] == {"type": "ephemeral"}

Every answer is `content` (default: no findings) with the usage the test sets, including
`cache_read_input_tokens` / `cache_creation_input_tokens` for prompt-caching accounting.
Request bodies are recorded as sent; secret headers (x-api-key) only as '<present>'.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

DEFAULT_CONTENT = '{"findings": [], "summary": ""}'
_SECRET_HEADERS = {"authorization", "x-api-key", "api-key"}


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeAnthropicServer:
    content: str = DEFAULT_CONTENT
    input_tokens: int = 100
    output_tokens: int = 10
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    requests: list[Recorded] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> FakeAnthropicServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _record(self, record: Recorded) -> None:
        with self._lock:
            self.requests.append(record)

    def _reply(self, body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "claude-fake"),
            "content": [{"type": "text", "text": self.content}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cache_read_input_tokens": self.cache_read_input_tokens,
                "cache_creation_input_tokens": self.cache_creation_input_tokens,
            },
        }


def _handler(server: FakeAnthropicServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            headers = {
                k.lower(): ("<present>" if k.lower() in _SECRET_HEADERS else v)
                for k, v in self.headers.items()
            }
            server._record(Recorded(self.path, headers, body))
            if not self.path.split("?")[0].endswith("/messages"):
                payload = json.dumps({"type": "error", "error": {"type": "not_found_error"}})
                self._send(404, payload.encode())
                return
            self._send(200, json.dumps(server._reply(body)).encode())

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("request-id", f"req_{time.monotonic_ns()}")
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def anthropic_server() -> Iterator[FakeAnthropicServer]:
    with FakeAnthropicServer() as server:
        yield server
