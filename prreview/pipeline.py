"""The library entry point: `review(settings) -> Review`.

read changes -> filter -> built-in checks -> (symbols -> context -> units -> prompts ->
model calls -> validate) -> import SARIF -> filter mode -> suppress -> merge/score ->
summarise -> gate. Every step is a function of its inputs. Nothing here prints: progress
and notices go to the caller's `observer` and `progress` callbacks.

The model half hands back one frozen `ModelOutcome` (the fold of its waves); `assemble`
reads it, and a run without a model uses the empty outcome, so no stage passes `Any`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prreview import checks
from prreview.change import filters, read, stream
from prreview.change.tree import TreeReader
from prreview.checks.sarif_import import import_sarif
from prreview.config import locations
from prreview.config.settings import Settings
from prreview.config.trust import AttrsFrom, PolicyTree, decide, read_named_file
from prreview.context.cache import ContextCache
from prreview.context.guidelines import Guidelines, usage_note
from prreview.context.symbols import changed_modules
from prreview.evaluators import memo, model_half
from prreview.evaluators.outcome import ModelOutcome
from prreview.evaluators.registry import resolve_evaluators
from prreview.llm.engine import ProgressEvent, prefetch
from prreview.review import gate
from prreview.review.combine import carry_forward, resolve_since
from prreview.review.filtermode import filter_findings
from prreview.review.load import load_review
from prreview.review.merge import merge_findings, merged_count, vote
from prreview.review.summary import build_summary
from prreview.review.suppress import apply_baseline, inline_suppressions, parse_baseline
from prreview.secrets.files import is_secret_file
from prreview.secrets.redact import redact_review
from prreview.version import __version__

from .models import (
    ChangeSet,
    ChangeSummary,
    FileSummary,
    Finding,
    Review,
    Rule,
    SkippedItem,
    Stats,
    Symbol,
)

Observer = Callable[[str], None]
Progress = Callable[[ProgressEvent], None]
"""Receives the engine's progress events (the CLI draws them; the library prints nothing)."""


def read_change_set(settings: Settings, env: Mapping[str, str] | None = None) -> ChangeSet:
    """Read the change from git and mark the files that will not be reviewed."""

    environ = os.environ if env is None else env
    changes = read.read_changes(settings, environ)
    with (
        read.reader_for(changes) as reader,
        PolicyTree(decide(settings.model_dump(), environ)) as policy,
    ):
        return filter_change_set(changes, settings, reader, policy)


