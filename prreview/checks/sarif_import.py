"""Findings from other tools' SARIF (ruff, semgrep, eslint, CodeQL, ...) and the filter mode.

Imported text is untrusted: it is kept as data here and escaped by the reports.

Severities come from a table per tool, then the result's or rule's `security-severity`, then
the SARIF level (sarif_severity.py). Rule ids are prefixed with the tool name (`ruff/F401`);
paths are made repo-relative with '/'. Results of kind pass/notApplicable and suppressed
results are skipped. ruff's flake8-bandit rules (S...) are security findings.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from prreview.errors import ConfigError
from prreview.models import Finding, Rule, Severity, fingerprint

from .sarif_severity import (
    DEFAULT_SEVERITY_MAP,
    SeverityTable,
    check_table,
    resolve,
    tables_for,
)

ReadLine = Callable[[str, int], "str | None"]
PRECISION_CONFIDENCE = {"very-high": 0.95, "high": 0.85, "medium": 0.7, "low": 0.5}
DEFAULT_CONFIDENCE = 0.8
_ANCHOR_LINES = 20
_TITLE_LIMIT = 120
_TAG_CATEGORIES = (
    ("security", "security"),
    ("performance", "performance"),
    ("maintainability", "maintainability"),
    ("style", "maintainability"),
)


def import_sarif(
    path: Path,
    *,
    repo_root: str | Path | None = None,
    read_line: ReadLine | None = None,
    severity_map: SeverityTable | None = None,
) -> tuple[list[Finding], list[Rule]]:
    """Read one SARIF file. `read_line(path, n)` gives line n of a file for the fingerprint;
    `severity_map` is the setting of the same name (tool -> rule pattern -> severity)."""
    check_table(severity_map or {})
    log = _load(path)
    findings: list[Finding] = []
    rules: dict[str, Rule] = {}
    for run in log["runs"]:
        if not isinstance(run, dict):
            continue
        ctx = _RunContext(run, repo_root, severity_map or {})
        for result in _list(run.get("results")):
            if not isinstance(result, dict) or _skipped(result):
                continue
            finding, rule = _convert(result, ctx, read_line)
            findings.append(finding)
            rules.setdefault(rule.id, rule)
    return findings, sorted(rules.values(), key=lambda r: r.id)


def _load(path: Path) -> dict[str, Any]:
    flag = f"--import-sarif {path}"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"{flag}: cannot read the file: {reason}") from None
    try:
        log = json.loads(text)
    except RecursionError:
        raise ConfigError(f"{flag}: not valid JSON: nested too deeply") from None
    except ValueError as exc:
        raise ConfigError(f"{flag}: not valid JSON: {exc}") from None
    if not isinstance(log, dict) or not isinstance(log.get("runs"), list):
        raise ConfigError(
            f"{flag}: not a SARIF log (no 'runs' array)",
            hint="pass a SARIF 2.1.0 file, e.g. from `ruff check --output-format sarif`",
        )
    version = str(log.get("version", "2.1.0"))
    if not version.startswith("2."):
        raise ConfigError(f"{flag}: SARIF version {version} is not supported (2.1.0 is)")
    return log


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    """The text of a SARIF message-like object (`text`, else `markdown`)."""
    obj = _dict(value)
    for key in ("text", "markdown"):
        if isinstance(obj.get(key), str) and obj[key].strip():
            return obj[key]
    return ""


def _skipped(result: dict[str, Any]) -> bool:
    if result.get("kind") in {"pass", "notApplicable"}:
        return True
    suppressions = [_dict(s) for s in _list(result.get("suppressions"))]
    return any(s.get("status", "accepted") == "accepted" for s in suppressions)


class _RunContext:
    """What one run's results refer to: the tool, its rules, artifacts and base URIs."""

    def __init__(
        self, run: dict[str, Any], repo_root: str | Path | None, severity_map: SeverityTable
    ) -> None:
        tool = _dict(run.get("tool"))
        driver = _dict(tool.get("driver"))
        name = str(driver.get("name") or "sarif")
        self.tool = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "sarif"
        self.severity_tables = tables_for(self.tool, severity_map, DEFAULT_SEVERITY_MAP)
        self.driver_rules = [_dict(r) for r in _list(driver.get("rules"))]
        self.extension_rules = [
            [_dict(r) for r in _list(_dict(ext).get("rules"))]
            for ext in _list(tool.get("extensions"))
        ]
        self.artifacts = [_dict(a) for a in _list(run.get("artifacts"))]
        self.bases = _base_uris(_dict(run.get("originalUriBaseIds")))
        self.roots = _roots(run, repo_root, self.bases)

    def descriptor(self, result: dict[str, Any]) -> dict[str, Any]:
        ref = _dict(result.get("rule"))
        index = ref.get("index", result.get("ruleIndex"))
        component = _dict(ref.get("toolComponent")).get("index")
        rules = self.driver_rules
        if isinstance(component, int) and 0 <= component < len(self.extension_rules):
            rules = self.extension_rules[component]
        if isinstance(index, int) and 0 <= index < len(rules):
            return rules[index]
        rule_id = result.get("ruleId") or ref.get("id")
        for candidate in [self.driver_rules, *self.extension_rules]:
            for rule in candidate:
                if rule.get("id") == rule_id:
                    return rule
        return {}


