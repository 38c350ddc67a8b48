"""`prreview publish github|gitlab --report review.json`: PR/MR comments from a JSON report.

One sticky summary comment per PR/MR (found again by its hidden marker and updated in place),
inline comments only on lines of the PR/MR diff (anything else goes to the summary), one
comment per finding fingerprint across re-runs, fixed findings marked resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from pydantic import ValidationError

from ..errors import UsageError
from ..models import Review
from .common import PublishResult, RetryPolicy
from .github import publish_github, target_from_env
from .gitlab import publish_gitlab
from .gitlab import target_from_env as gitlab_target

__all__ = ["PLATFORMS", "PublishResult", "RetryPolicy", "load_review", "publish_command"]

PLATFORMS = ("github", "gitlab")


def load_review(report: Path) -> Review:
    """Read a `--output json=PATH` report back into a Review (UsageError when it is not one)."""
    try:
        text = report.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--report: cannot read {report}: {exc.strerror}") from None
    try:
        return Review.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise UsageError(
            f"--report {report}: not a prreview JSON report ({where}: {first['msg']})",
            hint="write it with `prreview run --output json=PATH` of the same prreview version",
        ) from None


def publish_command(
    platform: str,
    report: Path,
    *,
    env: Mapping[str, str],
    err: Callable[[str], None],
    repository: str | None = None,
    number: int | None = None,
    api_url: str | None = None,
    max_comments: int = 25,
    notes: Sequence[str] = (),
    retry: RetryPolicy | None = None,
) -> int:
    """Publish `report` to a GitHub PR or GitLab MR; return the exit code (0).

    Failures raise: AuthError (exit 2) naming the missing permission, UsageError (exit 2),
    IncompleteError (exit 3) when the API kept failing after retries.
    """
    if platform not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}", hint="use github or gitlab")
    if max_comments < 0:
        raise UsageError("--max-comments must be 0 or more")
    review = load_review(report)
    policy = retry or RetryPolicy()
    result = _publish(
        platform, review, env, repository, number, api_url, max_comments, notes, policy
    )
    err(describe(result))
    return 0


def _publish(
    platform: str,
    review: Review,
    env: Mapping[str, str],
    repository: str | None,
    number: int | None,
    api_url: str | None,
    max_comments: int,
    notes: Sequence[str],
    policy: RetryPolicy,
) -> PublishResult:
    if platform == "github":
        target = target_from_env(env, repository=repository, number=number, api_url=api_url)
        return publish_github(review, target, retry=policy, max_comments=max_comments, notes=notes)

    gl_target = gitlab_target(env, project=repository, iid=number, api_url=api_url)
    return publish_gitlab(review, gl_target, retry=policy, max_comments=max_comments, notes=notes)


def describe(result: PublishResult) -> str:
    where = "pull request" if result.platform == "github" else "merge request"
    return (
        f"prreview: {where} summary {result.summary}; inline comments: {result.posted} new, "
        f"{result.kept} kept, {result.resolved} resolved, {result.reopened} reopened; "
        f"{len(result.summary_only)} findings only in the summary"
    )
