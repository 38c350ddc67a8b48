"""Hidden and bidirectional Unicode in added lines (Trojan Source, CVE-2021-42574).

Runs on every file (skipped ones included). Bidi controls reorder how code is displayed
relative to how it is compiled; zero-width characters make identifiers or strings that
look equal differ. Messages name code points as `U+202E`, never the raw character.
ZWJ/ZWNJ between two non-ASCII characters (emoji sequences, Indic and Persian text) and a
BOM at the very start of a file are legitimate and not reported.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import added_lines, line_finding, make_rule

BIDI_RULE = make_rule(
    "unicode/bidi",
    "Bidirectional control character",
    "A bidirectional Unicode control character is added",
    "An added line contains a Unicode bidirectional control (U+202A-U+202E, U+2066-U+2069, "
    "U+200E, U+200F or U+061C). These can make code display differently from how it is "
    "compiled (Trojan Source, CVE-2021-42574).",
    "Remove the character, or write it as an escape sequence if a string needs it.",
    severity="high",
    category="security",
    tags=("security", "unicode", "trojan-source", "external/cwe/cwe-1007"),
    precision="very-high",
    security_severity=8.0,
)
INVISIBLE_RULE = make_rule(
    "unicode/invisible",
    "Invisible Unicode character",
    "A zero-width Unicode character is added",
    "An added line contains a zero-width character (U+200B-U+200D, U+2060, or U+FEFF "
    "after the start of the file). Such characters make identifiers or strings that look "
    "identical differ.",
    "Remove the character, or write it as an escape sequence if a string needs it.",
    severity="medium",
    category="security",
    tags=("security", "unicode", "external/cwe/cwe-1007"),
    precision="high",
    security_severity=5.0,
)

_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_JOINERS = frozenset("\u200c\u200d")


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'UNNAMED')}"


def _legitimate(text: str, index: int, lineno: int) -> bool:
    char = text[index]
    if char == "\ufeff":
        return lineno == 1 and index == 0
    if char in _JOINERS and 0 < index < len(text) - 1:
        return not text[index - 1].isascii() and not text[index + 1].isascii()
    return False


def _hits(pattern: re.Pattern[str], text: str, lineno: int) -> list[tuple[int, str]]:
    return [
        (m.start(), m.group())
        for m in pattern.finditer(text)
        if not _legitimate(text, m.start(), lineno)
    ]


def _finding(
    rule: Rule, file: FileChange, lineno: int, text: str, hits: list[tuple[int, str]]
) -> Finding:
    names = sorted({_code_point(ch) for _, ch in hits})
    where = ", ".join(f"column {i + 1}: `U+{ord(ch):04X}`" for i, ch in hits[:10])
    kind = "bidirectional control" if rule is BIDI_RULE else "invisible"
    return line_finding(
        rule,
        file,
        lineno,
        title=f"Hidden {kind} character ({names[0].split(' ', 1)[0]})",
        message=f"This line contains {len(hits)} {kind} character(s): "
        + "; ".join(f"`{n}`" for n in names)
        + f" ({where}). The code may not read the way it runs.",
        confidence=0.95 if rule is BIDI_RULE else 0.85,
        anchor=text,
        columns=(hits[0][0] + 1, hits[-1][0] + 1),
    )


@dataclass(frozen=True)
class UnicodeCheck:
    family: str = "unicode"
    rules: tuple[Rule, ...] = (BIDI_RULE, INVISIBLE_RULE)
    all_files: bool = True

    def check(self, file: FileChange) -> Iterator[Finding]:
        for lineno, text in added_lines(file):
            if text.isascii():
                continue
            for rule, pattern in ((BIDI_RULE, _BIDI), (INVISIBLE_RULE, _INVISIBLE)):
                hits = _hits(pattern, text, lineno)
                if hits:
                    yield _finding(rule, file, lineno, text, hits)
