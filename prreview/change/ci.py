"""Which base a CI run reviews against: GitHub Actions, GitLab CI, else a fallback branch.

Pure: refs are looked up through the callback the caller passes (gitio runs git). The
environment and the GitHub event file are untrusted input: only well-formed shas and
branch names are used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prreview.errors import GitError

Lookup = Callable[[str], str | None]
"""ref -> full commit id, or None when the ref does not exist in the clone."""

FALLBACK_BASES = ("origin/HEAD", "main", "master")
_SHA = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_MAX_EVENT_BYTES = 25_000_000
_GITHUB_FETCH = "use actions/checkout with `fetch-depth: 0`, or run `git fetch --deepen=500`"
_GITLAB_FETCH = "set `GIT_DEPTH: 0` in .gitlab-ci.yml, or run `git fetch origin {ref}`"


@dataclass(frozen=True)
class BaseChoice:
    ref: str
    sha: str
    """The tip of the base (not yet the merge base)."""
    reason: str
    head_sha: str | None = None
    """The pull request head from the GitHub event, when it exists in the clone."""


def github_pull_request(env: Mapping[str, str]) -> dict[str, Any] | None:
    """The `pull_request` object of the GitHub Actions event payload, if there is one."""
    if env.get("GITHUB_ACTIONS") != "true" or not env.get("GITHUB_EVENT_PATH"):
        return None
    path = Path(env["GITHUB_EVENT_PATH"])
    try:
        if path.stat().st_size > _MAX_EVENT_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pull = data.get("pull_request") if isinstance(data, dict) else None
    return pull if isinstance(pull, dict) else None


def _sha_of(pull: Mapping[str, Any], side: str) -> str | None:
    part = pull.get(side)
    sha = part.get("sha") if isinstance(part, dict) else None
    return sha if isinstance(sha, str) and _SHA.match(sha) else None


def ci_base_detected(env: Mapping[str, str]) -> bool:
    """True when CI variables name the base of a pull/merge request."""
    if env.get("GITHUB_ACTIONS") == "true":
        pull = github_pull_request(env)
        if (pull and _sha_of(pull, "base")) or env.get("GITHUB_BASE_REF"):
            return True
    return bool(
        env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA") or env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    )


def detect_base(env: Mapping[str, str], lookup: Lookup) -> BaseChoice:
    """The base to review against, with the reason it was chosen; GitError when none."""
    for finder in (_github, _gitlab):
        choice = finder(env, lookup)
        if choice is not None:
            return choice
    for ref in FALLBACK_BASES:
        sha = lookup(ref)
        if sha is not None:
            listed = ", ".join(FALLBACK_BASES)
            return BaseChoice(
                ref, sha, f"base {ref} (fallback: no CI base detected, first of {listed})"
            )
    raise GitError(
        f"no base to compare with: no CI variables and none of {', '.join(FALLBACK_BASES)} exists",
        hint="pass --base REF (e.g. --base origin/main)",
    )


def _github(env: Mapping[str, str], lookup: Lookup) -> BaseChoice | None:
    if env.get("GITHUB_ACTIONS") != "true":
        return None
    pull = github_pull_request(env) or {}
    base_sha, head_sha = _sha_of(pull, "base"), _sha_of(pull, "head")
    head_present = head_sha if head_sha and lookup(head_sha) else None
    if base_sha and lookup(base_sha):
        why = "GitHub Actions pull_request event: pull_request.base.sha"
        return BaseChoice(base_sha, base_sha, f"base {base_sha[:12]} ({why})", head_present)
    branch = env.get("GITHUB_BASE_REF", "")
    if branch:
        choice = _branch(branch, "GITHUB_BASE_REF", lookup, _GITHUB_FETCH)
        return BaseChoice(choice.ref, choice.sha, choice.reason, head_present)
    if base_sha:
        raise GitError(
            f"base commit {base_sha[:12]} of the pull request is not in the clone",
            hint=_GITHUB_FETCH,
        )
    return None


def _gitlab(env: Mapping[str, str], lookup: Lookup) -> BaseChoice | None:
    sha = env.get("CI_MERGE_REQUEST_DIFF_BASE_SHA", "")
    if sha and _SHA.match(sha) and lookup(sha):
        why = "GitLab CI_MERGE_REQUEST_DIFF_BASE_SHA"
        return BaseChoice(sha, sha, f"base {sha[:12]} ({why})")
    branch = env.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "")
    if branch:
        return _branch(branch, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", lookup, _GITLAB_FETCH)
    if sha:
        raise GitError(
            f"merge request base {sha[:12]} (CI_MERGE_REQUEST_DIFF_BASE_SHA) is not in the clone",
            hint=_GITLAB_FETCH.format(ref=sha),
        )
    return None


def _branch(name: str, variable: str, lookup: Lookup, fetch_hint: str) -> BaseChoice:
    for ref in (f"origin/{name}", name):
        sha = lookup(ref)
        if sha is not None:
            return BaseChoice(ref, sha, f"base {ref} ({variable}={name})")
    raise GitError(
        f"base branch '{name}' ({variable}) is not in the clone (tried origin/{name} and {name})",
        hint=f"{fetch_hint.format(ref=name)}; or fetch it: git fetch origin {name}",
    )
