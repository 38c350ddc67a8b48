"""A loopback JSON REST server for the GitHub and GitLab fakes: routing, paging, recording.

Subclasses register routes `(method, regex, handler)`; a handler gets a `Call` and returns
`(status, body)` or raises `HttpError`. Failures can be queued per route (`fail`) to test
retries. Every request is recorded without its credentials (`requests`).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

from typing_extensions import Self

_SECRET_HEADERS = {"authorization", "private-token", "job-token"}
RESET = -1
"""Status of an injected failure that resets the connection instead of answering."""


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Call:
    method: str
    path: str
    """Decoded path without the query."""
    query: dict[str, str]
    headers: dict[str, str]
    """Lower-cased names; credentials included (handlers check them)."""
    body: Any
    match: re.Match[str]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    credentials: bool = False
    at: float = field(default_factory=time.monotonic)
    """When the request arrived (time.monotonic)."""


@dataclass
class Failure:
    method: str
    pattern: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1
    reset: bool = False
    """Reset the connection (TCP RST) instead of answering."""


Handler = Callable[[Call], tuple[int, Any]]


class FakeRestServer:
    default_per_page = 30
    max_per_page = 100
    """Lower it in a test to force several pages."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._failures: list[Failure] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- setup

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method, re.compile(pattern), handler))

    def fail(
        self,
        method: str,
        pattern: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        reset: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (or a connection reset)."""
        with self.lock:
            self._failures.append(
                Failure(
                    method,
                    pattern,
                    status,
                    headers or {},
                    {"message": "boom"} if body is None else body,
                    times,
                    reset,
                )
            )

    def start(self) -> FakeRestServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries for tests

    def calls(self, method: str, pattern: str) -> list[Recorded]:
        rx = re.compile(pattern)
        return [r for r in self.requests if r.method == method and rx.fullmatch(r.path)]

    # -- paging helper for handlers

    def page(self, call: Call, items: list[Any]) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(call.query.get("per_page", self.default_per_page)), self.max_per_page)
        page = max(int(call.query.get("page", "1")), 1)
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items))}
        if page * per_page < len(items):
            query = urlencode({**call.query, "page": page + 1, "per_page": per_page})
            url = f"{self.origin}{call.path}?{query}"
            headers["Link"] = f'<{url}>; rel="next"'
            headers["X-Next-Page"] = str(page + 1)
        else:
            headers["X-Next-Page"] = ""
        return 200, chunk, headers

    # -- request handling

    def dispatch(self, method: str, raw_path: str, headers: dict[str, str], raw: bytes) -> Any:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = {"_unparsed": raw.decode("utf-8", "replace")}
        record = Recorded(
            method, path, query, body, credentials=bool(_SECRET_HEADERS & set(headers))
        )
        with self.lock:
            self.requests.append(record)
            result = self._injected(method, path) or self._route(method, path, query, headers, body)
            record.status = result[0]
        return result

    def _injected(self, method: str, path: str) -> tuple[int, Any, dict[str, str]] | None:
        for failure in self._failures:
            active = failure.times > 0 and failure.method == method
            if active and re.fullmatch(failure.pattern, path):
                failure.times -= 1
                if failure.reset:
                    return RESET, None, {}
                return failure.status, failure.body, failure.headers
        return None

    def _route(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        for verb, rx, handler in self._routes:
            match = rx.fullmatch(path)
            if verb == method and match:
                try:
                    out = handler(Call(method, path, query, headers, body, match))
                except HttpError as exc:
                    return exc.status, {"message": exc.message}, {}
                return out if len(out) == 3 else (out[0], out[1], {})  # type: ignore[return-value]
        return 404, {"message": "Not Found"}, {}


def _handler_for(server: FakeRestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out separately: no 40 ms stalls

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = server.dispatch(self.command, self.path, headers, raw)
            if status == RESET:
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.close_connection = True
                self.connection.close()
                return
            data = b"" if status == 204 or body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

    return Handler
