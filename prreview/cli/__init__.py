"""The command line: Typer commands, stdout/stderr and exit codes (the only code that prints)."""

from prreview.cli.app import main

__all__ = ["main"]
