"""The prreview section of a PR/MR description, between two hidden markers.

    <!-- prreview:description:start -->
    ... the text of `prreview describe` ...
    <!-- prreview:description:end -->

Only the text between the markers is ours. The author's text around it is kept byte for byte;
without markers the section is appended after a blank line. An author may move the markers
(with the section) anywhere in the description; a re-run replaces the section in place.
"""

from __future__ import annotations

START = "<!-- prreview:description:start -->"
END = "<!-- prreview:description:end -->"
GITHUB_BODY_LIMIT = 65_536
GITLAB_DESCRIPTION_LIMIT = 1_048_576
_SHORTENED = "\n\n_The description was shortened to fit the pull request body._"
_TOO_LONG = "_The description did not fit the pull request body; see `prreview describe`._"


def clean(text: str) -> str:
    """The description text without our markers (a file cannot open or close the section)."""
    lines = [ln for ln in text.replace("\r\n", "\n").split("\n") if ln.strip() not in (START, END)]
    return "\n".join(lines).strip("\n")


def section(text: str) -> str:
    return f"{START}\n{clean(text)}\n{END}"


def find_section(body: str) -> tuple[int, int] | None:
    """(start, end) offsets of the section in `body`: the last start marker before the first
    end marker. None when the body has no complete section."""
    end = body.find(END)
    if end < 0:
        return None
    start = body.rfind(START, 0, end)
    return None if start < 0 else (start, end + len(END))


def merge(body: str | None, text: str, *, limit: int) -> str:
    """`body` with the section set to `text`, shortened so that the result fits `limit`."""
    body = body or ""
    span = find_section(body)
    outside = len(body) - (span[1] - span[0] if span else 0) + (0 if span else 2)
    ours = section(fit(clean(text), max(0, limit - outside - len(START) - len(END) - 2)))
    if span is None:
        return f"{body.rstrip()}\n\n{ours}" if body.strip() else ours
    return body[: span[0]] + ours + body[span[1] :]


def fit(text: str, budget: int) -> str:
    """Drop whole `### ` sections from the end until the text fits (never cut a diagram)."""
    if len(text) <= budget:
        return text
    parts = text.split("\n### ")
    while len(parts) > 1:
        parts.pop()
        shorter = "\n### ".join(parts) + _SHORTENED
        if len(shorter) <= budget:
            return shorter
    return _TOO_LONG if len(_TOO_LONG) <= budget else ""
