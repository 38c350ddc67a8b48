"""`run_eval` end to end on the fixture corpus: real git, the real pipeline, a loopback model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prreview.eval.corpus import TruthFinding, load_cases
from prreview.eval.harness import review_env, run_eval
from tests.eval_support import oracle_for, prompt_of
from tests.fakes.openai_server import FakeOpenAIServer, Response

CORPUS = Path(__file__).parents[1] / "fixtures" / "corpus"
TRUTH: list[TruthFinding] = [f for c in load_cases(CORPUS) for f in c.findings]


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_ACTIONS", "GITHUB_BASE_REF", "GITLAB_CI", "CI", "PRREVIEW_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as fake:
        yield fake


oracle = oracle_for(TRUTH)


def llm_flags(server: FakeOpenAIServer, **extra: Any) -> dict[str, Any]:
    return {"model": "openai/test-model", "api_base": server.api_base, "retries": 0, **extra}


def by_name(results) -> dict[str, Any]:
    return {c.name: c for c in results.scores.cases}


def test_builtin_checks_only(tmp_path: Path) -> None:
    work = tmp_path / "work"
    results = run_eval(CORPUS, settings_flags={}, jobs=2, work_dir=work)
    cases = by_name(results)
    calc = cases["calc-eval__szz"]
    assert calc.outcome == "hit"
    assert [(p.rule_id, p.label) for p in calc.predictions] == [("risky/eval", "hit")]
    assert cases["pager-bounds__revert"].outcome == "miss"
    assert cases["fetch-nil__szz"].outcome == "miss"
    assert cases["greet-format__clean"].outcome == "quiet"
    # the clean fix adds a TODO: an info finding, below the gate
    clean = cases["pager-bounds__clean"]
    assert (clean.outcome, clean.findings) == ("quiet", 1)
    m = results.scores.metrics
    assert (m.primary_findings, m.primary_hit, m.tp, m.fp) == (3, 1, 1, 0)
    assert (m.clean_flagged, m.clean_findings) == (0, 1)
    assert results.scores.context_failures == ()  # no model, no prompts: not checked
    assert all(c.context_failure is None for c in results.scores.cases)
    assert results.totals.calls == 0 and results.totals.errors == 0
    assert results.config.model is None
    # neutral working directories: no case name, no truth anywhere the reviewer could look
    assert sorted(p.name for p in work.iterdir() if p.name.startswith("case-")) == [
        f"case-{i:04d}" for i in range(1, 6)
    ]
    assert not list(work.rglob("truth.json"))
    names = {c.name for c in load_cases(CORPUS)} | {c.case_id for c in load_cases(CORPUS)}
    assert not any(n in str(p) for p in work.rglob("*") for n in names)


def test_oracle_model_finds_what_it_sees(tmp_path: Path, server: FakeOpenAIServer) -> None:
    server.responder = oracle
    # the default filter mode: the deleted nil check is anchored next to the deletion point,
    # which "added" keeps
    results = run_eval(
        CORPUS, settings_flags=llm_flags(server), jobs=1, cache_dir=tmp_path / "cache"
    )
    cases = by_name(results)
    assert results.scores.context_failures == ()
    assert all(c.run.complete and c.run.error is None for c in cases.values())
    assert results.totals.calls > 0 and results.totals.prompt_tokens > 0
    assert cases["calc-eval__szz"].outcome == "hit"
    assert cases["pager-bounds__revert"].outcome == "hit"
    fetch = cases["fetch-nil__szz"]
    assert fetch.truth[0].reached is True
    assert cases["greet-format__clean"].outcome == "quiet"
    assert cases["pager-bounds__clean"].outcome == "quiet"
    m = results.scores.metrics
    assert m.fp == 0 and m.precision == 1.0
    assert fetch.outcome == "hit"
    assert m.recall == 1.0


@pytest.mark.slow
def test_no_findings_model_in_worker_processes(server: FakeOpenAIServer) -> None:
    # jobs > 1 with a model: the cases run in worker processes
    results = run_eval(CORPUS, settings_flags=llm_flags(server), jobs=2)
    m = results.scores.metrics
    assert (m.primary_hit, m.tp, m.fp, m.clean_flagged) == (1, 1, 0, 0)  # the built-in eval hit
    assert results.totals.calls > 0
    assert results.scores.context_failures == ()
    assert all(c.context_failure is False for c in results.scores.cases if not c.clean)


def test_context_failure_is_reported(server: FakeOpenAIServer) -> None:
    flags = llm_flags(server, exclude=("lib/*",))
    results = run_eval(CORPUS, settings_flags=flags, cases_glob="pager-*", jobs=1)
    assert results.scores.context_failures == ("pager-bounds__revert",)


def test_judge_can_reject_located_findings(server: FakeOpenAIServer) -> None:
    def strict_judge(body: dict[str, Any]) -> Response:
        if "You judge code review findings" in prompt_of(body):
            return Response(content=json.dumps({"same_defect": False}))
        return oracle(body)

    server.responder = strict_judge
    results = run_eval(
        CORPUS,
        settings_flags=llm_flags(server),
        cases_glob="pager-bounds__revert",
        jobs=1,
        judge_model="openai/judge-model",
    )
    case = results.scores.cases[0]
    assert results.scores.judged and results.config.judge_model == "openai/judge-model"
    assert [p.label for p in case.predictions] == ["location_only"]
    assert case.outcome == "miss"
    assert results.totals.judge_calls == 1 and results.totals.judge_failures == 0
    judged = [r for r in server.requests if r.model == "judge-model"]
    assert len(judged) == 1
    assert "loop runs to i <= items.length" in prompt_of(judged[0].body)


def test_no_matching_cases_is_a_usage_error() -> None:
    from prreview.errors import UsageError

    with pytest.raises(UsageError, match="no cases"):
        run_eval(CORPUS, settings_flags={}, cases_glob="nothing-*")


def test_config_file_applies_to_every_case(tmp_path: Path) -> None:
    config = tmp_path / "eval.toml"
    config.write_text('fail_on = "info"\n')
    results = run_eval(CORPUS, settings_flags={}, config_file=config, cases_glob="pager-*")
    assert results.config.fail_on == "info"
    assert by_name(results)["pager-bounds__clean"].outcome == "flagged"  # the TODO now gates


def test_review_env_drops_ci_variables() -> None:
    env = {
        "PATH": "/bin",
        "GITHUB_BASE_REF": "x",
        "CI": "true",
        "PRREVIEW_MODEL": "m",
        "HOME": "/h",
    }
    assert review_env(env) == {"PATH": "/bin", "HOME": "/h"}
