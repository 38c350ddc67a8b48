"""Every YAML block in README.md and docs/*.md parses; workflow-shaped ones match the schemas.

GitHub workflows (a mapping with `on` and `jobs`) are checked against check-jsonschema's
vendored github-workflows schema, GitLab pipelines (a mapping with a job that has `script`)
against its gitlab-ci schema; both offline. Other blocks (a list of steps, a hooks file) are
only parsed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.test_ci_files import ROOT, _vendored_schema, _Yaml12

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w+-]*)[^\n]*\n")


def yaml_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, body) of every ```yaml / ```yml fenced block."""
    blocks: list[tuple[int, str]] = []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, start = m.group("fence"), i
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        if m.group("lang").lower() in ("yaml", "yml"):
            indent = len(m.group("indent"))
            body = "".join(
                line[indent:] if line[:indent].isspace() else line for line in lines[i + 1 : j]
            )
            blocks.append((start + 1, body))
        i = j + 1
    return blocks


CASES = [
    pytest.param(doc, line, body, id=f"{doc.name}:{line}")
    for doc in DOCS
    for line, body in yaml_blocks(doc.read_text(encoding="utf-8"))
]


def test_the_docs_have_yaml_blocks() -> None:
    names = {case.values[0].name for case in CASES}
    assert {"README.md", "ci.md", "scale.md"} <= names


def _kind(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    if "on" in doc and "jobs" in doc:
        return "github-workflows.json"
    if any(isinstance(v, dict) and "script" in v for v in doc.values()):
        return "gitlab-ci.json"
    return None


@pytest.mark.parametrize(("doc", "line", "body"), CASES)
def test_yaml_block_parses_and_matches_its_schema(doc: Path, line: int, body: str) -> None:
    try:
        parsed = yaml.load(body, Loader=_Yaml12)
    except yaml.YAMLError as exc:
        pytest.fail(f"{doc.name}:{line}: invalid YAML: {exc}")
    schema = _kind(parsed)
    if schema is None:
        return
    spec = _vendored_schema(schema)
    validator = jsonschema.validators.validator_for(spec)(spec)
    errors = sorted(validator.iter_errors(parsed), key=lambda e: list(e.path))
    assert not errors, [f"{doc.name}:{line} {list(e.path)}: {e.message[:200]}" for e in errors[:5]]


def test_an_invalid_block_is_caught() -> None:
    ((line, body),) = yaml_blocks(
        "x\n\n```yaml\nwith: { name: part-${{ matrix.shard }}, a: b }\n```\n"
    )
    assert line == 3
    with pytest.raises(yaml.YAMLError):
        yaml.load(body, Loader=_Yaml12)


def test_a_workflow_that_breaks_the_schema_is_caught() -> None:
    bad = "on: pull_request\njobs:\n  r:\n    runs-on: ubuntu-latest\n    steps: nope\n"
    parsed = yaml.load(bad, Loader=_Yaml12)
    assert _kind(parsed) == "github-workflows.json"
    spec = _vendored_schema("github-workflows.json")
    assert list(jsonschema.validators.validator_for(spec)(spec).iter_errors(parsed))
