"""Debugger statements and debug output left in added lines, per language.

Runs on reviewable files only. Print-style output (`print(`, `console.log(`,
`fmt.Println(`, `System.out.println`) is often intended, so it is low severity, low
confidence, and not reported in tests, scripts, examples, docs or CLI entry points.
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
    is_script_or_test_path,
    language_of,
    line_finding,
    make_rule,
    scan_tables,
)

_FIX = "Remove it before merging."
BREAKPOINT_RULE = make_rule(
    "debug/breakpoint",
    "Debugger statement",
    "A debugger breakpoint is added",
    "An added line stops the program in a debugger (breakpoint(), pdb.set_trace(), "
    "debugger;, binding.pry, byebug, runtime.Breakpoint(), Debugger.Break()). In "
    "production it hangs the process or is a no-op at best.",
    _FIX,
    severity="medium",
    category="maintainability",
    tags=("debug",),
    precision="very-high",
)
DUMP_RULE = make_rule(
    "debug/dump",
    "Debug dump",
    "A debug dump is added",
    "An added line dumps values for debugging (spew.Dump, var_dump, dd(), dbg!).",
    _FIX,
    severity="medium",
    category="maintainability",
    tags=("debug",),
    precision="high",
)
PRINT_RULE = make_rule(
    "debug/print",
    "Debug print",
    "Console output is added in library code",
    "An added line prints to standard output outside tests, scripts and entry points "
    "(print(), console.log(), fmt.Println(), System.out.println). It is often a debugging "
    "leftover; use the project's logger if the output is intended.",
    "Remove the call or use a logger.",
    severity="low",
    category="maintainability",
    tags=("debug",),
    precision="low",
)


_BREAKPOINTS: dict[str, Patterns] = {
    "python": compile_patterns(
        (r"(?<![\w.'\"])breakpoint\(\s*\)", "`breakpoint()` call"),
        (r"\b(?:pdb|ipdb|pudb)\.(?:set_trace|post_mortem)\(", "`pdb.set_trace()` call"),
        (
            r"^\s*(?:import\s+(?:pdb|ipdb|pudb)\b|from\s+(?:pdb|ipdb|pudb)\s+import\b)",
            "debugger import",
        ),
    ),
    "javascript": compile_patterns(
        (r"(?:^|[;{}])\s*debugger\s*(?:[;}]|$)", "`debugger` statement")
    ),
    "go": compile_patterns((r"\bruntime\.Breakpoint\(", "`runtime.Breakpoint()` call")),
    "ruby": compile_patterns(
        (r"\bbinding\.(?:pry|irb)\b", "`binding.pry` call"),
        (r"(?<![\w.:])byebug\b", "`byebug` call"),
        (r"^\s*debugger\b", "`debugger` call"),
    ),
    "php": compile_patterns((r"(?<![\w$>:\\])xdebug_break\(", "`xdebug_break()` call")),
    "csharp": compile_patterns((r"\bDebugger\.(?:Break|Launch)\(", "`Debugger.Break()` call")),
}
_DUMPS: dict[str, Patterns] = {
    "go": compile_patterns(
        (r"\bspew\.(?:Dump|Sdump|Fdump|Printf|Println)\(", "`spew.Dump()` call")
    ),
    "php": compile_patterns(
        (r"(?<![\w$>:\\])var_dump\(", "`var_dump()` call"),
        (r"(?<![\w$>:\\])dd\(", "`dd()` call"),
    ),
    "rust": compile_patterns((r"(?<![\w])dbg!\(", "`dbg!()` macro")),
}
_PRINTS: dict[str, Patterns] = {
    "python": compile_patterns((r"^\s*print\(", "`print()` call")),
    "javascript": compile_patterns(
        (r"(?<![\w$.])console\.(?:log|debug|dir|trace|table)\(", "`console.log()` call")
    ),
    "go": compile_patterns((r"\bfmt\.Print(?:ln)?\(|^\s*println\(", "`fmt.Println()` call")),
    "java": compile_patterns(
        (r"\bSystem\.out\.print(?:ln|f)?\(", "`System.out.println()` call"),
        (r"\.printStackTrace\(\s*\)", "`printStackTrace()` call"),
    ),
}
# Literal prefilters: a line without any of these cannot match the language's patterns.
_HINTS: dict[str, re.Pattern[str]] = {
    "python": re.compile(r"breakpoint|pdb|pudb|print"),
    "javascript": re.compile(r"debugger|console"),
    "go": re.compile(r"Breakpoint|spew|Print|println"),
    "ruby": re.compile(r"binding|byebug|debugger"),
    "php": re.compile(r"xdebug_break|var_dump|dd\("),
    "csharp": re.compile(r"Debugger"),
    "rust": re.compile(r"dbg!"),
    "java": re.compile(r"System\.out|printStackTrace"),
}
_CONFIDENCE = {BREAKPOINT_RULE.id: 0.9, DUMP_RULE.id: 0.8, PRINT_RULE.id: 0.5}
_ADVICE = {
    BREAKPOINT_RULE.id: "It stops the program in a debugger; remove it before merging.",
    DUMP_RULE.id: "It dumps values for debugging; remove it before merging.",
    PRINT_RULE.id: "If the output is intended, use the project's logger; otherwise remove it.",
}


def _tables(key: str, path: str) -> list[tuple[Rule, Patterns]]:
    tables = [(BREAKPOINT_RULE, _BREAKPOINTS.get(key, ())), (DUMP_RULE, _DUMPS.get(key, ()))]
    if not is_script_or_test_path(path):
        tables.append((PRINT_RULE, _PRINTS.get(key, ())))
    return [(rule, patterns) for rule, patterns in tables if patterns]


@dataclass(frozen=True)
class DebugCheck:
    family: str = "debug"
    rules: tuple[Rule, ...] = (BREAKPOINT_RULE, DUMP_RULE, PRINT_RULE)
    all_files: bool = False

    def check(self, file: FileChange) -> Iterator[Finding]:
        lang = language_of(file)
        key = "javascript" if lang in JS_LIKE else lang or ""
        tables = _tables(key, file.path)
        if not tables:
            return
        hint = _HINTS[key]
        for hit in scan_tables(file, lang, hint, tables):
            yield line_finding(
                hit.rule,
                file,
                hit.lineno,
                title=f"Debug leftover: {hit.label}",
                message=f"This line adds a {hit.label}. {_ADVICE[hit.rule.id]}",
                confidence=_CONFIDENCE[hit.rule.id],
                anchor=hit.text,
                columns=(hit.start, hit.end),
            )
