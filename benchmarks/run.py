"""prreview performance benchmarks: one table of metric, target, measured median, pass/fail.

    python benchmarks/run.py [--runs 5] [--latency 1.0] [--quick]

Builds its own generated git repositories in a temp dir and starts its own loopback model.
Side-by-side: set PRREVIEW_BENCH_PEER to a shell command; it runs with the repository as cwd
and BENCH_API_BASE pointing at the same loopback model, and its rows are printed with ratios.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (
    Result,
    check,
    clean_env,
    loadavg,
    median,
    print_table,
    prreview,
    spawn,
    stats_of,
)
from loopback import LoopbackModel
from repos import HUGE, MEDIUM, SMALL, RepoSpec, build_repo, units_spec

MODEL = "openai/bench-model"
SCALE_POINTS = (1, 2, 4, 8, 16, 32, 64)


@dataclass
class Row:
    metric: str
    target: str
    measured: str
    ok: bool | None

    def cells(self) -> list[str]:
        verdict = "n/a" if self.ok is None else ("pass" if self.ok else "FAIL")
        return [self.metric, self.target, self.measured, verdict]


@dataclass
class Bench:
    root: Path
    model: LoopbackModel
    runs: int
    latency: float
    repos: dict[str, Path] = field(default_factory=dict)
    counter: int = 0

    def repo(self, name: str, spec: RepoSpec) -> Path:
        if name not in self.repos:
            self.repos[name] = build_repo(self.root / name, spec)
        return self.repos[name]

    def fresh(self, stem: str) -> Path:
        self.counter += 1
        return self.root / f"{stem}-{self.counter}"

    def llm_args(self, cache: Path, report: Path, *extra: str) -> list[str]:
        return [
            "run", "--base", "main", "--config-source", "none", "--model", MODEL,
            "--api-base", self.model.api_base, "--cache-dir", str(cache),
            "--output", f"json={report}", "--output", "markdown=-", *extra,
        ]  # fmt: skip


@dataclass(frozen=True)
class LlmRun:
    result: Result
    requests: int
    first_request_s: float
    stats: dict[str, float]


def llm_run(b: Bench, repo: Path, cache: Path | None = None, *extra: str) -> LlmRun:
    report = b.fresh("report").with_suffix(".json")
    b.model.reset(b.latency)
    result = check(prreview(b.llm_args(cache or b.fresh("cache"), report, *extra), repo))
    first = math.nan if b.model.first_at is None else b.model.first_at - result.started_at
    return LlmRun(result, b.model.count, first, stats_of(report))


def repeat(b: Bench, fn: Callable[[], LlmRun]) -> list[LlmRun]:
    return [fn() for _ in range(b.runs)]


def fmt(seconds: float) -> str:
    return f"{seconds:.2f} s"


def with_cpu(results: list[Result]) -> tuple[float, str]:
    wall = median([r.wall for r in results])
    return wall, f"{fmt(wall)} (cpu {fmt(median([r.cpu_s for r in results]))})"


def bench_help(b: Bench) -> Row:
    wall, text = with_cpu([check(prreview(["--help"], b.root), (0,)) for _ in range(b.runs)])
    return Row("`prreview --help`", "<= 0.3 s", text, wall <= 0.3)


def bench_checks_only(b: Bench) -> Row:
    repo = b.repo("small", SMALL)
    args = ["run", "--base", "main", "--config-source", "none", "--output", "json=-"]
    wall, text = with_cpu([check(prreview(args, repo)) for _ in range(b.runs)])
    return Row("built-in checks only, 150-line change", "<= 1.0 s", text, wall <= 1.0)


def bench_small_llm(b: Bench) -> list[Row]:
    repo = b.repo("small", SMALL)
    cold = repeat(b, lambda: llm_run(b, repo))
    first = median([r.first_request_s for r in cold])
    wall = median([r.result.wall for r in cold])
    calls = median([r.requests for r in cold])
    cache = b.fresh("cache")
    llm_run(b, repo, cache)
    warm = repeat(b, lambda: llm_run(b, repo, cache))
    warm_wall, warm_text = with_cpu([r.result for r in warm])
    warm_requests = max(r.requests for r in warm)
    warm_litellm = any(r.result.litellm_loaded for r in warm)
    rss = max(r.result.maxrss_mb for r in cold)
    return [
        Row("process start to first model request, 150-line change", "<= 1.2 s", fmt(first),
            first <= 1.2),
        Row(f"wall, 150-line change, 4 evaluators + summary ({calls:.0f} calls), "
            f"latency {b.latency:g} s", "<= 2.5 s", with_cpu([r.result for r in cold])[1],
            wall <= 2.5),
        Row("identical re-run (all cached)", "<= 0.6 s, 0 requests, no litellm",
            f"{warm_text}, {warm_requests} requests, litellm "
            f"{'imported' if warm_litellm else 'not imported'}",
            warm_wall <= 0.6 and warm_requests == 0 and not warm_litellm),
        Row("peak RSS of a review run (150-line, LLM)", "<= 200 MB", f"{rss:.0f} MB",
            rss <= 200),
    ]  # fmt: skip


def bench_medium(b: Bench) -> list[Row]:
    repo = b.repo("medium", MEDIUM)
    runs = repeat(b, lambda: llm_run(b, repo))
    wall = median([r.result.wall for r in runs])
    cov = min(r.stats["hunks_reviewed"] / max(r.stats["hunks"], 1) for r in runs)
    rss = max(r.result.maxrss_mb for r in runs)
    calls = median([r.requests for r in runs])
    return [
        Row(f"40-file, 3,000-line change ({calls:.0f} calls), latency {b.latency:g} s",
            "coverage 100%, <= 3.5 s", f"coverage {cov:.0%}, {fmt(wall)}",
            cov >= 1.0 and wall <= 3.5),
        Row("peak RSS of a review run (40-file, LLM)", "<= 200 MB", f"{rss:.0f} MB", rss <= 200),
    ]  # fmt: skip


def bench_huge_plan(b: Bench) -> Row:
    repo = b.repo("huge", HUGE)
    args = ["plan", "--base", "main", "--config-source", "none", "--format", "json"]
    results = [check(prreview(args, repo), (0,)) for _ in range(b.runs)]
    wall, text = with_cpu(results)
    rss = max(r.maxrss_mb for r in results)
    return Row("100,000-line change (2,000 files), `plan --format json`", "<= 5 s, <= 400 MB",
               f"{text}, {rss:.0f} MB", wall <= 5 and rss <= 400)  # fmt: skip


def bench_scaling(b: Bench) -> tuple[list[list[str]], list[Row]]:
    """One evaluator, no summary: requests == units, so the ideal is ceil(units/8) x latency."""
    table: list[list[str]] = []
    rows: list[Row] = []
    single = ("--evaluator", "correctness", "--no-summary", "--max-concurrency", "8")
    for units in SCALE_POINTS:
        repo = b.repo(f"units{units}", units_spec(units))
        runs = repeat(b, lambda repo=repo: llm_run(b, repo, None, *single))
        wall = median([r.result.wall for r in runs])
        start = median([r.first_request_s for r in runs])
        ideal = math.ceil(units / 8) * b.latency
        flight = b.model.max_in_flight
        table.append([str(units), str(runs[-1].requests), fmt(wall), fmt(start),
                      fmt(wall - start), fmt(ideal), f"{(wall - start) / ideal:.2f}",
                      str(flight)])  # fmt: skip
        if units == 16:
            cache = b.fresh("cache")
            llm_run(b, repo, cache, *single)
            warm = median([llm_run(b, repo, cache, *single).result.wall for _ in range(b.runs)])
            rows.append(Row(f"LLM engine: 16 units, concurrency 8, latency {b.latency:g} s",
                            "wall <= 3.5 s + start-up; cached <= 0.8 s",
                            f"{fmt(wall)} (start-up {fmt(start)}); cached {fmt(warm)}",
                            wall - start <= 3.5 and warm <= 0.8))  # fmt: skip
    return table, rows


def token_lines(b: Bench) -> list[str]:
    repo = b.repo("small", SMALL)
    out = []
    for label, extra in (
        ("default (4 evaluators)", ()),
        ("--evaluator correctness", ("-e", "correctness")),
    ):
        report = b.fresh("tokens").with_suffix(".json")
        args = [*b.llm_args(b.fresh("cache"), report, "--dry-run", "--no-summary"), *extra]
        check(prreview(args, repo))
        s = stats_of(report)
        changed = s["additions"] + s["deletions"]
        out.append(
            f"- {label}: {s['prompt_tokens']:.0f} prompt tokens for {changed:.0f} changed lines = "
            f"{s['prompt_tokens'] / changed:.0f} tokens/line; shared prefix "
            f"{s['shared_prefix_tokens']:.0f} tokens"
        )  # fmt: skip
    return out


def bench_peer(b: Bench, command: str) -> list[list[str]]:
    rows = []
    for name, spec in (("small", SMALL), ("medium", MEDIUM)):
        repo = b.repo(name, spec)
        ours = repeat(b, lambda repo=repo: llm_run(b, repo))
        peer_runs: list[tuple[Result, int]] = []
        for _ in range(b.runs):
            b.model.reset(b.latency)
            env = clean_env({"BENCH_API_BASE": b.model.api_base})
            peer_runs.append((spawn(command, repo, env, shell=True), b.model.count))
        for what, mine, theirs in (
            ("wall s", median([r.result.wall for r in ours]), median([r.wall for r, _ in peer_runs])),
            ("requests", median([r.requests for r in ours]), median([n for _, n in peer_runs])),
            ("peak RSS MB", max(r.result.maxrss_mb for r in ours),
             max(r.maxrss_mb for r, _ in peer_runs)),
        ):  # fmt: skip
            ratio = f"{mine / theirs:.2f}" if theirs else "n/a"
            rows.append([f"{name}: {what}", f"{mine:.2f}", f"{theirs:.2f}", ratio])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="2 runs, for a smoke test")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--only-scaling", action="store_true", help="just the scaling curve")
    opts = parser.parse_args(argv)
    runs = 2 if opts.quick else max(opts.runs, 5)
    with tempfile.TemporaryDirectory(prefix="prreview-bench-") as tmp, LoopbackModel() as model:
        b = Bench(Path(tmp), model, runs, opts.latency)
        print(f"runs per metric: {runs}; model latency {opts.latency:g} s; "
              f"nproc {os.cpu_count()}; load average at start {loadavg()}\n")  # fmt: skip
        rows: list[Row] = []
        if not opts.only_scaling:
            rows = [bench_help(b), bench_checks_only(b), *bench_small_llm(b), *bench_medium(b),
                    bench_huge_plan(b)]  # fmt: skip
        scale: list[list[str]] = []
        if not opts.skip_scaling:
            scale, engine_rows = bench_scaling(b)
            rows.extend(engine_rows)
        print_table(["metric", "target", "measured (median)", "result"], [r.cells() for r in rows])
        if scale:
            print("\nScaling (one evaluator, no summary, concurrency 8):\n")
            print_table(["units", "requests", "wall", "to first request", "wall - start-up",
                         "ceil(units/8) x latency", "ratio", "max in flight"], scale)  # fmt: skip
        if not opts.only_scaling:
            print("\nPrompt tokens (dry run, 150-line change, no summary):\n")
            print("\n".join(token_lines(b)))
        peer = os.environ.get("PRREVIEW_BENCH_PEER")
        if peer:
            print(f"\nSide by side with PRREVIEW_BENCH_PEER={peer!r}:\n")
            print_table(["measure", "prreview", "peer", "ratio"], bench_peer(b, peer))
        print(f"\nload average at end {loadavg()}")
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
