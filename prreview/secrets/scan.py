"""The secret scanner: detect-secrets' plugins (secrets/plugins.py) plus our own rules.

Two modes over lines of text:

- precise (`find_secrets`, the secrets check): token plugins must not sit inside a longer
  word, known example values are skipped, keyword hits must be assignments of a value that
  is not a placeholder, a reference or low-entropy; entropy-only strings are not reported.
- generous (`find_redactable`, prompts, reports, stderr): every plugin, the entropy plugins
  included; token matches are widened to the whole token so no tail of it survives.

Both decode base64 runs and scan the decoded text for token formats. `scan_lines` runs every
detector's gate once over the whole text and scans a line only with the detectors whose
gate occurs on it, so clean lines cost one pass per gate in C.
"""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from prreview.secrets.patterns import (
    GENERIC_GATE,
    PRIVATE_KEY_GATE,
    TOKEN_GATE,
    SecretMatch,
    generic_assignments,
    private_keys,
    token_rules,
)
from prreview.secrets.plugins import ENTROPY, Plugin, plugin_matches, plugins

__all__ = ["SecretMatch", "find_redactable", "find_secrets", "scan_lines", "token_secrets"]

_RANK = {"private-key": 0, "aws-secret-key": 2, "url-password": 3, "generic-secret": 4}
_DEFAULT_RANK, _ENTROPY_RANK = 1, 5
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_\-]{32,}={0,2}")


@dataclass(frozen=True)
class _Mode:
    path: str | None
    """None: any file type (detect-secrets' keyword rules for code and for config)."""
    unquoted: bool
    precise: bool


@dataclass(frozen=True)
class _Detector:
    gate: re.Pattern[str] | None
    lowered: bool
    """The gate is searched in the lower-cased text."""
    find: Callable[[str, str, _Mode], list[SecretMatch]]
    entropy_only: bool = False


def _plugin_detector(plugin: Plugin) -> _Detector:
    def find(line: str, _lowered: str, mode: _Mode) -> list[SecretMatch]:
        return plugin_matches(plugin, line, mode.path, mode.precise)

    return _Detector(plugin.gate, plugin.lowered, find, plugin.name in ENTROPY)


@functools.cache
def _detectors() -> tuple[_Detector, ...]:
    ours = (
        _Detector(PRIVATE_KEY_GATE, True, lambda line, _l, _m: private_keys(line)),
        _Detector(TOKEN_GATE, True, lambda line, low, _m: token_rules(line, low)),
        _Detector(
            GENERIC_GATE,
            True,
            lambda line, low, m: generic_assignments(line, low, unquoted=m.unquoted),
        ),
        _Detector(_BASE64_RUN, False, lambda line, _l, _m: _decoded_tokens(line)),
    )
    return ours + tuple(_plugin_detector(p) for p in plugins())


def _gated_lines(
    detector: _Detector, lines: Sequence[str], text: str, lowered: str | None, starts: list[int]
) -> Sequence[int]:
    gate = detector.gate
    if gate is None:
        return range(len(lines))
    if detector.lowered and lowered is None:
        return [i for i, line in enumerate(lines) if gate.search(line.lower())]
    haystack = lowered if detector.lowered and lowered is not None else text
    return sorted({bisect_right(starts, m.start()) - 1 for m in gate.finditer(haystack)})


def _scan_lines(lines: Sequence[str], mode: _Mode) -> list[list[SecretMatch]]:
    text = "\n".join(lines)
    lowered: str | None = text.lower()
    if len(lowered) != len(text):  # a few characters change length when lower-cased
        lowered = None
    starts = [0, *itertools.accumulate(len(line) + 1 for line in lines)][:-1]
    todo: dict[int, list[_Detector]] = {}
    gated: dict[tuple[str, bool], Sequence[int]] = {}
    for detector in _detectors():
        if mode.precise and detector.entropy_only:
            continue
        key = (detector.gate.pattern if detector.gate else "", detector.lowered)
        if key not in gated:
            gated[key] = _gated_lines(detector, lines, text, lowered, starts)
        for i in gated[key]:
            todo.setdefault(i, []).append(detector)
    out: list[list[SecretMatch]] = [[] for _ in lines]
    for i, detectors in todo.items():
        line = lines[i]
        low = line.lower()
        candidates = [m for d in detectors for m in d.find(line, low, mode)]
        out[i] = _resolve(candidates, merge=not mode.precise)
    return out


def scan_lines(
    lines: Sequence[str], *, precise: bool, path: str | None = None, unquoted: bool = True
) -> list[list[SecretMatch]]:
    """Matches per line (no line may contain a newline); see find_secrets/find_redactable."""
    if precise:
        return _scan_lines(lines, _Mode(path or "x.py", unquoted, True))
    return _scan_lines(lines, _Mode(None, True, False))


def find_secrets(text: str, *, unquoted: bool = False, path: str = "") -> list[SecretMatch]:
    """Secret values in `text` (one line) worth a finding, by position, without overlaps.

    `unquoted` also accepts `NAME=value` assignments without quotes (env, ini, YAML files);
    `path` picks detect-secrets' keyword rules for the file type.
    """
    return scan_lines([text], precise=True, path=path, unquoted=unquoted)[0]


def find_redactable(text: str) -> list[SecretMatch]:
    """Everything in `text` (one line) that redaction masks: a superset of find_secrets."""
    return scan_lines([text], precise=False)[0]


def token_secrets(text: str) -> list[SecretMatch]:
    """Token formats only (no keywords, no entropy): for decoded and joined strings."""
    lowered = text.lower()
    found = token_rules(text, lowered)
    for plugin in plugins():
        if plugin.name in ENTROPY or plugin.name == "KeywordDetector":
            continue
        gate = plugin.gate
        if gate is not None and gate.search(lowered if plugin.lowered else text) is None:
            continue
        found += [
            m
            for m in plugin_matches(plugin, text, "", True)
            if m.kind not in ("generic-secret", "url-password")
        ]
    return found


def _decoded_tokens(line: str) -> list[SecretMatch]:
    """Base64 runs that decode to text holding a token (a base64-encoded key)."""
    found = []
    for run in _BASE64_RUN.finditer(line):
        raw = run.group().rstrip("=")
        try:
            data = base64.b64decode(raw.replace("-", "+").replace("_", "/") + "=" * (-len(raw) % 4))
            text = data.decode("ascii")
        except (binascii.Error, ValueError):
            continue
        if text.isprintable() and (matches := token_secrets(text)):
            found.append(SecretMatch(matches[0].kind, run.start(), run.end(), 0))
    return found


def _resolve(candidates: list[SecretMatch], merge: bool) -> list[SecretMatch]:
    """Non-overlapping matches by position; the more specific kind wins an overlap.

    With `merge`, overlapping spans are joined instead (redaction keeps no fragment).
    """

    def rank(m: SecretMatch) -> int:
        return _ENTROPY_RANK if m.kind == "high-entropy" else _RANK.get(m.kind, _DEFAULT_RANK)

    kept: list[SecretMatch] = []
    for cand in sorted(candidates, key=lambda m: (rank(m), m.start, -m.end)):
        overlap = [k for k in kept if cand.start < k.end and k.start < cand.end]
        if cand.start == cand.end or not overlap:
            kept.append(cand)
        elif merge:
            first = overlap[0]
            joined = SecretMatch(
                first.kind, min(first.start, cand.start), max(first.end, cand.end), 0
            )
            kept[kept.index(first)] = joined
    return sorted(set(kept), key=lambda m: (m.start, m.end))
