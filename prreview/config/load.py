"""Build Settings from flags, environment and the config file.

In CI the config file is read from the base commit (`--config-source base`, the default when
a CI base is detected), so a pull request cannot change its own review policy: a config file
that the PR adds or edits is ignored with a warning.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prreview.change import ci, git, read
from prreview.config.settings import (
    Settings,
    build_settings,
    env_values,
    find_config_text,
    parse_config_text,
)
from prreview.errors import ConfigError


def is_ci(env: Mapping[str, str]) -> bool:
    return any(
        env.get(name, "").lower() in {"1", "true", "yes"}
        for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "TF_BUILD")
    )


def _read_worktree(repo: Path) -> Callable[[str], str | None]:
    def read(name: str) -> str | None:
        path = repo / name
        try:
            return path.read_text(encoding="utf-8") if path.is_file() else None
        except (OSError, UnicodeDecodeError):
            return None

    return read


def _read_commit(repo: Path, rev: str) -> Callable[[str], str | None]:

    def read(name: str) -> str | None:
        data = git.read_blob_at(repo, rev, name)
        return None if data is None else data.decode("utf-8", "replace")

    return read


def choose_config_source(pre: Mapping[str, Any], env: Mapping[str, str]) -> str:
    source = str(pre.get("config_source") or "auto")
    if source != "auto":
        return source
    if pre.get("staged") or pre.get("working_tree"):
        return "head"

    return "base" if ci.ci_base_detected(env) else "head"


def _file_values(
    pre: Mapping[str, Any],
    env: Mapping[str, str],
    config_path: Path | None,
    warn: Callable[[str], None],
) -> dict[str, Any]:
    if config_path is not None:
        try:
            text = config_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--config: cannot read {config_path}: {exc.strerror}") from None
        name = "pyproject.toml" if config_path.name == "pyproject.toml" else str(config_path)
        return parse_config_text(text, name)
    repo = Path(pre.get("repo") or ".")
    source = choose_config_source(pre, env)
    if source == "none":
        return {}
    if source == "head":
        found = find_config_text(_read_worktree(repo))
        return parse_config_text(found[1], found[0]) if found else {}

    _ref, base_sha, head_sha, _why = read.resolve_refs(
        repo, base=pre.get("base"), head=str(pre.get("head") or "HEAD"), env=env
    )
    found = find_config_text(_read_commit(repo, base_sha)) if base_sha else None
    at_head = find_config_text(_read_commit(repo, head_sha)) if head_sha else None
    if at_head and (found is None or at_head[1] != found[1]):
        warn(
            f"prreview: warning: {at_head[0]} in the change differs from the base commit; "
            "it is ignored (review policy is read from the base branch; "
            "--config-source head overrides this outside CI)"
        )
    return parse_config_text(found[1], found[0]) if found else {}


def load_settings(
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    *,
    config_path: Path | None = None,
    warn: Callable[[str], None] = lambda _m: None,
) -> Settings:
    given = {k: v for k, v in flags.items() if v is not None}
    pre = {**env_values(env), **given}
    file_values = _file_values(pre, env, config_path, warn)
    ci = True if is_ci(env) else None  # PRREVIEW_CI=1 also counts, for unlisted CI systems
    return build_settings(file_values=file_values, env=env, flags={**given, "ci": ci})
