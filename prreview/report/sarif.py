"""SARIF 2.1.0 for GitHub code scanning (and any other SARIF consumer).

`render(review, *, category=...)`: the CLI binds `category` to `settings.sarif_category` with
`functools.partial`; the FORMATS registry uses the default "prreview". The category becomes
`runAutomationDetails.id` with a trailing "/" so that GitHub reads it as a category (an id
without "/" would be taken as a run id with an empty category).

GitHub's upload limits are enforced here: at most 25,000 results and 25,000 rules per run and
20 tags per rule; when results are dropped (lowest severity, then lowest confidence first) the
run's `properties` and an invocation notification say how many.

`security-severity` follows each finding's own severity: every security result carries it in
its `properties`, and a rule's value is that of its worst result in the run (the rule's own
score when it falls in the same band), so one medium finding of a rule declared at 9.5 shows
as medium, not critical. Rules without results keep their own score.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from prreview.checks.sarif_severity import score_severity
from prreview.review.gate import finding_key

from ..models import Finding, Review, Rule, SkippedItem
from . import escape
from .common import ordered, skipped_order, skipped_text

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/prreview/prreview"
SRCROOT = "%SRCROOT%"
MAX_RESULTS = 25_000
MAX_RULES = 25_000
MAX_TAGS = 20
MAX_SKIPPED = 1_000
"""Unreviewed items listed per run (notifications and `properties.skipped`); the count is total."""
PRETTY_RESULTS = 2_000
_TEXT_LIMIT = 1_024
_NAME_LIMIT = 255
_MESSAGE_LIMIT = 10_000

LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PROBLEM_SEVERITY = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "recommendation",
    "info": "recommendation",
}
# GitHub: >9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low; 0.0 means none.
SECURITY_SCORES = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.0}
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def render(review: Review, *, category: str = "prreview", max_results: int = MAX_RESULTS) -> str:
    """The SARIF log as JSON text (one run; deterministic).

    Indented for reading up to PRETTY_RESULTS results; compact above, where indentation would
    only cost time and bytes (GitHub takes at most 10 MB gzipped).
    """
    log = build(review, category=category, max_results=max_results)
    pretty = len(log["runs"][0]["results"]) <= PRETTY_RESULTS
    return json.dumps(log, indent=2 if pretty else None) + "\n"


def build(review: Review, *, category: str = "prreview", max_results: int = MAX_RESULTS) -> dict:
    ranked = ordered(review.findings)
    kept = ranked[:max_results]
    dropped = len(ranked) - len(kept)
    rules = _rules(review.rules, kept)
    index = {rule.id: i for i, rule in enumerate(rules)}
    by_id = {rule.id: rule for rule in rules}
    scores = {id(f): finding_score(f, by_id.get(f.rule_id)) for f in kept}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(review, rules, _rule_scores(kept, scores))},
        "invocations": [_invocation(review, dropped, max_results)],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The repository root."}}},
        "columnKind": "unicodeCodePoints",
        "results": _results(kept, index, scores),
        "properties": _run_properties(review, dropped, max_results),
    }
    if category.strip("/"):
        run["automationDetails"] = {"id": category.rstrip("/") + "/"}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def finding_score(f: Finding, rule: Rule | None) -> float | None:
    """The security-severity of one result, from the finding's own severity (None: not a
    security finding, or info). The rule's own score is kept when it is in the same band."""
    own = rule.security_severity if rule is not None else None
    security = f.category == "security" or "security" in f.tags or own is not None
    if not security or f.severity not in SECURITY_SCORES:
        return None
    if own is not None and 0 < own <= 10 and score_severity(own) == f.severity:
        return own
    return SECURITY_SCORES[f.severity]


def _rule_scores(findings: Sequence[Finding], scores: dict[int, float | None]) -> dict[str, float]:
    worst: dict[str, float] = {}
    for f in findings:
        score = scores[id(f)]
        if score is not None:
            worst[f.rule_id] = max(worst.get(f.rule_id, 0.0), score)
    return worst


def _driver(review: Review, rules: Sequence[Rule], scores: dict[str, float]) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": "prreview", "informationUri": INFORMATION_URI}
    if review.tool_version:
        driver["version"] = review.tool_version
        if _SEMVER.match(review.tool_version):
            driver["semanticVersion"] = review.tool_version
    driver["rules"] = [_descriptor(rule, scores.get(rule.id)) for rule in rules]
    return driver


