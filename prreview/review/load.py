"""Reading a `--output json=PATH` report back into a Review: the one loader every command uses."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from prreview.errors import UsageError
from prreview.models import Review

__all__ = ["load_review"]


def load_review(report: Path, flag: str = "--report") -> Review:
    """The Review in `report`; a UsageError naming `flag` when it cannot be read or is not one."""
    try:
        text = report.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"{flag}: cannot read {report}: {reason}") from None
    try:
        return Review.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise UsageError(
            f"{flag} {report}: not a prreview JSON report ({where}: {first['msg']})",
            hint="write it with `prreview run --output json=PATH` of the same prreview version",
        ) from None
