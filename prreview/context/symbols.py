"""Which symbols a change touches, which modules it spans, which identifiers a line uses."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import NamedTuple

from tree_sitter import Node, QueryCursor

from prreview.change import languages
from prreview.context import grammars
from prreview.context.outline import Definition, extract_definitions
from prreview.models import DiffLine, FileChange, Symbol, SymbolChange

__all__ = [
    "Definition",
    "IdentifierUse",
    "bound_names",
    "changed_modules",
    "changed_symbols",
    "extract_definitions",
    "identifier_uses",
    "identifiers_in",
    "module_bindings",
]

_Key = tuple[str, int]
"""(qualified name, occurrence): overloads and redefinitions share a qualified name."""


def changed_symbols(file: FileChange, old_text: str | None, new_text: str | None) -> list[Symbol]:
    """The definitions the change touches, innermost first choice, plus their classes.

    Added lines inside a definition make it `modified` (or `added` when the old file has no
    definition of that qualified name); removed lines inside an old definition missing from the
    new file make it `deleted`. Lines outside every definition give one `module` symbol.
    """
    if file.is_binary or file.is_submodule:
        return []
    new_defs = extract_definitions(new_text, file.language, file.path) if new_text else []
    old_path = file.old_path or file.path
    old_defs = extract_definitions(old_text, file.language, old_path) if old_text else []
    added = sorted(ln.new_lineno for ln in _changed(file, "added") if ln.new_lineno)
    removed = sorted(ln.old_lineno for ln in _changed(file, "removed") if ln.old_lineno)
    new_hit, new_loose = _touched(new_defs, added)
    old_hit, old_loose = _touched(old_defs, removed)
    new_by_key, old_by_key = _keyed(new_defs), _keyed(old_defs)
    old_known = old_text is not None or file.status == "added"
    found: dict[_Key, Symbol] = {}
    for key in sorted(_keys_of(new_defs, new_hit)):
        change: SymbolChange = "modified" if key in old_by_key or not old_known else "added"
        found[key] = _symbol(file.path, change, old_by_key.get(key), new_by_key[key])
    for key in sorted(_keys_of(old_defs, old_hit)):
        if key not in found:
            new_def = new_by_key.get(key)
            change = "modified" if new_def is not None else "deleted"
            found[key] = _symbol(file.path, change, old_by_key[key], new_def)
    symbols = list(found.values())
    if new_loose or old_loose:
        symbols.append(_module_symbol(file, new_loose, old_loose))
    return sorted(symbols, key=_symbol_order)


def _changed(file: FileChange, kind: str) -> Iterable[DiffLine]:
    return (
        ln
        for hunk in file.hunks
        for ln in hunk.lines
        if ln.kind == kind and ln.text.strip()  # blank lines change no symbol
    )


def _touched(defs: list[Definition], lines: list[int]) -> tuple[set[int], list[int]]:
    """Indices of the innermost definition of each line plus its nearest class; loose lines."""
    innermost: dict[int, int] = {}
    for index, definition in enumerate(defs):
        lo = bisect.bisect_left(lines, definition.start_line)
        hi = bisect.bisect_right(lines, definition.end_line)
        for line in lines[lo:hi]:
            best = innermost.get(line)
            if best is None or defs[best].start_line <= definition.start_line:
                innermost[line] = index
    hit = set(innermost.values())
    for index in list(hit):
        if defs[index].kind != "class":
            cls = _enclosing_class(defs, index)
            if cls is not None:
                hit.add(cls)
    loose = [line for line in lines if line not in innermost]
    return hit, loose


def _enclosing_class(defs: list[Definition], index: int) -> int | None:
    inner = defs[index]
    best: int | None = None
    for i, d in enumerate(defs):
        encloses = d.contains(inner.start_line) and d.contains(inner.end_line)
        if i == index or d.kind != "class" or not encloses:
            continue
        if best is None or d.start_line >= defs[best].start_line:
            best = i
    return best


def _keyed(defs: list[Definition]) -> dict[_Key, Definition]:
    seen: dict[str, int] = {}
    out: dict[_Key, Definition] = {}
    for d in defs:
        n = seen.get(d.qualified_name, 0)
        seen[d.qualified_name] = n + 1
        out[(d.qualified_name, n)] = d
    return out


def _keys_of(defs: list[Definition], indices: set[int]) -> set[_Key]:
    seen: dict[str, int] = {}
    keys: set[_Key] = set()
    for i, d in enumerate(defs):
        n = seen.get(d.qualified_name, 0)
        seen[d.qualified_name] = n + 1
        if i in indices:
            keys.add((d.qualified_name, n))
    return keys


def _symbol(
    path: str, change: SymbolChange, old: Definition | None, new: Definition | None
) -> Symbol:
    ref = new if new is not None else old
    if ref is None:
        raise ValueError("a changed symbol needs an old or a new definition")
    return Symbol(
        path=path,
        kind=ref.kind,
        name=ref.name,
        qualified_name=ref.qualified_name,
        change=change,
        old_start=old.start_line if old else None,
        old_end=old.end_line if old else None,
        new_start=new.start_line if new else None,
        new_end=new.end_line if new else None,
    )


def _module_symbol(file: FileChange, new_lines: list[int], old_lines: list[int]) -> Symbol:
    change: SymbolChange = {"added": "added", "deleted": "deleted"}.get(file.status, "modified")  # type: ignore[assignment]
    return Symbol(
        path=file.path,
        kind="module",
        name=PurePosixPath(file.path).name,
        qualified_name=file.path,
        change=change,
        old_start=min(old_lines) if old_lines else None,
        old_end=max(old_lines) if old_lines else None,
        new_start=min(new_lines) if new_lines else None,
        new_end=max(new_lines) if new_lines else None,
    )


def _symbol_order(s: Symbol) -> tuple[int, int, int, str]:
    if s.new_start is not None:
        return (0, s.new_start, -(s.new_end or 0), s.qualified_name)
    return (1, s.old_start or 0, -(s.old_end or 0), s.qualified_name)


def changed_modules(paths: Iterable[str]) -> list[str]:
    """The directory (package) of each path, sorted and unique; "." for the repository root."""
    return sorted({str(PurePosixPath(p).parent) for p in paths})


class IdentifierUse(NamedTuple):
    """One use of an identifier (a tuple: thousands are made per file)."""

    name: str
    line: int
    called: bool
    """Followed by `(`: a call, so worth looking up before a plain variable."""


_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_QUOTED = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`[^`]*`")
_CALL = re.compile(rb"\s*\(")


def identifier_uses(
    text: str,
    language: str | None,
    lines: Iterable[int] | None = None,
    path: str = "",
    limit: int = 5000,
) -> list[IdentifierUse]:
    """Identifiers used on `lines` (1-based; all lines when None), keywords and builtins removed.

    Parses the whole text so that a line is read in its context. Stops after `limit` uses
    (a minified line holds thousands).
    """
    key = languages.grammar_key(language, path)
    stop = grammars.stopwords(key)
    wanted = sorted(set(lines)) if lines is not None else None
    if key is None:
        return _regex_uses(text, wanted, stop)[:limit]
    data = text.encode("utf-8", "surrogatepass")
    root = grammars.parse(key, data).root_node
    cursor = QueryCursor(grammars.identifier_query(key))
    uses: list[IdentifierUse] = []
    for first, last in _blocks(wanted) if wanted is not None else [(1, root.end_point[0] + 1)]:
        cursor.set_point_range((first - 1, 0), (last, 0))
        nodes = sorted(cursor.captures(root).get("id", []), key=lambda n: n.start_byte)
        for node in nodes:
            name = node.text.decode("utf-8", "replace") if node.text else ""
            if len(name) < 2 or name in stop:
                continue
            called = _CALL.match(data, node.end_byte) is not None
            uses.append(IdentifierUse(name, node.start_point[0] + 1, called))
            if len(uses) >= limit:
                return uses
    return uses


def _blocks(lines: list[int]) -> list[tuple[int, int]]:
    blocks: list[tuple[int, int]] = []
    for line in lines:
        if blocks and blocks[-1][1] == line - 1:
            blocks[-1] = (blocks[-1][0], line)
        else:
            blocks.append((line, line))
    return blocks


def _regex_uses(text: str, wanted: list[int] | None, stop: frozenset[str]) -> list[IdentifierUse]:
    all_lines = text.split("\n")
    numbers = wanted if wanted is not None else range(1, len(all_lines) + 1)
    uses: list[IdentifierUse] = []
    for number in numbers:
        if not 1 <= number <= len(all_lines):
            continue
        code = _QUOTED.sub('""', all_lines[number - 1])
        for match in _WORD.finditer(code):
            name = match.group(0)
            if len(name) >= 2 and name not in stop and not name[0].isdigit():
                called = code[match.end() :].lstrip().startswith("(")
                uses.append(IdentifierUse(name, number, called))
    return uses


def identifiers_in(text: str, language: str | None) -> list[str]:
    """Distinct identifiers used in a line or snippet, in first-use order."""
    return list(dict.fromkeys(use.name for use in identifier_uses(text, language)))


_PARAMETER_FIELDS = ("parameters", "parameter", "receiver", "result")
_NOT_BINDING_FIELDS = frozenset({"type", "value", "default_value", "right", "return_type"})
_BINDING_TYPES = frozenset({"identifier", "shorthand_property_identifier_pattern"})
_LOCALS = {
    "variable_declarator": "name",
    "init_declarator": "declarator",
    "let_declaration": "pattern",
    "short_var_declaration": "left",
    "var_spec": "name",
    "assignment": "left",
}
_MAX_SCOPE_NODES = 20000


def bound_names(
    text: str, language: str | None, lines: Iterable[int], path: str = ""
) -> frozenset[str] | None:
    """Parameters and local variables of the functions enclosing `lines` (1-based).

    Such names are defined right there, so looking them up elsewhere finds namesakes.
    None when no grammar reads the file.
    """
    key = languages.grammar_key(language, path)
    if key is None:
        return None
    root = grammars.parse(key, text.encode("utf-8", "surrogatepass")).root_node
    rows = text.split("\n")
    scopes: dict[int, Node] = {}
    for line in sorted(set(lines)):
        if not 1 <= line <= len(rows):
            continue
        row = rows[line - 1]
        column = len(row[: len(row) - len(row.lstrip())].encode("utf-8", "surrogatepass"))
        node: Node | None = root.descendant_for_point_range((line - 1, column), (line - 1, column))
        while node is not None and node.id not in scopes:
            if _parameter_lists(node):
                scopes[node.id] = node
            node = node.parent
    names: set[str] = set()
    for scope in scopes.values():
        for params in _parameter_lists(scope):
            names |= _binding_names(params)
        names |= _local_names(scope)
    return frozenset(names)


def _parameter_lists(node: Node) -> list[Node]:
    found = [c for f in _PARAMETER_FIELDS if (c := node.child_by_field_name(f)) is not None]
    declarator = (
        node.child_by_field_name("declarator") if node.type == "function_definition" else None
    )
    while declarator is not None and not found:  # C and C++ keep parameters in the declarator
        params = declarator.child_by_field_name("parameters")
        found = [params] if params is not None else []
        declarator = declarator.child_by_field_name("declarator")
    return found


def _binding_names(node: Node) -> set[str]:
    """Identifiers a parameter list or pattern binds (not its types or default values)."""
    if node.type in _BINDING_TYPES:
        return {_node_text(node)}
    names: set[str] = set()
    for index, child in enumerate(node.children):
        field = node.field_name_for_child(index)
        if child.is_named and (field not in _NOT_BINDING_FIELDS or node.type == "pair_pattern"):
            names |= _binding_names(child)
    return names


def _local_names(scope: Node) -> set[str]:
    """Names declared in the scope's body, nested functions included (cheap and close enough)."""
    names: set[str] = set()
    pending = [scope]
    for _ in range(_MAX_SCOPE_NODES):
        if not pending:
            break
        node = pending.pop()
        field = _LOCALS.get(node.type)
        target = node.child_by_field_name(field) if field else None
        if target is not None:
            names |= _direct_bindings(target)
        pending.extend(node.named_children)
    return names


