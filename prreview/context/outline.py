"""The outline of a source file: its definitions (functions, methods, classes, constants).

Tree-sitter grammars where one is installed; otherwise a keyword-and-indentation heuristic.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal, cast

from tree_sitter import Node, QueryCursor

from prreview.change import languages
from prreview.context import grammars
from prreview.models import Frozen

DefinitionKind = Literal["function", "method", "class", "constant", "other"]


class Definition(Frozen):
    kind: DefinitionKind
    name: str
    qualified_name: str
    start_line: int
    """1-based, inclusive; includes decorators and the doc comment right above."""
    end_line: int
    """1-based, inclusive."""

    def contains(self, line: int) -> bool:
        return self.start_line <= line <= self.end_line

    @property
    def length(self) -> int:
        return self.end_line - self.start_line + 1


Found = tuple[str, str, str | None, str]
"""(kind, name, scope, prefix): scope qualifies what nests inside (None: the name); prefix
qualifies this definition itself (a Go receiver, a C++ `Class::` outside the class)."""


def extract_definitions(text: str, language: str | None, path: str) -> list[Definition]:
    """Every definition in `text`, sorted by start line (outer before inner)."""
    if not languages.is_code(language, path):
        return []
    key = languages.grammar_key(language, path)
    if key is None:
        return _heuristic_definitions(text)
    data = text.encode("utf-8", "surrogatepass")
    root = grammars.parse(key, data).root_node
    captured = QueryCursor(grammars.definition_query(key)).captures(root).get("def", [])
    unique = {(n.start_byte, n.end_byte, n.type): n for n in captured}
    nodes = [unique[k] for k in sorted(unique, key=lambda k: (k[0], -k[1], k[2]))]
    kinds = grammars.GRAMMARS[key].definitions
    out: list[Definition] = []
    stack: list[tuple[int, str, str | None]] = []  # (end_byte, kind, scope)
    for node in nodes:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        found = _describe(key, node, kinds.get(node.type, "special"))
        if found is None:
            continue
        kind, name, scope, own_prefix = found
        enclosing_kind = stack[-1][1] if stack else None
        if kind == "function" and enclosing_kind == "class":
            kind = "method"
        prefix = ".".join([s for _, _, s in stack if s] + ([own_prefix] if own_prefix else []))
        qualified = f"{prefix}.{name}" if prefix else name
        start, end = _line_span(node)
        out.append(_definition(kind, name, qualified, start, end))
        if kind in ("function", "method", "class", "other"):
            stack.append((node.end_byte, kind, scope if scope is not None else name))
    return out


def _definition(kind: str, name: str, qualified: str, start: int, end: int) -> Definition:
    return Definition(
        kind=cast(DefinitionKind, kind),
        name=name,
        qualified_name=qualified,
        start_line=start,
        end_line=end,
    )


def _line_span(node: Node) -> tuple[int, int]:
    end_row, end_col = node.end_point
    end = end_row if end_col == 0 and end_row > node.start_point[0] else end_row + 1
    outer = node
    while outer.parent is not None and outer.parent.type in grammars.WRAPPERS:
        outer = outer.parent
    start_row = outer.start_point[0]
    prev = outer.prev_named_sibling
    if prev is None and outer.parent is not None and outer.parent.type == "block":
        prev = outer.parent.prev_named_sibling  # Python puts a block's first comment before it
    while prev is not None and _leads(prev) and prev.end_point[0] >= start_row - 1:
        before = prev.prev_named_sibling
        if before is not None and before.end_point[0] >= prev.start_point[0]:
            break  # a trailing comment of the statement before, not a doc comment
        start_row = min(start_row, prev.start_point[0])
        prev = before
    return start_row + 1, end


def _leads(node: Node) -> bool:
    return node.type in grammars.LEADING or "comment" in node.type


def _text(node: Node | None) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text else ""


def _describe(key: str, node: Node, kind: str) -> Found | None:
    if kind != "special":
        name = _text(node.child_by_field_name("name"))
        return (kind, name, None, "") if name else None
    handler = _SPECIAL.get((key, node.type)) or _SPECIAL.get(("*", node.type))
    return handler(node) if handler else None


def _is_upper(name: str) -> bool:
    return any(c.isalpha() for c in name) and name == name.upper()


def _python_assignment(node: Node) -> Found | None:
    parent = node.parent
    if parent is None or parent.type != "expression_statement":
        return None
    if parent.parent is None or parent.parent.type != "module":
        return None
    left = node.child_by_field_name("left")
    if left is None or left.type != "identifier":
        return None
    name = _text(left)
    return ("constant" if _is_upper(name) else "other", name, None, "")


_JS_FUNCTIONS = {"arrow_function", "function_expression", "function", "generator_function"}


def _js_declarator(node: Node) -> Found | None:
    name_node = node.child_by_field_name("name")
    if name_node is None or name_node.type != "identifier":
        return None
    name = _text(name_node)
    value = node.child_by_field_name("value")
    if value is not None and value.type in _JS_FUNCTIONS:
        return ("function", name, None, "")
    if value is not None and value.type == "class":
        return ("class", name, None, "")
    if _is_require(value):
        return None  # an import: the definition is in the module it names
    # Other declarators only count at the top level (the query makes sure of that).
    keyword = _text(node.parent).split(None, 1)[0] if node.parent is not None else ""
    return ("constant" if keyword == "const" else "other", name, None, "")


def _is_require(value: Node | None) -> bool:
    while value is not None and value.type in ("await_expression", "member_expression"):
        value = value.named_children[0] if value.named_children else None
    if value is None or value.type != "call_expression":
        return False
    callee = value.child_by_field_name("function")
    return (
        callee is not None
        and callee.type in ("import", "identifier")
        and (callee.type == "import" or _text(callee) == "require")
    )


def _js_field(node: Node) -> Found | None:
    name = _text(node.child_by_field_name("name") or node.child_by_field_name("property"))
    value = node.child_by_field_name("value")
    if name and value is not None and value.type in _JS_FUNCTIONS:
        return ("function", name, None, "")
    return None


def _js_assignment(node: Node) -> Found | None:
    """`a.b = function ...`, `A.prototype.m = ...`, `exports.f = ...`, `module.exports = ...`."""
    right = node.child_by_field_name("right")
    path = _member_path(node.child_by_field_name("left"))
    if right is None or not path:
        return None
    kind = "class" if right.type == "class" else "function"
    if path in (["exports"], ["module", "exports"]):
        own = _text(right.child_by_field_name("name"))
        return (kind, own, None, "") if own else None
    if path[:2] == ["module", "exports"]:
        path = path[1:]
    owner = [p for p in path[:-1] if p not in ("prototype", "this", "exports")]
    if kind == "function" and "prototype" in path[:-1]:
        kind = "method"
    prefix = ".".join(owner)
    return (kind, path[-1], ".".join([*owner, path[-1]]), prefix)


def _member_path(node: Node | None) -> list[str]:
    """["a", "b", "c"] for `a.b.c` (identifiers, `this` and plain properties only)."""
    parts: list[str] = []
    while node is not None and node.type == "member_expression":
        prop = node.child_by_field_name("property")
        if prop is None or prop.type != "property_identifier":
            return []
        parts.append(_text(prop))
        node = node.child_by_field_name("object")
    if node is None or node.type not in ("identifier", "this"):
        return []
    return [_text(node), *reversed(parts)]


def _go_method(node: Node) -> Found | None:
    name = _text(node.child_by_field_name("name"))
    match = re.search(
        r"([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*\)\s*$", _text(node.child_by_field_name("receiver"))
    )
    return ("method", name, None, match.group(1) if match else "") if name else None


def _go_spec(node: Node) -> Found | None:
    up = node.parent
    while up is not None and up.type in ("var_spec_list", "var_declaration", "const_declaration"):
        up = up.parent
    if up is None or up.type != "source_file":
        return None
    name = _text(node.child_by_field_name("name"))
    if not name:
        return None
    return ("constant" if node.type == "const_spec" else "other", name, None, "")


_C_NAME_TYPES = {"identifier", "field_identifier", "qualified_identifier", "type_identifier"}
_C_NAME_TYPES |= {"operator_name", "destructor_name"}


def _c_declarator_name(node: Node | None) -> str:
    while node is not None and node.type not in _C_NAME_TYPES:
        node = node.child_by_field_name("declarator")
    return _text(node)


def _c_function(node: Node) -> Found | None:
    full = _c_declarator_name(node.child_by_field_name("declarator"))
    if not full:
        return None
    parts = [p.strip() for p in full.split("::") if p.strip()]
    if len(parts) > 1:
        return ("method", parts[-1], None, parts[-2])
    return ("function", parts[0], None, "")


def _c_type(node: Node) -> Found | None:
    name = _text(node.child_by_field_name("name"))
    if not name or node.child_by_field_name("body") is None:
        return None
    return ("class", name, None, "")


def _c_typedef(node: Node) -> Found | None:
    name = _c_declarator_name(node.child_by_field_name("declarator"))
    return ("class", name, "", "") if name else None


def _c_declaration(node: Node) -> Found | None:
    if node.parent is None or node.parent.type != "translation_unit":
        return None
    qualifiers = {_text(c) for c in node.children if c.type == "type_qualifier"}
    if not qualifiers & {"const", "constexpr"}:
        return None
    name = _c_declarator_name(node.child_by_field_name("declarator"))
    return ("constant", name, None, "") if name else None


def _rust_impl(node: Node) -> Found | None:
    type_node = node.child_by_field_name("type")
    target = _text(type_node).split("<", 1)[0].strip()
    trait = _text(node.child_by_field_name("trait"))
    if not target:
        return None
    name = f"impl {trait} for {target}" if trait else f"impl {target}"
    return ("class", name, target, "")


def _modified_field(node: Node, wanted: set[str]) -> Found | None:
    modifiers = " ".join(_text(c) for c in node.children if c.type in ("modifiers", "modifier"))
    if not wanted <= set(modifiers.split()):
        return None
    pending = list(node.named_children)
    while pending:
        child = pending.pop(0)
        if child.type == "variable_declarator":
            name = _text(child.child_by_field_name("name"))
            return ("constant", name, None, "") if name else None
        pending.extend(child.named_children)
    return None


def _ruby_assignment(node: Node) -> Found | None:
    left = node.child_by_field_name("left")
    parent = node.parent
    if left is None or left.type != "constant" or parent is None:
        return None
    if parent.type not in ("program", "body_statement"):
        return None
    return ("constant", _text(left), None, "")


def _ruby_class(node: Node) -> Found | None:
    parts = [p for p in _text(node.child_by_field_name("name")).split("::") if p]
    return ("class", parts[-1], None, ".".join(parts[:-1])) if parts else None


def _php_const(node: Node) -> Found | None:
    name = next((_text(c) for c in node.named_children if c.type == "name"), "")
    return ("constant", name, None, "") if name else None


_SPECIAL: dict[tuple[str, str], Callable[[Node], Found | None]] = {
    ("python", "assignment"): _python_assignment,
    ("ruby", "assignment"): _ruby_assignment,
    ("ruby", "class"): _ruby_class,
    ("ruby", "module"): _ruby_class,
    ("php", "const_element"): _php_const,
    ("*", "variable_declarator"): _js_declarator,
    ("*", "field_definition"): _js_field,
    ("*", "assignment_expression"): _js_assignment,
    ("*", "public_field_definition"): _js_field,
    ("go", "method_declaration"): _go_method,
    ("go", "const_spec"): _go_spec,
    ("go", "var_spec"): _go_spec,
    ("*", "function_definition"): _c_function,
    ("*", "struct_specifier"): _c_type,
    ("*", "union_specifier"): _c_type,
    ("*", "enum_specifier"): _c_type,
    ("*", "class_specifier"): _c_type,
    ("*", "type_definition"): _c_typedef,
    ("*", "declaration"): _c_declaration,
    ("rust", "impl_item"): _rust_impl,
    ("java", "field_declaration"): lambda n: _modified_field(n, {"static", "final"}),
    ("csharp", "field_declaration"): lambda n: _modified_field(n, {"const"}),
}


_OPENER = re.compile(
    r"^(?P<indent>[ \t]*)(?:(?:export|public|private|protected|internal|static|async|local|pub"
    r"|override|final|abstract|inline|global|default|suspend|open|data|sealed)\s+)*"
    r"(?P<kw>def|defp|function|func|fun|fn|class|sub|proc|module|struct|interface|trait|enum"
    r"|object|defmodule|macro|procedure)\s+(?P<name>[A-Za-z_][\w.:!?]*)"
)
_SHELL_FUNCTION = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Za-z_][\w-]*)\s*\(\)\s*\{?\s*$")
_CLASSLIKE = {"class", "module", "struct", "interface", "trait", "enum", "object", "defmodule"}
_CLOSER = re.compile(r"^(?:[})\]]|(?:end|fi|done|esac|endfunction|endif|endsub)\b)")
_STRINGS = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'")


def _heuristic_definitions(text: str) -> list[Definition]:
    """Keyword openers (def, function, func, fn, class, sub, ...) with brace or indent ends."""
    lines = text.split("\n")
    out: list[Definition] = []
    stack: list[tuple[int, str, str]] = []  # (end_line, kind, name)
    for index, line in enumerate(lines):
        match = _OPENER.match(line) or _SHELL_FUNCTION.match(line)
        if match is None:
            continue
        start = index + 1
        while stack and stack[-1][0] < start:
            stack.pop()
        kind = "class" if match.groupdict().get("kw") in _CLASSLIKE else "function"
        if kind == "function" and stack and stack[-1][1] == "class":
            kind = "method"
        name = re.split(r"[.:]", match.group("name"))[-1] or match.group("name")
        qualified = ".".join([n for _, _, n in stack] + [name])
        end = _block_end(lines, index, _indent(line))
        out.append(_definition(kind, name, qualified, start, end))
        stack.append((end, kind, name))
    return out


def _indent(line: str) -> int:
    expanded = line.expandtabs()
    return len(expanded) - len(expanded.lstrip())


def _block_end(lines: list[str], index: int, indent: int) -> int:
    """1-based last line of the block opened at lines[index]: matching brace, else indentation."""
    following = next((ln for ln in lines[index + 1 : index + 3] if ln.strip()), "")
    if "{" in _STRINGS.sub("", lines[index]) or following.lstrip().startswith("{"):
        depth, opened = 0, False
        for j in range(index, len(lines)):
            code = _STRINGS.sub("", lines[j])
            opened = opened or "{" in code
            depth += code.count("{") - code.count("}")
            if opened and depth <= 0:
                return j + 1
        return len(lines)
    last = index
    for j in range(index + 1, len(lines)):
        stripped = lines[j].strip()
        if not stripped:
            continue
        if _indent(lines[j]) <= indent:
            return j + 1 if _CLOSER.match(stripped) else last + 1
        last = j
    return last + 1
