"""`prreview eval import aacr` on a small dataset in AACR-Bench's format and real clones."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from prreview.cli.app import main
from prreview.errors import UsageError
from prreview.eval.aacr_import import ImportOptions, import_aacr
from prreview.eval.corpus import load_cases, materialise
from prreview.eval.harness import run_eval
from tests.eval_support import oracle_for
from tests.fakes.openai_server import FakeOpenAIServer

BASE = """def price(item, qty):
    if qty <= 0:
        raise ValueError(qty)
    total = item.cost * qty
    return round(total, 2)


def discount(total, rate):
    if rate is None:
        return total
    return total * (1 - rate)
"""
HEAD = BASE.replace("    return round(total, 2)\n", "    return total\n").replace(
    "    if rate is None:\n        return total\n", ""
)


def _comment(side: str, start: object, end: object, note: str, **extra: object) -> dict:
    return {"is_ai_comment": False, "note": note, "path": "src/shop.py", "side": side,
            "source_model": "", "from_line": start, "to_line": end,
            "category": "Code Defect", "context": "Diff Level", **extra}  # fmt: skip


@pytest.fixture
def bench(git_repo, tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    """repos/ with a work tree, a bare clone and a plain directory; a dataset file."""
    repo = git_repo("repos/acme+widgets")
    repo.write("src/shop.py", BASE)
    base = repo.commit("base")
    repo.git("checkout", "-q", "-b", "pr")
    repo.write("src/shop.py", HEAD)
    head = repo.commit("change")
    repo.git("checkout", "-q", "main")
    repo.write("NOTES.txt", "later work on the base branch\n")
    source = repo.commit("base moves on")
    bare = tmp_path / "repos" / "acme+mirror" / "repo"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    (tmp_path / "repos" / "acme+plain").mkdir()
    shas = {"base": base, "head": head, "source": source}
    good = {
        "change_line_count": 4, "project_main_language": "Python", "source_commit": source,
        "target_commit": head, "githubPrUrl": "https://github.com/acme/widgets/pull/7",
        "category": "Bug Fix",
        "comments": [
            _comment("right", 5, 5, "The total is no longer rounded to cents."),
            _comment("left", 9, 10, "Removing the None guard makes discount(t, None) raise."),
            _comment("left", 4, 4, "The total ignores the item's tax.",
                     category="Maintainability and Readability"),
            _comment("right", 9, 4, "A malformed range."),
            _comment("right", 40, 41, "Past the end of the file."),
        ],
    }  # fmt: skip
    dataset = [
        good,
        {**good, "githubPrUrl": "https://github.com/acme/mirror/pull/8", "comments": good["comments"][:1]},
        {**good, "githubPrUrl": "https://github.com/acme/widgets/pull/9", "target_commit": "0" * 40},
        {**good, "githubPrUrl": "https://github.com/acme/plain/pull/1"},
        {**good, "githubPrUrl": "https://github.com/other/gone/pull/2"},
        {**good, "githubPrUrl": "not a pull request"},
        {**good, "githubPrUrl": "https://github.com/acme/widgets/pull/10", "project_main_language": "Go"},
    ]  # fmt: skip
    path = tmp_path / "positive_samples.json"
    path.write_text(json.dumps(dataset, indent=2))
    return path, tmp_path / "repos", shas


def test_import_builds_the_entries_it_can_and_lists_the_rest(bench, tmp_path: Path) -> None:
    dataset, repos, shas = bench
    out = tmp_path / "corpus"
    report = import_aacr(ImportOptions(dataset=dataset, repos=repos, out=out))
    assert report.cases == (
        "aacr-acme-mirror-8__pr",
        "aacr-acme-widgets-7__pr",
        "aacr-acme-widgets-10__pr",
    )
    reasons = {s.item: s.reason for s in report.skipped}
    assert reasons["https://github.com/acme/widgets/pull/9"] == (
        f"target_commit {'0' * 40} is not in the clone of acme/widgets (fetch it)"
    )
    assert reasons["https://github.com/acme/plain/pull/1"].endswith(
        "acme+plain is not a git repository"
    )
    assert reasons["https://github.com/other/gone/pull/2"].startswith(
        "no clone of other/gone under"
    )
    assert reasons["entry 5"] == "githubPrUrl 'not a pull request' is not a GitHub pull request URL"
    url = "https://github.com/acme/widgets/pull/7"
    assert reasons[f"{url} comment 3"] == "malformed line range 9-4 (from_line must be 1..to_line)"
    assert reasons[f"{url} comment 4"] == "lines 40-41 are outside the new file (9 lines)"
    assert report.scanned == 7
    case = {c.name: c for c in load_cases(out)}["aacr-acme-widgets-7__pr"]
    assert (case.base_commit, case.head_commit, case.variant, case.language) == (
        shas["base"],
        shas["head"],
        "pr",
        "python",
    )  # base = merge-base(source, target), not the moved-on source
    spans = [
        (f.start_line, f.end_line, f.anchor_kind, f.category, f.severity) for f in case.findings
    ]
    assert spans == [
        (5, 5, "changed", "defect", "medium"),
        (8, 9, "missing", "defect", "medium"),  # the removed guard, at its deletion point
        (4, 4, "context", "maintainability", "low"),
    ]
    assert case.findings[1].lines_text == (
        "def discount(total, rate):",
        "    return total * (1 - rate)",
    )
    assert case.findings[0].description == "The total is no longer rounded to cents."
    # the case is what `prreview eval` runs: feature = the pull request's head tree
    materialise(case.directory, tmp_path / "m")
    assert (tmp_path / "m" / "src" / "shop.py").read_text() == HEAD


def test_languages_and_limit(bench, tmp_path: Path) -> None:
    dataset, repos, _ = bench
    go = import_aacr(
        ImportOptions(dataset=dataset, repos=repos, out=tmp_path / "go", languages=("go",))
    )
    assert go.cases == ("aacr-acme-widgets-10__pr",) and go.scanned == 1
    one = import_aacr(ImportOptions(dataset=dataset, repos=repos, out=tmp_path / "one", limit=1))
    assert len(one.cases) == 1
    assert sum(s.reason == "--limit 1 reached" for s in one.skipped) == 3  # widgets 7, 9, 10


def test_not_a_dataset_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a list"}')
    with pytest.raises(UsageError, match="not an AACR-Bench dataset"):
        import_aacr(ImportOptions(dataset=bad, repos=tmp_path, out=tmp_path / "c"))


def test_cli_and_oracle_eval_on_the_imported_corpus(
    bench, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI", "PRREVIEW_MODEL"):
        monkeypatch.delenv(name, raising=False)
    dataset, repos, _ = bench
    out = tmp_path / "corpus"
    args = ["eval", "import", "aacr", str(dataset), "--repos", str(repos), "--out", str(out),
            "--languages", "Python"]  # fmt: skip
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# prreview eval import aacr: 2 cases in")
    assert "is not in the clone of acme/widgets" in printed
    cases = load_cases(out, "aacr-acme-widgets-7__pr")
    with FakeOpenAIServer() as server:
        server.responder = oracle_for([f for c in cases for f in c.findings])
        # diff_context: one comment is on an unchanged line, which the default filter drops
        flags = {"model": "openai/test-model", "api_base": server.api_base, "retries": 0,
                 "filter_mode": "diff_context"}  # fmt: skip
        results = run_eval(out, settings_flags=flags, cases_glob="aacr-acme-widgets-7__pr", jobs=1,
                           judge_model="openai/judge-model")  # fmt: skip
    m, aacr = results.scores.metrics, results.aacr
    assert (m.primary_findings, m.primary_hit, m.recall) == (3, 3, 1.0)
    assert aacr is not None and aacr.judged
    assert aacr.overall.counts.positive_matches == 3 and aacr.overall.rates.recall == 1.0
    assert aacr.overall.rates.noise_rate == 0.0
    assert set(aacr.by_category) == {"defect", "maintainability"}
