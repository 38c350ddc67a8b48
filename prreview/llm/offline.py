"""Where LiteLLM and tiktoken find their data offline, decided once when the llm package loads.

CI runners are often offline, and both libraries would fetch data at first use: LiteLLM its
price map (at import), tiktoken its encodings. LiteLLM ships both inside its package: the
price map as `PRICE_MAP_FILE`, the encodings under `TOKENIZER_DIR` named by tiktoken's cache
keys. This module is imported by engine.py and tokens.py and, at that import only, sets
LITELLM_LOCAL_MODEL_COST_MAP and TIKTOKEN_CACHE_DIR when the user has not set them. Nothing
writes the environment at call time. The layout is LiteLLM's private one:
tests/llm/test_offline.py fails when it moves.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

PRICE_MAP_FILE = "model_prices_and_context_window_backup.json"
TOKENIZER_DIR = ("litellm_core_utils", "tokenizers")
ENCODINGS = ("cl100k_base", "o200k_base")
_BLOB_URL = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"


def litellm_dir() -> Path | None:
    """LiteLLM's package directory, found without importing it (None: not installed)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def price_map_path() -> Path | None:
    root = litellm_dir()
    return None if root is None else root / PRICE_MAP_FILE


def tokenizer_dir() -> Path | None:
    root = litellm_dir()
    path = None if root is None else root.joinpath(*TOKENIZER_DIR)
    return path if path is not None and path.is_dir() else None


def encoding_cache_key(encoding: str) -> str:
    """The file name tiktoken's cache gives the encoding's download."""
    return hashlib.sha1(_BLOB_URL.format(encoding).encode()).hexdigest()


def encoding_available(encoding: str) -> bool:
    """True when tiktoken can load `encoding` without the network."""
    directory = os.environ.get("TIKTOKEN_CACHE_DIR")
    return bool(directory) and (Path(directory) / encoding_cache_key(encoding)).is_file()


def _configure() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    bundled = tokenizer_dir()
    if bundled is not None and "TIKTOKEN_CACHE_DIR" not in os.environ:
        os.environ["TIKTOKEN_CACHE_DIR"] = str(bundled)


_configure()
