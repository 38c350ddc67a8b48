"""The JSON-text cache: round trips, untrusted rows, broken directories, many processes."""

from __future__ import annotations

import json
import logging
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from diskcache.core import MODE_PICKLE, MODE_RAW, MODE_TEXT

from prreview.llm.cache import Cache, default_cache_dir, key_for

REPO = Path(__file__).resolve().parents[2]
MESSAGES = ({"role": "user", "content": "hi"},)


class _Planted:
    """Unpickling this creates the marker file: proof that a pickle was executed."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_round_trip_stats_and_clear(tmp_path: Path) -> None:
    with Cache(tmp_path / "c") as cache:
        assert cache.enabled and cache.get("k") is None
        cache.set("k", '{"a": 1}')
        assert cache.get("k") == '{"a": 1}'
        stats = cache.stats()
        assert stats["entries"] == 1 and stats["size"] > 0
        assert stats["directory"] == str(tmp_path / "c")
        assert cache.clear() == 1 and cache.get("k") is None


def test_only_text_values_are_accepted(tmp_path: Path) -> None:
    with Cache(tmp_path / "c") as cache, pytest.raises(TypeError):
        cache.set("k", {"a": 1})  # type: ignore[arg-type]


def test_key_depends_on_every_input_but_not_credentials() -> None:
    params = {"temperature": 0.0, "seed": None, "api_base": "https://llm.example/v1"}
    base = key_for("m", MESSAGES, params, "t")
    assert base == key_for("m", MESSAGES, dict(params), "t") and len(base) == 64
    assert base != key_for("m2", MESSAGES, params, "t")
    assert base != key_for("m", ({"role": "user", "content": "hi!"},), params, "t")
    assert base != key_for("m", MESSAGES, {**params, "temperature": 0.5}, "t")
    assert base != key_for("m", MESSAGES, params, "t2")
    secret_base = "https://user:pw@llm.example/v1/?api-key=abc#x"
    assert base == key_for("m", MESSAGES, {**params, "api_base": secret_base}, "t")


def _plant(directory: Path, key: str, mode: int, value: object, filename: str | None) -> None:
    with Cache(directory) as cache:
        cache.set(key, "placeholder")
    conn = sqlite3.connect(directory / "cache.db")
    with conn:
        conn.execute(
            "UPDATE Cache SET mode = ?, value = ?, filename = ? WHERE key = ?",
            (mode, value, filename, key),
        )
    conn.close()


def test_planted_pickle_is_never_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    _plant(tmp_path / "c", "k", MODE_PICKLE, sqlite3.Binary(payload), None)
    with caplog.at_level(logging.WARNING), Cache(tmp_path / "c") as cache:
        assert cache.get("k") is None
        assert cache.enabled
    assert not marker.exists()
    assert "ignoring entry" in caplog.text
    pickle.loads(payload)  # the payload itself does work: the cache refused it
    assert marker.exists()


@pytest.mark.parametrize(
    ("mode", "value", "filename"),
    [
        (MODE_TEXT, None, "../victim"),
        (MODE_RAW, sqlite3.Binary(b"\x80\x04raw"), None),
    ],
)
def test_other_planted_rows_are_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, mode: int, value: object, filename: str | None
) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    _plant(tmp_path / "c", "k", mode, value, filename)
    with caplog.at_level(logging.WARNING), Cache(tmp_path / "c") as cache:
        assert cache.get("k") is None
        assert cache.clear() == 1
    assert "ignoring entry" in caplog.text
    assert victim.read_text() == "keep me"  # a planted filename never reaches os.remove


def test_planted_settings_disable_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Cache(tmp_path / "c") as cache:
        cache.set("k", "v")
    conn = sqlite3.connect(tmp_path / "c" / "cache.db")
    with conn:
        conn.execute("INSERT INTO Settings VALUES ('sqlite_query_only', 1)")
    conn.close()
    with caplog.at_level(logging.WARNING), Cache(tmp_path / "c") as cache:
        assert not cache.enabled and cache.get("k") is None
    assert "unknown settings" in caplog.text


def test_corrupt_database_is_a_warning_and_a_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "c"
    directory.mkdir()
    (directory / "cache.db").write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING), Cache(directory) as cache:
        assert not cache.enabled
        cache.set("k", "v")
        assert cache.get("k") is None
        assert cache.stats()["entries"] == 0 and cache.clear() == 0
    assert "continuing without it" in caplog.text


def test_unwritable_directory_is_a_warning_and_a_miss(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with caplog.at_level(logging.WARNING), Cache(not_a_dir / "cache") as cache:
        cache.set("k", "v")
        assert cache.get("k") is None and not cache.enabled
    assert "continuing without it" in caplog.text


_WORKER = """
import json, sys
from prreview.llm.cache import Cache
cache = Cache(sys.argv[1])
for i in range(40):
    cache.set(f"shared-{i}", json.dumps({"value": i}))
    cache.set(f"own-{sys.argv[2]}-{i}", json.dumps({"worker": sys.argv[2]}))
print(json.dumps([cache.get(f"shared-{i}") for i in range(40)]))
"""


def test_processes_share_one_directory(tmp_path: Path) -> None:
    directory = str(tmp_path / "shared")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, directory, str(n)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    assert all(not err for _, err in outputs)
    expected = [json.dumps({"value": i}) for i in range(40)]
    assert all(json.loads(out) == expected for out, _ in outputs)
    with Cache(directory) as cache:
        assert cache.stats()["entries"] == 40 + 8 * 40


def test_default_directory_is_outside_the_repository(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path / "home")}
    assert default_cache_dir(tmp_path, env) == tmp_path / "home" / ".cache" / "prreview" / "cache"
