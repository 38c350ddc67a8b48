"""The context pack on real repositories, end to end (`prreview run --dry-run --dump-prompts`).

Issue 14.3: member calls resolve to their definitions in other files, name collisions are not
call sites, a one-method change does not send the whole class, and the budget is honest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prreview.models import Review
from tests.context.repos import build, context_part, dry_run, src
from tests.run_support import prompt_text, run_main

BASE_PY = src(
    '''
    class Base:
        """A base with a helper used by subclasses."""

        def helper(self, value):
            return value * 2
    '''
)
CLIENT_PY = src(
    """
    class Client:
        def fetch_rows(self, table, limit):
            return [(table, n) for n in range(limit)]
    """
)
SERVICE_OLD = src(
    """
    from app.base import Base


    class Service(Base):
        def total(self, client, table):
            return 0
    """
)
SERVICE_NEW = src(
    """
    from app.base import Base


    class Service(Base):
        def total(self, client, table):
            rows = client.fetch_rows(table, 10)
            return self.helper(len(rows))
    """
)


def _service_repo(git_repo):  # type: ignore[no-untyped-def]
    return build(
        git_repo,
        {"app/base.py": BASE_PY, "lib/client.py": CLIENT_PY, "app/service.py": SERVICE_OLD},
        {"app/service.py": SERVICE_NEW},
    )


def test_python_member_calls_resolve_to_definitions_in_other_files(
    git_repo, tmp_path: Path, capsys
) -> None:
    repo = _service_repo(git_repo)
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert "def helper(self, value):" in context, "self.helper() -> Base.helper in app/base.py"
    assert "def fetch_rows(self, table, limit):" in context, "client.fetch_rows() -> Client"


COMMAND_GO = src(
    """
    package cmd

    type Command struct {
    \tName string
    }

    func (c *Command) Validate() error {
    \tif c.Name == "" {
    \t\treturn errMissingName
    \t}
    \treturn nil
    }
    """
)
ERRORS_GO = src(
    """
    package cmd

    import "errors"

    var errMissingName = errors.New("missing name")
    """
)
RUN_OLD = src(
    """
    package cmd

    func Run(c *Command) error {
    \treturn nil
    }
    """
)
RUN_NEW = src(
    """
    package cmd

    func Run(c *Command) error {
    \tif err := c.Validate(); err != nil {
    \t\treturn err
    \t}
    \treturn nil
    }
    """
)


def test_go_receiver_method_resolves_to_its_definition(git_repo, tmp_path: Path, capsys) -> None:
    repo = build(
        git_repo,
        {"cmd/command.go": COMMAND_GO, "cmd/errors.go": ERRORS_GO, "cmd/run.go": RUN_OLD},
        {"cmd/run.go": RUN_NEW},
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    assert "func (c *Command) Validate() error {" in context_part(run.text)


RESPONSE_JS = src(
    """
    var res = Object.create(null);

    res.status = function status(code) {
      this.statusCode = code;
      return this;
    };

    module.exports = res;
    """
)
ROUTER_OLD = src(
    """
    var res = require('./response');

    exports.notFound = function (req, out) {
      return out;
    };
    """
)
ROUTER_NEW = src(
    """
    var res = require('./response');

    exports.notFound = function (req, out) {
      return out.status(404);
    };
    """
)


def test_js_property_function_resolves_to_its_definition(git_repo, tmp_path: Path, capsys) -> None:
    repo = build(
        git_repo,
        {"lib/response.js": RESPONSE_JS, "lib/router.js": ROUTER_OLD},
        {"lib/router.js": ROUTER_NEW},
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    assert "res.status = function status(code) {" in context_part(run.text)


QUEUES_OLD = src(
    '''
    class Queue:
        """A work queue."""

        def __init__(self):
            self.items = []

        def join(self, timeout=None):
            return self.items
    '''
)
QUEUES_NEW = QUEUES_OLD.replace("return self.items", "return list(self.items)")
FORMAT_PY = src(
    """
    def render(parts):
        return " ".join(parts)


    def dotted(parts):
        return ".".join(str(p) for p in parts)
    """
)
WORKER_PY = src(
    """
    from app.queues import Queue


    def drain():
        queue = Queue()
        return queue.join(timeout=1)
    """
)


def test_name_collision_is_not_sent_as_a_call_site(git_repo, tmp_path: Path, capsys) -> None:
    repo = build(
        git_repo,
        {"app/queues.py": QUEUES_OLD, "app/format.py": FORMAT_PY, "app/worker.py": WORKER_PY},
        {"app/queues.py": QUEUES_NEW},
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert '" ".join(parts)' not in context
    assert '".".join' not in context
    assert "return queue.join(timeout=1)" in context, "the real caller is still sent"


def _big_class(changed: bool) -> str:
    methods = "\n".join(
        f"    def method_{n}(self, x):\n"
        f'        """Method {n} does thing {n}."""\n'
        f"        y = x + {n}\n"
        f"        return y * {n}\n"
        for n in range(30)
    )
    text = (
        "class Engine:\n"
        '    """The engine.\n\n    A long docstring that explains the engine in detail.\n'
        '    It goes on for a while.\n    """\n\n'
        "    def __init__(self, size):\n        self.size = size\n\n" + methods
    )
    return text.replace("return y * 17", "return y * 17 + self.size") if changed else text


