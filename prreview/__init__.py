"""prreview: an AI pull-request reviewer for CI.

The library entry point is `review(settings) -> Review`; the CLI is a thin client of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prreview.version import __version__

__all__ = ["Finding", "Review", "Settings", "__version__", "review"]

if TYPE_CHECKING:
    from prreview.config.settings import Settings

    from .models import Finding, Review


def review(settings: Settings) -> Review:
    """Run the whole pipeline for `settings` and return the Review (no printing, no exit)."""
    from .pipeline import review as _review

    return _review(settings)


def __getattr__(name: str) -> object:
    if name == "Settings":
        from prreview.config.settings import Settings

        return Settings
    if name in {"Finding", "Review"}:
        from . import models

        return getattr(models, name)
    raise AttributeError(name)