def _rules(known: Sequence[Rule], findings: Sequence[Finding]) -> list[Rule]:
    """Every known rule plus one synthesised for each unknown rule id; used ones win the cap."""
    by_id = {r.id: r for r in known}
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.rule_id, []).append(f)
    used = [by_id.get(rid) or _synthesise(rid, group) for rid, group in groups.items()]
    unused = [r for r in by_id.values() if r.id not in groups]
    chosen = (sorted(used, key=lambda r: r.id) + sorted(unused, key=lambda r: r.id))[:MAX_RULES]
    return sorted(chosen, key=lambda r: r.id)


def _synthesise(rule_id: str, findings: Sequence[Finding]) -> Rule:
    worst = ordered(findings)[0]
    category = worst.category
    tags = sorted({t for f in findings for t in f.tags} | {category})
    evaluators = sorted({f.evaluator for f in findings})
    noun = "evaluator" if len(evaluators) == 1 else "evaluators"
    by = f"the {', '.join(evaluators)} {noun}"
    return Rule(
        id=rule_id,
        name=rule_id,
        short_description=f"{category.capitalize()} finding from {by}",
        full_description=(
            f"A {category} finding from {by} ({worst.source}). "
            "Each result's message explains the problem."
        ),
        severity=worst.severity,
        category=category,
        tags=tuple(tags),
        precision="medium",
        security_severity=SECURITY_SCORES.get(worst.severity) if category == "security" else None,
        evaluator=worst.evaluator,
    )


def _descriptor(rule: Rule, score: float | None = None) -> dict[str, Any]:
    short = escape.truncate(_one_line(rule.short_description or rule.name or rule.id), _TEXT_LIMIT)
    full = escape.truncate(_one_line(rule.full_description) or short, _TEXT_LIMIT)
    help_text = rule.help_text or rule.full_description or short
    # Only our own rules carry Markdown we wrote; every other text is escaped for GitHub.
    trusted = rule.evaluator == "builtin" and rule.help_markdown
    help_md = rule.help_markdown if trusted else escape.md_text(rule.help_markdown or help_text)
    tags = sorted(set(rule.tags) | {rule.category})
    properties: dict[str, Any] = {
        "precision": rule.precision,
        "problem.severity": PROBLEM_SEVERITY[rule.severity],
    }
    score = rule.security_severity if score is None else score
    if score is not None and score > 0:
        properties["security-severity"] = f"{min(score, 10.0):.1f}"
        tags = ["security", *[t for t in tags if t != "security"]]
    properties["tags"] = tags[:MAX_TAGS]
    return {
        "id": rule.id,
        "name": escape.truncate(_one_line(rule.name or rule.id), _NAME_LIMIT),
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_md or escape.md_text(short)},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _results(
    findings: Sequence[Finding], index: dict[str, int], scores: dict[int, float | None]
) -> list[dict[str, Any]]:
    occurrences: dict[str, int] = {}
    results = []
    for f in findings:
        key = finding_key(f)
        line_hash = key[:16]
        occurrences[line_hash] = occurrences.get(line_hash, 0) + 1
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": index[f.rule_id],
            "level": LEVELS[f.severity],
            "message": {"text": message_text(f)},
        }
        if f.path is not None:
            result["locations"] = [_location(f)]
        fix = _fix(f)
        if fix is not None:
            result["fixes"] = [fix]
        result["partialFingerprints"] = {
            "primaryLocationLineHash": f"{line_hash}:{occurrences[line_hash]}"
        }
        result["fingerprints"] = {"prreview/v1": key}
        result["properties"] = {
            "severity": f.severity,
            "confidence": f.confidence,
            "category": f.category,
            "source": f.source,
            "evaluators": sorted(set(f.evaluators) | {f.evaluator}),
            "tags": sorted(set(f.tags)),
        }
        score = scores[id(f)]
        if score is not None:
            result["properties"]["security-severity"] = f"{min(score, 10.0):.1f}"
        results.append(result)
    return results


def message_text(f: Finding) -> str:
    """Plain text; `[` and `]` are escaped so consumers see no SARIF embedded links."""
    same = f.message.strip() == f.title.strip()
    text = f.title if same or not f.message.strip() else f"{f.title}\n\n{f.message}"
    text = escape.truncate(text, _MESSAGE_LIMIT)
    text = re.sub(r"\\(?=[\[\]])", r"\\\\", text)
    return re.sub(r"([\[\]])", r"\\\1", text)


