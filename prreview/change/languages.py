"""The one language table: a file's language from its name, its tree-sitter grammar, its
family (for the checks) and whether it is code at all.

Names are the ones the rest of the package uses (FileChange.language, evaluator `languages`
filters): python, javascript, jsx, typescript, tsx, go, java, rust, c, cpp, ruby, csharp,
php, kotlin, swift, shell, yaml, json, toml, markdown, html, css, sql, dockerfile, ...
`detect_language` returns None for anything it does not know.
"""

from __future__ import annotations

from pathlib import PurePosixPath

_EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".pyw": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "jsx",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
    ".c": "c",
    ".h": "c",
    ".cc": "cpp",
    ".cpp": "cpp",
    ".cxx": "cpp",
    ".c++": "cpp",
    ".hh": "cpp",
    ".hpp": "cpp",
    ".hxx": "cpp",
    ".h++": "cpp",
    ".ipp": "cpp",
    ".rb": "ruby",
    ".rake": "ruby",
    ".gemspec": "ruby",
    ".cs": "csharp",
    ".php": "php",
    ".kt": "kotlin",
    ".kts": "kotlin",
    ".swift": "swift",
    ".sh": "shell",
    ".bash": "shell",
    ".zsh": "shell",
    ".ksh": "shell",
    ".fish": "fish",
    ".ps1": "powershell",
    ".psm1": "powershell",
    ".bat": "batch",
    ".cmd": "batch",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".json": "json",
    ".jsonc": "json",
    ".json5": "json",
    ".toml": "toml",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".css": "css",
    ".scss": "scss",
    ".sass": "scss",
    ".less": "less",
    ".sql": "sql",
    ".xml": "xml",
    ".xsd": "xml",
    ".xsl": "xml",
    ".svg": "xml",
    ".vue": "vue",
    ".svelte": "svelte",
    ".scala": "scala",
    ".sc": "scala",
    ".groovy": "groovy",
    ".gradle": "groovy",
    ".lua": "lua",
    ".pl": "perl",
    ".pm": "perl",
    ".r": "r",
    ".dart": "dart",
    ".ex": "elixir",
    ".exs": "elixir",
    ".erl": "erlang",
    ".hrl": "erlang",
    ".hs": "haskell",
    ".ml": "ocaml",
    ".mli": "ocaml",
    ".clj": "clojure",
    ".cljs": "clojure",
    ".m": "objective-c",
    ".mm": "objective-cpp",
    ".zig": "zig",
    ".nim": "nim",
    ".jl": "julia",
    ".nix": "nix",
    ".tf": "terraform",
    ".tfvars": "terraform",
    ".hcl": "hcl",
    ".proto": "protobuf",
    ".graphql": "graphql",
    ".gql": "graphql",
    ".ini": "ini",
    ".cfg": "ini",
    ".cmake": "cmake",
    ".mk": "make",
    ".dockerfile": "dockerfile",
    ".bzl": "starlark",
    ".star": "starlark",
    ".sol": "solidity",
    ".vb": "vbnet",
    ".fs": "fsharp",
    ".fsx": "fsharp",
    ".ipynb": "jupyter",
}

_FILENAMES: dict[str, str] = {
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    "makefile": "make",
    "gnumakefile": "make",
    "cmakelists.txt": "cmake",
    "gemfile": "ruby",
    "rakefile": "ruby",
    "podfile": "ruby",
    "vagrantfile": "ruby",
    "jenkinsfile": "groovy",
    "build": "starlark",
    "build.bazel": "starlark",
    "workspace": "starlark",
    ".bashrc": "shell",
    ".bash_profile": "shell",
    ".profile": "shell",
    ".zshrc": "shell",
    "pkgbuild": "shell",
}


def detect_language(path: str) -> str | None:
    """Language name for `path` (repo-relative, '/'-separated), or None when unknown."""
    name = PurePosixPath(path).name.lower()
    if name in _FILENAMES:
        return _FILENAMES[name]
    if name.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    suffix = PurePosixPath(name).suffix
    return _EXTENSIONS.get(suffix)


def known_languages() -> frozenset[str]:
    """Every name `detect_language` can return."""
    return frozenset(_EXTENSIONS.values()) | frozenset(_FILENAMES.values())


_ALIASES = {
    "py": "python",
    "python3": "python",
    "js": "javascript",
    "mjs": "javascript",
    "cjs": "javascript",
    "node": "javascript",
    "ts": "typescript",
    "golang": "go",
    "rs": "rust",
    "h": "c",
    "c++": "cpp",
    "cxx": "cpp",
    "cc": "cpp",
    "hpp": "cpp",
    "rb": "ruby",
    "c#": "csharp",
    "cs": "csharp",
    "c_sharp": "csharp",
    "c-sharp": "csharp",
}
"""Other spellings of a language name (user config, other tools) -> the name used here."""

_GRAMMARS = {
    "python": "python",
    "javascript": "javascript",
    "jsx": "javascript",
    "typescript": "typescript",
    "tsx": "tsx",
    "go": "go",
    "java": "java",
    "rust": "rust",
    "c": "c",
    "cpp": "cpp",
    "ruby": "ruby",
    "csharp": "csharp",
    "php": "php",
}
"""Language -> key of its tree-sitter grammar (context/grammars.GRAMMARS)."""

_HEADER_GRAMMAR = "cpp"
"""A `.h` file is C or C++; the C++ grammar reads plain C headers, the C grammar fails on
classes and templates, so headers are parsed as C++ while their language stays `c`."""

_FAMILIES = {"jsx": "javascript", "tsx": "typescript"}
JS_LIKE = frozenset({"javascript", "typescript"})
"""Families whose checks are shared (console.log, .only(), eval, ...)."""

_NOT_CODE = frozenset(
    {"yaml", "json", "toml", "markdown", "rst", "html", "css", "scss", "less", "xml", "ini"}
    | {"text", "csv", "svg", "lock"}
)
_NOT_CODE_SUFFIXES = (".md", ".rst", ".txt", ".json", ".yaml", ".yml", ".toml", ".lock", ".csv")
_NOT_CODE_SUFFIXES += (".svg", ".html", ".htm", ".xml", ".ini", ".cfg", ".map", ".min.js", ".css")


def canonical(language: str | None) -> str | None:
    """The name used here for a language spelled `language` (None stays None)."""
    if not language:
        return None
    key = language.strip().lower()
    return _ALIASES.get(key, key)


def grammar_key(language: str | None, path: str) -> str | None:
    """The tree-sitter grammar for a file, or None (the heuristic outline is used)."""
    if PurePosixPath(path).suffix.lower() == ".h":
        return _HEADER_GRAMMAR
    given = _GRAMMARS.get(canonical(language) or "")
    return given or _GRAMMARS.get(detect_language(path) or "")


def family(language: str | None, path: str) -> str | None:
    """The language the checks treat the file as: jsx is javascript, tsx is typescript."""
    name = canonical(language) or detect_language(path)
    return _FAMILIES.get(name or "", name)


def is_code(language: str | None, path: str) -> bool:
    """False for prose, data and markup: they have no definitions worth looking up."""
    if canonical(language) in _NOT_CODE:
        return False
    return not path.lower().endswith(_NOT_CODE_SUFFIXES)
