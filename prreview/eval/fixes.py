"""Which commits look like bug fixes, and which files count as source (heuristics of `mine`).

A commit is a fix candidate when its message links an issue with a closing keyword (`fixes
#12`, `closes ABC-7`, `resolves .../issues/3`) or uses a fix word (`fix`, `bug`, `hotfix`,
`regression`, `crash`, `broken`, `wrong`, `off-by-one`, a `fix:` conventional-commit
prefix). It is then dropped when the message names a non-code fix (`fix typo`, `fix docs`,
`fix tests`, `fix lint`, ...) or the subject is about docs or comments. Source files are
files in a programming language (prreview.languages), not tests (prreview.related), not
under vendor/, third_party/, docs/.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from prreview.change.filters import VENDOR_DIRS
from prreview.change.languages import detect_language
from prreview.context.paths import is_test_path
from prreview.models import FileChange

_NOT_CODE_LANGUAGES = frozenset(
    {"markdown", "rst", "json", "yaml", "toml", "ini", "xml", "html", "css", "scss", "less",
     "jupyter", "graphql", "protobuf", "make", "cmake", "dockerfile", "batch"}
)  # fmt: skip
_FIX = re.compile(
    r"^\s*(fix|bugfix|hotfix)(\([^)]*\))?!?:"
    r"|\b(fix(e[sd]|ing)?|bug(s|fix)?|hotfix|regression|crash(e[sd])?|defects?|faults?"
    r"|broken|incorrect(ly)?|wrong(ly)?|off[- ]by[- ]one)\b",
    re.IGNORECASE | re.MULTILINE,
)
_LINK = re.compile(
    r"\b(close[sd]?|fix(e[sd])?|resolve[sd]?)\b:?\s+(#\d+|[A-Z][A-Z0-9]+-\d+|\S+/issues/\d+)",
    re.IGNORECASE,
)
_NOT_CODE = re.compile(
    r"\bfix(e[sd]|ing)?\s+(a\s+|the\s+|some\s+|more\s+)?(typos?|spelling|docs?|documentation"
    r"|readme|changelog|lint(ing|er)?|format(ting)?|whitespace|style|ci|build|tests?|flaky"
    r"|mypy|pyright|flake8|pylint|ruff|typing|type hints?|annotations?|warnings?|comments?"
    r"|docstrings?|links?|urls?|badges?|examples?|wording|grammar)\b",
    re.IGNORECASE,
)
_NOT_CODE_SUBJECT = re.compile(
    r"\b(typos?|spelling|grammar|docstrings?|comments?|docs|documentation|readme|changelog)\b",
    re.IGNORECASE,
)
_CATEGORIES = (
    ("null-handling", r"\b(null|none|nil|undefined|nullptr|npe|nonetype)\b"),
    ("bounds", r"\b(off[- ]by[- ]one|out of (range|bounds)|index\w*|overflow|bounds?)\b"),
    ("concurrency", r"\b(race|deadlock|threads?|locks?|locking|concurren\w*|atomic\w*)\b"),
    ("resource", r"\b(leak\w*|file descriptors?|unclosed)\b"),
    ("error-handling", r"\b(exceptions?|raise[sd]?|throw[sn]?|catch\w*|panic\w*|errors?)\b"),
    ("security", r"\b(security|xss|csrf|inject\w*|cve-\d+|sanitiz\w*|escap\w*|traversal)\b"),
    ("encoding", r"\b(unicode|utf-?8|encod\w*|decod\w*)\b"),
)
DEFAULT_CATEGORY = "unclassified"
_COMMENT = ("#", "//", "/*", "*", "--", ";", "<!--", '"""', "'''")


def fix_signal(message: str) -> str | None:
    """Why a commit message looks like a bug fix (None: it does not)."""
    if link := _LINK.search(message):
        return f"links an issue ({link.group(0).strip()})"
    if word := _FIX.search(message):
        return f"says {word.group(0).strip().lower()!r}"
    return None


def category_of(message: str) -> str:
    for name, pattern in _CATEGORIES:
        if re.search(pattern, message, re.IGNORECASE):
            return name
    return DEFAULT_CATEGORY


def is_source(path: str) -> bool:
    """A non-test, non-vendored file in a programming language."""
    language = detect_language(path)
    if language is None or language in _NOT_CODE_LANGUAGES or is_test_path(path):
        return False
    parts = PurePosixPath(path).parts
    return not any(p in VENDOR_DIRS or p in {"docs", "doc"} for p in parts[:-1])


def comments_only(files: Sequence[FileChange]) -> bool:
    changed = [
        ln.text.strip() for f in files for h in f.hunks for ln in h.lines if ln.kind != "context"
    ]
    return all(not t or t.startswith(_COMMENT) for t in changed)


def non_code_fix(message: str, subject: str) -> str | None:
    """The words that say a fix is about docs, tests, style or typing (None: none)."""
    found = _NOT_CODE.search(message) or _NOT_CODE_SUBJECT.search(subject)
    return found.group(0).strip() if found else None
