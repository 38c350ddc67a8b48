"""Render Markdown with a CommonMark parser and inspect the HTML it would produce.

markdown-it-py (a dependency of rich) stands in for GitHub's renderer: raw HTML enabled,
GFM tables on. Tests assert on the resulting elements, not on substrings of our own output.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9]")


def to_html(markdown: str) -> str:
    return _MD.render(markdown)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self.code_text: list[str] = []
        self._code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)
        if tag in {"code", "pre"}:
            self._code_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"code", "pre"}:
            self._code_depth -= 1

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def handle_data(self, data: str) -> None:
        (self.code_text if self._code_depth else self.text).append(data)


def inspect(markdown: str) -> _Collector:
    collector = _Collector()
    collector.feed(to_html(markdown))
    collector.close()
    return collector


SAFE_TAGS = {
    "p", "br", "code", "pre", "h2", "h3", "h4", "ul", "li", "strong", "em", "details",
    "summary", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


_ALLOWED_ATTRS = {("style", "text-align:right")}


def assert_inert(markdown: str) -> _Collector:
    """No tag outside SAFE_TAGS, no attributes, no comments, no mention outside code."""
    seen = inspect(markdown)
    assert set(seen.tags) <= SAFE_TAGS, set(seen.tags) - SAFE_TAGS
    unexpected = [a for a in seen.attrs if a not in _ALLOWED_ATTRS and a[0] != "class"]
    assert not unexpected, unexpected
    classes = [v for k, v in seen.attrs if k == "class"]
    assert all(re.fullmatch(r"language-[A-Za-z0-9_+.-]+", v or "") for v in classes), classes
    assert not seen.comments
    prose = "".join(seen.text)
    assert not MENTION.search(prose), MENTION.findall(prose)
    assert "://" not in prose and "www." not in prose.lower()
    return seen
