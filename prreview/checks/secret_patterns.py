"""Secret detection shared by the secrets check and prompt redaction.

`find_secrets` locates secret values in one line of text; `redact` masks every secret in a
prompt (keys split over several lines included) before any model call; `is_secret_file`
names files whose content is never sent to a model.
"""

from __future__ import annotations

import math
import posixpath
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
_SPECS: tuple[_Spec, ...] = (
    _Spec(
        "aws-access-key",
        re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Z0-9])"),
        ("AKIA", "ASIA"),
    ),
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
        re.compile(
            r"(?<![A-Za-z0-9_])(gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255})"
            r"(?![A-Za-z0-9_])"
        ),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    _Spec(
        "gitlab-token",
        re.compile(r"(?<![A-Za-z0-9_\-])(glpat-[A-Za-z0-9_\-]{20,64})(?![A-Za-z0-9_\-])"),
        ("glpat-",),
    ),
    _Spec(
        "slack-token",
        re.compile(r"(?<![A-Za-z0-9])(xox[baprs]-[0-9]{1,20}-[0-9A-Za-z\-]{10,250})"),
        ("xox",),
    ),
    _Spec(
        "slack-webhook",
        re.compile(
            r"(https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/+\-]{20,300})"
        ),
        ("hooks.slack.com",),
    ),
    _Spec(
        "stripe-key",
        re.compile(r"(?<![A-Za-z0-9])((?:sk|rk)_live_[0-9A-Za-z]{20,247})(?![0-9A-Za-z])"),
        ("_live_",),
    ),
    _Spec(
        "google-api-key",
        re.compile(r"(?<![0-9A-Za-z_\-])(AIza[0-9A-Za-z_\-]{35})(?![0-9A-Za-z_\-])"),
        ("AIza",),
    ),
)

_KEY_HEADER = re.compile(r"-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----")
_KEY_FOOTER = re.compile(r"-----END[A-Z0-9 ]{0,40} PRIVATE KEY(?: BLOCK)?-----")
_KEY_MATERIAL = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}")
KEY_LINE = re.compile(r"[A-Za-z0-9+/]{40,}|^\s*Proc-Type:")
"""A line of a PEM body: a long base64 run, or the header of an encrypted key."""
_KEY_TAIL = re.compile(r"[A-Za-z0-9+/=]+(?=\s*$)")

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
_STRUCTURED_HINT = re.compile(
    r"AKIA|ASIA|gh[pousr]_|github_pat_|glpat-|xox|hooks\.slack|_live_|AIza"
)
_GENERIC_HINT = re.compile(r"pass|pwd|secret|token|auth|credential|key")
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
_WORDLIKE = re.compile(r"[A-Za-z]+(?:[_\-./ :][A-Za-z]+)*")
ENTROPY_THRESHOLD = 3.0
"""Bits per character a keyword-assigned value needs to count as a secret."""


