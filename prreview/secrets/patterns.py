"""Our own secret rules: only what detect-secrets (secrets/scan.py) lacks.

- token formats it has no plugin for: Anthropic keys, OpenAI project/service keys without
  the legacy `T3BlbkFJ` run of 20 letters, GitHub fine-grained tokens (`github_pat_`), bare
  npm tokens (it knows them only inside `.npmrc`), Google API keys, Slack workflow/trigger
  webhooks, Discord webhooks;
- AWS secret keys assigned without quotes or without an `aws` prefix (`~/.aws/credentials`);
- private key blocks: its PrivateKeyDetector flags a header line only, so a header in code
  that parses keys is a false positive and the base64 body of a real key is not located;
  here a header counts only with key material after it, and the body is masked;
- assignments to names it does not list (`*_TOKEN`, `auth`, `credentials`, `signing_key`),
  unquoted in config files, with placeholder and entropy filters.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretMatch:
    kind: str
    start: int
    end: int
    """The value's span in the line (end exclusive)."""
    keep: int
    """How many leading characters of the value are a public marker that a mask may show."""


@dataclass(frozen=True)
class _Spec:
    kind: str
    regex: re.Pattern[str]
    prefilters: tuple[str, ...]
    keep: int = 4
    lower: bool = False
    """Prefilters apply to the lower-cased line."""


_ASSIGN = r"[\"']?[ \t]*(?:=|:=|:|=>)[ \t]*"
_TOKEN_END = r"(?![A-Za-z0-9_\-])"
SPECS: tuple[_Spec, ...] = (
    _Spec(
        "aws-secret-key",
        re.compile(
            r"(?i)(?:aws[\w.\-]{0,20}?secret|secret_?access_?key)[\w.\-]{0,20}"
            + _ASSIGN
            + r"[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        ("secret",),
        keep=0,
        lower=True,
    ),
    _Spec(
        "github-token",
        re.compile(r"(?<![A-Za-z0-9_])(github_pat_[A-Za-z0-9_]{50,255})" + _TOKEN_END),
        ("github_pat_",),
    ),
    _Spec(
        "anthropic-key",
        re.compile(r"(?<![A-Za-z0-9_\-])(sk-ant-(?:api|admin|oat)\d\d-[A-Za-z0-9_\-]{32,})"),
        ("sk-ant-",),
    ),
    _Spec(
        "openai-key",
        re.compile(r"(?<![A-Za-z0-9_\-])(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_\-]{40,})"),
        ("sk-proj-", "sk-svcacct-", "sk-admin-"),
        keep=3,
    ),
    _Spec(
        "npm-token",
        re.compile(r"(?<![A-Za-z0-9_])(npm_[A-Za-z0-9]{36})" + _TOKEN_END),
        ("npm_",),
    ),
    _Spec(
        "google-api-key",
        re.compile(r"(?<![0-9A-Za-z_\-])(AIza[0-9A-Za-z_\-]{35})" + _TOKEN_END),
        ("AIza",),
    ),
    _Spec(
        "slack-webhook",
        re.compile(r"(https://hooks\.slack\.com/(?:workflows|triggers)/[A-Za-z0-9_/+\-]{20,300})"),
        ("hooks.slack.com",),
        keep=0,
    ),
    _Spec(
        "discord-webhook",
        re.compile(
            r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/"
            r"(\d{5,30}/[A-Za-z0-9_\-]{20,100})"
        ),
        ("/api/webhooks/",),
        keep=0,
    ),
)

_KEY_HEADER = re.compile(
    r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----"
    r"|---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----|\bPrivate-Lines: \d+"
)
KEY_FOOTER = re.compile(
    r"-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----|---- END SSH2|Private-MAC:"
)
KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
KEY_LINE = re.compile(r"[A-Za-z0-9+/]{40,}|^\s*Proc-Type:")
"""A line of a PEM body: a long base64 run, or the header of an encrypted key."""
KEY_TAIL = re.compile(r"[A-Za-z0-9+/=]+(?=\s*$)")

# Generic assignments are found from the keyword (cheap to scan for); the full name is then
# recovered by walking back over name characters.
# (?=(?P<rest>...))(?P=rest) is an atomic group: the name is never backtracked into.
_KEYWORD = (
    r"(?P<name>(?:pass(?:word|wd|phrase)?|pwd|secret|token|auth|credentials?|key)"
    r"(?=(?P<rest>[\w.\-$]{0,40}))(?P=rest))"
)
_QUOTED = re.compile(
    r"(?i)" + _KEYWORD + r"[\"']?\]?(?:[ \t]*:[ \t]*[A-Za-z_][\w.\[\]|, ]{0,40}?)?"
    r"[ \t]*(?:=|:=|:|=>|\?\?=|\|\|=)[ \t]*(?:[rbu]{1,2})?"
    r"(?P<q>[\"'`])(?P<value>[^\"'`\s\\]{8,256})(?P=q)"
)
_UNQUOTED = re.compile(
    r"(?im)"
    + _KEYWORD
    + r"[ \t]*[=:][ \t]*(?P<value>[A-Za-z0-9+/=_\-.~!@%^&*?]{8,256})[ \t]*(?=#|$)"
)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-$@")
GENERIC_GATE = re.compile(r"pass|pwd|secret|token|auth|credential|key")
_NAME_PARTS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "accesskey",
        "secretkey",
        "privatekey",
        "auth",
        "credential",
        "credentials",
    }
)
_KEY_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "auth", "signing", "encryption", "master", "client"}
)
_PLACEHOLDERS = (
    "changeme",
    "change_me",
    "change-me",
    "example",
    "placeholder",
    "dummy",
    "redacted",
    "your_",
    "your-",
    "yourtoken",
    "xxx",
    "***",
    "...",
    "fake",
    "sample",
    "replace",
    "${",
    "{{",
    "<",
    ">",
    "%(",
    "%s",
    "://",
    # a value naming what it stands for is a test or documentation value
    "secret",
    "token",
    "password",
    "passwd",
)
_WORDLIKE = re.compile(r"_*[A-Za-z]+(?:[_\-./ :]+[A-Za-z]+)*_*")
ENTROPY_THRESHOLD = 3.0
"""Bits per character a keyword-assigned value needs to count as a secret."""


