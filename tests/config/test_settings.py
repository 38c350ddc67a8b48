"""config.py / configload.py: parsing, validation messages, env format and precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from prreview.config.load import is_ci, load_settings
from prreview.config.settings import (
    Settings,
    build_settings,
    env_values,
    find_config_text,
    parse_config_text,
)
from prreview.errors import ConfigError


def test_defaults() -> None:
    s = Settings()
    assert (s.fail_on, s.filter_mode, s.min_confidence, s.model) == ("high", "added", 0.0, None)


def test_settings_are_frozen_and_strict() -> None:
    s = Settings()
    with pytest.raises(ValueError):
        s.fail_on = "low"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Settings(fail_onn="low")  # type: ignore[call-arg]


def test_parse_dashes_and_pyproject_section() -> None:
    text = '[tool.prreview]\nfail-on = "low"\nmax-concurrency = 3\n'
    assert parse_config_text(text, "pyproject.toml") == {"fail_on": "low", "max_concurrency": 3}


def test_unknown_key_names_file_and_key() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text('fial_on = "low"\n', ".prreview.toml")
    assert ".prreview.toml" in str(info.value) and "fial_on" in str(info.value)


@pytest.mark.parametrize("key", ["repo", "base", "head", "config_source", "ci", "shard"])
def test_run_keys_cannot_be_set_in_a_file(key: str) -> None:
    with pytest.raises(ConfigError, match=key):
        parse_config_text(f'{key} = "x"\n', ".prreview.toml")


@pytest.mark.parametrize(
    ("line", "key", "expected"),
    [
        ('max_concurrency = "lots"', "max_concurrency", "int"),
        ("fail_on = 3", "fail_on", "one of 'critical', 'high'"),
        ("min_confidence = 2.0", "min_confidence", "float"),
        ("include = 5", "include", "list of str"),
    ],
)
def test_bad_types_name_key_and_expected_type(line: str, key: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config_text(line + "\n", ".prreview.toml")
    message = str(info.value)
    assert ".prreview.toml" in message and key in message and f"expected {expected}" in message


def test_invalid_toml_names_the_file() -> None:
    with pytest.raises(ConfigError, match=r"pyproject\.toml: invalid TOML"):
        parse_config_text("[tool.prreview\n", "pyproject.toml")


def test_evaluator_tables_are_validated() -> None:
    text = '[evaluators.security]\npaths = ["src/auth/**"]\n[evaluators.x]\nbogus = 1\n'
    with pytest.raises(ConfigError, match=r"evaluators\.x\.bogus"):
        parse_config_text(text, ".prreview.toml")
    good = parse_config_text('[evaluators.security]\npaths = ["a/**"]\n', ".prreview.toml")
    assert Settings(**good).evaluators["security"].paths == ("a/**",)


def test_env_format_lists_booleans_numbers_and_json_tables() -> None:
    values = env_values(
        {
            "PRREVIEW_INCLUDE": "src/**, lib/**",
            "PRREVIEW_EXCLUDE": '["a,b.py"]',
            "PRREVIEW_NO_CACHE": "true",
            "PRREVIEW_FAIL_OPEN": "0",
            "PRREVIEW_MAX_CONCURRENCY": "3",
            "PRREVIEW_EVALUATORS": '{"security": {"paths": ["src/auth/**"]}}',
            "PRREVIEW_DEBUG": "1",
            "PRREVIEW_NOT_A_SETTING": "x",
            "HOME": "/root",
        }
    )
    s = Settings(**values)
    assert s.include == ("src/**", "lib/**") and s.exclude == ("a,b.py",)
    assert s.no_cache is True and s.fail_open is False and s.max_concurrency == 3
    assert s.evaluators["security"].paths == ("src/auth/**",)
    assert "debug" not in values and "not_a_setting" not in values


def test_bad_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="PRREVIEW_MAX_CONCURRENCY"):
        env_values({"PRREVIEW_MAX_CONCURRENCY": "many"})


def test_precedence_defaults_file_env_flags() -> None:
    file_values = {"fail_on": "medium", "max_concurrency": 2, "temperature": 0.5}
    env = {"PRREVIEW_FAIL_ON": "low", "PRREVIEW_MAX_CONCURRENCY": "4"}
    s = build_settings(file_values=file_values, env=env, flags={"fail_on": "critical"})
    assert s.fail_on == "critical"  # flag > env > file
    assert s.max_concurrency == 4  # env > file
    assert s.temperature == 0.5  # file > default
    assert s.retries == 4  # default
    none_flag = build_settings(file_values=file_values, env={}, flags={"fail_on": None})
    assert none_flag.fail_on == "medium"  # an absent flag does not override


def test_bad_flag_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="min_confidence"):
        build_settings(env={}, flags={"min_confidence": 7})


def test_find_config_text_prefers_dot_file_and_needs_tool_section() -> None:
    files = {"pyproject.toml": "[project]\nname='x'\n"}
    assert find_config_text(files.get) is None
    files[".prreview.toml"] = "fail_on = 'low'\n"
    assert find_config_text(files.get) == (".prreview.toml", "fail_on = 'low'\n")


def test_is_ci() -> None:
    assert is_ci({"CI": "true"}) and is_ci({"GITHUB_ACTIONS": "true"})
    assert not is_ci({}) and not is_ci({"CI": "false"})


def test_load_settings_with_explicit_config_file(git_repo, tmp_path: Path) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    cfg = tmp_path / "trusted.toml"
    cfg.write_text('fail_on = "low"\n')
    s = load_settings({"repo": repo.path, "staged": True}, {}, config_path=cfg)
    assert s.fail_on == "low" and s.ci is False
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings({"repo": repo.path}, {}, config_path=tmp_path / "missing.toml")


def test_load_settings_config_source_none_ignores_the_file(git_repo) -> None:
    repo = git_repo()
    repo.write("a.py", "x = 1\n")
    repo.commit("base")
    repo.write(".prreview.toml", 'fail_on = "low"\n')
    local = {"repo": repo.path, "working_tree": True}
    assert load_settings(local, {}).fail_on == "low"
    s = load_settings({**local, "config_source": "none"}, {"CI": "1"})
    assert s.fail_on == "high" and s.ci is True
    assert load_settings(local, {"PRREVIEW_CI": "1"}).ci is True
    assert load_settings(local, {}).ci is False
