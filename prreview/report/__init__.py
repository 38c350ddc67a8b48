"""Report formats: one pure `render(review) -> str` per format, listed in FORMATS.

The SARIF entry takes an optional keyword `category` (default "prreview"); the CLI binds
`settings.sarif_category` with `functools.partial(FORMATS["sarif"], category=...)`.
"""

from __future__ import annotations

from collections.abc import Callable

from prreview.models import Review
from prreview.report import codequality, github, jsonreport, markdown, neutral, rdjsonl, sarif

__all__ = ["FORMATS", "FORMAT_NAMES"]

_RENDERERS: dict[str, Callable[..., str]] = {
    "markdown": markdown.render,
    "json": jsonreport.render,
    "sarif": sarif.render,
    "codequality": codequality.render,
    "github": github.render,
    "rdjsonl": rdjsonl.render,
}
FORMATS: dict[str, Callable[..., str]] = {
    name: neutral.guarded(name, render) for name, render in _RENDERERS.items()
}
"""Every format's output passes through neutral.for_output: nothing in it can act in a CI log."""
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)


def render(fmt: str, review: Review, **options: str) -> str:
    """Render `review` in format `fmt` (options: SARIF's `category`)."""
    return FORMATS[fmt](review, **options)
