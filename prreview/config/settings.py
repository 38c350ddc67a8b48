"""Frozen Settings and the one place where their sources are merged.

Precedence: defaults < config file (.prreview.toml or [tool.prreview] in pyproject.toml)
< PRREVIEW_* environment variables < command-line flags.

This module does not touch git or the network: the caller hands it the config text
(read from the working tree or, in CI, from the base commit).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError

from prreview.errors import ConfigError
from prreview.models import FilterMode, Frozen, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILE = ".prreview.toml"
PYPROJECT = "pyproject.toml"
ENV_PREFIX = "PRREVIEW_"

ConfigSource = Literal["auto", "head", "base", "none"]


class EvaluatorSettings(Frozen):
    """Per-evaluator configuration ([tool.prreview.evaluators.NAME])."""

    enabled: bool | None = None
    """None keeps the evaluator's own default (maintainability is off by default)."""
    paths: tuple[str, ...] = ()
    """Glob patterns; empty means every reviewable file."""
    languages: tuple[str, ...] = ()
    model: str | None = None
    instructions: str = ""
    template: str | None = None
    """Repo-relative Jinja template for a custom evaluator (rendered in a sandbox)."""
    description: str = ""


class InstructionSettings(Frozen):
    """Path-scoped instructions ([[tool.prreview.instructions]])."""

    paths: tuple[str, ...] = ("**",)
    text: str


class Settings(Frozen):
    """Everything that shapes a review. Built once, passed down explicitly, never mutated."""

    # -- what to review
    repo: Path = Field(default=Path("."), description="Repository to review.")
    base: str | None = Field(default=None, description="Base ref; auto-detected in CI when absent.")
    head: str = Field(default="HEAD", description="Head ref.")
    staged: bool = Field(default=False, description="Review the staged changes (index vs HEAD).")
    working_tree: bool = Field(
        default=False, description="Review uncommitted changes (working tree vs HEAD)."
    )
    since: str | None = Field(default=None, description="Incremental: review only since..head.")
    previous_report: Path | None = Field(
        default=None,
        description="Incremental: JSON report of the last run; its findings on untouched lines carry forward.",
    )
    config_source: ConfigSource = Field(
        default="auto",
        description="Where policy files are read from: auto (the base commit for a range, the working tree for a local review outside CI), head, base, none.",
    )
    include: tuple[str, ...] = Field(
        default=(), description="Only review paths matching these globs."
    )
    exclude: tuple[str, ...] = Field(
        default=(), description="Never review paths matching these globs."
    )
    max_file_bytes: int = Field(default=1_000_000, ge=1, description="Skip files larger than this.")
    shard: str | None = Field(default=None, description="Review shard I/N of the units.")

    # -- gate and reports
    fail_on: Severity | Literal["none"] = Field(
        default="high", description="Exit 1 when a finding at or above this severity remains."
    )
    min_confidence: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Findings below this confidence never gate."
    )
    filter_mode: FilterMode = Field(
        default="added", description="Which findings are kept: added, diff_context, file, nofilter."
    )
    import_sarif: tuple[Path, ...] = Field(default=(), description="SARIF files from other tools.")
    severity_map: dict[str, dict[str, Severity]] = Field(
        default_factory=dict,
        description="Imported severities per tool: rule glob or `level:LEVEL` -> severity.",
    )
    baseline: Path | None = Field(default=None, description="Baseline file of known fingerprints.")
    outputs: tuple[str, ...] = Field(
        default=(), description="FORMAT=PATH pairs; '-' is stdout. Default: markdown to stdout."
    )
    sarif_category: str = Field(default="prreview", description="SARIF automationDetails.id.")
    fail_open: bool = Field(
        default=False,
        description="Exit 0 (not 3) when the review is incomplete; stated in the report.",
    )

    # -- evaluators
    evaluators: dict[str, EvaluatorSettings] = Field(
        default_factory=dict, description="Per-evaluator settings."
    )
    only_evaluators: tuple[str, ...] = Field(
        default=(), description="Run only these evaluators (names)."
    )
    instructions: tuple[InstructionSettings, ...] = Field(
        default=(), description="Path-scoped review instructions."
    )
    summary: bool = Field(default=True, description="Write the model overview (one cheap call).")
    samples: int = Field(default=1, ge=1, le=9, description="Self-consistency samples per call.")

    # -- model
    model: str | None = Field(
        default=None, description="LiteLLM model id; none = built-in checks only."
    )
    api_base: str | None = Field(
        default=None, description="Base URL of an OpenAI-compatible server."
    )
    fallback_models: tuple[str, ...] = Field(
        default=(), description="Tried in order after retries."
    )
    summary_model: str | None = Field(default=None, description="Model for the overview call.")
    temperature: float = Field(default=0.0, ge=0.0, le=2.0, description="Sampling temperature.")
    seed: int | None = Field(default=None, description="Sampling seed where supported.")
    max_output_tokens: int = Field(default=2048, ge=64, description="Output tokens per call.")
    context_window: int | None = Field(
        default=None, ge=1024, description="Override the model's context window (tokens)."
    )
    timeout: float = Field(default=120.0, gt=0, description="Seconds per model call.")
    max_concurrency: int = Field(default=8, ge=1, le=256, description="Concurrent model calls.")
    retries: int = Field(
        default=4, ge=0, le=20, description="Retries per call on 429/5xx/timeouts."
    )
    retry_after_cap: float = Field(default=30.0, ge=0, description="Cap on honoured Retry-After.")
    retry_backoff: float = Field(
        default=0.5, ge=0, le=60, description="First retry delay in seconds (doubles, with jitter)."
    )
    deadline: float | None = Field(default=None, gt=0, description="Seconds for the whole run.")
    max_cost: float | None = Field(default=None, ge=0, description="USD budget for the run.")
    max_tokens: int | None = Field(default=None, ge=1, description="Prompt+output token budget.")
    unit_tokens: int | None = Field(
        default=None, ge=512, description="Per-call prompt budget; default from the context window."
    )

    # -- cache and run
    cache_dir: Path | None = Field(
        default=None,
        description="Default outside the checkout: $RUNNER_TEMP/prreview/cache, ~/.cache/prreview/cache.",
    )
    no_cache: bool = Field(default=False, description="Disable the model cache.")
    dry_run: bool = Field(default=False, description="Render prompts and estimate; no request.")
    dump_prompts: Path | None = Field(default=None, description="Write rendered prompts here.")
    verbose: bool = Field(default=False, description="More diagnostics on stderr.")
    ci: bool = Field(default=False, description="Running in CI (detected from CI env vars).")


