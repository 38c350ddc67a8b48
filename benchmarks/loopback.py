"""A minimal loopback OpenAI-compatible chat server for the benchmarks (stdlib only).

Every answer waits `latency` seconds, then returns `{"findings": [], "summary": ""}`. The
server counts requests and records the wall-clock time (time.time) of the first one, so a
benchmark can measure "process start to first model request" from another process.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ANSWER = '{"findings": [], "summary": ""}'


class LoopbackModel:
    def __init__(self, latency: float = 1.0) -> None:
        self.latency = latency
        self.count = 0
        self.first_at: float | None = None
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def reset(self, latency: float | None = None) -> None:
        with self._lock:
            self.count = 0
            self.first_at = None
            self.max_in_flight = 0
            if latency is not None:
                self.latency = latency

    def enter(self) -> None:
        with self._lock:
            if self.first_at is None:
                self.first_at = time.time()
            self.count += 1
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def wait(self) -> bool:
        return self._stop.wait(self.latency) if self.latency > 0 else False

    def __enter__(self) -> LoopbackModel:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _completion(body: dict[str, Any]) -> bytes:
    reply = {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "bench"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": ANSWER},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }
    return json.dumps(reply).encode()


def _handler(model: LoopbackModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            model.enter()
            try:
                if model.wait():
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                payload = _completion(body if isinstance(body, dict) else {})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            finally:
                model.leave()

    return Handler
