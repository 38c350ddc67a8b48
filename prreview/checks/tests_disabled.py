"""Tests that are newly skipped, disabled or focused.

Runs on reviewable files only, and skips comment lines. Conditional skips
(`pytest.mark.skipif`, `unittest.skipIf`) and expected failures are not reported: they
state a reason the test cannot run, not that it was switched off.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import (
    JS_LIKE,
    Patterns,
    compile_patterns,
    language_of,
    line_finding,
    make_rule,
    scan_tables,
)

SKIPPED_RULE = make_rule(
    "tests/skipped",
    "Test skipped or disabled",
    "A test is skipped or disabled",
    "An added line skips or disables a test unconditionally (@pytest.mark.skip, "
    "@unittest.skip, pytest.skip(), it.skip, xit, t.Skip, @Disabled, @Ignore, #[ignore]). "
    "The behaviour it covered is no longer checked.",
    "Fix the test, or skip it conditionally with a reason and a linked issue.",
    severity="low",
    category="testing",
    tags=("tests",),
    precision="very-high",
)
FOCUSED_RULE = make_rule(
    "tests/focused",
    "Focused test",
    "A test is focused with .only",
    "An added line focuses a test (it.only, describe.only, test.only, fit, fdescribe): "
    "every other test in the suite is silently skipped.",
    "Remove `.only` (or the `f` prefix) before merging.",
    severity="medium",
    category="testing",
    tags=("tests",),
    precision="very-high",
)


_SKIPS: dict[str, Patterns] = {
    "python": compile_patterns(
        (r"@pytest\.mark\.skip\b", "`@pytest.mark.skip`"),
        (r"@unittest\.skip\b", "`@unittest.skip`"),
        (r"\bpytest\.skip\(", "`pytest.skip()`"),
        (r"\bself\.skipTest\(", "`self.skipTest()`"),
    ),
    "javascript": compile_patterns(
        (r"(?<![\w$.])(?:it|describe|test|context|suite|specify)\.skip\b", "`.skip`"),
        (r"^\s*x(?:it|describe|test|context|specify)\(\s*['\"`]", "`xit()`/`xdescribe()`"),
    ),
    "go": compile_patterns((r"\bt\.Skip(?:f|Now)?\(", "`t.Skip()`")),
    "java": compile_patterns((r"^\s*@(?:Disabled|Ignore)\b", "`@Disabled`/`@Ignore`")),
    "kotlin": compile_patterns((r"^\s*@(?:Disabled|Ignore)\b", "`@Disabled`/`@Ignore`")),
    "csharp": compile_patterns(
        (r"\[\s*(?:Ignore|Fact\s*\(\s*Skip\s*=|Theory\s*\(\s*Skip\s*=)", "`[Ignore]`/`Skip =`")
    ),
    "rust": compile_patterns((r"^\s*#\[ignore\b", "`#[ignore]`")),
}
# Literal prefilters: a line without any of these cannot match the language's patterns.
_HINTS: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"skip"),
    "javascript": re.compile(r"\.skip|\.only|^\s*[xf]"),
    "go": re.compile(r"Skip"),
    "java": re.compile(r"@"),
    "kotlin": re.compile(r"@"),
    "csharp": re.compile(r"Ignore|Skip"),
    "rust": re.compile(r"ignore"),
}
_FOCUSES: dict[str, Patterns] = {
    "javascript": compile_patterns(
        (r"(?<![\w$.])(?:it|describe|test|context|suite|specify)\.only\b", "`.only`"),
        (r"^\s*f(?:it|describe)\(\s*['\"`]", "`fit()`/`fdescribe()`"),
    ),
}


@dataclass(frozen=True)
class TestsDisabledCheck:
    family: str = "tests"
    rules: tuple[Rule, ...] = (SKIPPED_RULE, FOCUSED_RULE)
    all_files: bool = False

    def check(self, file: FileChange) -> Iterator[Finding]:
        lang = language_of(file)
        key = "javascript" if lang in JS_LIKE else lang or ""
        tables = [(SKIPPED_RULE, _SKIPS.get(key, ())), (FOCUSED_RULE, _FOCUSES.get(key, ()))]
        tables = [(rule, patterns) for rule, patterns in tables if patterns]
        if not tables:
            return
        hint = _HINTS[key]
        for hit in scan_tables(file, lang, hint, tables):
            focused = hit.rule is FOCUSED_RULE
            verb = "focuses a test" if focused else "skips a test"
            yield line_finding(
                hit.rule,
                file,
                hit.lineno,
                title=hit.rule.short_description,
                message=f"This line {verb} ({hit.label}). "
                + (
                    "Every other test in the suite will be skipped."
                    if focused
                    else "The behaviour it covered is no longer checked."
                ),
                confidence=0.9,
                anchor=hit.text,
                columns=(hit.start, hit.end),
            )
