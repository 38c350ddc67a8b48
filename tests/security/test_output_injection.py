"""Item 6: Markdown/HTML/workflow-command injection in model output is inert in every format.

The real pipeline runs against a loopback model whose findings and overview carry hostile
text. Each format is compared with a golden file (volatile values replaced) and checked for
the specific things that must never survive: live mentions, raw HTML, comments, links,
table breaks, quick actions and forged workflow commands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from prreview import pipeline
from prreview.cli.run import render_format
from prreview.config.load import load_settings
from prreview.models import Review
from tests.fakes.openai_server import FakeOpenAIServer
from tests.markdown_check import assert_inert
from tests.schemas import sarif_schema_path
from tests.security.support import MODEL, answer, responder_from

SNAPSHOTS = Path(__file__).parent / "snapshots" / "injection"
EXTENSIONS = {
    "markdown": "md",
    "json": "json",
    "sarif": "sarif",
    "codequality": "json",
    "github": "txt",
    "rdjsonl": "jsonl",
}
OVERVIEW = (
    "cc @org/security-team and @all <!-- approve silently -->\n"
    "/merge\n/approve\n"
    '<img src=x onerror=alert(1)> [docs](javascript:alert(1)) <a href="https://evil.example">x</a>'
)
HOSTILE: list[dict[str, Any]] = [
    {
        "line": 2,
        "severity": "high",
        "category": "<img src=x onerror=alert(1)>",
        "title": "@org/security-team ping <img src=x onerror=alert(1)>",
        "message": "Hi @octocat!\n<!-- hidden: approve this PR -->\n"
        "[click me](javascript:alert(1)) and <script>alert(1)</script>",
        "suggestion": "</details><img src=x onerror=alert(1)>\n```\n@octocat",
    },
    {
        "line": 6,
        "severity": "medium",
        "category": "table",
        "title": "breaks | the | table\n| injected | row |",
        "message": "| a | b |\n| --- | --- |\n| x | y |\n/merge\n  /approve\n# Heading\n> quote",
    },
    {
        "line": 10,
        "severity": "low",
        "category": "workflow",
        "title": "%0A::set-output name=x::y, file=evil.py",
        "message": "100% sure\n::error file=evil.py,line=1::forged\r\n%0A::add-mask::x\n::stop-commands::t",
    },
    {
        "line": 14,
        "severity": "critical",
        "category": "links",
        "title": "![pixel](https://evil.example/p.png) www.evil.example",
        "message": "See <https://evil.example> or https://evil.example/x and [ref][1]\n\n"
        "[1]: javascript:alert(1)\n$\\unicode{x}$ `code with @user` ``` unbalanced",
    },
]


def _repo(git_repo):
    repo = git_repo()
    repo.write("app.py", "x = 1\n")
    repo.commit("base")
    repo.write("app.py", "x = 1\n" + "".join(f"v{i} = {i}\n" for i in range(2, 16)))
    repo.commit("change")
    return repo


def _review(repo_path: Path, server: FakeOpenAIServer, tmp_path: Path) -> Review:
    flags = {
        "repo": repo_path,
        "base": "HEAD~1",
        "model": MODEL,
        "api_base": server.api_base,
        "only_evaluators": ("correctness",),
        "cache_dir": tmp_path / "cache",
        "fail_on": "high",
    }
    env = {"OPENAI_API_KEY": "sk-test-dummy-key-000000"}
    settings = load_settings(flags, env)
    review = pipeline.review(settings, env=env)
    return _normalise(review), settings


def _normalise(review: Review) -> Review:
    """Replace what changes between machines and runs; keep everything the model wrote."""
    stats = review.stats.model_copy(
        update={"duration_s": 1.5, "latency_median_s": 0.25, "latency_max_s": 0.5}
    )
    change = review.change.model_copy(
        update={"base_sha": "b" * 40, "head_sha": "h" * 40, "symbols": ()}
    )
    # The built-in rule catalogue carries no model text; leaving it out keeps the files small.
    update = {"tool_version": "0.0.0", "stats": stats, "change": change, "rules": ()}
    return review.model_copy(update=update)


@pytest.fixture
def rendered(git_repo, tmp_path: Path, monkeypatch, openai_server) -> dict[str, str]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-dummy-key-000000")
    repo = _repo(git_repo)
    findings = [{"file": "app.py", **f} for f in HOSTILE]
    openai_server.responder = responder_from(lambda _p: answer(*findings, summary=OVERVIEW))
    review, settings = _review(repo.path, openai_server, tmp_path)
    assert len(review.findings) == len(HOSTILE), review.findings
    assert review.summary.overview == OVERVIEW
    return {fmt: render_format(fmt, review, settings) for fmt in EXTENSIONS}


def test_every_format_matches_its_snapshot(rendered: dict[str, str], snapshot) -> None:
    snapshot.snapshot_dir = SNAPSHOTS
    for fmt, ext in EXTENSIONS.items():
        snapshot.assert_match(rendered[fmt], f"hostile.{fmt}.{ext}")


def _outside_fences(markdown: str) -> list[str]:
    lines, fence = [], ""
    for line in markdown.split("\n"):
        opener = re.match(r"\s*(`{3,}|~{3,})", line)
        if opener and (not fence or opener.group(1).startswith(fence)):
            fence = "" if fence else opener.group(1)
            continue
        if not fence:
            lines.append(line)
    return lines


def _assert_markdown_inert(markdown: str, tables: int = 0) -> None:
    """No HTML of the model's, no link, no mention, no comment, no table it made up."""
    seen = assert_inert(markdown)
    assert "img" not in seen.tags and "a" not in seen.tags and "script" not in seen.tags
    assert seen.tags.count("table") == tables, "a model's `|` lines must not make a table"


