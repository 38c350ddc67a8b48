"""What GitHub and GitLab publishing share: markers and comment bodies (HTTP: `http.py`).

Markers are hidden HTML comments that we write ourselves (never model text) so that a re-run
finds its own summary and inline comments again:

    <!-- prreview:summary v1 head=<sha> -->      one sticky summary per PR/MR
    <!-- prreview:finding <fingerprint> -->      one inline comment per finding
    <!-- prreview:review head=<sha> -->          the body of a GitHub review we submitted

Model text reaches a body only through `prreview.report.escape`: `<` becomes `&lt;`, so a
model (or a PR author) cannot forge a marker inside text we render.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from prreview.models import Finding, Frozen, Review
from prreview.publish.suggest import Platform, suggestion_part
from prreview.report import escape
from prreview.report.markdown import ICONS, MAX_CHARS
from prreview.report.markdown import render as render_markdown
from prreview.review.gate import finding_key

SUMMARY_PREFIX = "<!-- prreview:summary v1"
FINDING_RE = re.compile(r"<!-- prreview:finding ([A-Za-z0-9_-]{1,64}) -->")
RESOLVED_PREFIX = "✅ Resolved in "
_SAFE_KEY = re.compile(r"[^A-Za-z0-9_-]")
_SHA = re.compile(r"^[0-9a-f]{7,64}$")
_SUMMARY_HEAD = re.compile(r"<!-- prreview:summary v1 head=([0-9a-f]{7,64}) -->")
_FENCE = re.compile(r"^(`{3,}|~{3,})")
_MESSAGE_LIMIT = 6_000


class PublishOptions(Frozen):
    max_comments: int = 25
    notes: tuple[str, ...] = ()
    request_changes: bool = False
    """GitHub: a failed gate submits the review as REQUEST_CHANGES (else COMMENT)."""
    description: str | None = None
    """Text for the description section of the PR/MR body (`prreview describe`)."""


Action = Literal["created", "updated", "unchanged", "kept", ""]


class PublishResult(Frozen):
    platform: Literal["github", "gitlab"]
    summary: Action
    """What happened to the sticky summary ("" until it is written; "kept" when it already
    shows a newer head than this review's)."""
    description: Action = ""
    posted: int = 0
    kept: int = 0
    resolved: int = 0
    reopened: int = 0
    removed_duplicates: int = 0
    summary_only: tuple[str, ...] = ()
    """Locations of the findings shown only in the summary (outside the diff, file level...)."""
    review_requests: int = 0
    """GitHub: review requests made (1 per run, more only when GitHub refused a comment)."""
    event: str = ""


# --------------------------------------------------------------------------- markers


def summary_marker(head_sha: str | None) -> str:
    sha = head_sha if head_sha and _SHA.match(head_sha) else ""
    return f"{SUMMARY_PREFIX} head={sha} -->"


def summary_head(body: str) -> str:
    """The head sha a summary reports ("" when unknown)."""
    match = _SUMMARY_HEAD.match(body or "")
    return match.group(1) if match else ""


def review_marker(head_sha: str | None) -> str:
    sha = head_sha if head_sha and _SHA.match(head_sha) else ""
    return f"<!-- prreview:review head={sha} -->"


def comment_key(finding: Finding) -> str:
    """The fingerprint as it goes into a marker: only [A-Za-z0-9_-], at most 64 characters."""
    key = _SAFE_KEY.sub("", finding_key(finding))[:64]
    return key or "none"


def finding_marker(key: str) -> str:
    return f"<!-- prreview:finding {key} -->"


def marker_key(body: str) -> str | None:
    match = FINDING_RE.search(body or "")
    return match.group(1) if match else None


def is_summary(body: str) -> bool:
    return SUMMARY_PREFIX in (body or "")


def is_resolved(body: str) -> bool:
    return (body or "").startswith(RESOLVED_PREFIX)


def resolved_body(body: str, head_sha: str | None) -> str:
    sha = head_sha if head_sha and _SHA.match(head_sha) else "a later commit"
    return f"{RESOLVED_PREFIX}{sha}: this finding is no longer reported.\n\n{body}"


# --------------------------------------------------------------------------- bodies


def inline_body(
    finding: Finding, key: str, platform: Platform | None = None, span: tuple[int, int] = (0, 0)
) -> str:
    """An inline comment: our marker, then the finding with every model string escaped.

    With `platform` and the commented lines (`span`), a replacement that covers exactly those
    lines becomes an applyable suggestion; otherwise it is a plain code block.
    """
    title = escape.md_inline(escape.truncate(finding.title, 300))
    head = f"{ICONS[finding.severity]} **{finding.severity}** — {title}"
    meta = (
        f"{escape.code_span(finding.rule_id)} · {escape.md_inline(finding.source)} · "
        f"confidence {finding.confidence:.2f}"
    )
    parts = [finding_marker(key), head, meta]
    message = escape.md_text(escape.truncate(finding.message, _MESSAGE_LIMIT))
    if message:
        parts.append(message)
    replacement = suggestion_part(finding, platform, *span)
    if replacement:
        parts.append(replacement)
    return defuse_quick_actions("\n\n".join(parts) + "\n")


def summary_body(review: Review, result: PublishResult, notes: Sequence[str] = ()) -> str:
    """The sticky summary: marker, the Markdown report, then what was published inline."""
    marker = summary_marker(review.change.head_sha)
    tail = _publish_section(result, notes)
    budget = MAX_CHARS - len(marker) - len(tail) - 8
    report = defuse_quick_actions(render_markdown(review, max_chars=budget).rstrip())
    return f"{marker}\n{report}\n\n{tail}\n"


def defuse_quick_actions(text: str) -> str:
    """Escape a `/` that starts a line outside code fences.

    GitLab runs quick actions (`/merge`, `/approve`, `/close`) written at the start of a line
    of a note with the token's rights; `\\/` renders as `/` but is no command.
    """
    out = []
    fence = ""
    for line in text.split("\n"):
        stripped = line.lstrip()
        opener = _FENCE.match(stripped)
        closes = opener and opener.group(1)[0] == fence[:1] and not stripped[opener.end() :].strip()
        if fence and closes and len(opener.group(1)) >= len(fence):
            fence = ""
        elif not fence and opener:
            fence = opener.group(1)
        elif not fence and stripped.startswith("/"):
            line = line[: len(line) - len(stripped)] + "\\" + stripped
        out.append(line)
    return "\n".join(out)


def _publish_section(result: PublishResult, notes: Sequence[str]) -> str:
    lines = ["### Inline comments", ""]
    counts = [
        (result.posted, "new"),
        (result.kept, "already present"),
        (result.resolved, "resolved (finding gone)"),
        (result.reopened, "reopened"),
    ]
    lines.append(" · ".join(f"{n} {label}" for n, label in counts) + ".")
    if result.summary_only:
        lines.append("")
        n = len(result.summary_only)
        what = "finding is" if n == 1 else "findings are"
        lines.append(
            f"{n} {what} shown only in this summary "
            "(not on a line of the diff, file-level, or over the inline comment limit):"
        )
        for loc in result.summary_only[:30]:
            lines.append(f"- {escape.code_span(loc)}")
        if len(result.summary_only) > 30:
            lines.append(f"- … and {len(result.summary_only) - 30} more")
    for note in notes:
        lines.extend(["", f"> ⚠️ {escape.md_inline(escape.truncate(note, 500))}"])
    return "\n".join(lines)
