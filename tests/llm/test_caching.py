# ruff: noqa: F811  (the server fixtures are imported, then requested by name)
"""Issue 14.4: provider prompt caching. The shared prefix is marked for Anthropic (checked in
the request body at a loopback server), cached prompt tokens are counted from the usage and
shown in the JSON and Markdown reports, and calls sharing a prefix are staggered."""

from __future__ import annotations

import json
from typing import Any

import pytest

from prreview.llm import caching
from prreview.llm.prices import estimate_cost
from prreview.models import Review
from tests.fakes.anthropic_server import FakeAnthropicServer, anthropic_server  # noqa: F401
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.run_support import run_main, two_commits

BASE = "def total(items):\n    return sum(items)\n"
HEAD = "def total(items):\n    return sum(items[1:])\n"
BIG_BASE = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(150))
BIG_HEAD = "".join(
    f"def f{i}(x):\n    return x {'-' if i % 3 == 0 else '+'} {i}\n\n\n" for i in range(150)
)
"""50 changed functions: a unit block (the shared prefix) well over 1,024 tokens."""


@pytest.fixture(autouse=True)
def _env(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-caching")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-caching")
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE", "PRREVIEW_DEPTH"):
        monkeypatch.delenv(name, raising=False)


def _repo(git_repo, base: str = BASE, head: str = HEAD):  # type: ignore[no-untyped-def]
    repo = git_repo()
    two_commits(repo, {"pkg/calc.py": base}, {"pkg/calc.py": head})
    return repo


def _run(capsys, repo, model: str, api_base: str, *extra: str):  # type: ignore[no-untyped-def]
    return run_main(
        capsys, "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", model,
        "--api-base", api_base, "--no-cache", "--retries", "0", "-o", "json=-", *extra,
    )  # fmt: skip


def test_cached_tokens_from_the_usage_reach_the_json_and_markdown_reports(
    git_repo, openai_server: FakeOpenAIServer, capsys, tmp_path
) -> None:
    def respond(body: dict[str, Any]) -> Response:
        return Response(prompt_tokens=2000, completion_tokens=20, body=_with_cached(body, 1536))

    openai_server.responder = respond
    repo = _repo(git_repo)
    md = tmp_path / "report.md"
    res = _run(capsys, repo, "openai/gpt-4o", openai_server.api_base, "-o", f"markdown={md}")
    assert res.code == 0, res.err
    stats = Review.model_validate_json(res.out).stats
    assert stats.calls == 1
    assert stats.cached_tokens == 1536
    assert json.loads(res.out)["stats"]["cached_tokens"] == 1536
    # priced at gpt-4o's cached rate: cheaper than the same prompt uncached
    full = estimate_cost("openai/gpt-4o", 2000, 20) or 0.0
    assert stats.cost_usd == pytest.approx(estimate_cost("openai/gpt-4o", 2000, 20, 1536), rel=1e-3)
    assert stats.cost_usd < full
    assert "2,000 (1,536 cached)" in md.read_text()


def _with_cached(body: dict[str, Any], cached: int) -> str:
    return json.dumps(
        {
            "id": "chatcmpl-cached",
            "object": "chat.completion",
            "created": 0,
            "model": body.get("model", "gpt-4o"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": '{"findings": [], "summary": ""}'},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 2000,
                "completion_tokens": 20,
                "total_tokens": 2020,
                "prompt_tokens_details": {"cached_tokens": cached},
            },
        }
    )


def test_anthropic_requests_mark_the_shared_prefix_with_cache_control(
    git_repo, anthropic_server: FakeAnthropicServer, capsys
) -> None:
    anthropic_server.input_tokens = 300
    anthropic_server.cache_read_input_tokens = 1200
    repo = _repo(git_repo)
    res = _run(capsys, repo, "anthropic/claude-sonnet-4-5", anthropic_server.api_base)
    assert res.code == 0, res.err
    assert len(anthropic_server.requests) == 1
    body = anthropic_server.requests[0].body
    blocks = [
        block
        for part in (body.get("system") or [], *(m["content"] for m in body["messages"]))
        for block in (part if isinstance(part, list) else [{"type": "text", "text": part}])
    ]
    marked = [i for i, block in enumerate(blocks) if block.get("cache_control")]
    assert len(marked) == 1
    assert blocks[marked[0]]["cache_control"] == {"type": "ephemeral"}
    # the marked block is the unit block (context + diff); only the task comes after it
    assert "The change (DATA)" in blocks[marked[0]]["text"]
    assert "You are prreview" in blocks[0]["text"] and marked[0] > 0
    after = blocks[marked[0] + 1 :]
    assert len(after) == 1 and after[0]["text"].startswith("Task:")
    stats = Review.model_validate_json(res.out).stats
    assert stats.cached_tokens == 1200
    assert stats.prompt_tokens == 1500, "LiteLLM counts cache reads into the prompt tokens"


