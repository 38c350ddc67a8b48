"""Language detection from file names."""

from __future__ import annotations

import pytest

from prreview.change.languages import detect_language, known_languages


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
