"""The package version (a leaf: every module may import it without a cycle)."""

__version__ = "0.1.0"