def test_openai_requests_stay_plain_strings(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _repo(git_repo)
    res = _run(capsys, repo, "openai/test-model", openai_server.api_base)
    assert res.code == 0, res.err
    for message in openai_server.requests[0].body["messages"]:
        assert isinstance(message["content"], str)


def test_deep_calls_sharing_a_prefix_wait_for_the_first(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    openai_server.latency = 0.3
    repo = _repo(git_repo, BIG_BASE, BIG_HEAD)
    res = _run(capsys, repo, "openai/test-model", openai_server.api_base, "--depth", "deep")
    assert res.code == 0, res.err
    requests = sorted(openai_server.requests, key=lambda r: r.started)
    assert len(requests) == 4
    first, rest = requests[0], requests[1:]
    assert all(r.started >= first.ended for r in rest), "the others start after the first answer"
    prefix = [m["content"] for m in first.body["messages"][:2]]
    assert all([m["content"] for m in r.body["messages"][:2]] == prefix for r in rest)


def test_dry_run_expects_the_shared_prefix_cached_in_deep_mode(
    git_repo, openai_server: FakeOpenAIServer, capsys
) -> None:
    repo = _repo(git_repo, BIG_BASE, BIG_HEAD)
    res = _run(capsys, repo, "openai/gpt-4o", openai_server.api_base, "--dry-run")
    assert res.code == 0, res.err
    deep = next(ln for ln in res.err.splitlines() if "depth deep:" in ln)
    default = next(ln for ln in res.err.splitlines() if "depth default:" in ln)
    assert "(~0 expected cached)" in default
    cached = int(deep.split("(~")[1].split(" expected")[0].replace(",", ""))
    assert cached >= 3 * caching.MIN_CACHEABLE_TOKENS
    assert "without prompt caching" in deep


def test_provider_messages_mark_only_claude_models() -> None:
    messages = ({"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                {"role": "user", "content": "task"})  # fmt: skip
    marked = caching.provider_messages("anthropic/claude-sonnet-4-5", messages, 2)
    assert marked[0]["content"] == [{"type": "text", "text": "s"}]
    assert marked[1]["content"] == [
        {"type": "text", "text": "u", "cache_control": {"type": "ephemeral"}}
    ]
    assert marked[2]["content"] == "task"
    bedrock = caching.provider_messages("bedrock/anthropic.claude-3-5-sonnet", messages, 2)
    assert isinstance(bedrock[1]["content"], list)
    for model in ("openai/gpt-4o", "gemini/gemini-2.0-flash", "bedrock/amazon.nova-pro"):
        assert caching.provider_messages(model, messages, 2) == [dict(m) for m in messages]


def test_cached_tokens_reads_openai_and_anthropic_usage() -> None:
    assert caching.cached_tokens({"prompt_tokens_details": {"cached_tokens": 7}}) == 7
    assert caching.cached_tokens({"cache_read_input_tokens": 5}) == 5
    assert caching.cached_tokens({"prompt_tokens": 9}) == 0
    assert caching.cached_tokens(None) == 0


def test_stagger_holds_back_only_cacheable_repeats() -> None:
    items = [("u1", 2000), ("u1", 2000), ("u2", 100), ("u2", 100), ("u3", 1500)]
    first, later = caching.stagger(items, lambda i: i[0], lambda i: i[1])
    assert first == [("u1", 2000), ("u2", 100), ("u2", 100), ("u3", 1500)]
    assert later == [("u1", 2000)]
    assert caching.expected_cached({"u1": (3, 2000), "u2": (2, 100), "u3": (1, 5000)}) == 4000
