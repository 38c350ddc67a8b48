"""Token counting: offline encodings from litellm's bundle, and the estimate fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from prreview.llm.tokens import count_messages, count_tokens, encoding_name, is_exact

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("gpt-4o", "o200k_base"),
        ("openai/gpt-4o-mini", "o200k_base"),
        ("azure/gpt-4.1", "o200k_base"),
        ("openai/o3-mini", "o200k_base"),
        ("gpt-5", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("anthropic/claude-3-5-sonnet", "cl100k_base"),
        ("ollama/llama3", "cl100k_base"),
        (None, "cl100k_base"),
    ],
)
def test_encoding_choice(model: str | None, encoding: str) -> None:
    assert encoding_name(model) == encoding


def test_counts_are_exact_offline() -> None:
    assert is_exact("gpt-4o") and is_exact("gpt-4")
    assert count_tokens("hello world", "gpt-4o") == 2
    assert count_tokens("hello world", "gpt-4") == 2
    assert count_tokens("<|endoftext|>", "gpt-4") > 1  # special tokens are plain text here
    messages = [{"role": "user", "content": "hello world"}]
    assert count_messages(messages, "gpt-4") == 3 + 4 + 1 + 2


_PROBE = """
import json, sys
from prreview.llm.tokens import count_tokens, is_exact
n = count_tokens("x" * 400, "gpt-4")
print(json.dumps({"n": n, "exact": is_exact("gpt-4"), "litellm": "litellm" in sys.modules}))
"""


def _probe(env: dict[str, str]) -> tuple[dict[str, object], str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout), proc.stderr


def test_bundled_encodings_load_without_importing_litellm() -> None:
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    result, _ = _probe(env)
    assert result["exact"] is True and result["litellm"] is False
    assert result["n"] < 100


def test_unloadable_encoding_falls_back_to_an_estimate(tmp_path: Path) -> None:
    # An empty cache dir and a refusing proxy: tiktoken's download fails fast, as offline.
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(tmp_path),
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "",
        "no_proxy": "",
    }
    result, stderr = _probe(env)
    assert result == {"n": 101, "exact": False, "litellm": False}
    assert stderr.count("token counts are estimates") == 1
