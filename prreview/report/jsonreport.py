"""The JSON report: the Review itself, so that `Review.model_validate_json` reads it back."""

from __future__ import annotations

import json

from ..models import Review


def render(review: Review) -> str:
    """The Review as JSON: sorted keys, two-space indent, UTF-8 text (no ASCII escaping)."""
    data = review.model_dump(mode="json")
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def schema() -> str:
    """The JSON Schema of the report (`prreview schema report`)."""
    return json.dumps(Review.model_json_schema(), sort_keys=True, indent=2) + "\n"