def _base_uris(raw: dict[str, Any]) -> dict[str, str]:
    """Resolve originalUriBaseIds (which may chain) to URI strings; unknown ones are absent."""
    resolved: dict[str, str] = {}
    for name in raw:
        uri, seen, current = "", set(), name
        while current in raw and current not in seen:
            seen.add(current)
            entry = _dict(raw[current])
            part = entry.get("uri")
            if not isinstance(part, str):
                uri = ""
                break
            uri = part.rstrip("/") + "/" + uri if uri else part
            current = entry.get("uriBaseId")
        if uri:
            resolved[name] = uri
    return resolved


def _roots(run: dict[str, Any], repo_root: str | Path | None, bases: dict[str, str]) -> list[str]:
    candidates: list[str] = []
    if repo_root is not None:
        candidates += [str(repo_root), os.path.realpath(repo_root)]
    for invocation in _list(run.get("invocations")):
        uri = _dict(_dict(invocation).get("workingDirectory")).get("uri")
        if isinstance(uri, str):
            candidates.append(uri)
    candidates += [bases[k] for k in ("%SRCROOT%", "SRCROOT", "PROJECTROOT") if k in bases]
    roots = [_local_path(c).rstrip("/") for c in candidates]
    return list(dict.fromkeys(r for r in roots if r))


def _local_path(uri: str) -> str:
    """A file URI or plain path as a '/'-separated local path ('' for other schemes)."""
    parts = urlsplit(uri)
    if parts.scheme == "file":
        path = unquote(parts.path)
        if re.match(r"^/[A-Za-z]:/", path):
            path = path[1:]
    elif len(parts.scheme) > 1:
        return ""
    else:
        path = unquote(uri)
    return path.replace("\\", "/")


def _repo_path(location: dict[str, Any], ctx: _RunContext) -> str | None:
    artifact = _dict(location.get("artifactLocation"))
    index = artifact.get("index")
    if "uri" not in artifact and isinstance(index, int) and 0 <= index < len(ctx.artifacts):
        artifact = _dict(ctx.artifacts[index].get("location"))
    uri = artifact.get("uri")
    if not isinstance(uri, str) or not uri:
        return None
    base = ctx.bases.get(str(artifact.get("uriBaseId")))
    relative = not urlsplit(uri).scheme and not uri.startswith("/")
    if base and relative and ctx.roots:
        uri = base.rstrip("/") + "/" + uri
    path = _local_path(uri)
    if not path:
        return None
    for root in ctx.roots:
        if path.startswith(root + "/"):
            path = path[len(root) + 1 :]
            break
    path = posixpath.normpath(path)
    return path[2:] if path.startswith("./") else path


def _convert(
    result: dict[str, Any], ctx: _RunContext, read_line: ReadLine | None
) -> tuple[Finding, Rule]:
    descriptor = ctx.descriptor(result)
    raw_id = str(result.get("ruleId") or descriptor.get("id") or "unknown")
    rule = _rule(f"{ctx.tool}/{raw_id}", raw_id, descriptor, ctx)
    severity = _severity(result, descriptor, raw_id, ctx)
    message = _message(result, descriptor) or rule.short_description
    location = _dict((_list(result.get("locations")) or [{}])[0])
    physical = _dict(location.get("physicalLocation"))
    path = _repo_path(physical, ctx) if physical else None
    start, end, start_col, end_col = _region(_dict(physical.get("region")))
    fp = _fingerprint(rule.id, path, (start, end), result, message, read_line)
    finding = Finding(
        rule_id=rule.id,
        evaluator=ctx.tool,
        evaluators=(ctx.tool,),
        category=rule.category,
        severity=severity,
        confidence=PRECISION_CONFIDENCE.get(rule.precision, DEFAULT_CONFIDENCE),
        title=_title(message),
        message=message,
        path=path,
        start_line=start if path else None,
        end_line=end if path else None,
        start_column=start_col if path else None,
        end_column=end_col if path else None,
        tags=rule.tags,
        source="imported",
        fingerprint=fp,
    )
    return finding, rule


