"""Escaping of untrusted text (model output, repository content, imported SARIF) for reports.

Three contexts, three functions:

- `md_text` / `md_inline` / `table_cell`: GitHub/GitLab-flavoured Markdown. Raw HTML and HTML
  comments become visible text, `[text](url)` and bare URLs do not link, `@user`, `@org/team`
  and GitLab's `@all` do not notify (a zero-width space follows the `@`), `$math$` and block
  syntax (headings, lists, quotes, fences, tables) are inert. Code spans the author wrote are
  kept as code spans, re-fenced so that they cannot swallow the text around them.
- `html_text`: inside an HTML block such as `<summary>`, where Markdown is not parsed.
- `code_span` / `fenced_block`: our own code spans and fences around untrusted code.
"""

from __future__ import annotations

import re

from .neutral import CONTROL, visible_char

ZWSP = "\u200b"

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
# Characters a backslash makes literal in CommonMark; `<`, `>`, `&` become entities instead.
_MD_PUNCT = set("\\`*[]|~$")
_MENTION = re.compile(r"@(?=[A-Za-z0-9_])")
_WWW = re.compile(r"(www)\.", re.IGNORECASE)
# Bidi overrides and isolates (Trojan Source) and other invisible controls we never want:
# the one set, owned by neutral.py (stdout, stderr and every format use it).
_INVISIBLE = CONTROL
_BACKTICKS = re.compile(r"`+")
_LIST_ORDERED = re.compile(r"^(\d{1,9})([.)])")


def has_invisible(text: str) -> bool:
    """True when the text holds control or bidi characters (Trojan Source) besides tab/newline.

    Code with them is never offered as a one-click replacement (suggestions, SARIF fixes).
    """
    return _INVISIBLE.search(text.replace("\r", "")) is not None  # CRLF code is fine


def _visible(ch: re.Match[str]) -> str:
    return visible_char(ch.group(0))


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return _INVISIBLE.sub(_visible, text)


def _defuse(text: str) -> str:
    """Break mentions, bare URLs and `www.` autolinks; the text stays readable."""
    text = _MENTION.sub("@" + ZWSP, text)
    text = text.replace("://", ":" + ZWSP + "//")
    return _WWW.sub(lambda m: m.group(1) + ZWSP + ".", text)


def html_text(text: str) -> str:
    """Text for an HTML context (e.g. `<summary>`): entities, no newlines, no pings, no links."""
    text = " ".join(_clean(text).split())
    escaped = "".join(_HTML.get(ch, ch) for ch in text)
    return _defuse(escaped)


def _md_plain(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch in "&<>":
            out.append(_HTML[ch])
        elif ch in _MD_PUNCT or (ch == "_" and not _intraword(text, i)):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return _defuse("".join(out))


def _intraword(text: str, i: int) -> bool:
    """GFM never reads `_` between two alphanumerics as emphasis: leave snake_case alone."""
    return 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum()


def _split_code_spans(text: str) -> list[tuple[bool, str]]:
    """CommonMark code spans: a backtick run closes only with a run of the same length."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    plain_start = 0
    while True:
        opening = _BACKTICKS.search(text, pos)
        if opening is None:
            break
        run = opening.group(0)
        closing = None
        for candidate in _BACKTICKS.finditer(text, opening.end()):
            if candidate.group(0) == run:
                closing = candidate
                break
        if closing is None:
            pos = opening.end()
            continue
        parts.append((False, text[plain_start : opening.start()]))
        parts.append((True, text[opening.end() : closing.start()]))
        pos = plain_start = closing.end()
    parts.append((False, text[plain_start:]))
    return [(is_code, s) for is_code, s in parts if s or is_code]


def code_span(text: str, *, in_table: bool = False) -> str:
    """A code span around any text: the fence is longer than every backtick run inside."""
    content = " ".join(_clean(text).split("\n"))
    if in_table:
        content = content.replace("|", "\\|")
    if not content.strip():
        return "` `" if not content else "`" + content + "`"
    longest = max((len(m) for m in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    if content.startswith(("`", " ")) or content.endswith(("`", " ")):
        content = f" {content} "
    return f"{fence}{content}{fence}"


def _md_line(line: str, *, in_table: bool = False) -> str:
    out = []
    for is_code, part in _split_code_spans(line):
        if is_code:
            out.append(code_span(part.strip(" ") or part, in_table=in_table))
        else:
            out.append(_md_plain(part))
    return "".join(out)


def _block_start(line: str) -> str:
    """Make an escaped line unable to start a block (list, heading, quote, setext, table)."""
    if line[:1] in {"-", "+", "=", "#", "/"}:  # "/": a GitLab quick action (/merge)
        return "\\" + line
    ordered = _LIST_ORDERED.match(line)
    if ordered:
        return ordered.group(1) + "\\" + line[ordered.end(1) :]
    return line


def md_inline(text: str) -> str:
    """One line of Markdown-safe text (titles, list items): newlines become spaces."""
    return _block_start(_md_line(" ".join(_clean(text).split())))


def table_cell(text: str) -> str:
    """Markdown-safe text for a table cell: one line, every `|` escaped (also in code)."""
    return _md_line(" ".join(_clean(text).split()), in_table=True) or " "


def md_text(text: str) -> str:
    """Multi-line Markdown-safe text: paragraphs and line breaks survive, nothing else does."""
    paragraphs = []
    for para in re.split(r"\n\s*\n", _clean(text).strip("\n")):
        lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
        if lines:
            # Each line is escaped alone so that a code span never spans lines.
            rendered = [_block_start(_md_line(ln)) for ln in lines]
            paragraphs.append("  \n".join(rendered))
    return "\n\n".join(paragraphs)


def fenced_block(text: str, info: str = "") -> str:
    """A fenced code block whose backtick fence is longer than any backtick run inside."""
    body = _clean(text).rstrip("\n")
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    lang = re.sub(r"[^A-Za-z0-9_+\-.]", "", info)
    return f"{fence}{lang}\n{body}\n{fence}"


def truncate(text: str, limit: int, marker: str = " … (truncated)") -> str:
    """Cut plain (not yet escaped) text to at most `limit` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(marker))].rstrip() + marker