def shannon_entropy(value: str) -> float:
    """Shannon entropy of `value` in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def _is_secret_name(name: str) -> bool:
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


def _structured(text: str, lowered: str) -> list[SecretMatch]:
    found: list[SecretMatch] = []
    if _STRUCTURED_HINT.search(text) is None and "secret" not in lowered:
        return found
    for spec in _SPECS:
        haystack = lowered if spec.lower else text
        if not any(p in haystack for p in spec.prefilters):
            continue
        for match in spec.regex.finditer(text):
            if "EXAMPLE" in match.group(1):
                continue
            found.append(SecretMatch(spec.kind, match.start(1), match.end(1), spec.keep))
    return found


def _private_key(text: str) -> list[SecretMatch]:
    if "PRIVATE KEY" not in text:
        return []
    found = []
    pos = 0
    while header := _KEY_HEADER.search(text, pos):
        footer = _KEY_FOOTER.search(text, header.end())
        end = footer.start() if footer else len(text.rstrip())
        if not _KEY_MATERIAL.search(text, header.end(), end):
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


def _generic(text: str, lowered: str, *, unquoted: bool) -> list[SecretMatch]:
    found: list[SecretMatch] = []
    if _GENERIC_HINT.search(lowered) is None:
        return found
    patterns = (_QUOTED, _UNQUOTED) if unquoted else (_QUOTED,)
    for pattern in patterns:
        for match in pattern.finditer(text):
            start = _name_start(text, match.start())
            if pattern is _UNQUOTED and start > 0 and not text[start - 1].isspace():
                continue
            name = text[start : match.end("name")]
            if _is_secret_name(name) and looks_like_secret_value(match.group("value")):
                found.append(
                    SecretMatch("generic-secret", match.start("value"), match.end("value"), 0)
                )
    return found


def find_secrets(text: str, *, unquoted: bool = False) -> list[SecretMatch]:
    """Secret values in `text` (one line), ordered by position, without overlaps.

    `unquoted` also accepts `NAME=value` assignments without quotes (env, ini, YAML files).
    """
    lowered = text.lower()
    candidates = _private_key(text) + _structured(text, lowered)
    candidates += _generic(text, lowered, unquoted=unquoted)
    # at equal starts the earlier (more specific) detector wins; later overlaps are dropped
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].start, i))
    kept: list[SecretMatch] = []
    for i in order:
        cand = candidates[i]
        if not kept or cand.start >= kept[-1].end or cand.start == cand.end:
            kept.append(cand)
    return kept


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


_REDACTED_KEY = "[REDACTED:private-key]"


def _redact_key_body(line: str) -> tuple[str, bool]:
    """Mask key material on a line inside a private key block; (line, block continues)."""
    footer = _KEY_FOOTER.search(line)
    if footer:
        head = _KEY_MATERIAL.sub(_REDACTED_KEY, line[: footer.start()])
        return _KEY_TAIL.sub(_REDACTED_KEY, head) + line[footer.start() :], False
    continues = _KEY_MATERIAL.search(line) is not None
    # the last line of a block may hold only a short remainder of the base64 body
    return _KEY_TAIL.sub(_REDACTED_KEY, _KEY_MATERIAL.sub(_REDACTED_KEY, line)), continues


def _redact_line(line: str) -> tuple[str, int, bool]:
    """(redacted line, secrets replaced, a private key block opens and is not closed)."""
    opens = False
    matches = find_secrets(line, unquoted=True)
    for m in matches:
        if m.kind == "private-key":
            opens = _KEY_FOOTER.search(line, m.start) is None
    for m in reversed(matches):
        if m.start < m.end:
            line = line[: m.start] + f"[REDACTED:{m.kind}]" + line[m.end :]
    return line, len(matches), opens


def redact(text: str) -> tuple[str, int]:
    """Replace every secret value in `text` with `[REDACTED:kind]`; return the count.

    Private key blocks count once; their base64 body lines are masked line by line so the
    line structure of a diff survives.
    """
    out: list[str] = []
    total = 0
    in_key = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if in_key:
            redacted, in_key = _redact_key_body(body)
        else:
            redacted, count, in_key = _redact_line(body)
            total += count
        out.append(redacted + line[len(body) :])
    return "".join(out), total


_SECRET_NAMES = frozenset(
    {
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        ".npmrc",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".htpasswd",
        ".pgpass",
        "credentials",
    }
)
_SECRET_EXTS = frozenset({".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk", ".env"})
_DATA_EXTS = frozenset(
    {".json", ".yaml", ".yml", ".xml", ".ini", ".toml", ".txt", ".csv", ".cfg", ".conf"}
)
_ENV_EXAMPLES = frozenset({"example", "sample", "template", "dist", "defaults"})


def is_secret_file(path: str) -> bool:
    """Files whose content is never sent to a model (keys, `.env`, credential stores).

    `.env.example`, `.env.sample`, `.env.template`, `.env.dist` and `.env.defaults` are
    documentation of the variables, not secrets, and are allowed.
    """
    name = posixpath.basename(path).lower()
    if name in _SECRET_NAMES:
        return True
    if name.startswith("credentials."):
        return posixpath.splitext(name)[1] in _DATA_EXTS
    if name == ".env" or name.startswith(".env."):
        return name.rsplit(".", 1)[-1] not in _ENV_EXAMPLES
    return posixpath.splitext(name)[1] in _SECRET_EXTS
