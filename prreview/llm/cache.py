"""The model-answer cache: a diskcache directory that stores JSON text and nothing else.

A cache directory may be restored from CI storage that a pull request could have written, so
its rows are untrusted: only text rows are read (pickled rows are refused, never loaded), a
database with unknown settings is not opened, and any cache failure (corrupt file, unwritable
directory, lock timeout) is a warning after which the cache behaves as empty.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import diskcache
from diskcache.core import DBNAME, DEFAULT_SETTINGS, METADATA, MODE_TEXT, UNKNOWN

from prreview.config import locations

log = logging.getLogger(__name__)

CACHE_SCHEMA_VERSION = "1"
_TIMEOUT_S = 30.0


class UnsafeRowError(ValueError):
    """A cache row that is not plain text (e.g. a planted pickle)."""


class TextOnlyDisk(diskcache.Disk):
    """Stores str values inline as text rows; refuses to read any other kind of row."""

    def __init__(self, directory: str, **_settings: Any) -> None:
        super().__init__(directory, min_file_size=0, pickle_protocol=0)

    def put(self, key: Any) -> tuple[Any, bool]:
        if not isinstance(key, str):
            raise TypeError("cache keys must be str")
        return key, True

    def get(self, key: Any, raw: bool) -> Any:
        if not raw or not isinstance(key, str):
            raise UnsafeRowError("non-text cache key")
        return key

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> tuple[int, int, None, str]:
        if read or not isinstance(value, str):
            raise TypeError("cache values must be str")
        return len(value.encode("utf-8")), MODE_TEXT, None, value

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> str:
        if mode != MODE_TEXT or filename is not None or read or not isinstance(value, str):
            raise UnsafeRowError(f"refusing cache row of mode {mode}")
        return value

    def remove(self, file_path: str) -> None:
        # We never write value files; a row naming one was planted and may point anywhere.
        return


def default_cache_dir(repo: str | os.PathLike[str], env: Mapping[str, str] | None = None) -> Path:
    """The cache directory used when --cache-dir is not given: outside the checkout
    ($RUNNER_TEMP, $XDG_CACHE_HOME or ~/.cache; see config/locations.py)."""
    return locations.default_cache_dir(Path(repo), env)


def _public_base(api_base: str | None) -> str | None:
    """api_base without userinfo, query or fragment (where credentials may hide)."""
    if not api_base:
        return None
    parts = urlsplit(api_base)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def key_for(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    template_hash: str,
) -> str:
    """sha256 over the canonical JSON of everything that shapes an answer (never keys)."""
    clean = dict(params)
    if "api_base" in clean:
        clean["api_base"] = _public_base(clean["api_base"])
    payload = {
        "v": CACHE_SCHEMA_VERSION,
        "model": model,
        "messages": [dict(m) for m in messages],
        "params": clean,
        "template": template_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _unknown_settings(directory: Path) -> list[str]:
    """Settings rows diskcache would act on (pragmas, Disk kwargs) that it never writes."""
    db = directory / DBNAME
    if not db.exists():
        return []
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=_TIMEOUT_S)
    try:
        rows = conn.execute("SELECT key FROM Settings").fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
    finally:
        conn.close()
    known = set(DEFAULT_SETTINGS) | set(METADATA)
    return sorted(str(k) for (k,) in rows if k not in known)


_CACHE_ERRORS = (sqlite3.Error, OSError, diskcache.Timeout, UnsafeRowError)


class Cache:
    """JSON-text cache over one directory; shared safely by concurrent processes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self._store: diskcache.Cache | None = None
        try:
            unknown = _unknown_settings(self.directory)
            if unknown:
                raise UnsafeRowError(f"unknown settings {unknown[:3]}")
            self._store = diskcache.Cache(
                str(self.directory), timeout=_TIMEOUT_S, disk=TextOnlyDisk, **DEFAULT_SETTINGS
            )
        except _CACHE_ERRORS as exc:
            self._disable("cannot be opened", exc)

    @property
    def enabled(self) -> bool:
        return self._store is not None

    def _disable(self, what: str, exc: BaseException) -> None:
        log.warning("cache %s %s (%s); continuing without it", self.directory, what, exc)
        if self._store is not None:
            self._store.close()
        self._store = None

    def get(self, key: str) -> str | None:
        if self._store is None:
            return None
        try:
            value = self._store.get(key, default=None, retry=True)
        except UnsafeRowError as exc:
            log.warning("cache %s: ignoring entry %s (%s)", self.directory, key[:12], exc)
            return None
        except _CACHE_ERRORS as exc:
            self._disable("cannot be read", exc)
            return None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        if self._store is None:
            return
        try:
            self._store.set(key, value, retry=True)
        except _CACHE_ERRORS as exc:
            self._disable("cannot be written", exc)

    def stats(self) -> dict[str, Any]:
        if self._store is None:
            return {"directory": str(self.directory), "entries": 0, "size": 0, "enabled": False}
        try:
            entries, size = len(self._store), self._store.volume()
        except _CACHE_ERRORS as exc:
            self._disable("cannot be read", exc)
            return self.stats()
        return {"directory": str(self.directory), "entries": entries, "size": size, "enabled": True}

    def clear(self) -> int:
        if self._store is None:
            return 0
        try:
            return int(self._store.clear(retry=True))
        except _CACHE_ERRORS as exc:
            self._disable("cannot be cleared", exc)
            return 0

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def __enter__(self) -> Cache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