# Keys that a config file may not set: they are the run's own, not review policy.
_FILE_FORBIDDEN = {
    "repo", "base", "head", "staged", "working_tree", "config_source", "ci", "shard", "since",
    "previous_report",
}  # fmt: skip


def field_names() -> list[str]:
    return list(Settings.model_fields)


def _type_name(field: str) -> str:
    return _describe(Settings.model_fields[field].annotation)


def _describe(ann: Any) -> str:
    """A reader's name for a type: `int`, `one of 'a', 'b'`, `list of str`, `table`."""
    origin, args = get_origin(ann), get_args(ann)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, UnionType):
        parts = [_describe(a) for a in args if a is not type(None)]
        literals = [p.removeprefix("one of ") for p in parts if p.startswith("one of ")]
        others = [p for p in parts if not p.startswith("one of ")]
        if literals:
            others.insert(0, "one of " + ", ".join(literals))
        return " or ".join(others)
    if origin in (tuple, list):
        return f"list of {_describe(args[0])}" if args else "list"
    if origin is dict or (isinstance(ann, type) and issubclass(ann, BaseModel)):
        return "table"
    return getattr(ann, "__name__", None) or str(ann).replace("typing.", "")


def _error_location(loc: tuple[Any, ...]) -> str:
    """`fail_on`, not pydantic's `fail_on.literal['critical',...]` union-branch tags."""
    parts = [str(loc[0])] if loc else ["?"]
    if parts[0] in {"evaluators", "instructions", "severity_map"}:
        parts.extend(str(p) for p in loc[1:] if "[" not in str(p))
    return ".".join(parts)


