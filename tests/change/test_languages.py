"""Language detection from file names."""

from __future__ import annotations

import pytest

from prreview.change.languages import detect_language, grammar_key, known_languages
from prreview.change.languages import family as family_of
from prreview.context.outline import extract_definitions


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/app.py", "python"),
        ("types.pyi", "python"),
        ("web/index.JS", "javascript"),
        ("web/mod.mjs", "javascript"),
        ("ui/App.jsx", "jsx"),
        ("ui/api.ts", "typescript"),
        ("ui/App.tsx", "tsx"),
        ("cmd/main.go", "go"),
        ("Main.java", "java"),
        ("lib.rs", "rust"),
        ("x.c", "c"),
        ("x.h", "c"),
        ("x.cc", "cpp"),
        ("x.hpp", "cpp"),
        ("app.rb", "ruby"),
        ("Program.cs", "csharp"),
        ("index.php", "php"),
        ("Main.kt", "kotlin"),
        ("App.swift", "swift"),
        ("deploy.sh", "shell"),
        (".github/workflows/ci.yml", "yaml"),
        ("package.json", "json"),
        ("pyproject.toml", "toml"),
        ("README.md", "markdown"),
        ("index.html", "html"),
        ("site.css", "css"),
        ("schema.sql", "sql"),
        ("Dockerfile", "dockerfile"),
        ("docker/Dockerfile.prod", "dockerfile"),
        ("Makefile", "make"),
        ("Gemfile", "ruby"),
        ("LICENSE", None),
        ("data.bin", None),
        ("archive.tar.gz", None),
    ],
)
def test_detect_language(path, language):
    assert detect_language(path) == language


def test_known_languages_cover_the_tree_sitter_grammars():
    grammars = {"python", "javascript", "typescript", "tsx", "go", "java", "rust", "c", "cpp"}
    assert grammars | {"ruby", "csharp", "php"} <= known_languages()


def test_a_header_from_a_diff_is_parsed_with_the_cpp_grammar() -> None:
    """A `.h` keeps the language `c` but is read by the C++ grammar (classes, namespaces)."""

    header = "namespace net {\nclass Socket {\n public:\n  int open(int port);\n};\n}\n"
    assert detect_language("include/net.h") == "c"
    assert grammar_key("c", "include/net.h") == "cpp"
    names = {d.qualified_name for d in extract_definitions(header, "c", "include/net.h")}
    assert "net::Socket" in names or "Socket" in names


@pytest.mark.parametrize(
    ("language", "path", "family"),
    [("jsx", "a.jsx", "javascript"), ("tsx", "a.tsx", "typescript"), (None, "a.py", "python")],
)
def test_family_groups_what_the_checks_share(language: str | None, path: str, family: str) -> None:

    assert family_of(language, path) == family
