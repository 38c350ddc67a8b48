# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""The model side of a run, end to end against the loopback model: the answer contract,
answers that must never be cached, provider answers that must not crash the run, and
coverage the model never saw (truncation, context window, budgets) made visible.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from prreview.evaluators.answer import ANSWER_SCHEMA, AnswerContract, ModelFinding, schema_outline
from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.run_support import answer, evaluator_of, finding, run_main, two_commits

BASE_PY = "def total(items):\n    n = 0\n    for i in range(len(items)):\n        n += items[i]\n    return n\n"
HEAD_PY = BASE_PY.replace("range(len(items))", "range(len(items) - 1)")
CHOICES = {"id": "x", "object": "chat.completion", "created": 1, "model": "test-model"}


@pytest.fixture
def repo(git_repo, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-answers-0000")
    for name in ("PRREVIEW_MODEL", "PRREVIEW_API_BASE", "PRREVIEW_FAIL_ON"):
        monkeypatch.delenv(name, raising=False)
    r = git_repo()
    two_commits(r, {"src/calc.py": BASE_PY}, {"src/calc.py": HEAD_PY})
    return r


def _run(capsys, repo, server: FakeOpenAIServer, *extra: str, model: str = "openai/test-model"):  # type: ignore[no-untyped-def]
    args = [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", model,
        "--api-base", server.api_base, "--no-summary", "--retries", "0",
        "--cache-dir", str(repo.path.parent / "cache"), "-o", "json=-", *extra,
    ]  # fmt: skip
    res = run_main(capsys, *args)
    review = Review.model_validate_json(res.out) if res.out.strip() else None
    return res, review


def _no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text and "litellm_core_utils" not in text
        assert "received_args" not in text


# --------------------------------------------------------------------------- contract


def test_the_schema_sent_is_the_pydantic_contract(repo, openai_server, capsys) -> None:
    """The model gets pydantic's schema of AnswerContract; the repair re-ask describes it."""
    openai_server.enqueue(Response(content="I found nothing worth a JSON object."))
    openai_server.responder = lambda body: answer(finding("src/calc.py", 3))
    res, review = _run(capsys, repo, openai_server, "-e", "correctness", model="openai/gpt-4o-mini")
    assert res.code == 1 and review is not None and review.complete, res.err
    first, repair = openai_server.requests
    for seen in (first, repair):
        fmt = seen.body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["schema"] == AnswerContract.model_json_schema() == ANSWER_SCHEMA
    item = ANSWER_SCHEMA["$defs"]["ModelFinding"]
    required = {name for name, f in ModelFinding.model_fields.items() if f.is_required()}
    assert set(item["required"]) == required == {"file", "line", "severity", "title", "message"}
    assert set(item["properties"]) == set(ModelFinding.model_fields)
    assert schema_outline() in repair.body["messages"][-1]["content"]
    for name in ModelFinding.model_fields:
        assert f'"{name}"' in schema_outline()


# --------------------------------------------------------------------------- never cached


def test_an_invalid_answer_is_never_cached(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(content="no JSON here, sorry")
    for run in (1, 2):
        res, review = _run(capsys, repo, openai_server, "-e", "correctness")
        assert res.code == 3 and review is not None and not review.complete, res.err
        assert "invalid answer after repair" in (review.incomplete_reason or "")
        # the answer and its repair are asked again on every run: nothing was cached
        assert len(openai_server.requests) == 2 * run
    [skip] = [s for s in review.skipped if s.kind == "unit"]
    assert skip.incomplete and skip.path == "src/calc.py"
    openai_server.responder = lambda body: answer()
    res, review = _run(capsys, repo, openai_server, "-e", "correctness")
    assert res.code == 0 and review is not None and review.complete
    assert len(openai_server.requests) == 5


# --------------------------------------------------------------------------- provider answers


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(Response.error(422, "unprocessable entity"), id="HTTP 422"),
        pytest.param(Response(body=json.dumps({**CHOICES, "choices": []})), id="empty choices"),
        pytest.param(Response(body=json.dumps({**CHOICES, "choices": [None]})), id="null choice"),
        pytest.param(
            Response(body=json.dumps({**CHOICES, "choices": [{"message": "text"}]})),
            id="message not an object",
        ),
        pytest.param(
            Response(body=json.dumps({"error": {"message": "oops", "type": "server_error"}})),
            id="error object in a 200 (litellm: HTTP 422)",
        ),
    ],
)
def test_a_broken_provider_answer_is_an_incomplete_review(
    repo, openai_server, capsys, bad: Response
) -> None:
    openai_server.responder = lambda body: bad
    res, review = _run(capsys, repo, openai_server, "-e", "correctness")
    assert res.code == 3, res.err
    assert review is not None and not review.complete
    assert "internal error" not in res.err
    [skip] = [s for s in review.skipped if s.kind == "unit"]
    assert skip.incomplete and "model call failed" in skip.reason
    _no_traceback(res.out, res.err, review.incomplete_reason or "", skip.reason)


