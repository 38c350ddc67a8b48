"""Does a call on a line resolve to a changed symbol? Receivers, not just names.

A grep for `join(` finds `" ".join(parts)` as readily as `queue.join()`. A call counts as a
call of the changed `Queue.join` only when its receiver plausibly is a Queue:

- `self.join(` / `this.join(` / `cls.join(` inside the class itself or in a file whose classes
  extend it (`class Sub(Queue)`, `extends Queue`, Go embedding is not followed);
- `Queue.join(` (a static or class method, or a JS object literal's function);
- `queue.join(` / `self._queue.join(` where the receiver's name is the class name;
- `q.join(` where the caller declares `q` as one: `q = Queue(`, `q: Queue`, `q *Queue`,
  `q := &Queue{`, `new Queue(`;
- any other receiver only for a name that is defined once in the repository and is not a
  common method name (a stopword, e.g. `join`, `get`, `append`).

A literal receiver (`" ".join`, `[].map`, `1.0.hex`) never counts. A plain function counts when
called bare (`name(`), through its module (`tax.compute_tax(`), or through a name the caller
binds to that module (`var utils = require('./utils')`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Sequence
from pathlib import PurePosixPath

from prreview.change import languages
from prreview.context import grammars
from prreview.context.paths import module_stem, normal_stem
from prreview.models import Symbol

_SELF = {"self", "this", "cls", "super()", "super", "@"}
_RECEIVER = re.compile(r"((?:[A-Za-z_$@][\w$]*|\(\))(?:\s*\.\s*[A-Za-z_$][\w$]*|\(\))*)\s*\.\s*$")
_LITERAL_END = re.compile(r"""(?:["'`\])}]|\d)\s*\.\s*$""")


def owner_of(symbol: Symbol) -> str | None:
    """The class (or object) a changed method belongs to: `Queue` of `Queue.join`."""
    parts = symbol.qualified_name.split(".")
    return parts[-2] if len(parts) > 1 and symbol.kind in ("method", "function") else None


def call_receivers(text: str, name: str) -> list[str | None]:
    """For each call of `name` on the line: its receiver expression ('' for a literal), or
    None for a bare call."""
    out: list[str | None] = []
    for match in re.finditer(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", text):
        after = text[match.end() :].lstrip()
        if not after.startswith(("(", ".new", ".call(", ".apply(")):
            continue
        before = text[: match.start()]
        if not before.rstrip().endswith("."):
            out.append(None)
            continue
        if _LITERAL_END.search(before):
            out.append("")
            continue
        receiver = _RECEIVER.search(before)
        out.append(receiver.group(1).replace(" ", "") if receiver else "")
    return out


def call_resolves(
    text: str,
    name: str,
    symbol: Symbol,
    caller_path: str,
    caller_lines: Sequence[str],
    line: int,
    unique: bool,
) -> bool:
    """Whether a call of `name` on `text` (line `line` of `caller_path`) calls `symbol`.

    `unique`: the name is defined once in the repository (any receiver then counts, unless
    the name is a common method name).
    """
    owner = owner_of(symbol)
    if symbol.kind == "method" or (owner is not None and symbol.kind == "function"):
        owner = owner or ""
    for receiver in call_receivers(text, name):
        if receiver is None:
            if owner is None or _inside_owner(caller_path, symbol):
                return True
            continue
        if receiver == "":
            continue
        if owner is None:
            if _module_receiver(receiver, symbol.path, caller_lines):
                return True
            continue
        if _receiver_is(receiver, owner, symbol, caller_path, caller_lines, line):
            return True
        if unique and name not in _common(caller_path):
            return True
    return False


def _inside_owner(caller_path: str, symbol: Symbol) -> bool:
    """A bare call of a method: Ruby's implicit self, or a JS object's own function."""
    return caller_path == symbol.path


def _receiver_is(
    receiver: str,
    owner: str,
    symbol: Symbol,
    caller_path: str,
    caller_lines: Sequence[str],
    line: int,
) -> bool:
    last = receiver.split(".")[-1]
    if receiver.split(".")[0] in _SELF and receiver.count(".") == 0:
        return caller_path == symbol.path or _extends(caller_lines, owner)
    if not owner:
        return False
    if last == owner or receiver == owner:
        return True
    bare = normal_stem(last.lstrip("_@$"))
    if len(bare) >= 3 and bare == normal_stem(owner):
        return True
    return _declared_as(last, owner, caller_lines, line)


def _extends(lines: Sequence[str], owner: str) -> bool:
    pattern = _extends_pattern(owner)
    return any(pattern.search(text) for text in lines if "class" in text)


@functools.lru_cache(maxsize=1024)
def _extends_pattern(owner: str) -> re.Pattern[str]:
    o = re.escape(owner)
    return re.compile(
        rf"\bclass\s+\w+\s*(?:\([^)]*\b{o}\b|.*\bextends\s+(?:\w+\.)*{o}\b|\s*<\s*(?:\w+::)*{o}\b)"
    )


def _declared_as(variable: str, owner: str, lines: Sequence[str], line: int) -> bool:
    """`v = Owner(`, `v: Owner`, `v *Owner`, `v := &Owner{`, `v = new Owner(` near the call."""
    pattern = _declaration_pattern(variable, owner)
    window = lines[max(0, line - 80) : line]
    return any(pattern.search(text) for text in window if owner in text)


@functools.lru_cache(maxsize=4096)
def _declaration_pattern(variable: str, owner: str) -> re.Pattern[str]:
    v, o = re.escape(variable), re.escape(owner)
    return re.compile(
        rf"(?<![\w$]){v}\s*(?::=|=)\s*(?:new\s+|&)?(?:[\w$]+\.)*{o}\s*[({{]"
        rf"|(?<![\w$]){v}\s*:\s*(?:[\w$]+\.)*{o}\b"
        rf"|(?<![\w$]){v}\s+\*?(?:[\w$]+\.)*{o}\b"
        rf"|\b{o}\s*[*&]?\s+{v}\b"
    )


def _module_receiver(receiver: str, path: str, caller_lines: Sequence[str]) -> bool:
    """`tax.compute_tax(` for a function of tax.py, or a name bound to that module."""
    stem = module_stem(path)
    head = receiver.split(".")[-1]
    if normal_stem(head) == normal_stem(stem):
        return True
    name = re.escape(head)
    stem_pattern = re.escape(PurePosixPath(path).stem)
    bound = re.compile(
        rf"\b{name}\s*=\s*require\s*\(\s*['\"`][^'\"`]*{stem_pattern}(?:\.\w+)?['\"`]"
        rf"|\bimport\s+(?:[\w.]+\.)?{stem_pattern}\s+as\s+{name}\b"
        rf"|\bimport\s+\*\s+as\s+{name}\s+from\s+['\"`][^'\"`]*{stem_pattern}"
    )
    return any(bound.search(text) for text in caller_lines[:400])


def _common(path: str) -> frozenset[str]:
    return grammars.stopwords(languages.grammar_key(None, path))


_PY_FROM = re.compile(r"^\s*from\s+(\.*[\w.]*)\s+import\s+\(?([^#]*)")
_PY_IMPORT_AS = re.compile(r"^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?\s*$")
_JS_SOURCE = re.compile(
    r"""(?:\bfrom\s+|\brequire\s*\(\s*|\bimport\s*\(\s*)['"`](\.{1,2}/[^'"`]+)['"`]"""
)
_JS_SUFFIXES = ("", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", "/index.js", "/index.ts")


def import_lines(lines: Sequence[str]) -> tuple[str, ...]:
    """The lines of a file that may import something (compute once per file)."""
    return tuple(t for t in lines[:2000] if "import" in t or "require" in t)


def import_paths(
    word: str, origin: str, lines: Sequence[str], imports: Sequence[str], files: Collection[str]
) -> list[str]:
    """Files the changed file imports `word` from, or imports a module `m` from that the
    file uses as `m.word`. Python and JavaScript/TypeScript relative imports; [] otherwise.
    `imports`: import_lines(lines); `files`: the tree's paths, as a set."""
    if not imports:
        return []
    member = re.compile(r"([A-Za-z_$][\w$]*)\s*\.\s*" + re.escape(word) + r"\b")
    receivers = {m.group(1) for text in lines if word in text for m in member.finditer(text)}
    found: list[str] = []
    for text in imports:
        if origin.endswith(".py"):
            modules = _python_sources(text, word, receivers)
            paths = [p for m in modules for p in _python_files(m, origin, files)]
        else:
            paths = _js_files(text, word, receivers, origin, files)
        found += [p for p in paths if p not in found and p != origin]
    return found


def _python_sources(text: str, word: str, receivers: set[str]) -> list[str]:
    match = _PY_FROM.match(text)
    if match:
        names = {n.split(" as ")[-1].strip(" ,()\\") for n in match.group(2).split(",")}
        if word in names:
            return [match.group(1)]
        return [f"{match.group(1)}.{n}".replace("..", ".") for n in names & receivers]
    match = _PY_IMPORT_AS.match(text)
    if match and (match.group(2) or match.group(1).split(".")[0]) in receivers:
        return [match.group(1)]
    return []


def _python_files(module: str, origin: str, files: Collection[str]) -> list[str]:
    dots = len(module) - len(module.lstrip("."))
    parts = [p for p in module.lstrip(".").split(".") if p]
    if dots:
        base = (
            PurePosixPath(origin).parents[dots - 1]
            if dots <= len(PurePosixPath(origin).parents)
            else PurePosixPath(".")
        )
        stem = "/".join([*([str(base)] if str(base) != "." else []), *parts])
        wanted = [f"{stem}.py", f"{stem}/__init__.py"]
        return [p for p in wanted if p in files]
    if not parts:
        return []
    tail = "/".join(parts)
    exact = [p for p in (f"{tail}.py", f"{tail}/__init__.py") if p in files]
    if exact:
        return exact
    ends = (f"/{tail}.py", f"/{tail}/__init__.py")  # a src/ layout
    return [p for p in files if p.endswith(ends)]


def _js_files(text: str, word: str, receivers: set[str], origin: str, known: set[str]) -> list[str]:
    match = _JS_SOURCE.search(text)
    if match is None:
        return []
    bound = re.findall(r"[A-Za-z_$][\w$]*", text[: match.start()])
    if word not in bound and not receivers & set(bound):
        return []
    base = PurePosixPath(origin).parent
    target = posix_normal(str(base / match.group(1)))
    return [target + s for s in _JS_SUFFIXES if target + s in known][:1]


def posix_normal(path: str) -> str:
    parts: list[str] = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in (".", ""):
            parts.append(part)
    return "/".join(parts)
