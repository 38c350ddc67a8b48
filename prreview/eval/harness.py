"""Run the review pipeline over every corpus case, in parallel, and score the results.

Each case is materialised in its own neutral directory (`case-0003/repo`), reviewed with
exactly the pipeline `prreview run` uses (`prreview.pipeline.review`), and its prompts are
dumped next to it (`case-0003/prompts`) to check whether the truth lines reached the model.
All cases share one model cache directory.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prreview import pipeline
from prreview.config.settings import Settings, build_settings, parse_config_text
from prreview.errors import AuthError, ConfigError, PrreviewError, TemplateError, UsageError
from prreview.eval.aacr_metrics import aacr_metrics
from prreview.eval.corpus import Case, load_cases, materialise
from prreview.eval.judge import LLMJudge
from prreview.eval.models import (
    CaseRun,
    EvalResults,
    Predicted,
    RunConfig,
    RunStats,
    ScoreConfig,
    Totals,
)
from prreview.eval.score import candidate_pairs, score, truth_reached
from prreview.models import RunCounters
from prreview.version import __version__

if TYPE_CHECKING:
    from prreview.eval.judge import LLMJudge

Progress = Callable[[str], None]
# Failures that would repeat on every case: stop the evaluation instead of scoring errors.
_FATAL = (AuthError, ConfigError, TemplateError)
# Run-level settings the harness owns for every case.
_CASE_KEYS = ("repo", "base", "head", "config_source", "cache_dir", "dump_prompts")
_CI_PREFIXES = ("GITHUB_", "GITLAB_", "CI_", "BUILDKITE", "BITBUCKET_", "SYSTEM_", "PRREVIEW_")
_CI_NAMES = {"CI", "TF_BUILD", "BUILD_BUILDID"}


def review_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without CI variables, so no CI base ref leaks into a case's review."""
    return {
        k: v for k, v in environ.items() if k not in _CI_NAMES and not k.startswith(_CI_PREFIXES)
    }


def load_file_values(config_file: Path | None) -> dict[str, Any]:
    if config_file is None:
        return {}
    try:
        text = Path(config_file).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--config: cannot read {config_file}: {exc.strerror}") from None
    name = "pyproject.toml" if Path(config_file).name == "pyproject.toml" else str(config_file)
    return parse_config_text(text, name)


def base_settings(
    settings_flags: Mapping[str, Any], config_file: Path | None, cache_dir: Path
) -> Settings:
    """Settings shared by every case; the repository and prompt directory are set per case."""
    flags = {k: v for k, v in settings_flags.items() if k not in _CASE_KEYS}
    flags.update(base="main", head="feature", config_source="none", cache_dir=cache_dir)
    return build_settings(file_values=load_file_values(config_file), env={}, flags=flags)


def read_prompts(directory: Path) -> list[str]:
    """Texts of the dumped evaluator prompts (the overview prompt cannot yield findings)."""
    if not directory.is_dir():
        return []
    texts = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        if path.name.startswith("summary-"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text)
        if path.suffix == ".json":
            texts.append(_json_strings(text))
    return texts


def _json_strings(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(data)
    return "\n".join(out)


def run_case(case: Case, workdir: Path, settings: Settings, env: Mapping[str, str]) -> CaseRun:
    """Materialise and review one case; a per-case failure becomes `RunStats.error`."""

    repo, prompts = workdir / "repo", workdir / "prompts"
    started = time.monotonic()
    try:
        materialise(case.directory, repo)
        case_settings = settings.model_copy(update={"repo": repo, "dump_prompts": prompts})
        review = pipeline.review(case_settings, env=env)
    except _FATAL:
        raise
    except PrreviewError as exc:
        wall = round(time.monotonic() - started, 3)
        return CaseRun(case=case, run=RunStats(complete=False, error=str(exc), wall_s=wall))
    reached = None
    if settings.model and not case.clean:
        texts = read_prompts(prompts)
        reached = tuple(truth_reached(f, texts) for f in case.findings)
    stats = RunStats(
        **review.stats.counters.model_dump(exclude={"cached_tokens"}),
        complete=review.complete,
        incomplete_reason=review.incomplete_reason,
        wall_s=round(time.monotonic() - started, 3),
    )
    preds = tuple(Predicted.from_finding(f) for f in review.findings)
    return CaseRun(case=case, predictions=preds, reached=reached, run=stats)


def run_cases(
    cases: Sequence[Case],
    settings: Settings,
    *,
    jobs: int,
    work_root: Path,
    env: Mapping[str, str],
    progress: Progress | None = None,
) -> list[CaseRun]:
    """Run every case on `jobs` workers; results come back in the order of `cases`."""
    results: list[CaseRun | None] = [None] * len(cases)
    with _executor(jobs, settings) as pool:
        futures: dict[Future[CaseRun], int] = {
            pool.submit(run_case, c, work_root / f"case-{i + 1:04d}", settings, dict(env)): i
            for i, c in enumerate(cases)
        }
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                index = futures[future]
                results[index] = future.result()
                if progress is not None:
                    progress(_describe(done, len(cases), results[index]))
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [r for r in results if r is not None]


def _executor(jobs: int, settings: Settings) -> Executor:
    """Threads for the built-in checks; processes when several cases call a model at once.

    LiteLLM keeps one global logging worker bound to one event loop, and every review runs
    its own event loop: concurrent loops in one process make that worker fail noisily.
    """
    if settings.model and jobs > 1:
        context = multiprocessing.get_context("forkserver")
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    return ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="eval")