def _direct_bindings(node: Node) -> set[str]:
    """`a`, or the `a, b` of `a, b = ...`; not the `x` of `self.x = ...`."""
    if node.type in _BINDING_TYPES:
        return {_node_text(node)}
    if node.type in ("pattern_list", "tuple_pattern", "expression_list", "array_pattern"):
        return {_node_text(c) for c in node.named_children if c.type in _BINDING_TYPES}
    if node.type in ("object_pattern", "pointer_declarator", "mutable_specifier"):
        return _binding_names(node)
    return set()


def _node_text(node: Node) -> str:
    return node.text.decode("utf-8", "replace") if node.text else ""


_MODULE_BINDINGS = [
    re.compile(r"(?:\b(?:var|let|const)\s+|,\s*)([A-Za-z_$][\w$]*)\s*=\s*require\s*\(\s*['\"`]"),
    re.compile(r"\bimport\s+\*\s+as\s+([A-Za-z_$][\w$]*)"),
]
_PY_IMPORT = re.compile(r"^\s*import\s+([\w., \t]+?)\s*(?:#.*)?$")


def module_bindings(lines: list[str]) -> set[str]:
    """Names this file binds to a whole module (`var path = require('path')`, `import os`):
    definitions elsewhere with the same name are namesakes, not what the file uses."""
    names: set[str] = set()
    for line in lines:
        if "require" not in line and "import" not in line:
            continue
        for pattern in _MODULE_BINDINGS:
            names |= {m.group(1) for m in pattern.finditer(line)}
        match = _PY_IMPORT.match(line)
        for part in match.group(1).split(",") if match else []:
            words = part.split()
            if len(words) == 3 and words[1] == "as":
                names.add(words[2])
            elif len(words) == 1:
                names.add(words[0].split(".")[0])
    return names