def parse_config_text(text: str, source: str) -> dict[str, Any]:
    """Parse a .prreview.toml or pyproject.toml text into raw settings values."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    if source.endswith(PYPROJECT):
        data = data.get("tool", {}).get("prreview", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: [tool.prreview] must be a table")
    values = {k.replace("-", "_"): v for k, v in data.items()}
    for key in values:
        if key in _FILE_FORBIDDEN:
            raise ConfigError(
                f"{source}: key '{key}' cannot be set in a config file",
                hint=f"pass --{key.replace('_', '-')} on the command line",
            )
        if key not in Settings.model_fields:
            raise ConfigError(
                f"{source}: unknown key '{key}'",
                hint="see docs/configuration.md for the keys",
            )
    _validate(values, source)
    return values


def env_values(env: Mapping[str, str]) -> dict[str, Any]:
    """PRREVIEW_* variables. Lists are comma-separated (or a JSON array); tables are JSON;
    booleans 1/0/true/false."""
    values: dict[str, Any] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name == "PRREVIEW_DEBUG":
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if key not in Settings.model_fields:
            continue
        values[key] = _coerce_env(key, raw)
    _validate(values, "environment")
    return values


def _coerce_env(key: str, raw: str) -> Any:
    default = Settings.model_fields[key].default
    if isinstance(default, tuple) and not raw.strip().startswith(("[", "{")):
        return tuple(p.strip() for p in raw.split(",") if p.strip())
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if raw.strip().startswith(("{", "[")):
        try:
            return json.loads(raw)
        except ValueError:
            pass
    return raw


def _validate(values: dict[str, Any], source: str) -> None:
    try:
        Settings(**values)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _error_location(err["loc"])
        key = str(err["loc"][0]) if err["loc"] else "?"
        expected = _type_name(key) if key in Settings.model_fields else "?"
        where = f"PRREVIEW_{key.upper()}" if source == "environment" else source
        raise ConfigError(
            f"{where}: invalid value for '{loc}': {err['msg']} (expected {expected})"
        ) from None


def build_settings(
    *,
    file_values: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge defaults < file < env < flags into one frozen Settings."""
    merged: dict[str, Any] = {}
    merged.update(file_values or {})
    merged.update(env_values(os.environ if env is None else env))
    merged.update({k: v for k, v in (flags or {}).items() if v is not None})
    try:
        return Settings(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _error_location(err["loc"])
        raise ConfigError(
            f"invalid value for '{loc}': {err['msg']}", hint=f"check --{loc.replace('_', '-')}"
        ) from None


def find_config_text(read: Any) -> tuple[str, str] | None:
    """Return (source, text) of the first config file that `read(name) -> str|None` yields."""
    for name in (CONFIG_FILE, PYPROJECT):
        text = read(name)
        if text is None:
            continue
        if name == PYPROJECT and "[tool.prreview" not in text:
            continue
        return name, text
    return None


def _default_repr(field: str) -> str:
    info = Settings.model_fields[field]
    value = info.default_factory() if info.default_factory is not None else info.default  # type: ignore[call-arg]
    if value is None:
        return "unset"
    if isinstance(value, Path):
        return f"`{value}`"
    return f"`{json.dumps(value, default=str)}`"


def reference_markdown() -> str:
    """The settings table in docs/configuration.md (a test keeps the two identical)."""
    rows = ["| key | env | default | file | description |", "| --- | --- | --- | --- | --- |"]
    for name, info in Settings.model_fields.items():
        env = f"`PRREVIEW_{name.upper()}`"
        in_file = "no" if name in _FILE_FORBIDDEN else "yes"
        desc = (info.description or "").replace("|", "\\|")
        rows.append(f"| `{name}` | {env} | {_default_repr(name)} | {in_file} | {desc} |")
    return "\n".join(rows) + "\n"