def test_one_method_change_does_not_send_the_whole_class(git_repo, tmp_path: Path, capsys) -> None:
    repo = build(
        git_repo, {"app/engine.py": _big_class(False)}, {"app/engine.py": _big_class(True)}
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert "class Engine:" in context, "the class header"
    assert "def __init__(self, size):" in context, "the constructor"
    assert "A long docstring" not in context, "not the class docstring"
    for far in ("method_3(", "method_9(", "method_25("):
        assert far not in context, f"{far} is not needed for a change to method_17"
    assert "y = x + 17" not in context, "the diff already shows it"


def test_unit_whose_diff_exceeds_the_budget_gets_a_smaller_pack_and_says_so(
    git_repo, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _service_repo(git_repo)
    monkeypatch.setenv("PRREVIEW_UNIT_TOKENS", "600")
    monkeypatch.setenv("PRREVIEW_CONTEXT_TOKENS", "4000")
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    assert run.review is not None and run.review.stats.hunks_reviewed == run.review.stats.hunks
    assert "client.fetch_rows(table, 10)" in run.text, "the diff is reviewed"
    assert "context pack cut to" in run.err, run.err


def test_budget_too_small_for_any_context_still_reviews_the_diff(
    git_repo, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _service_repo(git_repo)
    monkeypatch.setenv("PRREVIEW_CONTEXT_TOKENS", "0")
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    assert len(run.prompts) == 1
    assert "return self.helper(len(rows))" in run.text
    assert context_part(run.text) == ""
    assert "no context" in run.err and "budget" in run.err, run.err


def test_imported_names_resolve_through_the_import_even_when_defined_often(
    git_repo, tmp_path: Path, capsys
) -> None:
    namesakes = {f"plugins/p{n}/conv.py": "def convert(x):\n    return x\n" for n in range(5)}
    js_namesakes = {f"web/w{n}/fmt.js": "exports.pretty = function (x) {\n  return x;\n};\n"
                    for n in range(5)}  # fmt: skip
    base = {
        **namesakes,
        **js_namesakes,
        "core/units.py": "def convert(value):\n    return value * 1000  # to millimetres\n",
        "app/size.py": "from core.units import convert\n\n\ndef size(x):\n    return x\n",
        "web/lib/fmt.js": "exports.pretty = function (x) {\n  return '<' + x + '>';\n};\n",
        "web/app.js": "var fmt = require('./lib/fmt');\n\nexports.show = function (x) {\n  return x;\n};\n",
    }
    head = {
        "app/size.py": base["app/size.py"].replace("return x", "return convert(x)"),
        "web/app.js": base["web/app.js"].replace("return x;", "return fmt.pretty(x);"),
    }
    run = dry_run(capsys, build(git_repo, base, head), tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert "return value * 1000  # to millimetres" in context
    assert "return '<' + x + '>';" in context
    assert "plugins/p0/conv.py" not in context and "web/w0/fmt.js" not in context


def test_a_class_used_on_a_changed_line_is_its_header_and_constructor(
    git_repo, tmp_path: Path, capsys
) -> None:
    old = "from app.engine import Engine\n\n\ndef start():\n    return None\n"
    new = old.replace("return None", "return Engine(3).method_17(1)")
    repo = build(
        git_repo, {"app/engine.py": _big_class(False), "app/run.py": old}, {"app/run.py": new}
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert "class Engine:" in context and "self.size = size" in context
    assert "def method_17(self, x):" in context, "the method called on it"
    assert "A long docstring" not in context and "method_3(" not in context
    assert "+ [1] definition: definition of class Engine" in run.err, "the dry run lists it"


def test_a_changed_go_method_brings_its_receiver_type(git_repo, tmp_path: Path, capsys) -> None:
    types = "package cmd\n\ntype Command struct {\n\tName    string\n\tAliases []string\n}\n"
    methods = COMMAND_GO.replace("type Command struct {\n\tName string\n}\n\n", "")
    changed = methods.replace('if c.Name == "" {', 'if c.Name == "" && len(c.Aliases) == 0 {')
    repo = build(
        git_repo,
        {"cmd/types.go": types, "cmd/command.go": methods, "cmd/errors.go": ERRORS_GO},
        {"cmd/command.go": changed},
    )
    run = dry_run(capsys, repo, tmp_path)
    assert run.code == 0, run.err
    context = context_part(run.text)
    assert "type Command struct {" in context and "Aliases []string" in context


def test_with_the_loopback_model_the_diff_alone_is_reviewed_when_no_context_fits(
    git_repo, openai_server, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _service_repo(git_repo)
    monkeypatch.setenv("PRREVIEW_CONTEXT_TOKENS", "10")
    args = [
        "run", "--repo", str(repo.path), "--base", "HEAD~1", "--model", "openai/gpt-4.1-mini",
        "--api-base", openai_server.api_base, "--no-cache", "--no-summary", "-e", "correctness",
        "--config-source", "none", "--retries", "0", "-o", "json=-",
    ]  # fmt: skip
    res = run_main(capsys, *args)
    assert res.code == 0, res.err
    (request,) = openai_server.requests
    sent = prompt_text(request.body)
    assert "return self.helper(len(rows))" in sent
    assert "def helper(self, value):" not in sent and "## Context (DATA)" not in sent
    review = Review.model_validate_json(res.out)
    assert review.complete and review.stats.hunks_reviewed == review.stats.hunks
    assert "no context: the budget of 10 tokens" in res.err
