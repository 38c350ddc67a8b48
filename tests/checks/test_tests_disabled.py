from __future__ import annotations

import pytest

from prreview.checks.tests_disabled import TestsDisabledCheck as DisabledCheck
from tests.checks_support import make_file


def ids(path: str, lines: list[str]) -> list[tuple[str, int]]:
    return [(f.rule_id, f.start_line) for f in DisabledCheck().check(make_file(path, lines))]


@pytest.mark.parametrize(
    ("path", "line", "rule_id"),
    [
        ("tests/test_a.py", "@pytest.mark.skip(reason='flaky')", "tests/skipped"),
        ("tests/test_a.py", "@pytest.mark.skip", "tests/skipped"),
        ("tests/test_a.py", "@unittest.skip('later')", "tests/skipped"),
        ("tests/test_a.py", "    pytest.skip('broken')", "tests/skipped"),
        ("a.test.js", "it.skip('works', () => {", "tests/skipped"),
        ("a.test.js", "describe.skip('suite', () => {", "tests/skipped"),
        ("a.spec.ts", "test.skip('works', async () => {", "tests/skipped"),
        ("a.test.js", "xit('works', () => {", "tests/skipped"),
        ("a.test.js", "xdescribe('suite', () => {", "tests/skipped"),
        ("a.test.js", "it.only('works', () => {", "tests/focused"),
        ("a.spec.ts", "describe.only('suite', () => {", "tests/focused"),
        ("a.spec.ts", "fit('works', () => {", "tests/focused"),
        ("a_test.go", '\tt.Skip("flaky")', "tests/skipped"),
        ("a_test.go", '\tt.Skipf("needs %s", x)', "tests/skipped"),
        ("src/test/java/ATest.java", "    @Disabled", "tests/skipped"),
        ("src/test/java/ATest.java", '    @Ignore("later")', "tests/skipped"),
        ("src/lib.rs", "#[ignore]", "tests/skipped"),
    ],
)
def test_disabled_tests(path: str, line: str, rule_id: str) -> None:
    assert ids(path, ["x", line]) == [(rule_id, 2)]


def test_focused_is_worse_than_skipped() -> None:
    [focused] = DisabledCheck().check(make_file("a.test.js", ["it.only('x', f)"]))
    [skipped] = DisabledCheck().check(make_file("a.test.js", ["it.skip('x', f)"]))
    assert focused.severity == "medium" and skipped.severity == "low"


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("tests/test_a.py", "@pytest.mark.skipif(sys.platform == 'win32', reason='posix')"),
        ("tests/test_a.py", "@unittest.skipIf(PY2, 'py3 only')"),
        ("tests/test_a.py", "@pytest.mark.xfail"),
        ("tests/test_a.py", "# @pytest.mark.skip"),
        ("app/models.py", "qs = User.objects.only('id')"),
        ("a.test.js", "// it.only('works')"),
        ("a.test.js", "submit('x')"),
        ("a.test.js", "const fitted = fit(model);"),
        ("a.test.js", "audit('x')"),
        ("a_test.go", "\tt.Run(name, fn)"),
        ("src/lib.rs", "// #[ignore]"),
        ("src/lib.rs", '#[cfg(feature = "ignore")]'),
    ],
)
def test_not_disabled(path: str, line: str) -> None:
    assert ids(path, [line]) == []