def test_markdown_is_inert(rendered: dict[str, str]) -> None:
    markdown = rendered["markdown"]
    _assert_markdown_inert(markdown, tables=2)  # our walkthrough and stats
    assert "&lt;img src=x onerror=alert(1)&gt;" in markdown, "the text stays readable"


def _quick_actions(markdown: str) -> list[str]:
    """Lines GitLab would run as quick actions (`/merge`) when the text is posted as a note."""
    return [ln for ln in _outside_fences(markdown) if ln.lstrip().startswith("/")]


@pytest.mark.parametrize("fmt", ["markdown", "rdjsonl"])
def test_no_line_starts_a_gitlab_quick_action(rendered: dict[str, str], fmt: str) -> None:
    texts = [rendered["markdown"]]
    if fmt == "rdjsonl":
        texts = [json.loads(line)["message"] for line in rendered["rdjsonl"].splitlines()]
    quick = [line for text in texts for line in _quick_actions(text)]
    assert not quick, f"GitLab would run these quick actions: {quick}"


def test_rdjsonl_messages_are_inert(rendered: dict[str, str]) -> None:
    lines = rendered["rdjsonl"].splitlines()
    assert len(lines) == len(HOSTILE)
    for line in lines:
        diagnostic = json.loads(line)
        _assert_markdown_inert(diagnostic["message"])
        assert set(diagnostic) <= {
            "message",
            "location",
            "severity",
            "source",
            "code",
            "suggestions",
        }
        assert diagnostic["location"]["path"] == "app.py"


def test_json_is_valid_and_keeps_the_model_text_as_data(rendered: dict[str, str]) -> None:
    report = json.loads(rendered["json"])
    by_line = {f["start_line"]: f for f in report["findings"]}
    for item in HOSTILE:
        found = by_line[item["line"]]
        assert found["title"] == item["title"] and found["message"] == item["message"]
        slug = re.sub(r"[^a-z0-9]+", "-", item["category"].lower()).strip("-")
        assert found["rule_id"] == f"llm/correctness/{slug}"
    assert report["summary"]["overview"] == OVERVIEW


def test_sarif_is_schema_valid_without_embedded_links(rendered: dict[str, str]) -> None:
    sarif = json.loads(rendered["sarif"])
    jsonschema.validate(sarif, json.loads(sarif_schema_path().read_text()))
    run = sarif["runs"][0]
    for result in run["results"]:
        text = result["message"]["text"]
        assert not re.search(r"(?<!\\)[\[\]]", text), f"SARIF embedded link syntax: {text!r}"
        assert all(re.fullmatch(r"[a-z0-9-]+", tag) for tag in result["properties"]["tags"])
    model_rules = [r for r in run["tool"]["driver"]["rules"] if r["id"].startswith("llm/")]
    assert len(model_rules) == len(HOSTILE)
    for rule in model_rules:
        assert re.fullmatch(r"llm/correctness/[a-z0-9-]+", rule["id"])
        assert "\n" not in rule["shortDescription"]["text"]
        _assert_markdown_inert(rule["help"]["markdown"])


def test_codequality_is_valid_json_with_one_line_descriptions(rendered: dict[str, str]) -> None:
    issues = json.loads(rendered["codequality"])
    assert len(issues) == len(HOSTILE)
    for issue in issues:
        assert "\n" not in issue["description"] and "\r" not in issue["description"]
        assert re.fullmatch(r"llm/correctness/[a-z0-9-]+", issue["check_name"])
        assert issue["location"]["path"] == "app.py"


_COMMAND = re.compile(r"::(error|warning|notice) ([^:]*)::(.*)")
_PROPERTY = re.compile(r"(file|line|endLine|col|endColumn|title)=([^,:]*)")


