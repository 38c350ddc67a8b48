from __future__ import annotations

import re
import textwrap

import pytest

from prreview.context.cache import ContextCache, ContextLimits, SourceTree
from prreview.context.gather import ContextRequest, gather_context, gather_context_many
from prreview.context.symbols import changed_symbols
from prreview.models import Snippet
from tests.textdiff import make_change


class DictTree(SourceTree):
    """An in-memory revision: path -> text; grep is a whole-word fixed-string match."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files = dict(files)
        self.grep_calls: list[list[str]] = []

    def read_text(self, path: str) -> str | None:
        return self.files.get(path)

    def read_bytes(self, path: str) -> bytes | None:
        text = self.files.get(path)
        return text.encode() if text is not None else None

    def ls_files(self) -> list[str]:
        return list(self.files)

    def grep(
        self, words: list[str], paths: list[str] | None = None
    ) -> dict[str, list[tuple[str, int, str]]]:
        self.grep_calls.append(list(words))
        out: dict[str, list[tuple[str, int, str]]] = {}
        for word in words:
            pattern = re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")
            for path in paths if paths is not None else self.files:
                for number, line in enumerate(self.files[path].split("\n"), start=1):
                    if pattern.search(line):
                        out.setdefault(word, []).append((path, number, line))
        return out


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


BILLING_OLD = _src(
    """
    from lib.tax import compute_tax


    def invoice_total(amount, rate):
        subtotal = amount
        return subtotal


    def unrelated():
        return 0
    """
)
BILLING_NEW = BILLING_OLD.replace(
    "    return subtotal\n",
    "    tax = compute_tax(amount, rate)\n    return subtotal + tax\n",
)
TAX = _src(
    """
    TAX_FLOOR = 0


    def compute_tax(rate, amount):
        \"\"\"Tax for `amount` at `rate` (note the order of the arguments).\"\"\"
        return max(TAX_FLOOR, rate * amount)
    """
)
REPO = {
    "app/billing.py": BILLING_NEW,
    "lib/tax.py": TAX,
    "app/orders.py": _src(
        """
        from app.billing import invoice_total


        def place(order):
            log(order)
            total = invoice_total(order.amount, order.rate)
            save(order, total)
            notify(order)
            return total
        """
    ),
    "app/refunds.py": "from app.billing import invoice_total\n\nx = invoice_total(1, 2)\n",
    "tests/test_billing.py": _src(
        """
        from app.billing import invoice_total


        def test_total_adds_tax():
            assert invoice_total(100, 0.2) == 120


        def test_other():
            assert True
        """
    ),
    "tests/test_checkout.py": _src(
        """
        import app.billing as billing


        def test_checkout():
            assert billing.invoice_total(1, 0) == 1
        """
    ),
    "tests/fakes.py": "def compute_tax(a, b):\n    return 0\n",
    "REVIEW.md": "# Review rules\n\nMoney is Decimal, never float.\n",
    ".github/CONTRIBUTING.md": "# Contributing\n\nRun the tests.\n",
}


def _billing_context(
    tree: DictTree, limits: ContextLimits = ContextLimits(), cache: ContextCache | None = None
) -> list[Snippet]:
    change = make_change("app/billing.py", BILLING_OLD, BILLING_NEW, "python")
    symbols = changed_symbols(change, BILLING_OLD, BILLING_NEW)
    return gather_context(
        change,
        old_text=BILLING_OLD,
        new_text=BILLING_NEW,
        head=tree,
        symbols=symbols,
        limits=limits,
        cache=cache,
    )


def _kinds(snippets: list[Snippet], kind: str) -> list[Snippet]:
    return [s for s in snippets if s.kind == kind]


def test_callee_defined_in_another_file_is_returned() -> None:
    snippets = _billing_context(DictTree(REPO))
    definitions = _kinds(snippets, "definition")
    callee = [s for s in definitions if s.path == "lib/tax.py"]
    assert len(callee) == 1, definitions
    assert callee[0].text.startswith("def compute_tax(rate, amount):")
    assert (callee[0].start_line, callee[0].end_line) == (4, 6)
    assert "compute_tax" in callee[0].label
    # the same name in a test helper is not a definition the production code calls
    assert all(not s.path.startswith("tests/") for s in definitions)


def test_enclosing_signature_then_body_and_no_old_version_of_a_modified_function() -> None:
    snippets = _billing_context(DictTree(REPO))
    enclosing = _kinds(snippets, "enclosing")
    assert [(s.path, s.start_line, s.end_line) for s in enclosing] == [
        ("app/billing.py", 4, 4),
        ("app/billing.py", 4, 7),
    ]
    assert enclosing[0].label == "signature of function invoice_total"
    assert enclosing[1].text == "\n".join(BILLING_NEW.split("\n")[3:7])
    # the old version is the new one plus the diff: never sent for a modified function
    assert _kinds(snippets, "old_version") == []


def test_call_sites_of_changed_function() -> None:
    snippets = _billing_context(DictTree(REPO))
    sites = _kinds(snippets, "call_site")
    assert [(s.path, s.start_line, s.end_line) for s in sites] == [
        ("app/orders.py", 4, 9),
        ("app/refunds.py", 1, 3),
    ]
    assert sites[0].text.startswith("def place(order):"), "a short caller is sent whole"
    assert "invoice_total(order.amount, order.rate)" in sites[0].text
    windowed = _billing_context(DictTree(REPO), ContextLimits(max_caller_lines=2))
    assert next((s.start_line, s.end_line) for s in _kinds(windowed, "call_site")) == (3, 9)
    assert all("call site of invoice_total" in s.label for s in sites)
    limited = _billing_context(DictTree(REPO), ContextLimits(max_call_sites=1))
    assert [s.path for s in _kinds(limited, "call_site")] == ["app/orders.py"]


def test_tests_found_by_name_and_by_import() -> None:
    snippets = _billing_context(DictTree(REPO))
    tests = _kinds(snippets, "test")
    assert [(s.path, s.start_line, s.end_line) for s in tests] == [
        ("tests/test_billing.py", 4, 5),
        ("tests/test_checkout.py", 4, 5),
    ]
    assert tests[0].text.startswith("def test_total_adds_tax():")
    assert "named after app/billing.py" in tests[0].label
    assert "imports billing" in tests[1].label


def test_a_test_file_that_uses_none_of_the_changed_names_is_not_sent() -> None:
    repo = dict(REPO)
    repo["tests/test_billing.py"] = "import app.billing\n\n\ndef test_smoke():\n    assert app\n"
    tests = _kinds(_billing_context(DictTree(repo)), "test")
    assert "tests/test_billing.py" not in [s.path for s in tests]


def test_tests_by_js_and_go_conventions() -> None:
    js_old = "export function sum(a, b) {\n  return a + b;\n}\n"
    js_new = js_old.replace("a + b", "a - b")
    go_old = "package calc\n\nfunc Mul(a, b int) int {\n\treturn a * b\n}\n"
    go_new = go_old.replace("a * b", "a + b")
    tree = DictTree(
        {
            "web/sum.js": js_new,
            "web/__tests__/sum.js": "import { sum } from '../sum';\ntest('adds', () => {\n  expect(sum(1, 2)).toBe(3);\n});\n",
            "web/other.spec.ts": "it('x', () => {});\n",
            "calc/mul.go": go_new,
            "calc/ops_test.go": "package calc\n\nfunc TestOps(t *testing.T) {\n\t_ = Mul(2, 3)\n}\n",
        }
    )
    requests = []
    for path, old, new, lang in (
        ("web/sum.js", js_old, js_new, "javascript"),
        ("calc/mul.go", go_old, go_new, "go"),
    ):
        change = make_change(path, old, new, lang)
        symbols = tuple(changed_symbols(change, old, new))
        requests.append(ContextRequest(file=change, old_text=old, new_text=new, symbols=symbols))
    js, go = gather_context_many(requests, head=tree)
    assert [s.path for s in _kinds(js, "test")] == ["web/__tests__/sum.js"]
    assert [(s.path, s.start_line) for s in _kinds(go, "test")] == [("calc/ops_test.go", 3)]
    assert len(tree.grep_calls) == 1


def test_guidelines() -> None:
    repo = dict(REPO)
    long_guide = [
        "# Contributing",
        *[f"intro {i}" for i in range(80)],
        "## Code style",
        "Use black.",
    ]
    long_guide += ["## Releasing", "Tag it."]
    repo[".github/CONTRIBUTING.md"] = "\n".join(long_guide)
    repo["app/AGENTS.md"] = "Agents: keep functions small.\n"
    guides = _kinds(_billing_context(DictTree(repo)), "guideline")
    assert [s.path for s in guides] == ["REVIEW.md", "app/AGENTS.md", ".github/CONTRIBUTING.md"]
    assert guides[0].text == "# Review rules\n\nMoney is Decimal, never float."
    assert guides[2].text == "## Code style\nUse black."
    assert (guides[2].start_line, guides[2].end_line) == (82, 83)


def _ambiguity_repo(copies: int) -> dict[str, str]:
    repo = {"app/billing.py": BILLING_NEW}
    for i in range(copies):
        repo[f"lib{i}/tax.py"] = f"def compute_tax(rate, amount):\n    return {i}\n"
    return repo


def test_names_defined_too_often_are_skipped() -> None:
    three = _kinds(_billing_context(DictTree(_ambiguity_repo(3))), "definition")
    assert sorted(s.path for s in three) == ["lib0/tax.py", "lib1/tax.py", "lib2/tax.py"]
    four = _kinds(_billing_context(DictTree(_ambiguity_repo(4))), "definition")
    assert [s for s in four if "compute_tax" in s.label] == []


def test_priority_order_and_one_grep_per_file() -> None:
    tree = DictTree(REPO)
    snippets = _billing_context(tree)
    order = ["enclosing", "definition", "call_site", "test", "guideline"]
    ranks = [order.index(s.kind) for s in snippets]
    assert ranks == sorted(ranks) and set(ranks) == set(range(len(order)))
    assert len(tree.grep_calls) == 1


def test_deterministic() -> None:
    first = _billing_context(DictTree(REPO))
    shuffled = DictTree(dict(reversed(list(REPO.items()))))
    assert _billing_context(shuffled) == first
    cache = ContextCache(shuffled)
    assert _billing_context(shuffled, cache=cache) == first
    assert _billing_context(shuffled, cache=cache) == first


def test_cache_must_belong_to_the_tree() -> None:
    with pytest.raises(ValueError, match="another SourceTree"):
        _billing_context(DictTree(REPO), cache=ContextCache(DictTree({})))


def test_same_file_definition_and_truncation() -> None:
    body = "\n".join(f"    step{i} = {i}" for i in range(100))
    old = f"def helper(x):\n{body}\n    return x\n\n\ndef run(v):\n    return v\n"
    new = old.replace("    return v\n", "    return helper(v)\n")
    change = make_change("app/job.py", old, new, "python")
    snippets = gather_context(
        change,
        old_text=old,
        new_text=new,
        head=DictTree({"app/job.py": new}),
        symbols=changed_symbols(change, old, new),
    )
    (definition,) = _kinds(snippets, "definition")
    assert (definition.path, definition.start_line, definition.end_line) == ("app/job.py", 1, 30)
    assert "truncated" in definition.label


def test_huge_class_gives_header_and_changed_method() -> None:
    methods = "\n".join(f"    def m{i}(self):\n        return {i}\n" for i in range(120))
    old = f"class Big:\n    '''Doc.'''\n    limit = 3\n\n{methods}"
    new = old.replace("        return 77\n", "        return 78\n")
    change = make_change("app/big.py", old, new, "python")
    snippets = gather_context(
        change,
        old_text=old,
        new_text=new,
        head=DictTree({"app/big.py": new}),
        symbols=changed_symbols(change, old, new),
    )
    enclosing = _kinds(snippets, "enclosing")
    assert [(s.start_line, s.end_line, s.label) for s in enclosing] == [
        (1, 1, "class header of Big"),
        (5 + 3 * 77, 5 + 3 * 77, "signature of method Big.m77"),
        (5 + 3 * 77, 6 + 3 * 77, "method Big.m77 (modified)"),
    ]
    assert _kinds(snippets, "old_version") == []


def test_typescript_callee_in_another_file() -> None:
    old = "import { applyDiscount } from './pricing/discount';\n\nexport function checkout(total: number) {\n  return total;\n}\n"
    new = old.replace("  return total;", "  return applyDiscount(total, 0.1);")
    tree = DictTree(
        {
            "src/cart.ts": new,
            "src/pricing/discount.ts": "export const applyDiscount = (rate: number, total: number): number =>\n  total * (1 - rate);\n",
        }
    )
    change = make_change("src/cart.ts", old, new, "typescript")
    snippets = gather_context(
        change, old_text=old, new_text=new, head=tree, symbols=changed_symbols(change, old, new)
    )
    (definition,) = _kinds(snippets, "definition")
    assert definition.path == "src/pricing/discount.ts"
    assert definition.text.startswith("export const applyDiscount = (rate: number")


def test_callers_of_a_deleted_function_and_renamed_old_path() -> None:
    old = "def keep():\n    return 1\n\n\ndef legacy(x):\n    return x\n"
    new = "def keep():\n    return 1\n"
    tree = DictTree(
        {"app/new_name.py": new, "app/user.py": "from app.new_name import legacy\n\nlegacy(3)\n"}
    )
    change = make_change("app/new_name.py", old, new, "python", old_path="app/old_name.py")
    symbols = changed_symbols(change, old, new)
    assert [(s.qualified_name, s.change) for s in symbols] == [("legacy", "deleted")]
    snippets = gather_context(change, old_text=old, new_text=new, head=tree, symbols=symbols)
    assert [(s.kind, s.path, s.start_line) for s in snippets if s.kind != "guideline"] == [
        ("old_version", "app/old_name.py", 5),
        ("call_site", "app/user.py", 1),
    ]


def test_new_file_has_no_old_version_and_binary_files_have_no_context() -> None:
    new = "def fresh(a):\n    return compute_tax(a, 1)\n"
    change = make_change("app/fresh.py", None, new, "python")
    snippets = gather_context(
        change,
        old_text=None,
        new_text=new,
        head=DictTree({**REPO, "app/fresh.py": new}),
        symbols=changed_symbols(change, None, new),
    )
    assert [s.kind for s in snippets if s.kind in ("enclosing", "old_version")] == [
        "enclosing",
        "enclosing",
    ]
    assert any(s.kind == "definition" and s.path == "lib/tax.py" for s in snippets)
    binary = change.model_copy(update={"is_binary": True})
    assert (
        gather_context(binary, old_text=None, new_text=new, head=DictTree(REPO), symbols=[]) == []
    )


def test_word_budget_limits_greps() -> None:
    tree = DictTree(REPO)
    snippets = _billing_context(tree, ContextLimits(max_total_words=1))
    assert tree.grep_calls == [["invoice_total"]]
    assert {s.kind for s in snippets} == {
        "enclosing",
        "call_site",
        "test",
        "guideline",
    }
    nothing = DictTree(REPO)
    snippets = _billing_context(nothing, ContextLimits(max_total_words=0))
    assert nothing.grep_calls == []
    assert [s.path for s in snippets if s.kind == "test"] == ["tests/test_billing.py"]


def _js_context(tree: DictTree, path: str, old: str, new: str) -> list[Snippet]:
    change = make_change(path, old, new, "javascript")
    return gather_context(
        change, old_text=old, new_text=new, head=tree, symbols=changed_symbols(change, old, new)
    )


SERVER_OLD = _src(
    """
    var path = require('path');
    var app = exports = module.exports = {};

    app.mount = function mount(path, handler) {
      var target;
      if (handler && handler.listen) {
        target = handler;
        target.root = normalize(handler);
      }
      return this;
    };
    """
)
SERVER_NEW = SERVER_OLD.replace(
    "target.root = normalize(handler);", "target.root = path || handler.base;"
)


def test_assigned_function_is_the_enclosing_context_and_its_parameters_are_not_looked_up() -> None:
    tree = DictTree(
        {
            "lib/server.js": SERVER_NEW,
            "lib/view.js": "var path = require('path');\nexports.x = 1;\n",
            "lib/paths.js": "function path(parts) {\n  return parts.join('/');\n}\n",
            "lib/target.js": "function target() {\n  return 1;\n}\n",
            "lib/handler.js": "function handler() {\n  return 1;\n}\n",
        }
    )
    snippets = _js_context(tree, "lib/server.js", SERVER_OLD, SERVER_NEW)
    signature, enclosing = _kinds(snippets, "enclosing")
    assert (signature.start_line, signature.end_line) == (4, 4)
    assert enclosing.label == "function app.mount (modified)"
    assert (enclosing.start_line, enclosing.end_line) == (4, 11)
    assert "var target;" in enclosing.text
    assert _kinds(snippets, "definition") == []


def test_names_bound_to_modules_are_not_looked_up() -> None:
    old = "var fs = require('fs');\nvar helpers = require('./helpers');\n\nexports.x = 1;\n"
    new = old.replace("exports.x = 1;", "exports.x = fs.read(helpers.pick(Config));")
    tree = DictTree(
        {
            "lib/io.js": new,
            "lib/fake.js": "function fs() {\n  return 0;\n}\n",
            "lib/other.js": "var helpers = require('./helpers');\n",
            "lib/config.js": "var Config = require('./defaults');\nclass Config {}\n",
        }
    )
    definitions = _kinds(_js_context(tree, "lib/io.js", old, new), "definition")
    imports = [(d.label, d.text) for d in definitions if d.label.startswith("import of")]
    assert imports == [
        ("import of fs", "var fs = require('fs');"),
        ("import of helpers", "var helpers = require('./helpers');"),
    ], "the binding itself says what the name is"
    others = [(d.path, d.text) for d in definitions if not d.label.startswith("import of")]
    assert others == [("lib/config.js", "class Config {}")]
    py_old = "import os.path\nimport json as j\n\n\nX = 1\n"
    py_new = py_old.replace("X = 1", "X = os.sep + j.dumps(1)")
    py_tree = DictTree(
        {"app/x.py": py_new, "app/y.py": "def os():\n    pass\n\n\ndef j():\n    pass\n"}
    )
    change = make_change("app/x.py", py_old, py_new, "python")
    py = gather_context(
        change,
        old_text=py_old,
        new_text=py_new,
        head=py_tree,
        symbols=changed_symbols(change, py_old, py_new),
    )
    assert [d.label for d in _kinds(py, "definition")] == ["import of os"]  # `j`: too short


def test_functions_assigned_to_exports_and_prototypes_are_found_by_name() -> None:
    old = "var view = require('./view');\n\nfunction show(page) {\n  return page;\n}\n"
    new = old.replace("  return page;", "  return view.render(page).pad();")
    tree = DictTree(
        {
            "lib/show.js": new,
            "lib/view.js": "// Renders a page.\nexports.render = function (page) {\n  return page;\n};\n",
            "lib/text.js": "Text.prototype.pad = function pad() {\n  return this;\n};\n",
        }
    )
    found = _kinds(_js_context(tree, "lib/show.js", old, new), "definition")
    definitions = [d for d in found if not d.label.startswith("import of")]
    assert [(d.path, d.start_line, d.end_line, d.label) for d in definitions] == [
        ("lib/view.js", 1, 4, "definition of function render"),
        ("lib/text.js", 1, 3, "definition of pad: method Text.pad"),
    ]
