"""Checks the CLI makes before any git read or model call, each naming its flag (exit 2)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from prreview.config.load import load_settings
from prreview.config.settings import Settings
from prreview.errors import ConfigError, OutputError
from prreview.plan.units import parse_shard


def check_config_file(path: Path | None) -> None:
    """`--config` must be a readable UTF-8 file (the loader is not asked to guess)."""
    if path is None:
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"--config {path}: cannot read the file: {exc.strerror}") from None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"--config {path}: not UTF-8 text (byte {exc.start})",
            hint="save the config file as UTF-8 (TOML requires it)",
        ) from None


def settings_for(
    flags: Mapping[str, Any], config: Path | None, warn: Callable[[str], None]
) -> Settings:
    """load_settings after the CLI's own checks of `--config` and `--shard`."""
    check_config_file(config)
    settings = load_settings(flags, os.environ, config_path=config, warn=warn)
    if getattr(settings, "shard", None):
        parse_shard(settings.shard)  # `--shard 3/2` is exit 2 even when no model runs
    return settings


def check_stdout(outputs: list[tuple[str, str]], stdout_open: bool) -> None:
    """A report bound for stdout needs an open stdout: fail before the model calls."""
    if stdout_open:
        return
    for fmt, target in outputs:
        if target == "-":
            raise OutputError(
                f"--output {fmt}=-: stdout is closed",
                hint="write the report to a file with --output FORMAT=PATH",
            )
