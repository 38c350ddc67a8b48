"""Where the official SARIF 2.1.0 schema is: ../shared/schemas beside the project root."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

_NAME = "sarif-schema-2.1.0.json"
_CANDIDATES = (
    Path(__file__).resolve().parents[1].parent / "shared" / "schemas" / _NAME,
    Path("/work/shared/schemas") / _NAME,
)


def sarif_schema_path() -> Path:
    """The schema's path; outside CI a missing schema skips, in CI it fails the test."""
    for path in _CANDIDATES:
        if path.is_file():
            return path
    message = f"the official SARIF schema is not at {_CANDIDATES[0]} (shared/ beside the repo)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
