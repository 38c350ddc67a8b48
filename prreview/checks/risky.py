"""Newly added calls that are dangerous with untrusted input.

Runs on reviewable files only, and skips comment lines. Covers dynamic code evaluation,
unsafe deserialisation, shell command execution and SQL built by string formatting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..models import FileChange, Finding, Rule
from .base import (
    HEURISTIC_SCAN_CHARS,
    JS_LIKE,
    Patterns,
    added_lines,
    compile_patterns,
    find_first,
    is_comment,
    language_of,
    line_finding,
    make_rule,
)

_TAGS = ("security",)
EVAL_RULE = make_rule(
    "risky/eval",
    "Dynamic code evaluation",
    "Code is evaluated from a string",
    "An added line evaluates code built at run time (eval, exec, new Function). If any "
    "part of the string comes from input, an attacker can run arbitrary code.",
    "Use a parser for the data (ast.literal_eval, JSON.parse) or a dispatch table.",
    severity="high",
    category="security",
    tags=(*_TAGS, "external/cwe/cwe-95"),
    precision="high",
    security_severity=7.5,
)
DESERIALIZE_RULE = make_rule(
    "risky/deserialization",
    "Unsafe deserialisation",
    "Data is deserialised with a loader that can run code",
    "An added line loads data with pickle, marshal, dill or yaml.load without a safe "
    "loader. Loading untrusted data this way can execute arbitrary code.",
    "Use JSON, yaml.safe_load or yaml.load(..., Loader=yaml.SafeLoader), or load only "
    "data the program wrote itself.",
    severity="high",
    category="security",
    tags=(*_TAGS, "external/cwe/cwe-502"),
    precision="high",
    security_severity=7.5,
)
SHELL_RULE = make_rule(
    "risky/shell",
    "Shell command execution",
    "A command is run through the shell",
    "An added line runs a command through a shell (shell=True, os.system, os.popen, "
    "child_process.exec with an interpolated string). Input that reaches the command "
    "line can inject further commands.",
    "Pass the program and its arguments as a list without a shell (subprocess.run([...]), "
    "child_process.execFile).",
    severity="high",
    category="security",
    tags=(*_TAGS, "external/cwe/cwe-78"),
    precision="high",
    security_severity=7.5,
)
SQL_RULE = make_rule(
    "risky/sql-injection",
    "SQL built by string formatting",
    "An SQL statement is built by formatting or concatenating strings",
    "An added line builds an SQL statement with an f-string, % formatting, .format(), "
    "template literal, Sprintf or concatenation. Values that reach it can change the query.",
    "Pass values as query parameters (placeholders such as %s, ? or $1) instead.",
    severity="high",
    category="security",
    tags=(*_TAGS, "external/cwe/cwe-89"),
    precision="medium",
    security_severity=8.0,
)


_PY_EVAL = compile_patterns((r"(?<![\w.])(?<!def )(?:eval|exec)\(", "an `eval()`/`exec()` call"))
_JS_EVAL = compile_patterns(
    (r"(?<![\w$.])eval\(", "an `eval()` call"),
    (r"\bnew\s+Function\s*\(", "a `new Function()` call"),
)
_PY_DESERIALIZE = compile_patterns(
    (
        r"\b(?:c?[pP]ickle|marshal|dill|jsonpickle|shelve)\.(?:loads?|Unpickler|decode|open)\b",
        "a pickle-style loader call",
    ),
    (
        r"\byaml\.(?:unsafe_load|unsafe_load_all|full_load|full_load_all)\(",
        "an unsafe YAML loader call",
    ),
)
_YAML_LOAD = re.compile(r"\byaml\.load(?:_all)?\(")
_SAFE_LOADER = re.compile(r"\b(?:C?SafeLoader|BaseLoader)\b")
_ANY_LOADER = re.compile(r"\bLoader\s*=\s*[\w.]+")
_UNSAFE_LOADER = re.compile(r"\bLoader\s*=\s*(?:yaml\.)?(?:C?Loader|C?UnsafeLoader|C?FullLoader)\b")
_PY_SHELL = compile_patterns(
    (r"\bshell\s*=\s*True\b", "a subprocess call with `shell=True`"),
    (r"\bos\.(?:system|popen)\(", "an `os.system()`/`os.popen()` call"),
)
_JS_SHELL = compile_patterns(
    (
        r"(?:(?<![\w$.])|\bchild_process\.)exec(?:Sync)?\(\s*"
        r"(?:`[^`]{0,300}\$\{|[\"'][^\"']{0,300}[\"']\s*\+|[\w.]+\s*\+)",
        "a `child_process.exec()` call with an interpolated command",
    ),
)
_SQL = re.compile(
    r"(?i)\b(?:select\s[^;]{0,300}?\bfrom\b|insert\s+into\b|update\s+[\w.\"`\[\]]+\s+set\b|delete\s+from\b)"
)
_CONCAT = r"[\"']\s*\+\s*[\w(]|[\w)\]]\s*\+\s*[\"']"
_SQL_FORMATTING: dict[str, re.Pattern[str]] = {
    "python": re.compile(
        r"(?<![\w])[fF][rR]?[\"'][^\"']{0,300}\{|[\"']\s*%\s+[\w(\[{]|[\"']\s+%\s*[\w(\[{]"
        r"|[\"']\s*\.format\(|" + _CONCAT
    ),
    "javascript": re.compile(r"`[^`]{0,300}\$\{|" + _CONCAT),
    "go": re.compile(r"\bfmt\.Sprintf\(|" + _CONCAT),
    "java": re.compile(r"\bString\.format\(|\.formatted\(|" + _CONCAT),
    "kotlin": re.compile(r"\bString\.format\(|\"[^\"]{0,300}\$\{?\w|" + _CONCAT),
    "csharp": re.compile(r"\$@?\"[^\"]{0,300}\{|\bString\.Format\(|" + _CONCAT),
    "ruby": re.compile(r"\"[^\"]{0,300}#\{|" + _CONCAT),
    "php": re.compile(r"\"[^\"]{0,300}\$\w|[\"']\s*\.\s*\$|\bsprintf\(|" + _CONCAT),
    "rust": re.compile(r"\bformat!\("),
    "c": re.compile(r"\bs?n?printf\("),
    "cpp": re.compile(r"\bs?n?printf\(|" + _CONCAT),
}
_CONFIDENCE = {EVAL_RULE.id: 0.8, DESERIALIZE_RULE.id: 0.8, SHELL_RULE.id: 0.8, SQL_RULE.id: 0.6}
_ADVICE = {
    EVAL_RULE.id: "If any part of the string can come from input, this runs arbitrary code.",
    DESERIALIZE_RULE.id: "Deserialising untrusted data this way can execute arbitrary code; "
    "use a safe format or loader.",
    SHELL_RULE.id: "Input that reaches the command line can inject further commands; pass "
    "an argument list without a shell.",
    SQL_RULE.id: "Values formatted into the statement can change the query (SQL injection); "
    "pass them as query parameters.",
}


_TABLES: dict[str, tuple[tuple[Rule, Patterns], ...]] = {
    "python": (
        (EVAL_RULE, _PY_EVAL),
        (DESERIALIZE_RULE, _PY_DESERIALIZE),
        (SHELL_RULE, _PY_SHELL),
    ),
    "javascript": ((EVAL_RULE, _JS_EVAL), (SHELL_RULE, _JS_SHELL)),
}
# Literal prefilters: a line without any of these cannot match the language's patterns.
_HINTS = {
    "python": re.compile(r"eval|exec|ickle|marshal|dill|shelve|yaml|shell|system|popen"),
    "javascript": re.compile(r"eval|Function|exec"),
}
_SQL_HINT = re.compile(r"select|insert|update|delete")


def _sql(text: str, formatting: re.Pattern[str] | None) -> tuple[str, int, int] | None:
    if formatting is None or _SQL_HINT.search(text.lower()) is None:
        return None
    match = _SQL.search(text)
    if match is None or formatting.search(text) is None:
        return None
    return "an SQL statement built by string formatting", match.start() + 1, match.end()


def _yaml(text: str, next_text: str) -> tuple[str, int, int] | None:
    match = _YAML_LOAD.search(text)
    if match is None or _SAFE_LOADER.search(text) or _SAFE_LOADER.search(next_text):
        return None
    both = text + " " + next_text
    if _ANY_LOADER.search(both) and not _UNSAFE_LOADER.search(both):
        return None  # a project's own Loader class (usually a SafeLoader subclass)
    return "a `yaml.load()` call without a safe loader", match.start() + 1, match.end()


def in_literal_or_comment(text: str, column: int, lang: str) -> bool:
    """Whether 1-based `column` of `text` sits inside a string literal or a line comment.

    A single-line scan: good enough to keep `"eval("` in a regex or a test payload, and a
    commented-out call, from being reported as a call (multi-line strings are not tracked).
    """
    quotes = "'\"`" if lang == "javascript" else "'\""
    comment = "#" if lang == "python" else "//"
    quote: str | None = None
    i = 0
    end = column - 1
    while i < end:
        ch = text[i]
        if quote is not None:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in quotes:
            quote = ch
        elif text.startswith(comment, i):
            return True
        i += 1
    return quote is not None


def _line_hits(lang: str, text: str, next_text: str) -> Iterator[tuple[Rule, tuple[str, int, int]]]:
    hint = _HINTS.get(lang)
    if hint is not None and hint.search(text):
        hit = _yaml(text, next_text) if lang == "python" else None
        if hit and not in_literal_or_comment(text, hit[1], lang):
            yield DESERIALIZE_RULE, hit
        for rule, patterns in _TABLES[lang]:
            hit = find_first(patterns, text)
            if hit and not in_literal_or_comment(text, hit[1], lang):
                yield rule, hit
    if sql := _sql(text, _SQL_FORMATTING.get(lang)):
        yield SQL_RULE, sql


@dataclass(frozen=True)
class RiskyCheck:
    family: str = "risky"
    rules: tuple[Rule, ...] = (EVAL_RULE, DESERIALIZE_RULE, SHELL_RULE, SQL_RULE)
    all_files: bool = False

    def check(self, file: FileChange) -> Iterator[Finding]:
        lang = language_of(file)
        key = "javascript" if lang in JS_LIKE else lang
        if key not in _SQL_FORMATTING:
            return
        lines = dict(added_lines(file, limit=HEURISTIC_SCAN_CHARS))
        for lineno, text in lines.items():
            if is_comment(text, lang):
                continue
            seen: set[str] = set()
            for rule, (label, start, end) in _line_hits(key, text, lines.get(lineno + 1, "")):
                if rule.id in seen:
                    continue
                seen.add(rule.id)
                yield line_finding(
                    rule,
                    file,
                    lineno,
                    title=rule.name,
                    message=f"This line adds {label}. {_ADVICE[rule.id]}",
                    confidence=_CONFIDENCE[rule.id],
                    anchor=text,
                    columns=(start, end),
                )
