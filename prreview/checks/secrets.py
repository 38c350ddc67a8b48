"""Secrets in added lines, and sensitive files added to the repository.

Runs on every file with added lines, skipped ones included: a key in a vendored or
generated file is still leaked. No secret value ever reaches a Finding: titles and
messages are fixed text plus a mask that keeps at most a public 4-character marker
(`AKIA****************`), and the fingerprint is computed over the masked line.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass

from prreview.secrets.files import is_secret_file
from prreview.secrets.patterns import KEY_LINE, SecretMatch, mask_line, mask_value
from prreview.secrets.scan import find_secrets, scan_lines
from prreview.secrets.split import split_literals
from prreview.secrets.text import redact

from ..models import FileChange, Finding, Rule, Severity
from .base import added_lines, file_finding, line_finding, make_rule

__all__ = ["RULES", "SecretsCheck", "find_secrets", "is_secret_file", "redact"]

_FIX = (
    "Remove the value from the change, revoke and rotate the credential (it is in the "
    "history now), and load it from the environment or a secret store at run time."
)
_TAGS = ("security", "secrets", "external/cwe/cwe-798")

# kind -> (display name, severity, confidence, precision)
_KINDS: dict[str, tuple[str, Severity, float, str]] = {
    "aws-access-key": ("AWS access key id", "critical", 0.95, "very-high"),
    "aws-secret-key": ("AWS secret access key", "critical", 0.85, "high"),
    "github-token": ("GitHub token", "critical", 0.95, "very-high"),
    "gitlab-token": ("GitLab token", "critical", 0.95, "very-high"),
    "private-key": ("private key", "critical", 0.95, "very-high"),
    "slack-token": ("Slack token", "high", 0.9, "high"),
    "slack-webhook": ("Slack incoming webhook URL", "high", 0.9, "high"),
    "stripe-key": ("Stripe live secret key", "critical", 0.95, "very-high"),
    "google-api-key": ("Google API key", "high", 0.9, "high"),
    "openai-key": ("OpenAI API key", "critical", 0.95, "very-high"),
    "anthropic-key": ("Anthropic API key", "critical", 0.95, "very-high"),
    "npm-token": ("npm access token", "critical", 0.9, "high"),
    "pypi-token": ("PyPI API token", "critical", 0.95, "very-high"),
    "twilio-key": ("Twilio API key", "high", 0.8, "high"),
    "sendgrid-key": ("SendGrid API key", "high", 0.9, "high"),
    "mailchimp-key": ("Mailchimp API key", "high", 0.8, "high"),
    "jwt": ("JSON Web Token", "high", 0.75, "medium"),
    "azure-storage-key": ("Azure storage account key", "critical", 0.9, "high"),
    "url-password": ("password in a URL", "high", 0.8, "medium"),
    "telegram-bot-token": ("Telegram bot token", "high", 0.8, "high"),
    "discord-bot-token": ("Discord bot token", "high", 0.8, "high"),
    "discord-webhook": ("Discord webhook URL", "high", 0.9, "high"),
    "square-oauth-secret": ("Square OAuth secret", "high", 0.9, "high"),
    "artifactory-token": ("Artifactory credential", "high", 0.7, "medium"),
    "ibm-cloud-key": ("IBM Cloud credential", "high", 0.7, "medium"),
    "cloudant-credentials": ("Cloudant credential", "high", 0.7, "medium"),
    "softlayer-credentials": ("SoftLayer credential", "high", 0.7, "medium"),
    "generic-secret": ("hard-coded credential", "medium", 0.6, "medium"),
}


def _a(label: str) -> str:
    return f"an {label}" if label.startswith(("AWS", "a", "e", "i", "o", "u")) else f"a {label}"


def _secret_rule(kind: str) -> Rule:
    label, severity, _, precision = _KINDS[kind]
    full = f"An added line contains what looks like {_a(label)}."
    if kind == "generic-secret":
        full = (
            "A high-entropy string literal is assigned to a name such as password, secret, "
            "token, api_key or access_key. Placeholders (changeme, xxx, ${VAR}, <value>) "
            "and environment lookups are ignored."
        )
    return make_rule(
        f"secrets/{kind}",
        f"Secret: {label}",
        f"{label[0].upper()}{label[1:]} added to the code",
        full,
        _FIX,
        severity=severity,
        category="security",
        tags=_TAGS,
        precision=precision,
        security_severity=7.0 if kind == "generic-secret" else 9.0,
    )


_SENSITIVE_FILE = make_rule(
    "secrets/sensitive-file",
    "Secret: sensitive file added",
    "A key, credential store or .env file is added",
    "The change adds a file that usually holds credentials (private keys, .env, .npmrc, "
    ".pypirc, .netrc, credentials). Its content is never sent to a model.",
    "Remove the file from the change and add it to .gitignore; commit a .env.example "
    "with placeholder values instead.",
    severity="high",
    category="security",
    tags=_TAGS,
    precision="medium",
    security_severity=7.0,
)

RULES: tuple[Rule, ...] = (*(_secret_rule(k) for k in _KINDS), _SENSITIVE_FILE)
_RULE_BY_KIND = {r.id.split("/", 1)[1]: r for r in RULES}

_UNQUOTED_EXTS = frozenset(
    {".env", ".ini", ".cfg", ".conf", ".properties", ".yaml", ".yml", ".sh", ".bash", ".zsh"}
)


def _accepts_unquoted(path: str) -> bool:
    name = posixpath.basename(path).lower()
    if name.startswith(".env") or name in {"credentials", ".npmrc", ".pypirc", ".netrc"}:
        return True
    return posixpath.splitext(name)[1] in _UNQUOTED_EXTS


def _line_findings(
    file: FileChange, lineno: int, text: str, matches: list[SecretMatch]
) -> Iterator[Finding]:
    masked = mask_line(text, matches)
    seen: set[str] = set()
    for m in matches:
        if m.kind in seen:
            continue
        seen.add(m.kind)
        label, _, confidence, _ = _KINDS[m.kind]
        shown = mask_value(text[m.start : m.end], m.keep)
        detail = f" (`{shown}`)" if m.keep and shown else ""
        yield line_finding(
            _RULE_BY_KIND[m.kind],
            file,
            lineno,
            title=f"{label[0].upper()}{label[1:]} added",
            message=(
                f"This line adds {_a(label)}{detail}. Anyone who can read the repository "
                "can use it. Revoke and rotate it, then load it from the environment or a "
                "secret store instead."
            ),
            confidence=confidence,
            anchor=masked,
            columns=(m.start + 1, m.end) if m.end > m.start else None,
        )


def _bare_key_header(match: SecretMatch, next_line: str) -> bool:
    """A private key header with no key material on its line nor on the next added line."""
    return (
        match.kind == "private-key" and match.start == match.end and not KEY_LINE.search(next_line)
    )


@dataclass(frozen=True)
class SecretsCheck:
    family: str = "secrets"
    rules: tuple[Rule, ...] = RULES
    all_files: bool = True

    def check(self, file: FileChange) -> Iterator[Finding]:
        if file.status in ("added", "renamed", "copied") and is_secret_file(file.path):
            yield file_finding(
                _SENSITIVE_FILE,
                file,
                title="Sensitive file added",
                message=(
                    "This change adds a file that usually holds credentials (keys, `.env`, "
                    "registry or netrc credentials). Keep it out of the repository."
                ),
                confidence=0.7,
            )
        unquoted = _accepts_unquoted(file.path)
        lines = dict(added_lines(file))
        split = _split_secrets(lines)
        found = scan_lines(list(lines.values()), precise=True, path=file.path, unquoted=unquoted)
        for (lineno, text), line_matches in zip(lines.items(), found, strict=True):
            matches = [
                m for m in line_matches if not _bare_key_header(m, lines.get(lineno + 1, ""))
            ]
            matches += [m for m in split.get(lineno, []) if not _overlaps(m, matches)]
            if matches:
                yield from _line_findings(file, lineno, text, matches)


def _overlaps(match: SecretMatch, others: list[SecretMatch]) -> bool:
    return any(match.start < o.end and o.start < match.end for o in others)


def _split_secrets(lines: dict[int, str]) -> dict[int, list[SecretMatch]]:
    """A token split over string literals on consecutive added lines: one match, on the
    line of its first piece."""
    found: dict[int, list[SecretMatch]] = {}
    run: list[int] = []
    for lineno in [*sorted(lines), -1]:
        if run and lineno != run[-1] + 1:
            texts = [lines[n] for n in run]
            pieces = split_literals(texts, precise=True)
            for kind, (i, start, end) in pieces:
                if (kind, i - 1) not in {(k, j) for k, (j, _, _) in pieces}:
                    found.setdefault(run[i], []).append(SecretMatch(kind, start, end, 0))
            run = []
        run.append(lineno)
    return found