def _rule(rule_id: str, raw_id: str, descriptor: dict[str, Any], ctx: _RunContext) -> Rule:
    props = _dict(descriptor.get("properties"))
    tag_set = {t for t in _list(props.get("tags")) if isinstance(t, str)}
    if "bandit" in str(props.get("kind", "")).lower():
        tag_set.add("security")  # ruff's flake8-bandit rules carry no tags
    tags = tuple(sorted(tag_set))
    score = _security_score(props)
    category = "security" if score is not None or "security" in tags else _category(tags)
    level = str(_dict(descriptor.get("defaultConfiguration")).get("level", "warning"))
    precision = props.get("precision")
    short = _text(descriptor.get("shortDescription")) or str(descriptor.get("name") or raw_id)
    return Rule(
        id=rule_id,
        name=str(descriptor.get("name") or raw_id),
        short_description=short,
        full_description=_text(descriptor.get("fullDescription")),
        help_text=_dict(descriptor.get("help")).get("text") or "",
        help_markdown=_dict(descriptor.get("help")).get("markdown") or "",
        severity=resolve(ctx.severity_tables, raw_id, level, score),
        category=category,
        tags=tags,
        precision=precision if precision in PRECISION_CONFIDENCE else "medium",
        security_severity=score,
        evaluator=ctx.tool,
    )


def _category(tags: Sequence[str]) -> str:
    lowered = {t.lower() for t in tags}
    for tag, category in _TAG_CATEGORIES:
        if tag in lowered:
            return category
    return "correctness"


def _security_score(props: Mapping[str, Any]) -> float | None:
    try:
        score = float(props.get("security-severity"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return score if 0.0 < score <= 10.0 else None


def _severity(
    result: dict[str, Any], descriptor: dict[str, Any], raw_id: str, ctx: _RunContext
) -> Severity:
    level = result.get("level")
    if not isinstance(level, str):
        level = _dict(descriptor.get("defaultConfiguration")).get("level", "warning")
    score = _security_score(_dict(result.get("properties")))
    if score is None:
        score = _security_score(_dict(descriptor.get("properties")))
    return resolve(ctx.severity_tables, raw_id, str(level), score)


def _message(result: dict[str, Any], descriptor: dict[str, Any]) -> str:
    message = _dict(result.get("message"))
    text = _text(message)
    if not text and isinstance(message.get("id"), str):
        strings = _dict(descriptor.get("messageStrings"))
        text = _text(strings.get(message["id"]))
    args = [str(a) for a in _list(message.get("arguments"))]
    if text and args:
        text = re.sub(
            r"\{(\d+)\}", lambda m: args[int(m[1])] if int(m[1]) < len(args) else m[0], text
        )
    return text.strip()


def _title(message: str) -> str:
    first = message.strip().split("\n", 1)[0].strip()
    return first if len(first) <= _TITLE_LIMIT else first[: _TITLE_LIMIT - 1] + "…"


def _region(region: dict[str, Any]) -> tuple[int | None, int | None, int | None, int | None]:
    start = region.get("startLine")
    if not isinstance(start, int) or start < 1:
        return None, None, None, None
    end = region.get("endLine")
    end = end if isinstance(end, int) and end >= start else start
    start_col = region.get("startColumn")
    start_col = start_col if isinstance(start_col, int) and start_col >= 1 else None
    end_col = region.get("endColumn")
    end_col = end_col if isinstance(end_col, int) and end_col >= 1 and start_col else None
    return start, end, start_col, end_col


def _fingerprint(
    rule_id: str,
    path: str | None,
    lines: tuple[int | None, int | None],
    result: dict[str, Any],
    message: str,
    read_line: ReadLine | None,
) -> str:
    """Anchored on the flagged lines' text when readable, else on the tool's own fingerprints."""
    start, end = lines
    if read_line is not None and path and start is not None:
        last = min(end or start, start + _ANCHOR_LINES - 1)
        text = [read_line(path, n) for n in range(start, last + 1)]
        if all(t is not None for t in text):
            return fingerprint(rule_id, path, [t for t in text if t is not None])
    given = {**_dict(result.get("fingerprints")), **_dict(result.get("partialFingerprints"))}
    anchors = [f"{k}={v}" for k, v in sorted(given.items()) if isinstance(v, str)]
    if anchors:
        return fingerprint(rule_id, path, anchors)
    return fingerprint(rule_id, path, [f"{start}-{end}", message])
