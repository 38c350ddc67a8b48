"""Fresh random credentials in 22 common provider formats, made for each test run.

Nothing here is a real or documented example key: every value is drawn from
`secrets.SystemRandom` when the test runs, in the shape the provider uses (prefix, length,
alphabet), so a scanner has to know the format to find it.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from dataclasses import dataclass

_ALNUM = string.ascii_letters + string.digits
_URLSAFE = _ALNUM + "-_"
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"


def _draw(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _b64url(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Canary:
    name: str
    value: str
    """The secret itself: must never leave the process."""
    line: str
    """A Python line that carries it, the way code in a pull request would."""


def _jwt() -> str:
    header = _b64url({"alg": "HS256", "typ": "JWT"})
    payload = _b64url({"sub": _draw(_HEX, 12), "iat": secrets.randbelow(10**9) + 10**9})
    return f"{header}.{payload}.{_draw(_URLSAFE, 43)}"


def _generic() -> str:
    value = "xxx"
    while "xxx" in value.lower():  # a run of x reads as a placeholder
        value = _draw(_ALNUM + "!#&+-=?@^_~", 40)
    return value


def _values() -> dict[str, str]:
    return {
        "openai": "sk-" + _draw(_ALNUM, 20) + "T3BlbkFJ" + _draw(_ALNUM, 20),
        "openai-project": "sk-proj-" + _draw(_URLSAFE, 74) + "T3BlbkFJ" + _draw(_URLSAFE, 74),
        "anthropic": "sk-ant-api03-" + _draw(_URLSAFE, 93) + "AA",
        "aws": "AKIA" + _draw(string.ascii_uppercase + "234567", 16),
        "github-classic": "ghp_" + _draw(_ALNUM, 36),
        "github-fine-grained": "github_pat_" + _draw(_ALNUM, 22) + "_" + _draw(_ALNUM, 59),
        "gitlab": "glpat-" + _draw(_URLSAFE, 20),
        "slack": f"xoxb-{_draw(string.digits, 12)}-{_draw(string.digits, 13)}-" + _draw(_ALNUM, 24),
        "stripe": "sk_live_" + _draw(_ALNUM, 99),
        "npm": "npm_" + _draw(_ALNUM, 36),
        "pypi": "pypi-AgEIcHlwaS5vcmc" + _draw(_URLSAFE, 140),
        "twilio": "SK" + _draw(_HEX, 32),
        "sendgrid": "SG." + _draw(_URLSAFE, 22) + "." + _draw(_URLSAFE, 43),
        "jwt": _jwt(),
        "azure-storage": _draw(_B64, 86) + "==",
        "database-url": _draw(_ALNUM, 24),
        "telegram": f"{secrets.randbelow(9 * 10**8) + 10**8}:" + _draw(_URLSAFE, 35),
        "discord-webhook": _draw(_URLSAFE, 68),
        "mailchimp": _draw(_HEX, 32) + f"-us{secrets.randbelow(20) + 1}",
        "google": "AIza" + _draw(_URLSAFE, 35),
        "private-key": _draw(_B64, 64),
        "generic": _generic(),
    }


def _line(name: str, value: str) -> str:
    special = {
        "azure-storage": (
            'AZURE_STORAGE = "DefaultEndpointsProtocol=https;AccountName=canary;'
            f'AccountKey={value};EndpointSuffix=core.windows.net"'
        ),
        "database-url": f'DATABASE_URL = "postgres://app:{value}@db.internal:5432/app"',
        "discord-webhook": (
            'DISCORD = "https://discord.com/api/webhooks/'
            f'{secrets.randbelow(10**18) + 10**17}/{value}"'
        ),
        "private-key": "",
        "generic": f'internal_signing_secret = "{value}"',
    }
    return special.get(name, f'{name.upper().replace("-", "_")}_VALUE = "{value}"')


def private_key_block(body_line: str) -> str:
    """A PEM block whose first body line is the canary."""
    rest = "\n".join(_draw(_B64, 64) for _ in range(3))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body_line}\n{rest}\n-----END RSA PRIVATE KEY-----"


def make_canaries() -> list[Canary]:
    """The 22 formats, each with a fresh value."""
    return [Canary(n, v, _line(n, v)) for n, v in _values().items()]


def python_module(canaries: list[Canary]) -> str:
    """A Python file that holds every canary (the key as a triple-quoted PEM block)."""
    lines = [c.line for c in canaries if c.line]
    key = next(c for c in canaries if c.name == "private-key")
    lines.append(f'DEPLOY_KEY = """{private_key_block(key.value)}"""')
    return "\n".join(lines) + "\n"
