from __future__ import annotations

import pytest

from prreview.checks import run_checks
from prreview.checks.debug import DebugCheck
from tests.checks_support import make_file


def ids(path: str, lines: list[str], language: str | None = None) -> list[tuple[str, int]]:
    file = make_file(path, lines, language=language)
    return [(f.rule_id, f.start_line) for f in DebugCheck().check(file)]


@pytest.mark.parametrize(
    ("path", "line", "rule_id"),
    [
        ("pkg/mod.py", "    breakpoint()", "debug/breakpoint"),
        ("pkg/mod.py", "import pdb; pdb.set_trace()", "debug/breakpoint"),
        ("pkg/mod.py", "import ipdb", "debug/breakpoint"),
        ("pkg/mod.py", "from pudb import set_trace", "debug/breakpoint"),
        ("pkg/mod.py", "    print(value)", "debug/print"),
        ("src/app.ts", "  debugger;", "debug/breakpoint"),
        ("src/app.jsx", "if (x) { debugger }", "debug/breakpoint"),
        ("src/app.js", "  console.log(user);", "debug/print"),
        ("pkg/server.go", "\tspew.Dump(req)", "debug/dump"),
        ("pkg/server.go", "\tfmt.Println(req)", "debug/print"),
        ("app/models/user.rb", "    binding.pry", "debug/breakpoint"),
        ("app/models/user.rb", "    byebug", "debug/breakpoint"),
        ("src/Controller.php", "    var_dump($user);", "debug/dump"),
        ("src/Controller.php", "    dd($request);", "debug/dump"),
        ("src/main/java/App/Service.java", "System.out.println(x);", "debug/print"),
        ("src/lib.rs", "    let y = dbg!(x * 2);", "debug/dump"),
    ],
)
def test_debug_leftovers(path: str, line: str, rule_id: str) -> None:
    [f] = list(DebugCheck().check(make_file(path, ["ok = 1", line])))
    assert (f.rule_id, f.start_line) == (rule_id, 2)
    assert f.start_column is not None and f.end_column is not None
    assert f.start_column <= f.end_column


def test_print_is_low_severity_and_low_confidence() -> None:
    [f] = list(DebugCheck().check(make_file("pkg/mod.py", ["print(x)"])))
    assert f.severity == "low" and f.confidence == 0.5
    [b] = list(DebugCheck().check(make_file("pkg/mod.py", ["breakpoint()"])))
    assert b.severity == "medium" and b.confidence > 0.5


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("pkg/mod.py", "# print(x)"),
        ("pkg/mod.py", "self.print(x)"),
        ("pkg/mod.py", "pprint(x)"),
        ("pkg/mod.py", "logger.debug('breakpoint() reached')"),
        ("pkg/mod.py", "def breakpoint(self):"),
        ("pkg/mod.py", "import pdbx"),
        ("src/app.js", "// console.log(user);"),
        ("src/app.js", "logger.console.log(x)"),
        ("src/app.js", "const debuggerEnabled = true;"),
        ("src/app.js", "console.error(err);"),
        ("pkg/server.go", '\tfmt.Printf("%d\\n", n)'),
        ("src/Controller.php", "    $this->add($x);"),
        ("src/lib.rs", '    println!("{}", x);'),
        ("src/main.c", 'printf("debug %d", x);'),
    ],
)
def test_not_debug_leftovers(path: str, line: str) -> None:
    assert ids(path, [line]) == []


@pytest.mark.parametrize(
    "path",
    [
        "tests/test_mod.py",
        "scripts/release.py",
        "examples/demo.py",
        "bin/tool.py",
        "pkg/cli.py",
        "pkg/__main__.py",
        "src/app.test.js",
        "cmd/server/main.go",
        "docs/conf.py",
    ],
)
def test_print_allowed_in_scripts_and_tests(path: str) -> None:
    line = "console.log(x)" if path.endswith(".js") else "print(x)"
    if path.endswith(".go"):
        line = "fmt.Println(x)"
    assert ids(path, [line]) == []


def test_breakpoints_still_reported_in_tests() -> None:
    assert ids("tests/test_mod.py", ["breakpoint()"]) == [("debug/breakpoint", 1)]


def test_language_field_wins_over_extension() -> None:
    assert ids("tools/Rakefile", ["binding.pry"], language="ruby") == [("debug/breakpoint", 1)]
    assert ids("Makefile", ["breakpoint()"]) == []


def test_debug_skips_unreviewable_files() -> None:
    file = make_file("vendor/lib.py", ["breakpoint()"], skip_reason="vendored")
    assert run_checks([file]) == []
