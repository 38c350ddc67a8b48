from __future__ import annotations

import json

from prreview.report import rdjsonl
from tests.markdown_check import assert_inert
from tests.review_fixture import HOSTILE_SUGGESTION, review


def _lines() -> list[dict]:
    return [json.loads(line) for line in rdjsonl.render(review()).splitlines()]


def test_one_diagnostic_per_line_in_reviewdog_format() -> None:
    diagnostics = _lines()
    assert len(diagnostics) == 8  # 6 findings with a path, then 2 unreviewed files
    assert [(d["location"]["path"], d["severity"]) for d in diagnostics[6:]] == [
        ("vendor/big.min.js", "WARNING"),
        ("assets/logo.png", "INFO"),
    ]
    assert all(d["code"]["value"] == "prreview/not-reviewed" for d in diagnostics[6:])
    for d in diagnostics:
        assert d["severity"] in {"ERROR", "WARNING", "INFO"}
        assert d["source"] == {"name": "prreview"}
        assert d["code"]["value"] and d["location"]["path"]
    first = diagnostics[0]
    assert first["location"]["range"] == {
        "start": {"line": 7, "column": 14},
        "end": {"line": 7, "column": 34},
    }
    file_level = next(d for d in diagnostics if d["code"]["value"] == "debug/print-statement")
    assert "range" not in file_level["location"]


def test_suggestion_replaces_the_finding_lines() -> None:
    sql = next(d for d in _lines() if d["code"]["value"] == "llm/security/sql-injection")
    assert sql["suggestions"] == [
        {"range": {"start": {"line": 12}, "end": {"line": 14}}, "text": HOSTILE_SUGGESTION}
    ]


def test_messages_are_inert_markdown() -> None:
    for d in _lines():
        assert_inert(d["message"])
