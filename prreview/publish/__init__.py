"""`prreview publish github|gitlab --report review.json`: PR/MR comments from a JSON report.

One sticky summary comment per PR/MR (found again by its hidden marker and updated in place),
inline comments only on lines of the PR/MR diff (anything else goes to the summary), posted
as one review per run on GitHub, one comment per finding fingerprint across re-runs, fixed
findings' threads resolved, replacements as applyable suggestions. `--description FILE`
writes `prreview describe` output into a marked section of the PR/MR description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from prreview.errors import UsageError
from prreview.models import Review
from prreview.publish.common import PublishOptions, PublishResult
from prreview.publish.github import publish_github, target_from_env
from prreview.publish.gitlab import publish_gitlab
from prreview.publish.gitlab import target_from_env as gitlab_target
from prreview.publish.http import RetryPolicy
from prreview.review.load import load_review

__all__ = [
    "PLATFORMS",
    "PublishOptions",
    "PublishResult",
    "RetryPolicy",
    "load_review",
    "publish_command",
]

PLATFORMS = ("github", "gitlab")


def load_description(path: Path) -> str:
    """The text `prreview describe --output PATH` wrote (UsageError when unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise UsageError(f"--description: cannot read {path}: {reason}") from None
    if not text.strip():
        raise UsageError(f"--description {path} is empty", hint="write it with `prreview describe`")
    return text


def publish_command(
    platform: str,
    report: Path | None,
    *,
    env: Mapping[str, str],
    err: Callable[[str], None],
    repository: str | None = None,
    number: int | None = None,
    api_url: str | None = None,
    max_comments: int = 25,
    notes: Sequence[str] = (),
    retry: RetryPolicy | None = None,
    request_changes: bool = False,
    description: Path | None = None,
) -> int:
    """Publish `report` (and/or a description) to a GitHub PR or GitLab MR; return 0.

    Failures raise: AuthError (exit 2) naming the endpoint and the missing permission,
    UsageError (exit 2), IncompleteError (exit 3) when the API kept failing after retries.
    """
    if platform not in PLATFORMS:
        raise UsageError(f"unknown platform {platform!r}", hint="use github or gitlab")
    if max_comments < 0:
        raise UsageError("--max-comments must be 0 or more")
    if report is None and description is None:
        raise UsageError(
            "nothing to publish", hint="pass --report review.json and/or --description FILE"
        )
    review = load_review(report) if report is not None else None
    options = PublishOptions(
        max_comments=max_comments,
        notes=tuple(notes),
        request_changes=request_changes,
        description=load_description(description) if description is not None else None,
    )
    result = _publish(platform, review, env, repository, number, api_url, options, retry)
    err(describe(result))
    return 0


def _publish(
    platform: str,
    review: Review | None,
    env: Mapping[str, str],
    repository: str | None,
    number: int | None,
    api_url: str | None,
    options: PublishOptions,
    retry: RetryPolicy | None,
) -> PublishResult:
    policy = retry or RetryPolicy()
    if platform == "github":
        target = target_from_env(env, repository=repository, number=number, api_url=api_url)
        return publish_github(review, target, retry=policy, options=options)

    gl_target = gitlab_target(env, project=repository, iid=number, api_url=api_url)
    return publish_gitlab(review, gl_target, retry=policy, options=options)


def describe(result: PublishResult) -> str:
    where = "pull request" if result.platform == "github" else "merge request"
    parts = []
    if result.description:
        parts.append(f"{where} description section {result.description}")
    if result.summary:
        review = ""
        if result.review_requests:
            noun = "request" if result.review_requests == 1 else "requests"
            review = f" in {result.review_requests} review {noun} ({result.event})"
        parts.append(
            f"{where} summary {result.summary}; inline comments: {result.posted} new{review}, "
            f"{result.kept} kept, {result.resolved} resolved, {result.reopened} reopened; "
            f"{len(result.summary_only)} findings only in the summary"
        )
    return "prreview: " + "; ".join(parts)