# --------------------------------------------------------------------------- coverage


def _unseen(review: Review, kind: str) -> list[Any]:
    return [s for s in review.skipped if s.kind == kind and s.incomplete]


def test_a_truncated_answer_lists_the_hunk_and_is_incomplete(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(
        content='{"findings": [', finish_reason="length"
    )
    res, review = _run(capsys, repo, openai_server, "-e", "correctness")
    assert res.code == 3 and review is not None and not review.complete, res.err
    # the unit is halved by lines until a piece is a single line; every piece left unseen
    skips = _unseen(review, "hunk")
    assert skips and all(s.path == "src/calc.py" for s in skips)
    assert all("answer truncated" in s.reason and s.detail.startswith("lines ") for s in skips)
    assert review.stats.hunks_reviewed == 0


def test_context_window_exceeded_lists_the_hunk(repo, openai_server, capsys) -> None:
    message = "This model's maximum context length is 8192 tokens. However, you requested 9000."
    openai_server.responder = lambda body: Response.error(400, message, "context_length_exceeded")
    res, review = _run(capsys, repo, openai_server, "-e", "correctness")
    assert res.code == 3 and review is not None and not review.complete, res.err
    skips = _unseen(review, "hunk")
    assert skips and all(s.path == "src/calc.py" for s in skips)
    assert all("context window exceeded" in s.reason for s in skips)


def test_fail_open_still_exits_0_and_says_why(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(content="{", finish_reason="length")
    res, review = _run(capsys, repo, openai_server, "-e", "correctness", "--fail-open")
    assert res.code == 0 and review is not None and review.fail_open and not review.complete


def test_a_unit_cut_for_max_tokens_is_listed(git_repo, openai_server, capsys, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-answers-0000")
    repo = git_repo()
    two_commits(
        repo,
        {"src/calc.py": BASE_PY, "tools/other/calc2.py": BASE_PY},
        {"src/calc.py": HEAD_PY, "tools/other/calc2.py": HEAD_PY},
    )
    res, dry = _run(capsys, repo, openai_server, "-e", "correctness", "--dry-run")
    assert dry is not None and openai_server.requests == []
    budget = dry.stats.prompt_tokens + 2 * 2048 - 1  # both units' estimate, minus one token
    res, review = _run(
        capsys, repo, openai_server, "-e", "correctness", "--max-tokens", str(budget)
    )
    assert res.code == 3 and review is not None and not review.complete, res.err
    [cut] = _unseen(review, "unit")
    assert "--max-tokens" in cut.reason and cut.detail.startswith("lines ")
    assert len(openai_server.requests) == 1
    assert review.stats.hunks_reviewed == 1 and review.stats.hunks == 2


def test_calls_stopped_by_max_cost_are_listed(repo, openai_server, capsys) -> None:
    # each answer reports a million prompt tokens: the first call uses up the budget
    openai_server.responder = lambda body: Response(
        content=json.dumps({"findings": [], "summary": evaluator_of(body) or ""}),
        prompt_tokens=1_000_000,
    )
    res, review = _run(
        capsys, repo, openai_server, "-e", "correctness", "-e", "security",
        "--max-cost", "0.1", "--max-concurrency", "1", model="openai/gpt-4o-mini",
    )  # fmt: skip
    assert res.code == 3 and review is not None and not review.complete, res.err
    [cut] = _unseen(review, "unit")
    assert "budget" in cut.reason and cut.path == "src/calc.py"
    assert len(openai_server.requests) == 1
    assert review.stats.calls == 1 and review.stats.cost_usd > 0.1


def test_counters_add_up_across_waves(repo, openai_server, capsys) -> None:
    """A repair wave's call is counted with the first wave's (the fold, not a shared object)."""
    openai_server.enqueue(Response(content="not json", prompt_tokens=5, completion_tokens=3))
    openai_server.responder = lambda body: Response(
        content=json.dumps({"findings": [], "summary": ""}), prompt_tokens=7, completion_tokens=2
    )
    res, review = _run(capsys, repo, openai_server, "-e", "correctness")
    assert res.code == 0 and review is not None, res.err
    s = review.stats
    assert (s.calls, s.cache_hits, s.prompt_tokens, s.completion_tokens) == (2, 0, 12, 5)
    res, again = _run(capsys, repo, openai_server, "-e", "correctness", "--fail-on", "none")
    assert again is not None and again.stats.calls == 0 and again.stats.cache_hits == 2
    assert (again.stats.prompt_tokens, again.stats.completion_tokens) == (12, 5)
