"""Which names a line of code may define: the cheap, language-agnostic grep prefilter."""

from __future__ import annotations

import re

_NAME = r"([A-Za-z_$][\w$]*)"


_NOT_A_TYPE = {
    "return", "else", "new", "throw", "await", "yield", "case", "delete", "goto", "sizeof",
    "typeof", "if", "while", "for", "switch", "catch", "echo", "print", "puts", "not", "and",
    "or", "in", "is", "assert", "raise", "del", "lambda", "go", "defer", "elif", "do", "try",
    "with", "using", "package", "import", "from", "export", "function", "func", "def", "when",
}  # fmt: skip


_DEFINERS = [
    re.compile(
        r"\b(?:def|class|function|func|fn|fun|struct|enum|interface|trait|type|module|const|let"
        r"|var|val|static|sub|record|namespace|typedef|union|impl|object|alias|macro_rules!"
        r"|define)\s+(?:\([^)]*\)\s*)?[*&]?\s*(?:self\.)?" + _NAME
    ),
    re.compile(r"^" + _NAME + r"\s*(?::[^=]*)?=(?!=)"),
    re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*(?::[^=]*)?=(?!=)"),
    re.compile(r"\b(?:final|const|readonly)\s+(?:[\w<>\[\],.?]+\s+)*" + _NAME + r"\s*="),
    re.compile(r"^\s*" + _NAME + r"\s*=\s*(?:async\s*)?(?:\([^)]*\)|[A-Za-z_$][\w$]*)\s*=>"),
    re.compile(
        r"^\s*(?:[A-Za-z_$][\w$]*\.)+" + _NAME + r"\s*=\s*(?:async\b\s*)?"
        r"(?:function\b|class\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)"
    ),
]


_TYPED_CALLABLE = re.compile(r"^\s*((?:[\w:<>,\[\]*&]+\s+)+)[*&]*(?:\w+::)*([A-Za-z_~]\w*)\s*\(")


_METHOD_BLOCK = re.compile(
    r"^\s*(?:(?:static|async|get|set|public|private|protected|override|\*)\s+)*"
    + _NAME
    + r"\s*\([^)]*\)\s*(?::\s*[^{]+)?\{\s*$"
)


_C_COLUMN_ZERO = re.compile(r"^" + _NAME + r"\s*\(")


_C_SUFFIXES = (".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh")


def defined_names(path: str, text: str) -> frozenset[str]:
    """Names this line may define; a prefilter, so false positives are fine, misses are not."""
    names = {m.group(1) for p in _DEFINERS for m in p.finditer(text)}
    typed = _TYPED_CALLABLE.match(text)
    if typed and typed.group(1).split()[0] not in _NOT_A_TYPE:
        names.add(typed.group(2))
    block = _METHOD_BLOCK.match(text)
    if block and block.group(1) not in _NOT_A_TYPE:
        names.add(block.group(1))
    if path.endswith(_C_SUFFIXES) and (zero := _C_COLUMN_ZERO.match(text)):
        names.add(zero.group(1))
    return frozenset(names)
