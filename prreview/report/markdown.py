"""The Markdown report: a PR/MR comment, a job summary, or plain reading on a terminal.

Every string that came from a model, the repository or an imported SARIF file goes through
`escape`; the only raw HTML is the `<details>`/`<summary>` pair written here. The report stays
under `max_chars` (GitHub's comment limit by default) by leaving out the lowest-ranked findings
and saying so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from prreview.review.gate import tripping_findings

from ..models import SEVERITIES, Finding, Review, SkippedItem
from . import escape
from .common import location, ordered, severity_counts

MAX_CHARS = 65_536
"""GitHub's limit for an issue or pull-request comment body."""

ICONS = {"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🔵", "info": "⚪"}
_MESSAGE_LIMIT = 4_000
_SUGGESTION_LIMIT = 4_000
_OVERVIEW_LIMIT = 6_000
_LIST_LIMIT = 50
_TRIPPED_LIMIT = 10
_OMITTED_RESERVE = 400


def render(review: Review, *, max_chars: int = MAX_CHARS) -> str:
    """The whole report; at most `max_chars` characters."""
    head = "\n\n".join(p for p in (_title(review), _verdict(review), _overview(review)) if p)
    tail = "\n\n".join(p for p in (_skipped(review.skipped), _stats(review), _notes(review)) if p)
    tail = f"{tail}\n\n{_footer(review)}" if tail else _footer(review)
    budget = max_chars - len(head) - len(tail) - _OMITTED_RESERVE
    body, omitted = _findings(review, budget)
    if omitted:
        body += "\n\n" + _omitted_note(omitted)
    text = "\n\n".join(p for p in (head, body, tail) if p) + "\n"
    return text if len(text) <= max_chars else _hard_cut(text, max_chars)


def _title(review: Review) -> str:
    lines = ["## prreview review"]
    change = review.change
    if change.mode != "range":
        lines.append(f"Reviewing the {change.mode.replace('-', ' ')} changes.")
    elif change.base_ref or change.base_sha or change.head_ref or change.head_sha:
        base = _ref(change.base_ref, change.base_sha)
        head = _ref(change.head_ref, change.head_sha)
        lines.append(f"Base {base} → head {head}.")
    stats = review.stats
    lines.append(f"{stats.files} files changed, +{stats.additions} −{stats.deletions}.")
    return lines[0] + "\n\n" + " ".join(lines[1:])


def _ref(ref: str | None, sha: str | None) -> str:
    parts = [escape.code_span(ref)] if ref else []
    if sha:
        parts.append(escape.code_span(sha[:12]))
    return " @ ".join(parts) if parts else "(unknown)"


def _verdict(review: Review) -> str:
    gate = review.gate
    lines = []
    if not gate.passed:
        n = len(gate.tripped)
        noun = "finding" if n == 1 else "findings"
        lines.append(
            f"❌ **Gate failed:** {n} {noun} at or above {escape.code_span(gate.fail_on)} "
            f"with confidence ≥ {gate.min_confidence:.2f}."
        )
    if not review.complete:
        reason = escape.md_inline(review.incomplete_reason or "unknown reason")
        lines.append(f"⚠️ **Incomplete review:** {reason}. Part of the change was not reviewed.")
        if review.fail_open and gate.passed:
            lines[-1] += " Fail-open (`--fail-open`): the run exits 0 anyway."
        elif gate.passed:
            lines[-1] += " The run exits 3."
    if not lines:
        if gate.fail_on == "none":
            lines.append("✅ **Passed:** the gate is off (`--fail-on none`).")
        else:
            lines.append(
                f"✅ **Passed:** no finding at or above {escape.code_span(gate.fail_on)} "
                f"with confidence ≥ {gate.min_confidence:.2f}."
            )
    lines.append(_counts(review.findings))
    lines.append(_gate_policy(review))
    return "\n\n".join(lines)


def _counts(findings: Sequence[Finding]) -> str:
    counts = severity_counts(findings)
    parts = " · ".join(f"{ICONS[s]} {counts[s]} {s}" for s in SEVERITIES)
    noun = "finding" if len(findings) == 1 else "findings"
    return f"**{len(findings)} {noun}:** {parts}"