def shannon_entropy(value: str) -> float:
    """Shannon entropy of `value` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_secret_name(name: str) -> bool:
    parts = [p.lower() for p in _NAME_PARTS.findall(name)]
    if not parts:
        return False
    last = parts[-1]
    if last in _SECRET_WORDS:
        return True
    return last == "key" and len(parts) > 1 and parts[-2] in _KEY_QUALIFIERS


def looks_like_secret_value(value: str) -> bool:
    """A keyword-assigned value that is not a placeholder, a word, a reference or low-entropy."""
    lowered = value.lower()
    if value.startswith("$") or "{" in value or any(p in lowered for p in _PLACEHOLDERS):
        return False
    if len(set(value)) <= 2 or _WORDLIKE.fullmatch(value):
        return False
    return shannon_entropy(value) >= ENTROPY_THRESHOLD


TOKEN_GATE = re.compile("|".join(re.escape(p.lower()) for s in SPECS for p in s.prefilters))
"""Searched in the lower-cased line (a case-insensitive search is several times slower)."""


def token_rules(text: str, lowered: str) -> list[SecretMatch]:
    found: list[SecretMatch] = []
    if TOKEN_GATE.search(lowered) is None:
        return found
    for spec in SPECS:
        haystack = lowered if spec.lower else text
        if not any(p in haystack for p in spec.prefilters):
            continue
        for match in spec.regex.finditer(text):
            if "EXAMPLE" in match.group(1):
                continue
            found.append(SecretMatch(spec.kind, match.start(1), match.end(1), spec.keep))
    return found


PRIVATE_KEY_GATE = re.compile(r"private key|private-lines")
"""Searched in the lower-cased line."""


def private_keys(text: str) -> list[SecretMatch]:
    """Key blocks that start on this line; an empty span when the body starts on the next."""
    if "PRIVATE KEY" not in text and "Private-Lines" not in text:
        return []
    found = []
    pos = 0
    while header := _KEY_HEADER.search(text, pos):
        footer = KEY_FOOTER.search(text, header.end())
        end = footer.start() if footer else len(text.rstrip())
        if not KEY_MATERIAL.search(text, header.end(), end):
            end = header.end()
        found.append(SecretMatch("private-key", header.end(), end, 0))
        if footer is None:
            break  # the rest of the text is the key body
        pos = footer.end()
    return found


def _name_start(text: str, index: int) -> int:
    while index > 0 and text[index - 1] in _NAME_CHARS:
        index -= 1
    return index


def generic_assignments(text: str, lowered: str, *, unquoted: bool) -> list[SecretMatch]:
    found: list[SecretMatch] = []
    if GENERIC_GATE.search(lowered) is None:
        return found
    patterns = (_QUOTED, _UNQUOTED) if unquoted else (_QUOTED,)
    for pattern in patterns:
        for match in pattern.finditer(text):
            start = _name_start(text, match.start())
            if pattern is _UNQUOTED and start > 0 and not text[start - 1].isspace():
                continue
            name = text[start : match.end("name")]
            if is_secret_name(name) and looks_like_secret_value(match.group("value")):
                found.append(
                    SecretMatch("generic-secret", match.start("value"), match.end("value"), 0)
                )
    return found


def mask_value(value: str, keep: int) -> str:
    """`AKIA****************`: at most the public marker, stars for the rest."""
    if keep <= 0:
        return "*" * 8 if value else ""
    keep = min(keep, 4)
    return value[:keep] + "*" * max(len(value) - keep, 4)


def mask_line(text: str, matches: list[SecretMatch]) -> str:
    """`text` with every matched value masked (for fingerprints and messages)."""
    for m in sorted(matches, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + mask_value(text[m.start : m.end], m.keep) + text[m.end :]
    return text
