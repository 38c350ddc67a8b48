"""Where the model cache and the incremental state live: outside the checkout.

A pull request controls every file in its checkout, so a cache or a "last review" found there
could be planted (a cache that answers "no findings", a state file whose head is the commit with
the bad code). The defaults therefore live outside the work tree:

- GitHub Actions: `$RUNNER_TEMP/prreview/{cache,state}` (the action restores them from its own
  actions/cache entries);
- GitLab CI: `$CI_PROJECT_DIR/.prreview-cache` (GitLab caches only paths in the project
  directory) when nothing tracked is at that path, else the next rule;
- elsewhere: `$XDG_CACHE_HOME/prreview/...`, else `~/.cache/prreview/...`.

An explicit cache directory or previous report inside the tracked tree, or in the diff, is
refused (exit 2 naming the flag); see `guard`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from prreview.change.git import repo_root
from prreview.change.tracked import inside, tracked_conflicts
from prreview.errors import GitError, UsageError
from prreview.models import ChangeSet

log = logging.getLogger(__name__)

APP = "prreview"
GITLAB_CACHE = ".prreview-cache"
STATE_FILE = "last-review.json"


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def base_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user (or per-job) directory prreview keeps its data under."""
    e = _env(env)
    if e.get("GITHUB_ACTIONS") == "true" and e.get("RUNNER_TEMP"):
        return Path(e["RUNNER_TEMP"]) / APP
    xdg = e.get("XDG_CACHE_HOME", "")
    if xdg and os.path.isabs(xdg):
        return Path(xdg) / APP
    home = e.get("HOME") or str(Path.home())
    return Path(home) / ".cache" / APP


def default_state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the action keeps `last-review.json` between runs of one pull request."""
    return base_dir(env) / "state"


def _gitlab_cache(repo: Path, env: Mapping[str, str]) -> Path | None:
    project = env.get("CI_PROJECT_DIR", "")
    if env.get("GITLAB_CI") != "true" or not os.path.isabs(project):
        return None
    candidate = Path(project) / GITLAB_CACHE
    try:
        root = repo_root(repo)
    except GitError:
        return candidate
    rel = inside(root, candidate)
    if rel is None or not tracked_conflicts(root, rel, ["HEAD"]):
        return candidate
    log.warning(
        "%s is tracked in the repository; the model cache uses %s instead",
        GITLAB_CACHE, base_dir(env) / "cache",
    )  # fmt: skip
    return None


def default_cache_dir(repo: Path, env: Mapping[str, str] | None = None) -> Path:
    """The model cache used when --cache-dir is not given (never a tracked path)."""
    e = _env(env)
    return _gitlab_cache(repo, e) or base_dir(e) / "cache"


def _refuse(
    root: Path,
    location: Path,
    what: str,
    flag: str,
    revisions: Sequence[str] = ("HEAD",),
    diff: Sequence[str] = (),
) -> None:
    rel = inside(root, location)
    if rel is None:
        return
    conflicts = tracked_conflicts(root, rel, revisions, diff)
    if conflicts:
        more = " and more" if len(conflicts) > 1 else ""
        raise UsageError(
            f"{what} {location} is inside the repository's tracked tree or the diff "
            f"({conflicts[0]}{more}): the change under review could have written it",
            hint=f"pass {flag} a path outside the checkout (default: {base_dir()})",
        )


def guard_state(root: Path, previous_report: Path) -> None:
    """Exit 2 when the previous report is tracked at HEAD or in the index."""
    _refuse(root, previous_report, "the previous report", "--previous-report")


def guard(changes: ChangeSet, cache_dir: Path | None, previous_report: Path | None) -> None:
    """Exit 2 when the cache directory or the previous report is something the change controls:
    tracked (index, head or base tree) or in the diff."""
    root = Path(changes.repo_root)
    revisions = [sha for sha in (changes.head_sha, changes.base_sha) if sha]
    diff = [p for f in changes.files for p in (f.path, f.old_path) if p]
    if cache_dir is not None:
        _refuse(root, Path(cache_dir), "the cache directory", "--cache-dir", revisions, diff)
    if previous_report is not None:
        where = (root, Path(previous_report), "the previous report", "--previous-report")
        _refuse(*where, revisions, diff)


def trusted_state(root: Path, report: Path) -> str | None:
    """Why `report` cannot be trusted for `--since auto`, or None when it can: only a file
    outside the checkout (the default state directory is) is one the change cannot write."""
    if inside(root, report) is None:
        return None
    return f"{report} is inside the checkout, where the change under review can write"
