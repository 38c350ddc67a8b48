"""GitLab Code Quality (a subset of the Code Climate issue format): a JSON array.

Severity mapping (GitLab's five levels; ours are shifted up one so that `critical` stands out):

    critical -> blocker, high -> critical, medium -> major, low -> minor, info -> info

Each issue needs a path, so a finding about the change as a whole (no path) is left out;
a file-level finding is placed on line 1. Every unreviewed item with a path is listed as an
issue of check `prreview/not-reviewed` (severity `major` when it makes the review
incomplete, `info` otherwise), so the merge request widget shows what the model never saw. Fingerprints are unique within the report: a
repeated fingerprint is re-hashed with its occurrence number.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from prreview.review.gate import finding_key

from ..models import Finding, Review, SkippedItem
from .common import ordered, skipped_order, skipped_text

SEVERITIES = {
    "critical": "blocker",
    "high": "critical",
    "medium": "major",
    "low": "minor",
    "info": "info",
}
_DESCRIPTION_LIMIT = 1_000


def render(review: Review) -> str:
    """The issues as a JSON array (UTF-8 text, no BOM)."""
    issues = []
    seen: dict[str, int] = {}
    for f in ordered(review.findings):
        if f.path is None:
            continue
        issues.append(_issue(f, _unique(finding_key(f), seen)))
    for item in skipped_order(review.skipped):
        if item.path is not None:
            issues.append(_skipped_issue(item, seen))
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"


def _skipped_issue(item: SkippedItem, seen: dict[str, int]) -> dict[str, Any]:
    raw = f"prreview/not-reviewed\0{item.path}\0{item.kind}\0{item.reason}\0{item.detail}"
    key = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    text = " ".join(skipped_text(item).split())
    return {
        "type": "issue",
        "description": text if len(text) <= _DESCRIPTION_LIMIT else text[:999] + "…",
        "check_name": "prreview/not-reviewed",
        "fingerprint": _unique(key, seen),
        "severity": "major" if item.incomplete else "info",
        "location": {"path": item.path, "lines": {"begin": 1, "end": 1}},
    }


def _unique(key: str, seen: dict[str, int]) -> str:
    seen[key] = seen.get(key, 0) + 1
    if seen[key] == 1:
        return key
    return hashlib.sha256(f"{key}:{seen[key]}".encode()).hexdigest()[:32]


def _issue(f: Finding, fp: str) -> dict[str, Any]:
    begin = f.start_line or 1
    end = max(f.end_line or begin, begin)
    title = " ".join(f.title.split())
    if len(title) > _DESCRIPTION_LIMIT:
        title = title[: _DESCRIPTION_LIMIT - 1] + "…"
    return {
        "type": "issue",
        "description": title,
        "check_name": f.rule_id,
        "fingerprint": fp,
        "severity": SEVERITIES[f.severity],
        "location": {"path": f.path, "lines": {"begin": begin, "end": end}},
    }
