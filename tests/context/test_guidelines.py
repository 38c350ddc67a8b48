"""Instruction files teams already keep: which apply to a changed file, and what the model sees."""

from __future__ import annotations

import json
import re
from pathlib import Path

from prreview.context.cache import ContextCache
from prreview.context.guidelines import GuidelineLimits, Guidelines, parse_front_matter
from tests.context.test_gather import DictTree
from tests.fakes.openai_server import FakeOpenAIServer
from tests.security.support import base_env, model_args, run_cli

FILES = {
    "REVIEW.md": "# Review\nROOT-REVIEW-MARKER\n",
    "web/AGENTS.md": "WEB-AGENTS-MARKER\n",
    "AGENTS.md": "ROOT-AGENTS-MARKER\n",
    "svc/api/CLAUDE.md": "API-CLAUDE-MARKER\n",
    "CLAUDE.md": "ROOT-CLAUDE-MARKER\n",
    ".github/copilot-instructions.md": "COPILOT-REPO-MARKER\n",
    ".github/instructions/ts.instructions.md": '---\napplyTo: "**/*.ts,**/*.tsx"\n---\nTS-SCOPED-MARKER\n',
    ".github/instructions/py.instructions.md": "---\napplyTo:\n  - 'svc/**/*.py'\n---\n\nPY-SCOPED-MARKER\n",
    ".github/instructions/manual.instructions.md": "---\ndescription: by hand\n---\nMANUAL-MARKER\n",
    ".github/instructions/agent.instructions.md": '---\napplyTo: "**"\nexcludeAgent: "code-review"\n---\nEXCLUDED-MARKER\n',
    ".cursor/rules/always.mdc": "---\ndescription: everywhere\nalwaysApply: true\n---\nCURSOR-ALWAYS-MARKER\n",
    ".cursor/rules/tsx.mdc": "---\nglobs: web/**/*.ts\nalwaysApply: false\n---\nCURSOR-TS-MARKER\n",
    ".cursor/rules/py.mdc": '---\nglobs: ["*.py", "*.pyi"]\n---\nCURSOR-PY-MARKER\n',
    ".cursor/rules/requested.mdc": "---\ndescription: agent requested\n---\nREQUESTED-MARKER\n",
    "CONTRIBUTING.md": "CONTRIBUTING-MARKER\n",
}
EXPECTED = {
    "web/ui/app.ts": [
        "REVIEW.md", "web/AGENTS.md", "AGENTS.md", "CLAUDE.md",
        ".github/copilot-instructions.md", ".github/instructions/ts.instructions.md",
        ".cursor/rules/always.mdc", ".cursor/rules/tsx.mdc", "CONTRIBUTING.md",
    ],
    "svc/api/main.py": [
        "REVIEW.md", "AGENTS.md", "svc/api/CLAUDE.md", "CLAUDE.md",
        ".github/copilot-instructions.md", ".github/instructions/py.instructions.md",
        ".cursor/rules/always.mdc", ".cursor/rules/py.mdc", "CONTRIBUTING.md",
    ],
}  # fmt: skip
MARKERS = {path: re.search(r"[A-Z-]+-MARKER", text).group(0) for path, text in FILES.items()}  # type: ignore[union-attr]


def test_front_matter_forms() -> None:
    meta, start = parse_front_matter(["---", "applyTo: '**/*.ts, src/**'", "---", "body"])
    assert meta == {"applyTo": "**/*.ts, src/**"} and start == 4
    meta, _ = parse_front_matter(["---", "globs:", "  - a/*.py", "  - 'b/**'", "x: true", "---"])
    assert meta == {"globs": ["a/*.py", "b/**"], "x": True}
    assert parse_front_matter(["no front matter"]) == ({}, 1)
    assert parse_front_matter(["---", "never closed"]) == ({}, 1)


