"""Output that cannot act: the one place where text bound for a CI log is made inert.

CI runners read every line a step prints and act on some of them:

- GitHub Actions: a line that starts (after leading whitespace) with `::` is a workflow
  command (`::error`, `::add-mask::`, `::stop-commands::`, `::set-output`); the older form
  `##[command]` is recognised anywhere in a line. Azure Pipelines (`##vso[`) and TeamCity
  (`##teamcity[`) use the same `##...[` shape.
- GitLab (and terminals): ANSI escapes, e.g. `ESC[0Ksection_start:...` folds the log;
  a carriage return rewrites the line shown.

Three kinds of output, three treatments (`for_output`):

- `text` (Markdown, plan text, stderr): every control, C1 and bidi character becomes
  visible (`U+001B`); a line that would start with `::` gets a zero-width space first
  (not whitespace for the runner's TrimStart, invisible in rendered Markdown); `##[` gets one
  between the two `#`.
- `json` (json, sarif, codequality, rdjsonl): the same characters become JSON `\\uXXXX`
  escapes, so the parsed value is unchanged; JSON never starts a line with `::`.
- `github` (workflow-command annotations): the lines are commands by design; the model text
  inside is escaped per GitHub's rules by report/github.py (`%25`, `%0D`, `%0A`, and `%3A`,
  `%2C` in properties); here the controls become visible and any line that is not one of
  our annotations is neutralised like text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Literal

Kind = Literal["text", "json", "github"]

ZWSP = "\u200b"
CONTROL = re.compile(
    "[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f"
    "\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"
)
"""C0 (but tab and newline), DEL, C1, bidi marks/embeddings/overrides/isolates (Trojan
Source), Unicode line/paragraph separators and a stray BOM."""
_COMMAND_START = re.compile(r"^([^\S\n]*)(?=::)", re.MULTILINE)
_HASH_COMMAND = re.compile(r"#(?=#[A-Za-z]*\[)")
_ANNOTATION = re.compile(r"::(?:error|warning|notice|debug)(?: [^\n]*?)?::")
JSON_FORMATS = frozenset({"json", "sarif", "codequality", "rdjsonl"})


def visible_char(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def visible(text: str) -> str:
    """Control and bidi characters as visible `U+XXXX` (tab and newline stay)."""
    return CONTROL.sub(lambda m: visible_char(m.group(0)), text)


def text(value: str) -> str:
    """Plain text for a log (Markdown, stderr): no control characters, no CI command."""
    return commands(visible(value.replace("\r\n", "\n")))


def commands(value: str) -> str:
    """Only the CI commands made inert (`::` at a line start, `##[`): for a terminal stream
    that carries our own ANSI codes (the progress bar); every chunk counts as a line start."""
    value = _COMMAND_START.sub(lambda m: m.group(1) + ZWSP, value)
    return _HASH_COMMAND.sub("#" + ZWSP, value)


def json_text(value: str) -> str:
    """Serialised JSON: the same neutralisation as `\\uXXXX` escapes (parses to the same value).

    Only valid on JSON text: every character replaced here can only occur inside a string.
    """
    value = CONTROL.sub(lambda m: f"\\u{ord(m.group(0)):04x}", value)
    return _HASH_COMMAND.sub(r"\\u0023", value)


def github(value: str) -> str:
    """Annotation lines: visible controls, `##[` broken, any foreign line neutralised."""
    lines = []
    for line in visible(value).split("\n"):
        line = _HASH_COMMAND.sub("#" + ZWSP, line)
        if line and not _ANNOTATION.match(line):
            line = text(line)
        lines.append(line)
    return "\n".join(lines)


def for_output(fmt: str, value: str) -> str:
    """`value`, rendered in format `fmt`, made inert for a CI log."""
    if fmt in JSON_FORMATS:
        return json_text(value)
    if fmt == "github":
        return github(value)
    return text(value)


def guarded(fmt: str, render: Callable[..., str]) -> Callable[..., str]:
    """`render` whose output always passes through `for_output(fmt, ...)`."""

    @functools.wraps(render)
    def wrapper(*args: object, **kwargs: object) -> str:
        return for_output(fmt, render(*args, **kwargs))

    return wrapper
