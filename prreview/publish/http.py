"""The small HTTP client GitHub and GitLab publishing share: retries, pagination, errors.

Every error names the endpoint that failed (`POST /repos/o/r/pulls/7/reviews`) and the
permission that endpoint needs, so a CI log says what to grant without a debugging session.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from prreview.errors import AuthError, IncompleteError, UsageError
from prreview.report import escape

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_ERROR_DETAIL_LIMIT = 300


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 4
    backoff: float = 1.0
    """First wait in seconds; doubled on every retry."""
    max_wait: float = 60.0
    """Cap on one wait, Retry-After and rate-limit resets included."""
    timeout: float = 30.0


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
        for attempt in range(self._retry.retries + 1):
            last = attempt == self._retry.retries
            try:
                # `params={}` would make httpx drop the query of a pagination link.
                resp = self._client.request(method, url, json=json, params=params or None)
            except httpx.TransportError as exc:
                if last:
                    raise IncompleteError(
                        f"{self.name} API unreachable ({type(exc).__name__}) after "
                        f"{attempt + 1} attempts: {method} {_path_of(url)}"
                    ) from None
                time.sleep(self._backoff(attempt))
                continue
            wait = self._retry_wait(resp, attempt)
            if wait is not None and not last:
                time.sleep(wait)
                continue
            return self._checked(resp, method, url, need, accept, retried=wait is not None)
        raise AssertionError("unreachable")

    def _checked(
        self,
        resp: httpx.Response,
        method: str,
        url: str,
        need: str,
        accept: tuple[int, ...],
        *,
        retried: bool,
    ) -> httpx.Response:
        status = resp.status_code
        if retried:
            raise IncompleteError(
                f"{self.name} API kept failing ({status}) after {self._retry.retries + 1} "
                f"attempts: {method} {_path_of(url)}",
                hint="rate limited or unavailable; re-run the job later",
            )
        if status in accept or 200 <= status < 300:
            return resp
        endpoint = f"{method} {_path_of(url)}"
        if status in (401, 403, 404):
            raise self._denied(status, need, endpoint)
        raise UsageError(
            f"{self.name} API rejected {endpoint} ({status}): {api_detail(resp)}",
            hint=f"this call needs {need}",
        )

    def _backoff(self, attempt: int) -> float:
        return min(self._retry.backoff * (2**attempt), self._retry.max_wait)

    def _retry_wait(self, resp: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the answer is final."""
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
        wait = _retry_after(resp.headers.get("retry-after"))
        if wait is None and limited:
            wait = _reset_wait(
                resp.headers.get("x-ratelimit-reset", resp.headers.get("ratelimit-reset"))
            )
        if wait is None and limited:
            # GitHub: a secondary limit without Retry-After means "wait at least a minute".
            wait = max(self._backoff(attempt), 60.0)
        if wait is None:
            wait = self._backoff(attempt)
        return max(0.0, min(wait, self._retry.max_wait))

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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.timestamp() - time.time()


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