def test_applicable_files_nearest_first_with_globs() -> None:
    guides = Guidelines(ContextCache(DictTree(FILES)), GuidelineLimits(max_files=20))
    for path, expected in EXPECTED.items():
        assert [a.path for a in guides.applicable(path)] == expected, path
    names = {a.path: a.why for a in guides.applicable("web/ui/app.ts")}
    assert names[".github/instructions/ts.instructions.md"] == "applyTo **/*.ts"
    assert names[".cursor/rules/always.mdc"] == "alwaysApply"
    snippets = guides.for_path("svc/api/main.py")
    scoped = next(s for s in snippets if s.path.endswith("py.instructions.md"))
    assert scoped.text == "PY-SCOPED-MARKER" and scoped.start_line == 6  # front matter left out


def test_budget_keeps_the_nearest_files() -> None:
    cache = ContextCache(DictTree(FILES))
    assert len(Guidelines(cache, GuidelineLimits(max_files=3)).for_path("web/ui/app.ts")) == 3
    tight = Guidelines(cache, GuidelineLimits(max_tokens=8)).for_path("web/ui/app.ts")
    assert [s.path for s in tight] == ["REVIEW.md"]
    big = {**FILES, "REVIEW.md": "# Review\n" + "word " * 20_000 + "\n"}
    sent = Guidelines(ContextCache(DictTree(big))).for_path("web/ui/app.ts")
    assert sum(len(s.text) for s in sent) // 4 <= GuidelineLimits().max_tokens


def _repo_with_every_kind(git_repo):
    repo = git_repo()
    for path, text in FILES.items():
        repo.write(path, text)
    repo.write("web/ui/app.ts", "export const a = 1;\n")
    repo.write("svc/api/main.py", "A = 1\n")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("web/ui/app.ts", "export const a = 2;\n")
    repo.write("svc/api/main.py", "A = 2\n")
    repo.commit("change")
    return repo


def test_dumped_prompt_of_each_unit_has_exactly_its_instruction_files(
    git_repo, tmp_path: Path, capsys, monkeypatch, openai_server: FakeOpenAIServer
) -> None:
    repo = _repo_with_every_kind(git_repo)
    dump = tmp_path / "prompts"
    args = ["run", "-C", str(repo.path), "--base", "main", "-e", "correctness"]
    args += [*model_args(openai_server), "--dry-run", "--dump-prompts", str(dump)]
    result = run_cli(capsys, monkeypatch, args, base_env(tmp_path))
    assert result.code == 0, result.stderr
    prompts = [p.read_text() for p in sorted(dump.glob("*.md"))]
    assert len(prompts) == 2
    for path, expected in EXPECTED.items():
        (prompt,) = [p for p in prompts if f"### {path} [" in p]
        found = sorted(name for name, marker in MARKERS.items() if marker in prompt)
        assert found == sorted(expected), path
    assert "instruction files:" in result.stderr  # the dry run lists them
    assert "web/AGENTS.md (1 file)" in result.stderr


def test_plan_lists_the_instruction_files_from_the_base(git_repo, capsys, monkeypatch) -> None:
    repo = _repo_with_every_kind(git_repo)
    repo.write(".cursor/rules/pr.mdc", "---\nalwaysApply: true\n---\nPR-ADDED-RULE\n")
    repo.commit("the change adds its own rule")
    text = run_cli(capsys, monkeypatch, ["plan", "-C", str(repo.path), "--base", "main"])
    assert text.code == 0, text.stderr
    assert "  .github/instructions/ts.instructions.md: web/ui/app.ts\n" in text.stdout
    assert "  svc/api/CLAUDE.md: svc/api/main.py\n" in text.stdout
    assert ".cursor/rules/pr.mdc:" not in text.stdout  # the change's own rule is not policy
    js = run_cli(
        capsys, monkeypatch, ["plan", "-C", str(repo.path), "--base", "main", "--format", "json"]
    )
    usage = json.loads(js.stdout)["instructions"]
    assert usage["REVIEW.md"] == [".cursor/rules/pr.mdc", "svc/api/main.py", "web/ui/app.ts"]
    assert set(usage) == set(EXPECTED["web/ui/app.ts"]) | set(EXPECTED["svc/api/main.py"])
