"""`POST /graphql` of the GitHub fake: review threads and (un)resolving them.

It is no GraphQL engine: it knows the two operations prreview sends and refuses anything
else the way GitHub does (HTTP 200 with an `errors` list). Every field and argument name in a
query must exist in GitHub's schema for these types, so a misspelt field fails the test as it
would fail against GitHub. Bots are spelt without "[bot]" in GraphQL, as on GitHub.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .rest import Call, HttpError

if TYPE_CHECKING:
    from .github_api import FakeGitHub

# Names of GitHub's schema that the supported operations may use (fields, arguments, types).
KNOWN = {
    "query", "mutation", "String", "Int", "ID",
    "repository", "owner", "name", "pullRequest", "number",
    "reviewThreads", "first", "after", "last", "before",
    "pageInfo", "hasNextPage", "endCursor", "nodes", "totalCount",
    "id", "isResolved", "isOutdated", "resolvedBy", "login", "path", "line",
    "comments", "author", "databaseId", "body", "url",
    "resolveReviewThread", "unresolveReviewThread", "input", "threadId", "thread",
    "clientMutationId",
}  # fmt: skip
_MUTATION = re.compile(
    r"(\w+)\s*:\s*(resolveReviewThread|unresolveReviewThread)\s*\(\s*input\s*:\s*"
    r"\{\s*threadId\s*:\s*\$(\w+)\s*\}\s*\)"
)
_WORD = re.compile(r"(?<![$\w])[A-Za-z_]\w*")


def login(name: str) -> str:
    return name.removesuffix("[bot]")


def _errors(kind: str, message: str) -> tuple[int, Any]:
    return 200, {"data": None, "errors": [{"type": kind, "message": message}]}


def answer(gh: FakeGitHub, call: Call) -> tuple[int, Any]:
    token = gh.token_for(call)
    body = call.body or {}
    query, variables = str(body.get("query") or ""), body.get("variables") or {}
    aliases = {m.group(1) for m in _MUTATION.finditer(query)}
    unknown = sorted({w for w in _WORD.findall(query) if w not in KNOWN and w not in aliases})
    if unknown:
        return _errors("undefinedField", f"Field '{unknown[0]}' doesn't exist")
    if query.lstrip().startswith("mutation"):
        if not token.write:
            return _errors("FORBIDDEN", "Resource not accessible by integration")
        return _mutate(gh, query, variables, login(token.login))
    if "reviewThreads" in query:
        return _threads(gh, query, variables)
    return _errors("unknownOperation", "unsupported operation")


def _threads(gh: FakeGitHub, query: str, variables: dict[str, Any]) -> tuple[int, Any]:
    if f"{variables.get('owner')}/{variables.get('name')}" != gh.repository:
        return _errors("NOT_FOUND", "Could not resolve to a Repository")
    number = variables.get("number")
    if number not in gh.pulls:
        return _errors("NOT_FOUND", "Could not resolve to a PullRequest")
    first = int(re.search(r"reviewThreads\(first:\s*(\d+)", query).group(1))  # type: ignore[union-attr]
    size = min(first, gh.graphql_page, 100)
    tops = [c for c in gh.review_comments if c["number"] == number and not c["in_reply_to_id"]]
    start = int(variables.get("after") or 0)
    chunk = tops[start : start + size]
    nodes = [_thread(gh, c) for c in chunk]
    more = start + size < len(tops)
    info = {"hasNextPage": more, "endCursor": str(start + size) if chunk else None}
    pull = {"reviewThreads": {"pageInfo": info, "nodes": nodes}}
    return 200, {"data": {"repository": {"pullRequest": pull}}}


def _thread(gh: FakeGitHub, comment: dict[str, Any]) -> dict[str, Any]:
    resolver = gh.resolved.get(comment["id"])
    first = {"id": comment["node_id"], "author": {"login": login(comment["user"]["login"])}}
    return {
        "id": f"PRRT_{comment['id']}",
        "isResolved": comment["id"] in gh.resolved,
        "resolvedBy": {"login": resolver} if resolver else None,
        "comments": {"nodes": [first]},
    }


def _mutate(gh: FakeGitHub, query: str, variables: dict[str, Any], who: str) -> tuple[int, Any]:
    data: dict[str, Any] = {}
    for match in _MUTATION.finditer(query):
        alias, verb, var = match.groups()
        thread_id = str(variables.get(var) or "")
        comment = next((c for c in gh.review_comments if f"PRRT_{c['id']}" == thread_id), None)
        if comment is None:
            return _errors(
                "NOT_FOUND", f"Could not resolve to a node with the global id of '{thread_id}'"
            )
        if verb == "resolveReviewThread":
            gh.resolved[comment["id"]] = who
        else:
            gh.resolved.pop(comment["id"], None)
        data[alias] = {"thread": {"id": thread_id}}
    if not data:
        raise HttpError(400, "Problems parsing JSON")
    return 200, {"data": data}
