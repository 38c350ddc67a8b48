"""detect-secrets' plugins, used in-process as a library.

Only the plugin classes (`analyze_string`) and the heuristic filter functions are used; the
package's global settings are never configured and no baseline file is read, so nothing in a
repository can add plugins or switch filters off. Each plugin has a gate: a regex a line must
match before the plugin is worth running (scan.py finds the gated lines of a whole text
with one pass per gate).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prreview.secrets.patterns import SecretMatch, looks_like_secret_value, shannon_entropy

__all__ = ["ENTROPY", "Plugin", "plugin_matches", "plugins"]

# detect-secrets secret_type -> (our kind, characters of the value a mask may show)
_KINDS: dict[str, tuple[str, int]] = {
    "AWS Access Key": ("aws-access-key", 4),
    "Azure Storage Account access key": ("azure-storage-key", 0),
    "Basic Auth Credentials": ("url-password", 0),
    "Cloudant Credentials": ("cloudant-credentials", 0),
    "Discord Bot Token": ("discord-bot-token", 0),
    "GitHub Token": ("github-token", 4),
    "GitLab Token": ("gitlab-token", 4),
    "IBM Cloud IAM Key": ("ibm-cloud-key", 0),
    "IBM COS HMAC Credentials": ("ibm-cloud-key", 0),
    "JSON Web Token": ("jwt", 3),
    "Mailchimp Access Key": ("mailchimp-key", 0),
    "NPM tokens": ("npm-token", 4),
    "OpenAI Token": ("openai-key", 3),
    "PyPI Token": ("pypi-token", 4),
    "SendGrid API Key": ("sendgrid-key", 3),
    "Slack Token": ("slack-token", 4),
    "SoftLayer Credentials": ("softlayer-credentials", 0),
    "Square OAuth Secret": ("square-oauth-secret", 4),
    "Stripe Access Key": ("stripe-key", 4),
    "Telegram Bot Token": ("telegram-bot-token", 0),
    "Twilio API Key": ("twilio-key", 2),
    "Artifactory Credentials": ("artifactory-token", 0),
    "Secret Keyword": ("generic-secret", 0),
    "Base64 High Entropy String": ("high-entropy", 0),
    "Hex High Entropy String": ("high-entropy", 0),
}
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "PrivateKeyDetector"})
"""A public IP is not a secret; private key blocks are handled by patterns.py."""
ENTROPY = frozenset({"Base64HighEntropyString", "HexHighEntropyString"})
_KEYWORDS = r"(?:key|pass|pwd|secret|contrase)[\w\]'\"]*[ \t]*(?:[:=!(\"'`]|\.assign)|[=!]=.{0,80}?(?:key|pass|pwd|secret)"
_ASSIGNED_24 = r"(?:key|pw|pass|token)[\w\]'\"]*[ \t]*(?:[=:][ \t]*)?[\"']?[a-z0-9_\-]{24}"
_QUOTED_RUN = r"[\"'][A-Za-z0-9+/=_\-]{9}"
# plugin -> (regex a line needs before the plugin is worth running, search the lower-cased line)
_GATES: dict[str, tuple[str, bool]] = {
    "AWSKeyDetector": (r"a3t|akia|asia|abia|acca|aws", True),
    "AzureStorageKeyDetector": (r"AccountKey=", False),
    "BasicAuthDetector": (r"://", False),
    "DiscordBotTokenDetector": (r"[MNO][\w-]{23,25}\.[\w-]{6}\.", False),
    "GitHubTokenDetector": (r"gh[pousr]_", False),
    "GitLabTokenDetector": (r"gl[a-z]{2,6}-|GR1348941", False),
    "JwtTokenDetector": (r"eyJ", False),
    "KeywordDetector": (_KEYWORDS, True),
    "MailchimpDetector": (r"-us\d", False),
    "NpmDetector": (r"_authToken", False),
    "OpenAIDetector": (r"T3BlbkFJ", False),
    "PypiTokenDetector": (r"pypi-", False),
    "SendGridDetector": (r"SG\.", False),
    "SlackDetector": (r"xox|hooks\.slack", True),
    "SquareOAuthDetector": (r"sq0csp-", False),
    "StripeDetector": (r"k_live_", False),
    "TelegramBotTokenDetector": (r"[0-9]{8,10}:[0-9A-Za-z_-]{35}", False),
    "TwilioKeyDetector": (r"(?:AC|SK)[a-z0-9]{32}", False),
    "ArtifactoryDetector": (r"AKC|AP[0-9A-F]", False),
    "IbmCloudIamDetector": (_ASSIGNED_24, True),
    "IbmCosHmacDetector": (r"secret", True),
    "CloudantDetector": (_ASSIGNED_24, True),
    "SoftlayerDetector": (_ASSIGNED_24 + "|softlayer.com", True),
    "Base64HighEntropyString": (_QUOTED_RUN, False),
    "HexHighEntropyString": (_QUOTED_RUN, False),
}
"""A plugin not listed always runs."""
_BOUNDED = frozenset(
    {"aws-access-key", "twilio-key", "mailchimp-key", "telegram-bot-token", "discord-bot-token"}
)
"""Fixed-length formats: inside a longer word they are something else (precise mode)."""
_WIDEN: dict[str, re.Pattern[str]] = {"jwt": re.compile(r"[A-Za-z0-9_\-.+/=]*")}
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9_\-]*")
_UNWIDENED = frozenset({"url-password", "generic-secret", "high-entropy", "private-key"})
_COMPARISON = re.compile(r"[=!]==?\s*[\"'`]?$|^[\"'`]?\s*[=!]=")
_QUOTES = "\"'`"
_LONG_BLANKS = re.compile(r"[ \t]{8,}")
_WINDOW, _OVERLAP = 4096, 1024
_NAME_ONLY = re.compile(r"[A-Za-z_.\-]+")
_VALUE_TOKEN = re.compile(r"[^\s()\[\]{},;]+")
_ASSIGNED_KINDS = frozenset({"ibm-cloud-key", "cloudant-credentials", "softlayer-credentials"})
"""Plugins that take any long value assigned to `key`/`token`: an identifier is not one."""


@dataclass(frozen=True)
class Plugin:
    name: str
    secret_type: str
    analyze: Callable[..., Iterable[str]]
    gate: re.Pattern[str] | None
    lowered: bool
    instance: object


@functools.cache
def plugins() -> tuple[Plugin, ...]:
    # detect-secrets imports requests and every plugin module (~0.25 s): only when scanning.
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    found = []
    for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items()):
        if cls.__name__ in _SKIPPED_PLUGINS:
            continue
        plugin = cls()
        gate, lowered = _GATES.get(cls.__name__, ("", False))
        compiled = re.compile(gate) if gate else None
        analyze = plugin.analyze_string
        found.append(Plugin(cls.__name__, secret_type, analyze, compiled, lowered, plugin))
    return tuple(found)


@functools.cache
def _keyword_groups(path: str) -> tuple[dict[re.Pattern[str], int], ...]:
    from detect_secrets.plugins import keyword
    from detect_secrets.util.filetype import determine_file_type

    if not path:
        return (
            keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
            keyword.CONFIG_DENYLIST_REGEX_TO_GROUP,
        )
    table = keyword.REGEX_BY_FILETYPE.get(determine_file_type(path))
    return (table or keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,)


def _spans(plugin: Plugin, line: str, path: str | None) -> Iterable[tuple[int, int]]:
    """Where the plugin's own patterns match: the values `analyze_string` would yield, with
    their positions (a value found again elsewhere in the line is not the match)."""
    inst: Any = plugin.instance
    if plugin.name == "KeywordDetector":
        for groups in _keyword_groups(path or ""):
            hits = [(m, g) for regex, g in groups.items() if (m := regex.search(line))]
            yield from (m.span(g) for m, g in hits)
            if hits:
                return  # like analyze_string: the first rule set with results decides
        return
    if plugin.name in ENTROPY:
        yield from (m.span(2) for m in inst.regex.finditer(line))
        return
    denylist = getattr(inst, "denylist", None)
    if denylist is None:  # a plugin shape we do not know: locate what it returns
        for value in plugin.analyze(line):
            yield from ((at, at + len(value)) for at in _occurrences(line, value))
        return
    valid = getattr(inst, "is_formally_valid", None)
    for regex in denylist:
        for m in regex.finditer(line):
            groups = [m.span(g) for g in range(1, regex.groups + 1) if m.group(g)]
            for start, end in groups or [m.span()]:
                if valid is None or valid(line[start:end]):
                    yield start, end


def _kind(secret_type: str, value: str) -> tuple[str, int]:
    kind, keep = _KINDS.get(secret_type, ("generic-secret", 0))
    if kind == "aws-access-key" and not value[:4].isupper():
        return "aws-secret-key", 0
    if kind == "slack-token" and value.startswith("https://"):
        return "slack-webhook", 0
    return kind, keep


def _trim(kind: str, value: str) -> tuple[int, str]:
    """The secret inside what a plugin returned: (offset, value)."""
    if kind == "azure-storage-key":
        return len("AccountKey="), value[len("AccountKey=") :]
    if kind == "artifactory-token":
        stripped = value.strip(" \t=:\"'")
        return value.find(stripped), stripped
    return 0, value


def _occurrences(line: str, value: str) -> Iterable[int]:
    start = line.find(value)
    while start >= 0:
        yield start
        start = line.find(value, start + len(value))


def _widen(line: str, kind: str, start: int, end: int) -> int:
    if kind in _UNWIDENED:
        return end
    pattern = _WIDEN.get(kind, _TOKEN_CHARS)
    return pattern.match(line, end).end()  # type: ignore[union-attr]


def _heuristic_noise(plugin: Plugin, value: str, line: str) -> bool:
    from detect_secrets.filters import heuristic

    if heuristic.is_sequential_string(value) or heuristic.is_potential_uuid(value):
        return True
    if heuristic.is_templated_secret(value) or heuristic.is_prefixed_with_dollar_sign(value):
        return True
    if plugin.name == "KeywordDetector" and heuristic.is_indirect_reference(line):
        return True
    return plugin.name in ENTROPY and heuristic.is_likely_id_string(value, line, plugin.instance)


def _low_entropy(plugin: Plugin, value: str) -> bool:
    """detect-secrets' entropy limit; its own formula (a loop over the charset) runs only for
    values the plain Shannon entropy, equal for a value in the charset, does not rule out."""
    if plugin.name not in ENTROPY:
        return False
    limit = plugin.instance.entropy_limit  # type: ignore[attr-defined]
    if shannon_entropy(value) <= limit:
        return True
    return plugin.instance.calculate_shannon_entropy(value) <= limit  # type: ignore[attr-defined]


def _quoted(line: str, start: int, end: int) -> bool:
    return (
        start > 0
        and end < len(line)
        and line[start - 1] in _QUOTES
        and line[end] == line[start - 1]
    )


def _keep_keyword(line: str, start: int, end: int, precise: bool) -> bool:
    """An assigned value, not a comparison, a reference, a type or a piece of code."""
    value = line[start:end]
    if precise:
        before = line[max(0, start - 8) : start]
        return looks_like_secret_value(value) and not _COMPARISON.search(before)
    if _quoted(line, start, end):
        return len(value) >= 4 and not _NAME_ONLY.fullmatch(value)
    return bool(_VALUE_TOKEN.fullmatch(value)) and looks_like_secret_value(value)


def _windows(line: str) -> Iterable[tuple[int, str]]:
    """The line as the plugins see it: long blank runs defused (`key` + spaces + `=` is
    cubic for some of their patterns), long lines in overlapping windows (quadratic ones)."""
    probe = _LONG_BLANKS.sub(lambda m: m.group()[:2] + "\x01" * (len(m.group()) - 2), line)
    if len(probe) <= _WINDOW:
        yield 0, probe
        return
    for start in range(0, len(probe) - _OVERLAP, _WINDOW - _OVERLAP):
        yield start, probe[start : start + _WINDOW]


def plugin_matches(plugin: Plugin, line: str, path: str | None, precise: bool) -> list[SecretMatch]:
    """What one plugin finds in one line, as our kinds and spans."""
    found: list[SecretMatch] = []
    spans = {
        (at + a, at + b) for at, chunk in _windows(line) for a, b in _spans(plugin, chunk, path)
    }
    for start, end in spans:
        kind, keep = _kind(plugin.secret_type, line[start:end])
        offset, value = _trim(kind, line[start:end])
        if not value or _heuristic_noise(plugin, value, line) or _low_entropy(plugin, value):
            continue
        match = _accept(line, kind, keep, start + offset, start + offset + len(value), precise)
        if match is not None:
            found.append(match)
    return found


def _accept(
    line: str, kind: str, keep: int, start: int, end: int, precise: bool
) -> SecretMatch | None:
    if kind == "generic-secret" and not _keep_keyword(line, start, end, precise):
        return None
    if kind in _ASSIGNED_KINDS and not looks_like_secret_value(line[start:end]):
        return None
    if precise:
        if "EXAMPLE" in line[start:end]:
            return None
        if kind in _BOUNDED and (
            (start > 0 and line[start - 1].isalnum()) or (end < len(line) and line[end].isalnum())
        ):
            return None
    end = _widen(line, kind, start, end)
    return SecretMatch(kind, start, end, keep)
