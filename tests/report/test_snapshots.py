"""Golden files: every format rendered from the shared fixture review."""

from __future__ import annotations

from pathlib import Path

import pytest

from prreview.report import FORMATS
from tests.review_fixture import review

SNAPSHOTS = Path(__file__).parents[1] / "snapshots" / "report"
EXTENSIONS = {
    "markdown": "md",
    "json": "json",
    "sarif": "sarif",
    "codequality": "json",
    "github": "txt",
    "rdjsonl": "jsonl",
}


def test_registry_lists_every_format() -> None:
    assert sorted(FORMATS) == sorted(EXTENSIONS)


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_format_matches_snapshot(fmt: str, snapshot) -> None:
    snapshot.snapshot_dir = SNAPSHOTS
    text = FORMATS[fmt](review())
    assert text == FORMATS[fmt](review()), "rendering must be deterministic"
    snapshot.assert_match(text, f"review.{fmt}.{EXTENSIONS[fmt]}")
