"""Tree-sitter grammars: language keys, lazy loading, node-type tables and stoplists.

Grammars come from the per-language wheels (tree-sitter-python, ...). Each one is loaded on
first use and kept for the life of the process, like an import.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass

from tree_sitter import Language, Parser, Query, Tree

DefKind = str
"""One of: function, class, constant, other, special (decided by a handler in outline.py)."""


@dataclass(frozen=True)
class Grammar:
    key: str
    module: str
    factory: str
    definitions: dict[str, DefKind]
    identifiers: tuple[str, ...]
    patterns: str = ""
    """Query patterns for definitions that only count in some places (capture name @def)."""


_JS_DEFS: dict[str, DefKind] = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "class_declaration": "class",
    "field_definition": "special",
}
_JS_PATTERNS = """
(variable_declarator
  value: [(arrow_function) (function_expression) (generator_function) (class)]) @def
(assignment_expression
  right: [(arrow_function) (function_expression) (generator_function) (class)]) @def
(program [(lexical_declaration (variable_declarator) @def)
          (variable_declaration (variable_declarator) @def)
          (export_statement (lexical_declaration (variable_declarator) @def))])
"""
_TS_DEFS: dict[str, DefKind] = {
    **{k: v for k, v in _JS_DEFS.items() if k != "field_definition"},
    "public_field_definition": "special",
    "abstract_class_declaration": "class",
    "interface_declaration": "class",
    "type_alias_declaration": "class",
    "enum_declaration": "class",
    "internal_module": "other",
}
_C_DEFS: dict[str, DefKind] = {
    "function_definition": "special",
    "struct_specifier": "special",
    "union_specifier": "special",
    "enum_specifier": "special",
    "type_definition": "special",
    "preproc_def": "constant",
    "preproc_function_def": "function",
    "declaration": "special",
}
_JS_IDS = (
    "identifier",
    "property_identifier",
    "shorthand_property_identifier",
    "shorthand_property_identifier_pattern",
)

GRAMMARS: dict[str, Grammar] = {
    g.key: g
    for g in (
        Grammar(
            "python",
            "tree_sitter_python",
            "language",
            {
                "function_definition": "function",
                "class_definition": "class",
                "assignment": "special",
            },
            ("identifier",),
        ),
        Grammar(
            "javascript", "tree_sitter_javascript", "language", _JS_DEFS, _JS_IDS, _JS_PATTERNS
        ),
        Grammar(
            "typescript",
            "tree_sitter_typescript",
            "language_typescript",
            _TS_DEFS,
            (*_JS_IDS, "type_identifier"),
            _JS_PATTERNS,
        ),
        Grammar(
            "tsx",
            "tree_sitter_typescript",
            "language_tsx",
            _TS_DEFS,
            (*_JS_IDS, "type_identifier"),
            _JS_PATTERNS,
        ),
        Grammar(
            "go",
            "tree_sitter_go",
            "language",
            {
                "function_declaration": "function",
                "method_declaration": "special",
                "type_spec": "class",
                "const_spec": "special",
                "var_spec": "special",
            },
            ("identifier", "field_identifier", "type_identifier"),
        ),
        Grammar(
            "java",
            "tree_sitter_java",
            "language",
            {
                "class_declaration": "class",
                "interface_declaration": "class",
                "enum_declaration": "class",
                "record_declaration": "class",
                "annotation_type_declaration": "class",
                "method_declaration": "function",
                "constructor_declaration": "function",
                "field_declaration": "special",
            },
            ("identifier", "type_identifier"),
        ),
        Grammar(
            "rust",
            "tree_sitter_rust",
            "language",
            {
                "function_item": "function",
                "struct_item": "class",
                "enum_item": "class",
                "trait_item": "class",
                "union_item": "class",
                "type_item": "class",
                "impl_item": "special",
                "const_item": "constant",
                "static_item": "constant",
                "mod_item": "other",
                "macro_definition": "function",
            },
            ("identifier", "field_identifier", "type_identifier"),
        ),
        Grammar(
            "c",
            "tree_sitter_c",
            "language",
            _C_DEFS,
            ("identifier", "field_identifier", "type_identifier"),
        ),
        Grammar(
            "cpp",
            "tree_sitter_cpp",
            "language",
            {**_C_DEFS, "class_specifier": "special"},
            ("identifier", "field_identifier", "type_identifier"),
        ),
        Grammar(
            "ruby",
            "tree_sitter_ruby",
            "language",
            {
                "method": "function",
                "singleton_method": "function",
                "class": "special",
                "module": "special",
            },
            ("identifier", "constant"),
            "(assignment left: (constant)) @def",
        ),
        Grammar(
            "csharp",
            "tree_sitter_c_sharp",
            "language",
            {
                "class_declaration": "class",
                "struct_declaration": "class",
                "interface_declaration": "class",
                "enum_declaration": "class",
                "record_declaration": "class",
                "method_declaration": "function",
                "constructor_declaration": "function",
                "local_function_statement": "function",
                "property_declaration": "function",
                "field_declaration": "special",
            },
            ("identifier",),
        ),
        Grammar(
            "php",
            "tree_sitter_php",
            "language_php",
            {
                "function_definition": "function",
                "method_declaration": "function",
                "class_declaration": "class",
                "interface_declaration": "class",
                "trait_declaration": "class",
                "enum_declaration": "class",
                "const_element": "special",
            },
            ("name",),
        ),
    )
}

WRAPPERS = frozenset(
    {"decorated_definition", "template_declaration", "export_statement", "lexical_declaration"}
    | {"variable_declaration", "expression_statement"}
)
"""Nodes whose start is the start of the definition they wrap (decorators, templates)."""

LEADING = frozenset({"decorator", "attribute_item", "annotation", "marker_annotation"})
"""Sibling nodes, besides comments, that belong to the definition that follows them."""


@functools.cache
def load_language(key: str) -> Language:
    grammar = GRAMMARS[key]
    module = importlib.import_module(grammar.module)
    return Language(getattr(module, grammar.factory)())


def parse(key: str, data: bytes) -> Tree:
    # Parsers are cheap and not shareable between threads, so each parse gets its own.
    return Parser(load_language(key)).parse(data)


@functools.cache
def definition_query(key: str) -> Query:
    grammar = GRAMMARS[key]
    types = " ".join(f"({t})" for t in grammar.definitions)
    return Query(load_language(key), f"[{types}] @def\n{grammar.patterns}")


@functools.cache
def identifier_query(key: str) -> Query:
    types = " ".join(f"({t})" for t in GRAMMARS[key].identifiers)
    return Query(load_language(key), f"[{types}] @id")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_COMMON_STOP = _words(
    """self this super cls true false null nil none None True False undefined NaN Infinity
    get set add put push pop map filter reduce length size len append extend insert remove
    keys values items join split strip trim replace format lower upper startswith endswith
    toString equals hashCode forEach then catch finally log error warn info debug close open
    read write print println printf sprintf fprintf console window document JSON Math Date
    Object Array Promise String Number Boolean Error Map Set require module exports main
    new delete copy apply call bind slice splice indexOf includes concat clone iter next
    args kwargs argv value key name data result res req err ok e i j k n x y id"""
)

_STOP: dict[str, frozenset[str]] = {
    "python": _words(
        """print len str int float bool list dict set tuple range enumerate zip map filter
        isinstance issubclass getattr setattr hasattr delattr open object type bytes min max sum
        any all sorted reversed repr hash abs round callable vars dir staticmethod classmethod
        property Exception ValueError TypeError KeyError IndexError RuntimeError AttributeError
        OSError NotImplementedError StopIteration match case __init__ __name__ __main__ __file__
        annotations update encode decode count index"""
    ),
    "go": _words(
        """int int8 int16 int32 int64 uint uint8 uint16 uint32 uint64 uintptr float32 float64
        string bool byte rune error any iota make cap panic recover Println Printf Sprintf
        Errorf Error String New ctx context fmt"""
    ),
    "java": _words(
        """String Object Integer Long Double Boolean List Map Set HashMap ArrayList System out
        Override Exception RuntimeException Optional Collections Arrays Math"""
    ),
    "rust": _words(
        """Self Some None Ok Err Vec String Box Option Result Rc Arc unwrap expect into from
        as_str to_string unwrap_or collect iter std fmt"""
    ),
    "c": _words(
        """NULL size_t ssize_t uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t int64_t
        printf fprintf malloc calloc realloc free memcpy memset strlen strcmp sizeof errno"""
    ),
    "cpp": _words(
        """NULL nullptr std string vector cout cerr endl unique_ptr shared_ptr make_unique
        make_shared size_t move forward begin end size_t printf malloc free"""
    ),
    "ruby": _words(
        """puts require require_relative attr_reader attr_writer attr_accessor raise new each
        map select reject include extend private protected public block_given lambda proc"""
    ),
    "csharp": _words(
        """var string int bool object Console WriteLine Task List Dictionary nameof value
        Exception ToString Equals GetHashCode"""
    ),
    "php": _words(
        """this array count isset unset echo strlen empty is_null in_array array_map
        array_keys array_merge sprintf"""
    ),
}
_STOP["javascript"] = _words("undefined arguments console require module exports")
_STOP["typescript"] = _STOP["javascript"] | _words("string number boolean any unknown never void")
_STOP["tsx"] = _STOP["typescript"] | _words("React props")

FALLBACK_KEYWORDS = _words(
    """if else elif elsif for foreach while do return function func fn def class struct end
    then local let var const import from export new delete try catch finally throw raise in not
    and or is case switch default break continue yield await async public private protected
    static void int float double char bool string sub my our use package module begin rescue
    ensure unless until when fi esac done echo proc lambda where with as of type interface"""
)


def stopwords(key: str | None) -> frozenset[str]:
    """Identifiers never worth looking up: keywords, builtins, very common method names."""
    if key is None:
        return _COMMON_STOP | FALLBACK_KEYWORDS
    return _COMMON_STOP | _STOP.get(key, frozenset())
