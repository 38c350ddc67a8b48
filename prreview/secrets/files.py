"""The one predicate for files whose content never leaves the process.

Used by the diff filter (pipeline.mark_secret_files: such files are not sent for review) and
by the context reader (context.ContextCache: they are never read as definitions, call sites,
tests or guidelines). The built-in secret check still scans their added lines.
"""

from __future__ import annotations

import posixpath

__all__ = ["is_secret_file"]

_NAMES = frozenset(
    {
        "id_rsa",
        "id_dsa",
        "id_ecdsa",
        "id_ed25519",
        "id_ecdsa_sk",
        "id_ed25519_sk",
        ".npmrc",
        ".yarnrc",
        ".yarnrc.yml",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".htpasswd",
        ".pgpass",
        ".my.cnf",
        ".s3cfg",
        ".boto",
        ".dockercfg",
        ".terraformrc",
        "terraform.rc",
        "credentials",
        "secrets.env",
    }
)
_EXTS = frozenset(
    {
        ".pem",
        ".key",
        ".p12",
        ".pfx",
        ".jks",
        ".keystore",
        ".ppk",
        ".env",
        ".tfstate",
        ".kdbx",
        ".age",
    }
)
_PATHS = (".docker/config.json", ".kube/config", ".config/gh/hosts.yml")
"""Suffixes of a path (after a `/` or at the start) that hold tokens in known tools."""
_DATA_EXTS = frozenset(
    {".json", ".yaml", ".yml", ".xml", ".ini", ".toml", ".txt", ".csv", ".cfg", ".conf"}
)
_ENV_EXAMPLES = frozenset({"example", "sample", "template", "dist", "defaults", "tpl"})
_KEY_PREFIXES = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")


def _is_env_file(name: str) -> bool:
    """`.env`, `.env.local`, `.env-prod`, `.envrc`; not `.env.example` and its kin."""
    if not name.startswith(".env"):
        return False
    rest = name[len(".env") :]
    if rest in ("", "rc"):
        return True
    if rest[0] not in ".-_":
        return False
    return rest[1:].rsplit(".", 1)[-1] not in _ENV_EXAMPLES


def is_secret_file(path: str) -> bool:
    """Keys, `.env*`, registry and netrc credentials, cloud CLI credential stores.

    `.env.example`, `.env.sample`, `.env.template`, `.env.dist` and `.env.defaults` document
    the variables and are allowed; so are public keys (`id_rsa.pub`).
    """
    lowered = path.lower()
    name = posixpath.basename(lowered)
    if name in _NAMES or _is_env_file(name):
        return True
    if name.startswith(_KEY_PREFIXES) and not name.endswith(".pub"):
        return True
    if name.startswith(("credentials.", "client_secret")):
        return posixpath.splitext(name)[1] in _DATA_EXTS
    if any(lowered == p or lowered.endswith("/" + p) for p in _PATHS):
        return True
    return posixpath.splitext(name)[1] in _EXTS
