"""docs/configuration.md and examples/prreview.toml stay in step with Settings."""

from __future__ import annotations

import re
from pathlib import Path

from prreview.config.settings import (
    _FILE_FORBIDDEN,
    Settings,
    parse_config_text,
    reference_markdown,
)

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"
EXAMPLE = ROOT / "examples" / "prreview.toml"
START, END = "<!-- settings:start -->", "<!-- settings:end -->"
FILE_KEYS = [k for k in Settings.model_fields if k not in _FILE_FORBIDDEN]


def test_reference_table_matches_the_code() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    between = text.split(START, 1)[1].split(END, 1)[0]
    assert between.strip("\n") == reference_markdown().strip("\n"), (
        "regenerate the table: python -c 'from prreview.config.settings import reference_markdown; "
        "print(reference_markdown())'"
    )


def test_reference_lists_every_setting() -> None:
    table = reference_markdown()
    for key in Settings.model_fields:
        assert f"| `{key}` |" in table


def test_docs_explain_precedence_ci_and_env_format() -> None:
    text = DOC.read_text(encoding="utf-8")
    phrases = ("defaults", "flags", "base commit", "comma-separated", "JSON", "--config-source")
    for phrase in phrases:
        assert phrase in text


def test_example_mentions_every_file_settable_key() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in FILE_KEYS:
        pattern = rf"^#?\s*(\[{{1,2}}){key}[.\]]|^#?\s*{key}\s*="
        if key in {"evaluators", "instructions"}:
            pattern = rf"^#\s*\[{{1,2}}{key}[.\]]"
        assert re.search(pattern, text, re.MULTILINE), key


def test_example_active_keys_are_valid_and_equal_the_defaults() -> None:
    values = parse_config_text(EXAMPLE.read_text(encoding="utf-8"), ".prreview.toml")
    assert values, "the example sets its defaults explicitly"
    defaults = Settings()
    configured = Settings(**values)
    for key in values:
        assert getattr(configured, key) == getattr(defaults, key), key


def test_example_commented_tables_parse() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    section = text.split("-- evaluators", 1)[1].split("-- model", 1)[0]
    active = re.findall(r"^# (\[\[?[a-z_.]+\]\]?|[a-z_]+ = .*$)", section, re.MULTILINE)
    values = parse_config_text("\n".join(active), ".prreview.toml")
    settings = Settings(**values)
    assert settings.evaluators["security"].paths == ("src/auth/**", "src/api/**")
    assert settings.evaluators["maintainability"].enabled is True
    assert settings.evaluators["migrations"].template == ".prreview/migrations.j2"
    assert settings.instructions[0].paths == ("src/payments/**",)
