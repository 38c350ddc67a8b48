"""Text redaction: every secret the scanner finds becomes `[REDACTED:kind]`.

Private key blocks are masked line by line, keys split over string literals on consecutive
lines and base64-encoded keys are found too; the line structure of a diff survives. Counts
are of distinct values (digests of what was replaced), so a secret sent in many requests is
one value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from prreview.secrets.patterns import KEY_FOOTER, KEY_MATERIAL, KEY_TAIL, SecretMatch
from prreview.secrets.scan import scan_lines
from prreview.secrets.split import split_literals

__all__ = ["Redaction", "digest", "redact", "redact_text"]

_KEY = "[REDACTED:private-key]"


@dataclass(frozen=True)
class Redaction:
    text: str
    digests: frozenset[str] = field(default_factory=frozenset)
    """sha256 of every distinct value replaced."""

    @property
    def count(self) -> int:
        return len(self.digests)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _key_body(line: str) -> tuple[str, bool]:
    """Mask key material on a line inside a private key block; (line, block continues)."""
    footer = KEY_FOOTER.search(line)
    if footer:
        head = KEY_MATERIAL.sub(_KEY, line[: footer.start()])
        return KEY_TAIL.sub(_KEY, head) + line[footer.start() :], False
    continues = KEY_MATERIAL.search(line) is not None
    # the last line of a block may hold only a short remainder of the base64 body
    return KEY_TAIL.sub(_KEY, KEY_MATERIAL.sub(_KEY, line)), continues


def _apply(line: str, spans: Iterable[SecretMatch], values: set[str]) -> str:
    merged: list[SecretMatch] = []
    for m in sorted(spans, key=lambda m: m.start):
        if m.start >= m.end:
            continue
        if merged and m.start < merged[-1].end:
            last = merged[-1]
            merged[-1] = SecretMatch(last.kind, last.start, max(last.end, m.end), 0)
        else:
            merged.append(m)
    for m in reversed(merged):
        values.add(digest(line[m.start : m.end]))
        line = line[: m.start] + f"[REDACTED:{m.kind}]" + line[m.end :]
    return line


def _opens_key(line: str, matches: list[SecretMatch]) -> bool:
    return any(
        m.kind == "private-key" and KEY_FOOTER.search(line, m.start) is None for m in matches
    )


def redact_text(text: str) -> Redaction:
    """Replace every secret value in `text` with `[REDACTED:kind]`."""
    if not text:
        return Redaction(text)
    lines = text.splitlines(keepends=True)
    bodies = [line.rstrip("\r\n") for line in lines]
    spans: dict[int, list[SecretMatch]] = {}
    for kind, (i, start, end) in split_literals(bodies, precise=False):
        spans.setdefault(i, []).append(SecretMatch(kind, start, end, 0))
    found = scan_lines(bodies, precise=False)
    values: set[str] = set()
    out: list[str] = []
    in_key = False
    block: list[str] = []
    for i, (line, body) in enumerate(zip(lines, bodies, strict=True)):
        if in_key:
            masked, in_key = _key_body(body)
            block.append(body)
            if not in_key:
                values.add(digest("\n".join(block)))
        else:
            matches = found[i]
            in_key = _opens_key(body, matches)
            block = [body[m.end :] for m in matches if m.kind == "private-key"][-1:]
            masked = _apply(body, [*matches, *spans.get(i, [])], values)
        out.append(masked + line[len(body) :])
    if in_key:
        values.add(digest("\n".join(block)))
    return Redaction("".join(out), frozenset(values))


def redact(text: str) -> tuple[str, int]:
    """(redacted text, distinct values replaced)."""
    result = redact_text(text)
    return result.text, result.count