def _gate_policy(review: Review) -> str:
    gate = review.gate
    policy = (
        f"**Gate:** fail on {escape.code_span(gate.fail_on)} and above, "
        f"minimum confidence {gate.min_confidence:.2f}"
    )
    tripped = tripping_findings(review)
    if not tripped:
        return policy + "; nothing tripped it."
    lines = [policy + "; tripped by:", ""]
    for f in tripped[:_TRIPPED_LIMIT]:
        lines.append(
            f"- {ICONS[f.severity]} {escape.code_span(location(f))} "
            f"{escape.md_inline(escape.truncate(f.title, 200))}"
        )
    if len(tripped) > _TRIPPED_LIMIT:
        lines.append(f"- … and {len(tripped) - _TRIPPED_LIMIT} more")
    return "\n".join(lines)


def _overview(review: Review) -> str:
    summary = review.summary
    parts = []
    if summary.overview or summary.risk_reason:
        risk = f"**Risk:** {summary.risk}"
        if summary.risk_reason:
            risk += " — " + escape.md_inline(escape.truncate(summary.risk_reason, 500))
        parts.append(risk)
    if summary.overview:
        parts.append(escape.md_text(escape.truncate(summary.overview, _OVERVIEW_LIMIT)))
    modules = review.change.modules
    if modules:
        shown = ", ".join(escape.code_span(m) for m in modules[:_LIST_LIMIT])
        more = f", … {len(modules) - _LIST_LIMIT} more" if len(modules) > _LIST_LIMIT else ""
        parts.append(f"**Changed modules:** {shown}{more}")
    if summary.walkthrough:
        parts.append(_walkthrough(review))
    return "### Summary\n\n" + "\n\n".join(parts) if parts else ""


def _walkthrough(review: Review) -> str:
    rows = [
        "| File | Status | Changes | Symbols | Findings |",
        "| --- | --- | ---: | --- | ---: |",
    ]
    for row in sorted(review.summary.walkthrough, key=lambda r: r.path)[:_LIST_LIMIT]:
        symbols = ", ".join(escape.code_span(s, in_table=True) for s in row.symbols[:8])
        if len(row.symbols) > 8:
            symbols += f", … {len(row.symbols) - 8} more"
        rows.append(
            f"| {escape.code_span(row.path, in_table=True)} | {row.status} "
            f"| +{row.added} −{row.removed} | {symbols or ' '} | {row.findings} |"
        )
    extra = len(review.summary.walkthrough) - _LIST_LIMIT
    if extra > 0:
        rows.append(f"\n… and {extra} more files.")
    return "\n".join(rows)


def _findings(review: Review, budget: int) -> tuple[str, int]:
    """Findings grouped by file; the lowest-ranked are left out when over `budget`."""
    if not review.findings:
        return "", 0
    languages = {f.path: f.language for f in review.change.files}
    ranked = ordered(review.findings)
    kept: list[tuple[Finding, str]] = []
    used = len("### Findings\n\n")
    paths: set[str | None] = set()
    for f in ranked:
        block = _finding_block(f, languages.get(f.path or ""))
        cost = len(block) + 2 + (0 if f.path in paths else len(_file_heading(f.path, 0)) + 4)
        if used + cost > budget:
            break
        used += cost
        paths.add(f.path)
        kept.append((f, block))
    groups: dict[str | None, list[str]] = {}
    for f, block in kept:
        groups.setdefault(f.path, []).append(block)
    out = ["### Findings"]
    for path in sorted(groups, key=lambda p: (p is None, p or "")):
        out.append(_file_heading(path, len(groups[path])))
        out.extend(groups[path])
    return "\n\n".join(out), len(ranked) - len(kept)


def _file_heading(path: str | None, count: int) -> str:
    name = escape.code_span(path) if path is not None else "The change as a whole"
    return f"#### {name} ({count})"


