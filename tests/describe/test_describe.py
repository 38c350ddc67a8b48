# ruff: noqa: F811  (the openai_server fixture is imported, then requested by name)
"""`prreview describe` on real git repositories, without a model and with the loopback one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prreview.describe import Description
from prreview.describe.mermaid import flowchart
from prreview.errors import EXIT_INCOMPLETE
from tests.fakes.openai_server import FakeOpenAIServer, Response, openai_server  # noqa: F401
from tests.mermaid_check import MermaidError, check_flowchart, mermaid_blocks
from tests.run_support import run_main

SNAPSHOTS = Path(__file__).parents[1] / "snapshots" / "describe"
SECRET = "AKIAZ7QW3RTY5UIO2PLK"

BASE = {
    "src/shop/__init__.py": "",
    "src/shop/cart.py": "from .prices import price_of\n\n\ndef total(items):\n    return sum(price_of(i) for i in items)\n",
    "src/shop/prices.py": "def price_of(item):\n    return item.price\n",
    "web/app.js": "const api = require('./lib/api');\nmodule.exports = () => api.get('/');\n",
    "web/lib/api.js": "exports.get = (path) => fetch(path);\n",
    "README.md": "# Shop\n",
}
HEAD = {
    "src/shop/cart.py": (
        "from shop.discounts import discount\n"
        "from .prices import price_of\n\n\n"
        "def total(items, code=None):\n"
        "    gross = sum(price_of(i) for i in items)\n"
        "    return gross - discount(code, gross)\n"
    ),
    "src/shop/discounts.py": (
        "import os\n\nRATES = {'TEN': 0.1}\n\n\n"
        "def discount(code, gross):\n    return gross * RATES.get(code or '', 0.0)\n"
    ),
    "tests/test_cart.py": "from shop.cart import total\n\n\ndef test_total():\n    assert total([]) == 0\n",
    "web/app.js": "import { get } from './lib/api';\nexport default () => get('/cart');\n",
    "README.md": "# Shop\n\nDiscount codes: `TEN`.\n",
}


@pytest.fixture
def repo(git_repo, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-describe")
    monkeypatch.delenv("PRREVIEW_MODEL", raising=False)
    r = git_repo()
    for path, text in BASE.items():
        r.write(path, text)
    r.commit("base")
    r.git("checkout", "-q", "-b", "feature")
    for path, text in HEAD.items():
        r.write(path, text)
    r.commit("discount codes")
    return r


def describe(capsys, repo, *extra: str):
    return run_main(capsys, "describe", "--repo", str(repo.path), "--base", "main", *extra)


# --------------------------------------------------------------------------- without a model


def test_deterministic_description_matches_the_snapshot(repo, capsys, snapshot) -> None:
    res = describe(capsys, repo)
    assert res.code == 0, res.err
    assert res.out == describe(capsys, repo).out, "the description must be deterministic"
    snapshot.snapshot_dir = SNAPSHOTS
    snapshot.assert_match(res.out, "shop.md")


def test_deterministic_facts(repo, capsys) -> None:
    res = describe(capsys, repo, "--format", "json")
    desc = Description.model_validate_json(res.out)
    assert desc.source == "deterministic" and desc.type == "feature"  # a new source file
    assert [m.module for m in desc.modules] == [".", "src/shop", "tests", "web"]
    shop = next(m for m in desc.modules if m.module == "src/shop")
    assert {f.path: f.status for f in shop.files} == {
        "src/shop/cart.py": "modified",
        "src/shop/discounts.py": "added",
    }
    assert "total" in next(f for f in shop.files if f.path.endswith("cart.py")).symbols
    # tests import the package through its src layout; web/app.js imports ./lib/api
    assert ("tests", "src/shop") in desc.imports and ("web", "web/lib") in desc.imports
    assert all(a != b for a, b in desc.imports)
    assert desc.labels[0] == "feature" and "tests" in desc.labels and "docs" in desc.labels


def test_the_mermaid_block_parses(repo, capsys) -> None:
    (block,) = mermaid_blocks(describe(capsys, repo).out)
    nodes = check_flowchart(block)
    assert set(nodes.values()) >= {"src/shop", "tests", "web", "web/lib", "repository root"}


def test_hostile_paths_cannot_break_the_diagram() -> None:
    hostile = 'x"];\nclick m0 call alert(1)%%{init}'
    text, _ = flowchart([hostile, "ok"], [(hostile, "ok")])
    nodes = check_flowchart(text)
    assert all('"' not in label and ";" not in label for label in nodes.values())


def test_the_grammar_check_rejects_what_it_does_not_know() -> None:
    good, _ = flowchart(["a", "b"], [("a", "b")])
    check_flowchart(good)
    for bad in (
        good + '\n  click m0 "javascript:alert(1)"',
        good + "\n  m0 --> m9",
        good.replace('["a"]', '["a"];'),
        good.replace("flowchart LR", "graph"),
    ):
        with pytest.raises(MermaidError):
            check_flowchart(bad)


def test_output_file_and_docs_only_change(git_repo, capsys, tmp_path) -> None:
    r = git_repo()
    r.write("docs/guide.md", "# Guide\n")
    r.commit("base")
    r.write("docs/guide.md", "# Guide\n\nMore.\n")
    r.commit("docs")
    out = tmp_path / "d.md"
    res = run_main(capsys, "describe", "--repo", str(r.path), "--base", "HEAD~1", "-o", str(out))
    assert res.code == 0 and res.out == ""
    assert "**Type:** docs" in out.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- with a model

ANSWER = {
    "title": "Add discount codes to the cart total",
    "type": "feature",
    "overview": "Adds `discount()` and applies it in `total()`. Check the rounding.",
    "modules": [
        {"module": "src/shop", "summary": "total() subtracts the discount of a code"},
        {"module": "invented/module", "summary": "ignored"},
    ],
    "labels": ["Pricing", "feature", "<b>bad label</b>"],
}


def model_args(server: FakeOpenAIServer, repo) -> list[str]:
    cache = str(repo.path.parent / "cache")
    return ["--model", "openai/test-model", "--api-base", server.api_base, "--cache-dir", cache]


def test_model_backed_description_in_one_cached_call(repo, openai_server, capsys) -> None:
    repo.write("src/shop/discounts.py", HEAD["src/shop/discounts.py"] + f"KEY = '{SECRET}'\n")
    repo.commit("with a key")
    openai_server.enqueue(Response(content=json.dumps(ANSWER)))
    res = describe(capsys, repo, *model_args(openai_server, repo))
    assert res.code == 0, res.err
    assert "Add discount codes to the cart total" in res.out
    assert "total() subtracts the discount of a code" in res.out and "ignored" not in res.out
    assert "`pricing`" in res.out and "bad label" not in res.out
    assert "with a model" in res.out
    (request,) = openai_server.requests
    prompt = json.dumps(request.body["messages"])
    assert SECRET not in prompt and "REDACTED" in prompt and "src/shop/discounts.py" in prompt
    again = describe(capsys, repo, *model_args(openai_server, repo))
    assert again.out == res.out and len(openai_server.requests) == 1  # from the cache
    check_flowchart(mermaid_blocks(res.out)[0])


def test_invalid_answer_is_asked_again_once(repo, openai_server, capsys) -> None:
    openai_server.enqueue(
        Response(content='{"title": "x", "type": "feature", "extra": 1}'),
        Response(content=json.dumps(ANSWER)),
    )
    res = describe(capsys, repo, *model_args(openai_server, repo))
    assert res.code == 0 and "Add discount codes" in res.out
    assert len(openai_server.requests) == 2
    assert "could not be used" in json.dumps(openai_server.requests[1].body["messages"][-1])


def test_a_failing_model_leaves_the_walkthrough_and_exits_3(repo, openai_server, capsys) -> None:
    openai_server.responder = lambda body: Response(content="not json at all")
    res = describe(capsys, repo, *model_args(openai_server, repo))
    assert res.code == EXIT_INCOMPLETE
    assert "### Walkthrough" in res.out and "No model text" in res.out
    assert "invalid twice" in res.err
