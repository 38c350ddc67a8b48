"""Review threads through GitHub's GraphQL API: the REST API cannot resolve a thread.

    query    repository.pullRequest.reviewThreads   thread id, isResolved, resolvedBy and the
                                                    node id of its first comment (= REST node_id)
    mutation resolveReviewThread / unresolveReviewThread   several at once, one alias each

The endpoint is `<api>/graphql` (api.github.com/graphql), or `/api/graphql` for a GitHub
Enterprise Server whose REST API is at `/api/v3`. GraphQL answers 200 with an `errors` list
for a refused operation; that becomes the same AuthError a REST 403/404 gives, naming the
operation and the permission it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from prreview.errors import UsageError
from prreview.publish.http import Api, Denied

READ = "pull-requests: read"
WRITE = "pull-requests: write"
MAX_PAGES = 50
BATCH = 50

THREADS_QUERY = """
query ($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          resolvedBy { login }
          comments(first: 1) { nodes { id author { login } } }
        }
      }
    }
  }
}
"""


@dataclass(frozen=True)
class Thread:
    id: str
    resolved: bool
    resolved_by: str | None
    author: str | None
    """Login of the first comment's author (GraphQL spells bots without "[bot]")."""

    @property
    def resolved_by_author(self) -> bool:
        return self.resolved and self.resolved_by is not None and self.resolved_by == self.author


def graphql_url(api_url: str) -> str:
    base = api_url.rstrip("/")
    if base.endswith("/api/v3"):
        return base[: -len("/v3")] + "/graphql"
    return base + "/graphql"


class GraphQL:
    def __init__(self, api: Api, url: str, denied: Denied) -> None:
        self.api = api
        self.url = url
        self.denied = denied

    def run(self, operation: str, query: str, variables: dict[str, Any], *, need: str) -> Any:
        payload = {"query": query, "variables": variables}
        resp = self.api.call("POST", self.url, need=need, json=payload)
        data = resp.json() if resp.content else {}
        errors = data.get("errors") if isinstance(data, dict) else None
        if errors:
            raise self._error(operation, need, errors)
        return (data or {}).get("data") or {}

    def _error(self, operation: str, need: str, errors: list[Any]) -> Exception:
        first = errors[0] if isinstance(errors[0], dict) else {"message": str(errors[0])}
        kind = str(first.get("type") or "")
        endpoint = f"POST /graphql ({operation})"
        if kind == "FORBIDDEN":
            return self.denied(403, need, endpoint)
        if kind == "NOT_FOUND":
            return self.denied(404, need, endpoint)
        message = " ".join(str(first.get("message") or "unknown error").split())[:300]
        return UsageError(
            f"GitHub GraphQL refused {operation}: {message}", hint=f"this call needs {need}"
        )

    def threads(self, repository: str, number: int) -> dict[str, Thread]:
        """Thread per node id of its first comment, every page."""
        owner, name = repository.split("/", 1)
        found: dict[str, Thread] = {}
        after: str | None = None
        for _ in range(MAX_PAGES):
            variables = {"owner": owner, "name": name, "number": number, "after": after}
            data = self.run("reviewThreads", THREADS_QUERY, variables, need=READ)
            pull = ((data.get("repository") or {}).get("pullRequest")) or {}
            page = pull.get("reviewThreads") or {}
            for node in page.get("nodes") or []:
                thread = _thread(node)
                if thread is not None:
                    found[thread[0]] = thread[1]
            info = page.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                break
        return found

    def set_resolved(self, changes: Sequence[tuple[str, bool]]) -> None:
        """Resolve (True) or unresolve (False) threads; one request per BATCH threads."""
        for i in range(0, len(changes), BATCH):
            chunk = changes[i : i + BATCH]
            fields = []
            variables: dict[str, str] = {}
            for j, (thread_id, resolve) in enumerate(chunk):
                verb = "resolveReviewThread" if resolve else "unresolveReviewThread"
                fields.append(f"t{j}: {verb}(input: {{threadId: $t{j}}}) {{ thread {{ id }} }}")
                variables[f"t{j}"] = thread_id
            params = ", ".join(f"$t{j}: ID!" for j in range(len(chunk)))
            query = f"mutation ({params}) {{\n  " + "\n  ".join(fields) + "\n}"
            self.run("resolveReviewThread", query, variables, need=WRITE)


def _thread(node: Any) -> tuple[str, Thread] | None:
    if not isinstance(node, dict) or not isinstance(node.get("id"), str):
        return None
    comments = (node.get("comments") or {}).get("nodes") or []
    first = comments[0] if comments and isinstance(comments[0], dict) else {}
    if not isinstance(first.get("id"), str):
        return None
    thread = Thread(
        id=node["id"],
        resolved=bool(node.get("isResolved")),
        resolved_by=_login(node.get("resolvedBy")),
        author=_login(first.get("author")),
    )
    return first["id"], thread


def _login(actor: Any) -> str | None:
    login = actor.get("login") if isinstance(actor, dict) else None
    return login if isinstance(login, str) and login else None
