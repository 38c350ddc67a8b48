"""call_resolves: a call counts as a caller of a changed symbol only when its receiver fits."""

from __future__ import annotations

import pytest

from prreview.context.resolve import call_receivers, call_resolves
from prreview.models import Symbol

JOIN = Symbol(path="app/queues.py", kind="method", name="join", qualified_name="Queue.join",
              change="modified", new_start=5, new_end=6)  # fmt: skip
TAX = Symbol(path="lib/tax.py", kind="function", name="compute_tax", qualified_name="compute_tax",
             change="modified", new_start=1, new_end=2)  # fmt: skip
VALIDATE = Symbol(path="cmd/command.go", kind="method", name="Validate",
                  qualified_name="Command.Validate", change="modified", new_start=7, new_end=9)  # fmt: skip
STATUS = Symbol(path="lib/response.js", kind="function", name="status",
                qualified_name="res.status", change="modified", new_start=3, new_end=6)  # fmt: skip


def test_receivers() -> None:
    assert call_receivers('x = " ".join(parts)', "join") == [""]
    assert call_receivers("self._queue.join(1) or join(2)", "join") == ["self._queue", None]
    assert call_receivers("queue.joined()", "join") == []


@pytest.mark.parametrize(
    ("text", "lines", "path", "expected"),
    [
        ('return " ".join(parts)', [], "app/format.py", False),
        ("return '.'.join(str(p) for p in parts)", [], "app/format.py", False),
        ("return sep.join(parts)", [], "app/format.py", False),
        ("return queue.join(timeout=1)", [], "app/worker.py", True),
        ("self._queue.join()", [], "app/worker.py", True),
        ("q.join()", ["q = Queue()"], "app/worker.py", True),
        ("q.join()", ["def f(q: Queue):"], "app/worker.py", True),
        ("q.join()", ["q = make()"], "app/worker.py", False),
        ("self.join()", [], "app/queues.py", True),
        ("self.join()", ["class Other:"], "app/other.py", False),
        ("self.join()", ["class Sub(Queue):"], "app/sub.py", True),
        ("Queue.join(q)", [], "app/worker.py", True),
    ],
)
def test_method_callers(text: str, lines: list[str], path: str, expected: bool) -> None:
    assert (
        call_resolves(text, "join", JOIN, path, [*lines, text], len(lines) + 1, False) is expected
    )


def test_a_unique_distinctive_name_resolves_through_any_receiver_but_a_common_one_does_not() -> (
    None
):
    assert call_resolves("obj.join()", "join", JOIN, "a.py", ["obj.join()"], 1, True) is False
    refresh = JOIN.model_copy(
        update={"name": "refresh_index", "qualified_name": "Queue.refresh_index"}
    )
    assert call_resolves("obj.refresh_index()", "refresh_index", refresh, "a.py", [], 1, True)
    assert not call_resolves("obj.refresh_index()", "refresh_index", refresh, "a.py", [], 1, False)


def test_go_receiver_and_js_object_function() -> None:
    lines = ["func Run(c *Command) error {", "\tif err := c.Validate(); err != nil {"]
    assert call_resolves(lines[1], "Validate", VALIDATE, "cmd/run.go", lines, 2, False)
    other = ["func Check(f *Flag) error {", "\treturn f.Validate()"]
    assert not call_resolves(other[1], "Validate", VALIDATE, "cmd/flag.go", other, 2, False)
    assert call_resolves("res.status(404);", "status", STATUS, "lib/router.js", [], 1, False)
    assert not call_resolves("out.status(404);", "status", STATUS, "lib/router.js", [], 1, False)


def test_functions_resolve_bare_or_through_their_module() -> None:
    assert call_resolves("t = compute_tax(a, r)", "compute_tax", TAX, "app/b.py", [], 1, False)
    assert call_resolves("t = tax.compute_tax(a)", "compute_tax", TAX, "app/b.py", [], 1, False)
    js = ["var t = require('../lib/tax');", "t.compute_tax(1)"]
    assert call_resolves(js[1], "compute_tax", TAX, "app/b.js", js, 2, False)
    assert not call_resolves("other.compute_tax(a)", "compute_tax", TAX, "app/b.py", [], 1, False)
