"""The trust boundary: where every piece of review policy is read from.

One rule (docs/security.md, "Trust boundaries"). When a range is reviewed (base..head: in any
CI, with `--base`, or with the fallback base), the repository's policy files — the config
file, custom evaluator templates, the baseline, guideline and instruction files and
`.gitattributes` — are read from the **base commit** (the merge base of base and head), never
from the head commit or the working tree. The head tree and the working tree are policy only
in the local modes (`--staged`, `--working-tree`) on a machine that is not CI; a local mode
in CI reads no policy from the repository at all (the checkout is the change). Flags, the
environment and files outside the repository are always trusted. `--config-source head` (a
flag, so the workflow author's choice) reads everything from the working tree.

`decide()` makes the choice once; `PolicyTree` is the only reader of policy files. No symlink
is followed out of the repository: a committed symlink is resolved inside the tree, a working
tree symlink must stay inside the checkout.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from prreview.change import git, read
from prreview.change.tree import TreeReader
from prreview.errors import ConfigError

CI_FLAGS = (
    "CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TF_BUILD", "TRAVIS",
    "APPVEYOR", "DRONE", "SEMAPHORE", "BITRISE_IO", "WOODPECKER", "GITEA_ACTIONS", "PRREVIEW_CI",
)  # fmt: skip
"""Variables that CI systems set to `true` (or `1`)."""
CI_PRESENT = (
    "JENKINS_URL", "TEAMCITY_VERSION", "BITBUCKET_BUILD_NUMBER", "CODEBUILD_BUILD_ID",
    "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", "CIRCLE_BUILD_NUM", "BUILDKITE_BUILD_ID",
    "GITHUB_RUN_ID", "CI_PIPELINE_ID", "HARNESS_BUILD_ID", "CF_BUILD_ID",
)  # fmt: skip
"""Variables whose presence (any non-empty value) means CI."""
CI_VARIABLES = CI_FLAGS + CI_PRESENT
_TRUE = {"1", "true", "yes", "on"}
_MAX_LINKS = 8

Source = Literal["base", "head", "none"]


def is_ci(env: Mapping[str, str]) -> bool:
    """True on a CI machine (any of CI_VARIABLES; PRREVIEW_CI=1 for unlisted systems)."""
    if any(env.get(name, "").strip().lower() in _TRUE for name in CI_FLAGS):
        return True
    return any(env.get(name, "").strip() for name in CI_PRESENT)


@dataclass(frozen=True)
class Trust:
    """Where this run reads policy from (see the module docstring)."""

    root: Path
    mode: Literal["range", "local"]
    source: Source
    """base: the commit `rev`; head: the working tree; none: nothing from the repository."""
    rev: str | None
    head_rev: str | None
    config_file: bool
    """False with --config-source none: no .prreview.toml/pyproject.toml from the repository."""
    reason: str

    def where(self) -> str:
        if self.source == "base":
            return f"the base commit {(self.rev or '')[:12]}"
        if self.source == "head":
            return "the working tree"
        return "any trusted tree"


def decide(values: Mapping[str, Any], env: Mapping[str, str]) -> Trust:
    """The policy source for a run described by settings values (flags, env or Settings)."""
    root = git.repo_root(Path(values.get("repo") or "."))
    local = bool(values.get("staged") or values.get("working_tree"))
    mode: Literal["range", "local"] = "local" if local else "range"
    ci = is_ci(env) or bool(values.get("ci"))
    chosen = str(values.get("config_source") or "auto")
    config_file = chosen != "none"
    if chosen == "head":
        why = "--config-source head: the working tree (the change controls its own policy)"
        return Trust(root, mode, "head", None, None, True, why)
    if local and chosen != "base":
        if not ci:
            why = "a local review on a machine that is not CI: the working tree"
            return Trust(root, mode, "head", None, None, config_file, why)
        why = (
            "a local review (--staged/--working-tree) in CI: the checkout is the change, so no "
            "policy is read from the repository (pass --config FILE outside the checkout, "
            "or review a range with --base)"
        )
        return Trust(root, mode, "none", None, None, config_file, why)
    if local:
        head = git.rev_parse(root, "HEAD")
        source: Source = "base" if head else "none"
        return Trust(root, mode, source, head, None, config_file, "--config-source base: HEAD")
    _ref, base_sha, head_sha, _why = read.resolve_refs(
        root, base=values.get("base"), head=str(values.get("head") or "HEAD"), env=env
    )
    why = "a range review: the base commit (merge base of base and head)"
    return Trust(root, mode, "base", base_sha, head_sha, config_file, why)


def inside_repository(root: Path, path: Path) -> str | None:
    """The repo-relative POSIX path when `path` is in the checkout (as written or resolved)."""
    absolute = Path(os.path.abspath(path))
    roots = {Path(os.path.abspath(root)), root.resolve()}
    for candidate in (absolute, absolute.resolve()):
        for top in roots:
            if candidate == top or candidate.is_relative_to(top):
                rel = candidate.relative_to(top).as_posix()
                return "" if rel == "." else rel
    return None


class PolicyTree:
    """Reads repository policy files from the trusted tree (a SourceTree for context too)."""

    def __init__(self, trust: Trust) -> None:
        self.trust = trust
        self._tree: TreeReader | None = None
        if trust.source == "base" and trust.rev:
            self._tree = TreeReader(trust.root, trust.rev)
        elif trust.source == "head":
            self._tree = TreeReader(trust.root, None)
        self._modes: dict[str, str] | None = None

    def __enter__(self) -> PolicyTree:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._tree is not None:
            self._tree.close()

    # -- SourceTree protocol (context/guidelines reads through it)

    def read_text(self, path: str) -> str | None:
        """Text of a policy file; None when absent, binary or a symlink leaving the repo."""
        try:
            return self.read_policy(path, "file")
        except ConfigError:
            return None

    def read_bytes(self, path: str) -> bytes | None:
        text = self.read_text(path)
        return None if text is None else text.encode("utf-8")

    def ls_files(self) -> list[str]:
        return [] if self._tree is None else self._tree.ls_files()

    def grep(
        self, words: Sequence[str], paths: Sequence[str] | None = None
    ) -> dict[str, list[tuple[str, int, str]]]:
        return {w: [] for w in words}

    def attr(self, paths: Sequence[str], attr: str) -> dict[str, str]:
        """.gitattributes values from the trusted tree; none at all when there is none."""
        return {} if self._tree is None else self._tree.attr(paths, attr)

    # -- policy files

    def read_policy(self, path: str, what: str) -> str | None:
        """A policy file's text, None when absent; ConfigError for a symlink leaving the repo."""
        clean = _clean(path)
        if clean is None or self._tree is None:
            return None
        real = self._resolve(clean, what, path)
        if real is None:
            return None
        data = self._tree.read_bytes(real)
        if data is None or b"\0" in data[:8000]:
            return None
        return data.decode("utf-8", "replace")

    def _resolve(self, path: str, what: str, shown: str) -> str | None:
        assert self._tree is not None
        if self._tree.rev is None:
            return self._resolve_worktree(path, what, shown)
        if self._modes is None:
            self._modes = git.tree_modes(self.trust.root, self._tree.rev)
        for _ in range(_MAX_LINKS):
            mode = self._modes.get(path)
            if mode != "120000":
                return path if mode is not None else None
            target = (self._tree.read_bytes(path) or b"").decode("utf-8", "replace")
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
            if target.startswith("/") or joined == ".." or joined.startswith("../"):
                raise _escape(what, shown, target)
            path = joined
        raise ConfigError(f"{what} {shown}: too many levels of symlinks")

    def _resolve_worktree(self, path: str, what: str, shown: str) -> str | None:
        full = self.trust.root / path
        if not os.path.lexists(full):
            return None
        real = Path(os.path.realpath(full))
        top = self.trust.root.resolve()
        if not real.is_relative_to(top):
            raise _escape(what, shown, os.readlink(full) if full.is_symlink() else str(real))
        return real.relative_to(top).as_posix() if real.is_file() else None