_CODES = {"%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ",", "%25": "%"}


def _unescape(value: str) -> str:
    """Decode as the Actions runner does, in one pass."""
    return re.sub("%0D|%0A|%3A|%2C|%25", lambda m: _CODES[m.group(0)], value)


def test_github_annotations_cannot_forge_workflow_commands(rendered: dict[str, str]) -> None:
    text = rendered["github"]
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == len(HOSTILE), "one line per finding: no injected line"
    titles = {f"[{f['severity']}] {' '.join(f['title'].split())}" for f in HOSTILE}
    for line in lines:
        command = _COMMAND.fullmatch(line)
        assert command, line
        props = command.group(2).split(",")
        parsed = [_PROPERTY.fullmatch(p) for p in props]
        assert all(parsed), f"a property was forged: {props}"
        values = {m.group(1): _unescape(m.group(2)) for m in parsed if m}
        assert values["file"] == "app.py"
        assert values["title"] in titles, "the title round-trips through the escaping"
        message = _unescape(command.group(3))
        assert any(message.startswith(f["message"].strip()) for f in HOSTILE)


# --------------------------------------------------------------------------- issue 12 point 6

ACTING_MESSAGE = (
    "first line\n::add-mask::leaked\n  ::stop-commands::pause\n\u3000::error::forged\n"
    "text ##[add-mask]x and ##vso[task.setvariable variable=A]1 and ##teamcity[x]\n"
    "\x1b[0Ksection_start:1:evil\r\x1b[0Kfolded \x9b31m c1 \u202egnp.exe \u2028::notice::u2028"
)
ACTING_PATH = "src/\x1b[31mred\u202e\u2066.py"
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_HASH = re.compile(r"##[A-Za-z]*\[")
_OUR_ANNOTATION = re.compile(r"::(error|warning|notice) [^:]*::[^\n]*")


def _acting_repo(git_repo):
    repo = git_repo()
    repo.write(ACTING_PATH, "x = 1\n")
    repo.commit("base")
    repo.write(ACTING_PATH, "x = 1\ny = 2\n")
    repo.commit("change")
    return repo


def _assert_cannot_act(stream: str, *, github: bool = False) -> None:
    """What a GitHub or GitLab runner (or a terminal) would act on is absent from `stream`."""
    bad = _CONTROL.findall(stream)
    assert not bad, f"control characters reach the log: {bad!r}"
    assert not _HASH.search(stream), "a ##[command] survives"
    for line in stream.split("\n"):
        if github and line:
            assert _OUR_ANNOTATION.fullmatch(line), f"not one of our annotations: {line!r}"
        elif line.lstrip().startswith("::"):
            raise AssertionError(f"a workflow command reaches the log: {line!r}")


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_stdout_cannot_act_in_any_format(fmt, git_repo, capsys, monkeypatch, tmp_path) -> None:
    from tests.security.support import base_env, model_args, run_cli

    repo = _acting_repo(git_repo)
    finding = {"file": ACTING_PATH, "line": 2, "severity": "high", "title": "t ::error::x"}
    with FakeOpenAIServer() as server:
        server.responder = responder_from(
            lambda _p: answer({**finding, "message": ACTING_MESSAGE}, summary=ACTING_MESSAGE)
        )
        args = ["run", "-C", str(repo.path), "--base", "HEAD~1", "-e", "correctness"]
        args += [*model_args(server), "--output", f"{fmt}=-"]
        res = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert res.code == 1, res.stderr
    assert "::error::x" in res.stdout or fmt == "github", "the model's text is kept, inert"
    _assert_cannot_act(res.stdout, github=fmt == "github")
    _assert_cannot_act(res.stderr)
    if fmt == "json":  # the neutralisation is JSON escaping: the data is unchanged
        report = json.loads(res.stdout)
        assert report["findings"][0]["message"] == ACTING_MESSAGE
        assert report["findings"][0]["path"] == ACTING_PATH
    if fmt == "rdjsonl":
        assert all(json.loads(line) for line in res.stdout.splitlines())


def test_plan_text_and_stderr_cannot_act(git_repo, capsys, monkeypatch) -> None:
    from tests.security.support import run_cli

    repo = _acting_repo(git_repo)
    plan = run_cli(capsys, monkeypatch, ["plan", "-C", str(repo.path), "--base", "HEAD~1"])
    assert plan.code == 0, plan.stderr
    assert "red" in plan.stdout, "the path stays readable, its escape made visible"
    _assert_cannot_act(plan.stdout)
    hostile_ref = "x\n::add-mask::secret\x1b[0Ksection_start:1:s\r##[error]boom"
    res = run_cli(capsys, monkeypatch, ["plan", "-C", str(repo.path), "--base", hostile_ref])
    assert res.code == 2
    assert "add-mask" in res.stderr, "the message is still there, only inert"
    _assert_cannot_act(res.stderr)


def test_neutral_json_escapes_keep_the_value() -> None:
    from prreview.report import neutral

    value = {"m": ACTING_MESSAGE, "p": ACTING_PATH, "k": "\ufeff#\\##[x]"}
    text = json.dumps(value, ensure_ascii=False, indent=2)
    inert = neutral.json_text(text)
    assert json.loads(inert) == value
    _assert_cannot_act(inert)
