from __future__ import annotations

import json

import jsonschema

from prreview.models import Review
from prreview.report import jsonreport
from tests.review_fixture import review


def test_json_report_round_trips_to_the_same_review() -> None:
    original = review()
    text = jsonreport.render(original)
    assert Review.model_validate_json(text) == original


def test_json_report_has_sorted_keys_and_no_extra_fields() -> None:
    data = json.loads(jsonreport.render(review()))
    assert list(data) == sorted(data)
    assert set(data) == set(Review.model_fields)


def test_report_validates_against_its_published_schema() -> None:
    schema = json.loads(jsonreport.schema())
    jsonschema.validators.validator_for(schema)(schema).validate(
        json.loads(jsonreport.render(review()))
    )


def test_hostile_text_is_kept_verbatim_as_data() -> None:
    data = json.loads(jsonreport.render(review()))
    titles = [f["title"] for f in data["findings"]]
    assert any("<img src=x onerror=alert(1)>" in t for t in titles)
