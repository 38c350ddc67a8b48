"""The exception tree. Every user-facing failure is a PrreviewError with an exit code.

    PrreviewError                 exit 4 (internal; base class)
    ├── UsageError                exit 2 (bad flag, config, auth, git, template, output)
    │   ├── ConfigError
    │   ├── GitError
    │   ├── AuthError
    │   ├── TemplateError
    │   ├── BudgetError           (pre-flight estimate over --max-cost / --max-tokens)
    │   └── OutputError
    ├── IncompleteError           exit 3 (provider failure after retries, deadline, budget)
    └── InternalError             exit 4

The CLI maps these to exit codes in one place (cli.main); nothing else calls sys.exit.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

TERMINATED_REASON = "terminated by SIGTERM before the model calls finished"
"""Review.incomplete_reason of a run stopped by SIGTERM; the CLI then exits 143."""


class PrreviewError(Exception):
    """Base class. `hint` says how to fix the problem (a flag or env var)."""

    exit_code: int = EXIT_INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UsageError(PrreviewError):
    exit_code = EXIT_USAGE


class ConfigError(UsageError):
    pass


class GitError(UsageError):
    pass


class AuthError(UsageError):
    pass


class TemplateError(UsageError):
    pass


class BudgetError(UsageError):
    pass


class OutputError(UsageError):
    pass


class IncompleteError(PrreviewError):
    exit_code = EXIT_INCOMPLETE


class InternalError(PrreviewError):
    exit_code = EXIT_INTERNAL


class Terminated(BaseException):
    """SIGTERM arrived. A BaseException so that no `except Exception` can swallow it."""

    exit_code = EXIT_TERMINATED
    partial: list[object] | None = None
    """Set by the model engine: the results of a batch's calls that had finished (None for
    the others), so the findings already paid for are kept in the incomplete report."""