def _finding_block(f: Finding, language: str | None) -> str:
    summary = escape.html_text(
        f"{ICONS[f.severity]} {f.severity} — {escape.truncate(f.title, 300)}"
    )
    sources = ", ".join(sorted(set(f.evaluators) | {f.evaluator}))
    meta = (
        f"{escape.code_span(location(f))} · {escape.code_span(f.rule_id)} · "
        f"{escape.md_inline(f.source)}: {escape.md_inline(sources)} · "
        f"confidence {f.confidence:.2f}"
    )
    parts = [f"<details>\n<summary>{summary}</summary>", meta]
    message = escape.md_text(escape.truncate(f.message, _MESSAGE_LIMIT))
    if message:
        parts.append(message)
    if f.suggestion:
        code = escape.truncate(f.suggestion, _SUGGESTION_LIMIT)
        parts.append("**Suggested change:**\n\n" + escape.fenced_block(code, language or ""))
    parts.append("</details>")
    return "\n\n".join(parts)


def _omitted_note(omitted: int) -> str:
    noun = "finding is" if omitted == 1 else "findings are"
    return (
        f"_{omitted} lower-ranked {noun} not shown, to keep this report under the "
        "comment size limit; the JSON and SARIF reports list every finding._"
    )


def _skipped(skipped: Sequence[SkippedItem]) -> str:
    if not skipped:
        return ""
    items = sorted(
        skipped, key=lambda s: (not s.incomplete, s.kind, s.path or "", s.reason, s.detail)
    )
    lines = [f"### Skipped ({len(items)})", ""]
    for item in items[:_LIST_LIMIT]:
        what = item.kind if item.path is None else f"{item.kind} {escape.code_span(item.path)}"
        why = escape.md_inline(escape.truncate(item.reason, 200))
        if item.detail:
            why += ": " + escape.md_inline(escape.truncate(item.detail, 300))
        if item.incomplete:
            why += " **(not reviewed: the review is incomplete)**"
        lines.append(f"- {what} — {why}")
    if len(items) > _LIST_LIMIT:
        lines.append(f"- … and {len(items) - _LIST_LIMIT} more")
    return "\n".join(lines)


def _stats(review: Review) -> str:
    s = review.stats
    cached = f" ({s.cached_tokens:,} cached)" if s.cached_tokens else ""
    table = [
        "### Stats",
        "",
        "| Files reviewed | Hunks reviewed | Model calls | Cache hits | Tokens (prompt / completion) "
        "| Cost | Duration |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s.files_reviewed} / {s.files} | {s.hunks_reviewed} / {s.hunks} ({s.coverage:.0%}) "
        f"| {s.calls} | {s.cache_hits} | {s.prompt_tokens:,}{cached} / {s.completion_tokens:,} "
        f"| ${s.cost_usd:.4f} | {s.duration_s:.1f} s |",
    ]
    extras = [
        (s.units_failed, "unit", "units", "failed"),
        (s.findings_dropped, "model finding", "model findings", "dropped by validation"),
        (s.suppressed, "finding", "findings", "suppressed"),
        (s.filtered, "finding", "findings", "outside the change (filter mode)"),
    ]
    listed = [f"{n} {one if n == 1 else many} {what}" for n, one, many, what in extras if n]
    if listed:
        table.extend(["", " · ".join(listed) + "."])
    return "\n".join(table)


def _notes(review: Review) -> str:
    if not review.notes:
        return ""
    lines = ["### Notes", ""]
    lines.extend(
        f"- {escape.md_inline(escape.truncate(n, 500))}" for n in review.notes[:_LIST_LIMIT]
    )
    return "\n".join(lines)


def _footer(review: Review) -> str:
    version, schema = review.tool_version or "unknown version", review.schema_version
    plain = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+-]*")
    version = version if plain.fullmatch(version) else escape.md_inline(version)
    schema = schema if plain.fullmatch(schema) else escape.md_inline(schema)
    return f"_prreview {version} · report schema {schema}_"


def _hard_cut(text: str, max_chars: int) -> str:
    note = "\n\n_The report was cut here to fit the size limit._\n"
    cut = text[: max(0, max_chars - len(note))]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + note