def _describe(done: int, total: int, run: CaseRun | None) -> str:
    if run is None:
        return f"prreview eval: [{done}/{total}]"
    state = f"error: {run.run.error}" if run.run.error else f"{len(run.predictions)} findings"
    if not run.run.complete and not run.run.error:
        state += f", incomplete: {run.run.incomplete_reason}"
    return (
        f"prreview eval: [{done}/{total}] {run.case.name}: {state}, "
        f"{run.run.calls} calls, {run.run.wall_s:.1f}s"
    )


def totals(runs: Sequence[CaseRun], wall_s: float) -> Totals:
    return Totals(
        cases=len(runs),
        defect_cases=sum(not r.case.clean for r in runs),
        clean_cases=sum(r.case.clean for r in runs),
        errors=sum(r.run.error is not None for r in runs),
        incomplete=sum(not r.run.complete and r.run.error is None for r in runs),
        **RunCounters.total(RunCounters.of(r.run) for r in runs).model_dump(
            exclude={"cached_tokens"}
        ),
        wall_s=round(wall_s, 3),
        case_wall_s=round(sum(r.run.wall_s for r in runs), 3),
    )


def run_eval(
    corpus_dir: Path | str,
    *,
    settings_flags: Mapping[str, Any],
    cases_glob: str = "*",
    jobs: int = 4,
    judge_model: str | None = None,
    window: int = 3,
    config_file: Path | None = None,
    cache_dir: Path | None = None,
    work_dir: Path | None = None,
    env: Mapping[str, str] | None = None,
    progress: Progress | None = None,
) -> EvalResults:
    """Review every case matching `cases_glob` under `corpus_dir` and score the findings.

    `settings_flags` are Settings values as `prreview run` flags give them (model, api_base,
    fail_on, ...); `config_file` is a trusted .prreview.toml applied below them. Cases run
    in a temporary directory unless `work_dir` is given (then it is kept for inspection).
    With a model and `jobs` > 1 the cases run in worker processes: a script calling this
    needs the `if __name__ == "__main__":` guard.
    """
    cases = load_cases(corpus_dir, cases_glob)
    if not cases:
        raise UsageError(
            f"no cases in {corpus_dir} match {cases_glob!r}",
            hint="a case is a directory with base.tar.gz, change.diff and truth.json",
        )
    root = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="prreview-eval-"))
    root.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        settings = base_settings(settings_flags, config_file, Path(cache_dir or root / "cache"))
        environ = review_env(os.environ if env is None else env)
        runs = run_cases(cases, settings, jobs=jobs, work_root=root, env=environ, progress=progress)
        config = ScoreConfig(
            window=window, fail_on=settings.fail_on, min_confidence=settings.min_confidence
        )
        judge = _make_judge(runs, config, judge_model, settings)
    finally:
        if work_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    total = totals(runs, time.monotonic() - started)
    if judge is not None:
        total = total.model_copy(
            update={"judge_calls": judge.calls, "judge_failures": judge.failures}
        )
    run_config = RunConfig(
        model=settings.model,
        judge_model=judge_model,
        window=window,
        windows=config.windows,
        fail_on=settings.fail_on,
        min_confidence=settings.min_confidence,
        cases_glob=cases_glob,
        jobs=jobs,
        tool_version=_version(),
    )
    return EvalResults(
        config=run_config,
        totals=total,
        scores=score(runs, config, judge),
        aacr=aacr_metrics(runs, judge),
    )


def _make_judge(
    runs: Sequence[CaseRun], config: ScoreConfig, judge_model: str | None, settings: Settings
) -> LLMJudge | None:
    """The LLM judge with every pair it may be asked about already answered (one batch)."""
    if judge_model is None:
        return None

    judge = LLMJudge(judge_model, settings)
    judge.prefetch(candidate_pairs(runs, max((*config.windows, config.window))))
    return judge


def _version() -> str:

    return __version__