def instruction_usage(
    settings: Settings, changes: ChangeSet, env: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Guideline/instruction file -> the reviewable files it is sent with (plan, dry run)."""
    environ = os.environ if env is None else env
    with PolicyTree(decide(settings.model_dump(), environ)) as policy:
        return _usage(changes, policy)


def _usage(changes: ChangeSet, policy: PolicyTree) -> dict[str, list[str]]:
    paths = [f.path for f in changes.reviewable_files if f.hunks and not f.is_binary]
    return Guidelines(ContextCache(policy)).usage(paths)


def summarize_change(
    changes: ChangeSet, symbols: Mapping[str, tuple[str, ...]] | None = None
) -> ChangeSummary:
    files = []
    for f in changes.files:
        ranges = tuple((h.new_start, h.new_end) for h in f.hunks if h.new_length > 0)
        files.append(
            FileSummary(
                path=f.path,
                old_path=f.old_path,
                status=f.status,
                language=f.language,
                added=f.added,
                removed=f.removed,
                hunks=len(f.hunks),
                new_ranges=ranges,
                skip_reason=f.skip_reason,
                symbols=(symbols or {}).get(f.path, ()),
            )
        )
    return ChangeSummary(
        base_ref=changes.base_ref,
        base_sha=changes.base_sha,
        head_ref=changes.head_ref,
        head_sha=changes.head_sha,
        mode=changes.mode,
        files=tuple(files),
        additions=changes.additions,
        deletions=changes.deletions,
    )


def skipped_files(changes: ChangeSet) -> list[SkippedItem]:
    """One item per skipped file; incomplete when the PR controls the skip or the diff could
    not be read (FileChange.skip_incomplete, set by change/filters and change/diffparse)."""
    return [
        SkippedItem(kind="file", path=f.path, reason=f.skip_reason, incomplete=f.skip_incomplete)
        for f in changes.files
        if f.skip_reason is not None
    ]


def _import_findings(
    settings: Settings, changes: ChangeSet, read_line: Callable[[str, int], str | None]
) -> tuple[list[Finding], list[Rule]]:

    findings: list[Finding] = []
    rules: list[Rule] = []
    for path in settings.import_sarif:
        f, r = import_sarif(
            path,
            repo_root=Path(changes.repo_root),
            read_line=read_line,
            severity_map=settings.severity_map,
        )
        findings.extend(f)
        rules.extend(r)
    return findings, rules


def line_reader(reader: object) -> Callable[[str, int], str | None]:
    """(path, line) -> the text of that new-side line, files read once."""
    cache: dict[str, list[str] | None] = {}

    def read_line(path: str, line: int) -> str | None:
        if path not in cache:
            text = reader.read_text(path)  # type: ignore[attr-defined]
            cache[path] = None if text is None else text.split("\n")
        lines = cache[path]
        if lines is None or not 1 <= line <= len(lines):
            return None
        return lines[line - 1]

    return read_line


def _postprocess(
    findings: list[Finding],
    settings: Settings,
    changes: ChangeSet,
    read_line: Callable[[str, int], str | None],
    policy: PolicyTree,
) -> tuple[list[Finding], int, int, list[str]]:
    """Filter mode, inline suppressions and baseline.

    Returns (kept, filtered, suppressed, notes on suppressions the change adds or refused).
    """

    kept, filtered = filter_findings(findings, changes, settings.filter_mode)
    inline = inline_suppressions(kept, changes, read_line)
    kept, suppressed = inline.kept, inline.suppressed
    notes = inline.notes()
    known_fps, note = trusted_baseline(settings, policy)
    if known_fps is not None:
        kept, known = apply_baseline(kept, known_fps)
        suppressed += known
    if note:
        notes.append(note)
    return kept, filtered, suppressed, notes


def trusted_baseline(settings: Settings, policy: PolicyTree) -> tuple[set[str] | None, str]:
    """The baseline's fingerprints, read from where policy comes from (config.trust)."""
    if settings.baseline is None:
        return None, ""
    path = Path(settings.baseline)
    text, note = read_named_file(policy, path, "--baseline")
    return (None, note) if text is None else (parse_baseline(text, path), "")


def filter_change_set(
    changes: ChangeSet, settings: Settings, head: Any, policy: PolicyTree
) -> ChangeSet:
    """Default and user filters, then secret files: every skipped file keeps its reason.

    File contents (generated markers) come from `head`; `.gitattributes` rules from the
    trusted `policy` tree, so a change cannot mark its own code generated or vendored.
    """

    return mark_secret_files(filters.apply_filters(changes, settings, AttrsFrom(head, policy)))


def mark_secret_files(changes: ChangeSet) -> ChangeSet:
    """Files such as .env or id_rsa are never sent to a model (built-in checks still run)."""

    files = tuple(
        f.model_copy(update={"skip_reason": "secret file: never sent to a model"})
        if f.skip_reason is None
        and (is_secret_file(f.path) or (f.old_path is not None and is_secret_file(f.old_path)))
        else f
        for f in changes.files
    )
    return changes.model_copy(update={"files": files})


def review(
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    observer: Observer | None = None,
    progress: Progress | None = None,
) -> Review:
    """Review the change described by `settings` and return the Review (secrets masked)."""

    started = time.monotonic()
    environ = os.environ if env is None else env
    notify = observer or (lambda _m: None)
    settings = resolve_since(settings, notify)
    if settings.model and not settings.dry_run and model_half.cache_is_cold(settings):
        prefetch()
    changes = read.read_changes(settings, environ)
    notify(f"prreview: {changes.base_reason}")
    locations.guard(changes, settings.cache_dir, settings.previous_report)
    trust = decide(settings.model_dump(), environ)
    if settings.verbose:
        notify(f"prreview: policy from {trust.where()} ({trust.reason})")
    with (
        read.reader_for(changes) as head,
        read.reader_for(changes, "old") as base,
        PolicyTree(trust) as policy,
    ):
        changes = filter_change_set(changes, settings, head, policy)
        read_line = line_reader(head)
        raw = list(checks.run_checks(stream.expand_unparsed(changes)))
        rules = list(checks.all_rules())
        imported, imported_rules = _import_findings(settings, changes, read_line)
        raw.extend(imported)
        rules.extend(imported_rules)
        llm: ModelOutcome | None = None
        symbols: dict[str, list[Symbol]] = {}
        if settings.model:
            llm, symbols = _model_half(
                settings, changes, head, base, policy, notify, progress, started
            )
            raw.extend(f for samples in llm.sample_groups().values() for f in vote(samples))
        findings, filtered, suppressed, notes = _postprocess(
            raw, settings, changes, read_line, policy
        )
        if settings.dry_run and settings.model:
            notes.append(usage_note(_usage(changes, policy)))
    findings = merge_findings(findings)
    carried = 0
    if (
        settings.previous_report is not None
        and settings.since
        and changes.base_ref == settings.since
    ):
        kept, _dropped = carry_forward(
            load_review(Path(settings.previous_report), "--previous-report"),
            changes.files,
            findings,
        )
        carried = len(kept)
        findings = merge_findings([*findings, *kept])
    review = assemble(
        settings, changes, findings, rules, symbols, llm, filtered, suppressed, started
    )
    if carried:
        notes.append(
            f"incremental review since {settings.since}: {carried} earlier finding(s) carried forward"
        )
    if notes:
        review = review.model_copy(update={"notes": (*review.notes, *notes)})
    # the one pass that masks secrets in everything a report, a comment or stderr shows
    return redact_review(review)


def _model_half(
    settings: Settings,
    changes: ChangeSet,
    head: TreeReader,
    base: TreeReader,
    policy: PolicyTree,
    notify: Observer,
    progress: Progress | None,
    started: float,
) -> tuple[ModelOutcome, dict[str, list[Symbol]]]:
    """The LLM evaluators, or their memoised outcome for an identical re-run."""
    specs = resolve_evaluators(settings, lambda path: policy.read_policy(path, "template"))
    # guidelines from the working tree are not covered by the key: no memo then
    key = memo.run_key(settings, changes, specs) if policy.trust.source == "base" else None
    remembered = memo.load(settings, key)
    if remembered is not None:
        notify("prreview: identical to an earlier run: model outcome taken from the cache")
        return remembered
    # --depth quick sends the diff alone: no context to gather (a dry run still prices every depth)
    gather = settings.depth != "quick" or settings.dry_run
    analysis = model_half.analyse(changes, head, base, policy, gather=gather)
    deadline = model_half.deadline_from(settings, started)
    llm, _planned = model_half.run_llm(
        settings, changes, analysis, specs, notify, deadline, progress
    )
    memo.store(settings, key, llm, analysis.symbols)
    return llm, analysis.symbols


def assemble(
    settings: Settings,
    changes: ChangeSet,
    findings: list[Finding],
    rules: list[Rule],
    symbols: Mapping[str, list[Symbol]],
    llm: ModelOutcome | None,
    filtered: int,
    suppressed: int,
    started: float,
) -> Review:
    """Stats, summary, gate and completeness in one frozen Review."""

    all_refs = {
        (f.path, i)
        for f in changes.reviewable_files
        if not f.is_binary
        for i in range(len(f.hunks))
    }
    skipped = skipped_files(changes)
    notes: list[str] = []
    model = llm or ModelOutcome()
    if llm is None:
        reviewed = len(all_refs)
        if not settings.model:
            notes.append("built-in checks only: no --model configured, LLM review skipped")
    else:
        skipped.extend(llm.skipped)
        reviewed = len(all_refs) if settings.dry_run else len(all_refs & llm.reviewed_refs)
        if settings.dry_run:
            notes.append(
                f"dry run: no model request made (~{llm.planned_prompt_tokens} prompt tokens planned)"
            )
        if llm.redactions:
            notes.append(f"{llm.redactions} secret value(s) redacted from the prompts")
    complete, reason = _completeness(model, skipped)
    name_map = {
        p: tuple(dict.fromkeys(s.qualified_name for s in syms)) for p, syms in symbols.items()
    }
    change = summarize_change(changes, name_map).model_copy(
        update={
            "modules": tuple(changed_modules(f.path for f in changes.files)),
            "symbols": tuple(s for p in sorted(symbols) for s in symbols[p]),
        }
    )
    stats = _model_stats(model, settings).model_copy(
        update={
            "files": len(changes.files),
            "files_reviewed": len(changes.reviewable_files),
            "additions": changes.additions,
            "deletions": changes.deletions,
            "hunks": len(all_refs),
            "hunks_reviewed": reviewed,
            "duration_s": round(time.monotonic() - started, 3),
            "suppressed": suppressed,
            "filtered": filtered,
            "merged": merged_count(findings),
        }
    )
    decision = gate.decide(
        findings, fail_on=settings.fail_on, min_confidence=settings.min_confidence
    )
    skipped_t = tuple(skipped)
    return Review(
        tool_version=__version__,
        change=change,
        findings=tuple(findings),
        rules=tuple(_unique_rules(rules)),
        skipped=skipped_t,
        stats=stats,
        summary=build_summary(change, findings, skipped_t, model.overview),
        gate=decision,
        complete=complete,
        incomplete_reason=reason,
        fail_open=settings.fail_open and not complete,
        notes=tuple(notes),
    )


def _completeness(model: ModelOutcome, skipped: list[SkippedItem]) -> tuple[bool, str | None]:
    """Incomplete when a model call failed or anything was left unseen (incomplete skips)."""
    if model.failed:
        return False, model.incomplete_reason or (
            f"{len(model.failed)} model call(s) failed: {model.failed[0]}"
        )
    blocking = [s for s in skipped if s.incomplete]
    if blocking:
        first = blocking[0]
        where = first.path or first.kind
        return False, f"{len(blocking)} item(s) not reviewed: {where}: {first.reason}"
    return True, None


def _model_stats(model: ModelOutcome, settings: Settings) -> Stats:
    """The model half's share of Stats: its counters, units, latencies and drops."""
    counters = model.counters.counters
    if settings.dry_run:
        counters = counters.model_copy(update={"prompt_tokens": model.planned_prompt_tokens})
    return Stats(
        **counters.model_dump(),
        units=model.units,
        units_failed=len(model.failed),
        shared_prefix_tokens=model.shared_prefix_tokens,
        latency_median_s=model.latency_median,
        latency_max_s=round(max(model.latencies), 3) if model.latencies else 0.0,
        findings_dropped=model.dropped + model.ignored_keys,
    )


def _unique_rules(rules: list[Rule]) -> list[Rule]:
    seen: dict[str, Rule] = {}
    for rule in rules:
        seen.setdefault(rule.id, rule)
    return sorted(seen.values(), key=lambda r: r.id)