def artifact_uri(path: str) -> str:
    """A repo-relative RFC 3986 reference: no leading slash, reserved characters encoded.

    ':' is always encoded: in the first segment it would read as a URI scheme.
    """
    return quote(path.lstrip("/"), safe="/!$&'()*+,;=@")


def _location(f: Finding) -> dict[str, Any]:
    start = f.start_line or 1
    end = max(f.end_line or start, start)
    region: dict[str, Any] = {"startLine": start, "startColumn": f.start_column or 1}
    region["endLine"] = end
    end_col = f.end_column if f.start_line is not None else None
    if end_col is not None and (end > start or end_col > region["startColumn"]):
        region["endColumn"] = end_col
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact_uri(f.path or ""), "uriBaseId": SRCROOT},
            "region": region,
        }
    }


def _fix(f: Finding) -> dict[str, Any] | None:
    """The replacement as a SARIF fix: the finding's whole lines, their text replaced.

    A region without columns runs from the start of startLine to the end of endLine without
    its newline (SARIF 3.30), so the inserted text carries no trailing newline either.
    """
    if f.suggestion is None or f.path is None or f.start_line is None:
        return None
    if escape.has_invisible(f.suggestion):
        return None  # never an applicable fix that hides characters (Trojan Source)
    end = max(f.end_line or f.start_line, f.start_line)
    lines = f"line {f.start_line}" if end == f.start_line else f"lines {f.start_line}-{end}"
    text = f.suggestion.replace("\r\n", "\n").rstrip("\n")
    replacement = {
        "deletedRegion": {"startLine": f.start_line, "startColumn": 1, "endLine": end},
        "insertedContent": {"text": text},
    }
    change = {
        "artifactLocation": {"uri": artifact_uri(f.path), "uriBaseId": SRCROOT},
        "replacements": [replacement],
    }
    return {
        "description": {"text": f"Replace {lines} with the suggested code."},
        "artifactChanges": [change],
    }


def _invocation(review: Review, dropped: int, limit: int) -> dict[str, Any]:
    notes: list[dict[str, Any]] = []
    if not review.complete:
        reason = review.incomplete_reason or "unknown reason"
        notes.append({"level": "error", "message": {"text": f"Incomplete review: {reason}"}})
    if dropped:
        notes.append({"level": "warning", "message": {"text": _dropped_text(dropped, limit)}})
    notes.extend(_skipped_notification(s) for s in skipped_order(review.skipped)[:MAX_SKIPPED])
    notes.extend({"level": "note", "message": {"text": n}} for n in review.notes)
    invocation: dict[str, Any] = {"executionSuccessful": review.complete}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _skipped_notification(item: SkippedItem) -> dict[str, Any]:
    """One unreviewed item: a warning when it makes the review incomplete, else a note."""
    note: dict[str, Any] = {
        "level": "warning" if item.incomplete else "note",
        "message": {"text": escape.truncate(skipped_text(item), _TEXT_LIMIT)},
        "descriptor": {"id": "prreview/not-reviewed"},
    }
    if item.path is not None:
        artifact = {"uri": artifact_uri(item.path), "uriBaseId": SRCROOT}
        note["locations"] = [{"physicalLocation": {"artifactLocation": artifact}}]
    return note


def _skipped_property(review: Review) -> dict[str, Any]:
    items = skipped_order(review.skipped)
    return {
        "total": len(items),
        "incomplete": sum(1 for s in items if s.incomplete),
        "items": [s.model_dump(mode="json") for s in items[:MAX_SKIPPED]],
    }


def _dropped_text(dropped: int, limit: int) -> str:
    return (
        f"{dropped} lower-ranked results were left out: at most {limit:,} results per run "
        "(GitHub code scanning's limit). The JSON report lists every finding."
    )


def _run_properties(review: Review, dropped: int, limit: int) -> dict[str, Any]:
    props: dict[str, Any] = {
        "complete": review.complete,
        "failOpen": review.fail_open,
        "gate": {
            "failOn": review.gate.fail_on,
            "minConfidence": review.gate.min_confidence,
            "passed": review.gate.passed,
        },
        "resultsDropped": dropped,
        "schemaVersion": review.schema_version,
    }
    if review.skipped:
        props["skipped"] = _skipped_property(review)
    if not review.complete:
        props["incompleteReason"] = review.incomplete_reason or "unknown reason"
    if dropped:
        props["note"] = _dropped_text(dropped, limit)
    if review.change.head_sha:
        props["headSha"] = review.change.head_sha
    return props
