"""The small HTTP client GitHub and GitLab publishing share: retries, pagination, errors.

Every error names the endpoint that failed (`POST /repos/o/r/pulls/7/reviews`) and the
permission that endpoint needs, so a CI log says what to grant without a debugging session.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from prreview.errors import AuthError, IncompleteError, UsageError
from prreview.report import escape
from prreview.retry import Retryable, RetryPolicy, parse_retry_after, with_retries

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_ERROR_DETAIL_LIMIT = 300
_SECONDARY_LIMIT_WAIT = 60.0

__all__ = ["Api", "RetryPolicy", "api_detail"]


Denied = Callable[[int, str, str], AuthError]
"""(status, permission needed by the call, "METHOD /path") -> the AuthError to raise."""


class Api:
    """A small sync client: retries 429/5xx/rate limits, maps 401/403/404 to AuthError.

    Tokens live only in the client's default headers; no message built here includes a
    header, and pagination never follows a link to another origin.
    """

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        name: str,
        denied: Denied,
        retry: RetryPolicy,
    ) -> None:
        self.base = base_url.rstrip("/")
        self.name = name
        self._denied = denied
        self._retry = retry
        self._origin = urlsplit(self.base)[:2]
        self._client = httpx.Client(headers=dict(headers), timeout=retry.timeout)

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def call(
        self,
        method: str,
        path: str,
        *,
        need: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One request with retries. Statuses in `accept` are returned instead of raised."""
        url = path if path.startswith(("http://", "https://")) else self.url(path)
        attempts = [0]

        def attempt() -> httpx.Response:
            attempts[0] += 1
            try:
                # `params={}` would make httpx drop the query of a pagination link.
                resp = self._client.request(method, url, json=json, params=params or None)
            except httpx.TransportError as exc:
                raise Retryable(type(exc).__name__) from None
            transient = self._transient(resp)
            if transient is not None:
                raise transient
            return resp

        try:
            resp = with_retries(self._retry, attempt, sleep=time.sleep)
        except Retryable as exc:
            endpoint = f"{method} {_path_of(url)}"
            if not isinstance(exc.payload, httpx.Response):
                raise IncompleteError(
                    f"{self.name} API unreachable ({exc.reason}) after "
                    f"{attempts[0]} attempts: {endpoint}"
                ) from None
            raise IncompleteError(
                f"{self.name} API kept failing ({exc.payload.status_code}) after "
                f"{attempts[0]} attempts: {endpoint}",
                hint="rate limited or unavailable; re-run the job later",
            ) from None
        return self._checked(resp, method, url, need, accept)

    def _checked(
        self,
        resp: httpx.Response,
        method: str,
        url: str,
        need: str,
        accept: tuple[int, ...],
    ) -> httpx.Response:
        status = resp.status_code
        if status in accept or 200 <= status < 300:
            return resp
        endpoint = f"{method} {_path_of(url)}"
        if status in (401, 403, 404):
            raise self._denied(status, need, endpoint)
        raise UsageError(
            f"{self.name} API rejected {endpoint} ({status}): {api_detail(resp)}",
            hint=f"this call needs {need}",
        )

    def _transient(self, resp: httpx.Response) -> Retryable | None:
        """The failure to retry (with the wait the server named, if any); None when final."""
        status = resp.status_code
        remaining = resp.headers.get(
            "x-ratelimit-remaining", resp.headers.get("ratelimit-remaining")
        )
        # GitHub's secondary rate limit is a 403 that may carry neither header, only the text.
        limited = status == 429 or (
            status == 403
            and (
                remaining == "0"
                or "retry-after" in resp.headers
                or "rate limit" in resp.text.lower()
            )
        )
        if not limited and status < 500:
            return None
        wait = parse_retry_after(resp.headers)
        if wait is None and limited:
            wait = _reset_wait(
                resp.headers.get("x-ratelimit-reset", resp.headers.get("ratelimit-reset"))
            )
        if wait is None and limited:
            # GitHub: a secondary limit without Retry-After means "wait at least a minute"
            # (the policy still caps it at max_wait).
            wait = _SECONDARY_LIMIT_WAIT
        return Retryable(f"HTTP {status}", wait, resp)

    def pages(self, path: str, *, need: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a paginated list (Link rel="next", else GitLab's X-Next-Page)."""
        items = self.pages_or_none(path, need=need, params=params, missing=())
        return items if items is not None else []

    def pages_or_none(
        self,
        path: str,
        *,
        need: str,
        params: Mapping[str, Any] | None = None,
        missing: tuple[int, ...] = (404,),
    ) -> list[Any] | None:
        """Like `pages`, but None when the first page answers a status in `missing`."""
        query: Mapping[str, Any] = {"per_page": 100, **(params or {})}
        url: str | None = self.url(path)
        items: list[Any] = []
        seen: set[tuple[str, str]] = set()
        for page in range(10_000):
            if url is None or (url, str(query)) in seen:
                break
            seen.add((url, str(query)))
            resp = self.call(
                "GET", url, need=need, params=query, accept=missing if page == 0 else ()
            )
            if resp.status_code in missing and page == 0:
                return None
            data = resp.json()
            if not isinstance(data, list):
                raise UsageError(f"{self.name} API: expected a list from {_path_of(url)}")
            items.extend(data)
            url, query = self._next(resp, url, query)
        return items

    def _next(
        self, resp: httpx.Response, url: str, query: Mapping[str, Any]
    ) -> tuple[str | None, Mapping[str, Any]]:
        match = _LINK_NEXT.search(resp.headers.get("link", ""))
        if match:
            nxt = match.group(1)
            if urlsplit(nxt)[:2] != self._origin:
                raise UsageError(f"{self.name} API: pagination link leaves {self.base}")
            return nxt, {}
        page = resp.headers.get("x-next-page", "").strip()
        if page.isdigit():
            return url, {**query, "page": int(page)}
        return None, {}


def _path_of(url: str) -> str:
    return urlsplit(url).path


def _reset_wait(value: str | None) -> float | None:
    if not value or not value.strip().isdigit():
        return None
    return float(value) - time.time() + 1.0


def api_detail(resp: httpx.Response) -> str:
    """The API's own error message, one line, cut short (never headers, never the token)."""
    try:
        data = resp.json()
    except ValueError:
        text = resp.text
    else:
        text = (
            str(data.get("message") or data.get("error") or data)
            if isinstance(data, dict)
            else str(data)
        )
    return escape.truncate(" ".join(text.split()), _ERROR_DETAIL_LIMIT) or "(no detail)"
