"""Report formats: one pure `render(review) -> str` per format, listed in FORMATS.

Each entry imports its module on first use. The SARIF entry takes an optional keyword
`category` (default "prreview"); the CLI binds `settings.sarif_category` with
`functools.partial(FORMATS["sarif"], category=...)`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..models import Review

__all__ = ["FORMATS", "FORMAT_NAMES"]


def _markdown(review: Review) -> str:
    from .markdown import render

    return render(review)


def _json(review: Review) -> str:
    from .jsonreport import render

    return render(review)


def _sarif(review: Review, *, category: str = "prreview") -> str:
    from .sarif import render

    return render(review, category=category)


def _codequality(review: Review) -> str:
    from .codequality import render

    return render(review)


def _github(review: Review) -> str:
    from .github import render

    return render(review)


def _rdjsonl(review: Review) -> str:
    from .rdjsonl import render

    return render(review)


FORMATS: dict[str, Callable[[Review], str]] = {
    "markdown": _markdown,
    "json": _json,
    "sarif": _sarif,
    "codequality": _codequality,
    "github": _github,
    "rdjsonl": _rdjsonl,
}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