class AttrsFrom:
    """For the file filters: contents from the change, `.gitattributes` from the policy tree."""

    def __init__(self, content: Any, policy: PolicyTree) -> None:
        self.content, self.policy = content, policy

    def read_bytes(self, path: str) -> bytes | None:
        return self.content.read_bytes(path)  # type: ignore[no-any-return]

    def attr(self, paths: Sequence[str], attr: str) -> dict[str, str]:
        return self.policy.attr(paths, attr)


def _clean(path: str) -> str | None:
    """A repo-relative path without `.`/`..` tricks, or None."""
    if not path or "\0" in path or "\n" in path:
        return None
    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm.startswith("/") or norm == ".." or norm.startswith("../") or norm == ".":
        return None
    return norm


def _escape(what: str, path: str, target: str) -> ConfigError:
    return ConfigError(
        f"{what} {path} is a symlink to {target!r}, outside the repository; it is not followed",
        hint="commit the file itself, or pass a file outside the repository with a flag",
    )


def read_outside_file(path: Path, what: str) -> str:
    """A trusted file outside the repository (a flag's --config or --baseline)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{what}: {path} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc.strerror}") from None


def read_named_file(policy: PolicyTree, path: Path, what: str) -> tuple[str | None, str]:
    """A file named by a flag or the config (`--config`, `baseline`): (text or None, note).

    Outside the repository: read as is (trusted). Inside: from the trusted tree, so a path
    into the checkout cannot make the change supply its own policy. None with a note when
    the trusted tree does not have it.
    """
    rel = inside_repository(policy.trust.root, path)
    if rel is None:
        return read_outside_file(path, what), ""
    if policy.trust.source == "head" and not path.exists():
        raise ConfigError(f"{what}: cannot read {path}: No such file or directory")
    text = policy.read_policy(rel, what) if rel else None
    if text is not None:
        return text, ""
    note = (
        f"{what} {path} is inside the repository and not in {policy.trust.where()} "
        f"({policy.trust.reason}); it is not used"
    )
    return None, note
