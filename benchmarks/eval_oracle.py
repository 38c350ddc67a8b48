"""`prreview eval` with the two loopback models that bound every real one: an oracle and silence.

    python benchmarks/eval_oracle.py CORPUS [--filter-mode added] [--judge] [--jobs 1]

The oracle answers exactly the truth it can see in a prompt (a truth finding is reported when
its file heading and every one of its lines, numbered on the new side, are in the prompt); the
empty model answers no findings. Both run on 127.0.0.1 (tests/fakes/openai_server.py) through
the real pipeline (`prreview.eval.run_eval`). Prints a Markdown table of names and numbers
only: mined and imported cases hold third-party code.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import print_table

from prreview.eval.corpus import load_cases
from prreview.eval.harness import run_eval
from prreview.eval.models import EvalResults
from prreview.eval.render import write_outputs
from tests.eval_support import oracle_for
from tests.fakes.openai_server import FakeOpenAIServer


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _row(label: str, results: EvalResults, wall: float) -> list[str]:
    m, t, a = results.scores.metrics, results.totals, results.aacr
    rates = a.overall.rates if a else None
    return [
        label,
        str(t.cases),
        f"{m.primary_hit}/{m.primary_findings} ({_pct(m.recall)})",
        _pct(m.precision),
        f"{m.clean_flagged}/{m.clean_cases}",
        _pct(rates.line_precision if rates else None),
        _pct(rates.line_recall if rates else None),
        _pct(rates.recall if rates else None),
        str(t.calls),
        f"{wall:.0f}s",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--filter-mode", default="added")
    parser.add_argument("--judge", action="store_true", help="also ask the (oracle) judge")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--save", type=Path, help="write oracle.json and empty.json here")
    args = parser.parse_args()
    truths = [f for c in load_cases(args.corpus) for f in c.findings]
    rows = []
    with FakeOpenAIServer() as server:
        flags = {"model": "openai/loopback", "api_base": server.api_base, "retries": 0,
                 "filter_mode": args.filter_mode}  # fmt: skip
        for label, responder in (("oracle", oracle_for(truths)), ("empty", None)):
            server.responder = responder
            started = time.monotonic()
            results = run_eval(
                args.corpus, settings_flags=flags, jobs=args.jobs,
                judge_model="openai/loopback-judge" if args.judge else None,
            )  # fmt: skip
            if args.save:
                args.save.mkdir(parents=True, exist_ok=True)
                write_outputs(results, args.save / f"{label}.json")
            rows.append(
                _row(f"{label}, filter {args.filter_mode}", results, time.monotonic() - started)
            )
    print_table(
        ["model", "cases", "recall (W=3)", "precision", "clean flagged", "AACR line precision",
         "AACR line recall", "AACR recall (judge)", "calls", "wall"],
        rows,
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
