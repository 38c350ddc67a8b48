"""`prreview eval mine` on a real repository with real fix commits (built in tmp_path)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from prreview.cli.app import main
from prreview.errors import GitError
from prreview.eval.corpus import load_cases
from prreview.eval.harness import run_eval
from prreview.eval.mine import Commit, MineOptions, _Context, clean_problem, mine
from tests.conftest import GitRepo
from tests.eval_support import oracle_for
from tests.fakes.openai_server import FakeOpenAIServer

URL = """def build(url, args):
    if not url:
        raise ValueError(url)
    query = encode(args)
    return url + "?" + query


def encode(args):
    return "&".join(f"{k}={v}" for k, v in sorted(args.items()))
"""
GUARDED = URL.replace(
    "    query = encode(args)\n",
    "    if args is None:\n        return url\n    query = encode(args)\n",
)
PAGER = """def page(items, size):
    pages = []
    for start in range(0, len(items) + 1, size):
        pages.append(items[start : start + size])
    return pages
"""
FIXED_PAGER = PAGER.replace("len(items) + 1", "len(items)")
COUNT = (
    FIXED_PAGER
    + """

def page_count(items, size):
    return (len(items) + size - 1) // size
"""
)
TEXT = 'def slugify(text):\n    return "-".join(text.lower().split())\n'


@pytest.fixture
def history(git_repo) -> Iterator[tuple[GitRepo, dict[str, str]]]:
    repo = git_repo()
    shas: dict[str, str] = {}

    def commit(key: str, message: str, **files: str) -> None:
        for path, content in files.items():
            repo.write(path.replace("__", "/").replace("_py", ".py").replace("_md", ".md"), content)
        shas[key] = repo.commit(message)

    commit("init", "Initial import", lib__url_py=URL, README_md="# urls\n",
           tests__test_url_py="from lib.url import build\n")  # fmt: skip
    commit("pager", "Add pager", lib__pager_py=PAGER)
    commit("slugify", "Add slugify helper", lib__text_py=TEXT)
    commit("guard", "Fix crash when args is None (fixes #12)", lib__url_py=GUARDED,
           tests__test_url_py="from lib.url import build\n\nassert build('u', None) == 'u'\n")  # fmt: skip
    commit("typo", "Fix typo in README", README_md="# URLs\n")
    commit("offbyone", "fix: off-by-one in page()", lib__pager_py=FIXED_PAGER)
    commit("tests", "Fix broken handling of empty lists",
           tests__test_pager_py="from lib.pager import page\n\nassert page([], 2) == []\n")  # fmt: skip
    commit("count", "Add page_count helper", lib__pager_py=COUNT)
    yield repo, shas


def _opts(repo: GitRepo, out: Path, **extra: object) -> MineOptions:
    return MineOptions(repo=repo.path, out=out, name="acme/urls", **extra)


def test_mines_revert_and_clean_cases(history, tmp_path: Path) -> None:
    repo, shas = history
    report = mine(_opts(repo, tmp_path / "corpus"))
    short = {k: v[:12] for k, v in shas.items()}
    assert report.cases == (
        f"urls-{short['offbyone']}__revert", f"urls-{short['count']}__clean",
        f"urls-{short['guard']}__revert", f"urls-{short['slugify']}__clean",
    )  # fmt: skip
    reasons = {s.item.split()[0]: s.reason for s in report.skipped}
    assert reasons == {
        short["tests"]: "no non-test source file changed (tests, docs or config only)",
        short["typo"]: "the message names a non-code fix ('Fix typo')",
    }
    cases = {c.name: c for c in load_cases(tmp_path / "corpus")}
    guard = cases[f"urls-{short['guard']}__revert"]
    assert (guard.base_commit, guard.head_commit, guard.source) == (
        shas["guard"],
        None,
        "mined-fix-commit",
    )
    # the undo deletes the guard: the truth sits at the deletion point, on unchanged lines
    (missing,) = guard.findings
    assert (missing.file, missing.anchor_kind, missing.start_line, missing.end_line) == (
        "lib/url.py",
        "missing",
        3,
        4,
    )
    assert missing.lines_text == ("        raise ValueError(url)", "    query = encode(args)")
    assert missing.category == "null-handling" and "fixes #12" in missing.description
    (changed,) = cases[f"urls-{short['offbyone']}__revert"].findings
    assert (changed.anchor_kind, changed.start_line, changed.category) == ("changed", 3, "bounds")
    assert "len(items) + 1" in changed.lines_text[0]
    clean = cases[f"urls-{short['count']}__clean"]
    assert clean.clean and clean.head_commit == shas["count"]
    diff = (clean.directory / "change.diff").read_text()
    assert "page_count" in diff
    # the undo keeps the fix's test in the base: only the source file is reverted
    assert "tests/" not in (guard.directory / "change.diff").read_text()
    index = json.loads((tmp_path / "corpus" / "index.json").read_text())
    assert index["total"] == 4 and index["clean"] == 2
    skipped = json.loads((tmp_path / "corpus" / "skipped.json").read_text())
    assert skipped["scanned"] == 8 and len(skipped["skipped"]) == 2


def test_mining_is_deterministic(history, tmp_path: Path) -> None:
    repo, _ = history
    first, second = tmp_path / "a", tmp_path / "b"
    mine(_opts(repo, first))
    mine(_opts(repo, second))
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files and files == sorted(
        p.relative_to(second) for p in second.rglob("*") if p.is_file()
    )
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_limit_since_paths_and_size(history, tmp_path: Path) -> None:
    repo, shas = history
    limited = mine(_opts(repo, tmp_path / "l", limit=1, clean=False))
    assert [c.split("__")[1] for c in limited.cases] == ["revert"]
    assert any(s.reason == "--limit 1 reached" for s in limited.skipped)
    since = mine(_opts(repo, tmp_path / "s", since=shas["typo"]))
    assert since.scanned == 3 and len(since.cases) == 2  # off-by-one and its clean neighbour
    repo.git("tag", "v1", shas["typo"])
    assert mine(_opts(repo, tmp_path / "t", since="v1")).cases == since.cases
    paths = mine(_opts(repo, tmp_path / "p", paths=("lib/url.py",), clean=False))
    assert [c.split("-")[1][:12] for c in paths.cases] == [shas["guard"][:12]]
    assert any("under --paths" in s.reason for s in paths.skipped)
    small = mine(_opts(repo, tmp_path / "m", max_lines=1, clean=False))
    assert any("2 changed source lines > --max-lines 1" in s.reason for s in small.skipped)


def test_a_commit_whose_lines_a_later_fix_changed_is_not_clean(history) -> None:
    repo, shas = history
    from prreview.change import history as gitrun

    opts = _opts(repo, repo.path / "unused")
    with gitrun.borrowed(repo.path) as helper:
        ctx = _Context(opts=opts, tip=shas["count"], repo_name="acme/urls",
                       fixes=frozenset({shas["offbyone"], shas["guard"]}))  # fmt: skip
        pager = Commit(sha=shas["pager"], parents=(shas["init"],), message="Add pager")
        problem, _ = clean_problem(helper, pager, ctx)
        assert (
            problem
            == f"its lines in lib/pager.py were changed by the later fix {shas['offbyone'][:12]}"
        )
        slug = Commit(sha=shas["slugify"], parents=(shas["pager"],), message="Add slugify")
        assert clean_problem(helper, slug, ctx)[0] is None


def test_oracle_finds_every_mined_defect_and_an_empty_model_none(
    history, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = history
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "CI", "PRREVIEW_MODEL"):
        monkeypatch.delenv(name, raising=False)
    corpus = tmp_path / "corpus"
    mine(_opts(repo, corpus))
    truths = [f for c in load_cases(corpus) for f in c.findings]
    with FakeOpenAIServer() as server:
        flags = {"model": "openai/test-model", "api_base": server.api_base, "retries": 0}
        server.responder = oracle_for(truths)
        oracle = run_eval(corpus, settings_flags=flags, jobs=1)  # default filter mode
        server.responder = None
        empty = run_eval(corpus, settings_flags=flags, cases_glob="*__revert", jobs=1)
    m = oracle.scores.metrics
    assert (m.primary_findings, m.primary_hit, m.fp, m.clean_flagged) == (2, 2, 0, 0)
    assert m.recall == 1.0 and oracle.scores.context_failures == ()
    assert oracle.aacr is not None and oracle.aacr.overall.rates.line_recall == 1.0
    assert empty.scores.metrics.recall == 0.0 and empty.scores.metrics.predictions == 0


def test_cli_mine_then_eval_through_the_default_command(
    history, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo, _ = history
    corpus = tmp_path / "corpus"
    assert main(["eval", "mine", str(repo.path), "--out", str(corpus), "--no-clean"]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("# prreview eval mine: 2 cases in")
    assert "Fix typo in README: the message names a non-code fix" in out.out
    results = tmp_path / "results.json"
    assert main(["eval", str(corpus), "--jobs", "1", "-o", str(results)]) == 0
    err = capsys.readouterr().err
    assert f"reproduce with: prreview eval {corpus} --window 3 --jobs 1 --output {results}" in err
    data = json.loads(results.read_text())
    assert data["totals"]["cases"] == 2 and data["config"]["command"].startswith("prreview eval")


def test_an_empty_history_is_a_clear_usage_error(
    git_repo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = git_repo("empty")
    assert main(["eval", "mine", str(repo.path), "--out", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert "the repository has no commits: there is no history to mine" in err
    assert not (tmp_path / "c").exists()


def test_no_fix_commit_and_a_plain_directory(git_repo, tmp_path: Path, capsys) -> None:
    repo = git_repo("nofix")
    repo.write("a.py", "x = 1\n")
    repo.commit("Add a")
    assert main(["eval", "mine", str(repo.path), "--out", str(tmp_path / "c")]) == 2
    assert "no case could be built from 1 commits" in capsys.readouterr().err
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        mine(MineOptions(repo=plain, out=tmp_path / "d"))


def test_the_source_repositorys_filters_and_attributes_are_not_used(git_repo, tmp_path) -> None:
    import tarfile

    repo = git_repo("hostile")
    repo.write(".gitattributes", "* filter=evil export-ignore export-subst\n")
    repo.write("lib/url.py", URL)
    repo.commit("Initial import")
    repo.write("lib/url.py", GUARDED)
    fix = repo.commit("Fix crash when args is None")
    marker = tmp_path / "filter-ran"
    repo.git("config", "filter.evil.smudge", f"sh -c 'touch {marker}; cat'")
    repo.git("config", "filter.evil.clean", f"sh -c 'touch {marker}; cat'")
    repo.git("config", "diff.external", f"sh -c 'touch {marker}'")
    report = mine(MineOptions(repo=repo.path, out=tmp_path / "c", clean=False))
    assert report.cases == (f"hostile-{fix[:12]}__revert",)
    assert not marker.exists()
    with tarfile.open(tmp_path / "c" / "cases" / report.cases[0] / "base.tar.gz") as tar:
        names = tar.getnames()
    assert "lib/url.py" in names and ".gitattributes" in names  # export-ignore switched off
    assert not (repo.path / ".git" / "objects" / "info" / "alternates").exists()
