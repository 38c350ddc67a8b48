"""Suggested changes that apply with one click.

GitHub turns a ```` ```suggestion ```` fence in a review comment into "Commit suggestion": the
fence's lines replace the commented lines (`start_line`..`line`, RIGHT side). GitLab does the
same for ```` ```suggestion:-0+N ```` on a diff note: the note's line and the N lines below it.

A fence is only applyable when the replacement covers exactly the commented lines, that is
when the comment spans the finding's whole range (the lines are in the diff, in one hunk).
Otherwise, and whenever the code could not be shown byte for byte (too long, invisible
control characters such as bidi overrides), the replacement is a plain code block to read.
"""

from __future__ import annotations

import re
from typing import Literal

from prreview.models import Finding
from prreview.report import escape

Platform = Literal["github", "gitlab"]
SUGGESTION_LIMIT = 6_000
_BACKTICKS = re.compile(r"`+")


def replacement(finding: Finding) -> str | None:
    """The finding's replacement lines as they would be committed, or None."""
    if finding.suggestion is None or finding.start_line is None:
        return None
    return finding.suggestion.replace("\r\n", "\n").rstrip("\n")


def applies(finding: Finding, start: int, end: int) -> bool:
    """True when a comment on `start`..`end` can carry the replacement as a suggestion."""
    code = replacement(finding)
    if code is None or finding.start_line is None:
        return False
    last = max(finding.end_line or finding.start_line, finding.start_line)
    exact = (start, end) == (finding.start_line, last)
    return exact and len(code) <= SUGGESTION_LIMIT and not escape.has_invisible(code)


def suggestion_block(code: str, platform: Platform, lines: int) -> str:
    """The fence for `lines` commented lines; longer than every backtick run in the code."""
    longest = max((len(m) for m in _BACKTICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    info = "suggestion" if platform == "github" else f"suggestion:-0+{max(lines - 1, 0)}"
    body = f"{code}\n" if code else ""  # an empty fence deletes the lines
    return f"{fence}{info}\n{body}{fence}"


def suggestion_part(
    finding: Finding, platform: Platform | None = None, start: int = 0, end: int = 0
) -> str | None:
    """The Markdown for the finding's replacement in a comment on `start`..`end` (or None).

    Without a platform (or when the replacement does not apply there) a plain code block.
    """
    if not finding.suggestion:
        return None
    code = replacement(finding)
    if code is not None and platform is not None and applies(finding, start, end):
        return "**Suggested change:**\n\n" + suggestion_block(code, platform, end - start + 1)
    shown = escape.truncate(finding.suggestion or "", SUGGESTION_LIMIT)
    return "**Suggested change:**\n\n" + escape.fenced_block(shown)
