"""Build Settings from flags, environment and the config file.

The config file comes from where config.trust says policy comes from: the base commit when a
range is reviewed (any CI, `--base`, or the fallback base), the working tree only for a local
review on a machine that is not CI. A config file that the change adds or edits is ignored
with a warning (and reviewed as part of the diff). `--config FILE` outside the repository is
read as is; a `--config` path inside the repository is read from the trusted tree too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prreview.change import git
from prreview.config.settings import (
    PYPROJECT,
    Settings,
    build_settings,
    env_values,
    find_config_text,
    parse_config_text,
)
from prreview.config.trust import (
    PolicyTree,
    Trust,
    decide,
    inside_repository,
    is_ci,
    read_outside_file,
)
from prreview.errors import ConfigError

__all__ = ["is_ci", "load_settings"]


def _head_config(trust: Trust) -> tuple[str, str] | None:
    if not trust.head_rev:
        return None

    def read(name: str) -> str | None:
        data = git.read_blob_at(trust.root, trust.head_rev or "HEAD", name)
        return None if data is None else data.decode("utf-8", "replace")

    return find_config_text(read)


def _explicit_config(path: Path, trust: Trust, warn: Callable[[str], None]) -> dict[str, Any]:
    name = PYPROJECT if path.name == PYPROJECT else str(path)
    rel = inside_repository(trust.root, path)
    if rel is None:
        return parse_config_text(read_outside_file(path, "--config"), name)
    with PolicyTree(trust) as policy:
        text = policy.read_policy(rel, "--config") if rel else None
    if text is None and trust.source == "head":
        raise ConfigError(f"--config: cannot read {path}: no such file in the working tree")
    if text is None:
        raise ConfigError(
            f"--config: {path} is inside the repository and not in {trust.where()}",
            hint=f"policy is read from {trust.where()} ({trust.reason}); commit the file to "
            "the base branch, or pass a file outside the checkout (e.g. in $RUNNER_TEMP)",
        )
    if trust.source == "base":
        warn(f"prreview: --config {path}: read from {trust.where()} (inside the repository)")
    return parse_config_text(text, name)


def _worktree_config(trust: Trust) -> tuple[str, str] | None:
    head = Trust(trust.root, trust.mode, "head", None, None, True, "")
    with PolicyTree(head) as tree:
        return find_config_text(lambda name: tree.read_text(name))


def _file_values(
    trust: Trust, config_path: Path | None, warn: Callable[[str], None], ci: bool
) -> dict[str, Any]:
    if config_path is not None:
        return _explicit_config(config_path, trust, warn)
    if not trust.config_file:
        return {}
    with PolicyTree(trust) as policy:
        found = find_config_text(lambda name: policy.read_policy(name, "config file"))
    if trust.source != "base":
        return parse_config_text(found[1], found[0]) if found else {}
    at_head = _head_config(trust)
    if at_head and (found is None or at_head[1] != found[1]):
        warn(
            f"prreview: warning: {at_head[0]} in the change differs from the base commit; "
            "it is ignored (review policy is read from the base commit when a range is "
            "reviewed; the change to it is reviewed as part of the diff)"
        )
    elif not ci and (local := _worktree_config(trust)) and (found is None or local[1] != found[1]):
        warn(
            f"prreview: warning: {local[0]} in the working tree differs from the base commit; "
            "it is ignored (a range review reads policy from the base commit; "
            "--config-source head uses the working tree)"
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
    trust = decide(pre, env)
    if trust.source == "none" and trust.config_file and config_path is None:
        warn(f"prreview: warning: {trust.reason}")
    file_values = _file_values(trust, config_path, warn, is_ci(env))
    if (
        isinstance(file_values.get("baseline"), str)
        and not Path(file_values["baseline"]).is_absolute()
    ):
        # a committed config names the baseline relative to the repository root
        file_values["baseline"] = str(trust.root / file_values["baseline"])
    ci = True if is_ci(env) else None
    return build_settings(file_values=file_values, env=env, flags={**given, "ci": ci})
