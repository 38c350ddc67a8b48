from __future__ import annotations

import pytest

from prreview.checks.risky import RiskyCheck
from tests.checks_support import make_file


def ids(path: str, lines: list[str]) -> list[str]:
    return [f.rule_id for f in RiskyCheck().check(make_file(path, lines))]


@pytest.mark.parametrize(
    ("path", "line", "rule_id"),
    [
        ("a.py", "result = eval(expr)", "risky/eval"),
        ("a.py", "exec(code, namespace)", "risky/eval"),
        ("a.py", "obj = pickle.loads(blob)", "risky/deserialization"),
        ("a.py", "obj = pickle.load(fh)", "risky/deserialization"),
        ("a.py", "code = marshal.loads(data)", "risky/deserialization"),
        ("a.py", "cfg = yaml.load(fh)", "risky/deserialization"),
        ("a.py", "cfg = yaml.load(fh, Loader=yaml.Loader)", "risky/deserialization"),
        ("a.py", "cfg = yaml.unsafe_load(fh)", "risky/deserialization"),
        ("a.py", "subprocess.run(cmd, shell=True)", "risky/shell"),
        ("a.py", "subprocess.check_output(f'ls {d}', shell = True)", "risky/shell"),
        ("a.py", "os.system('rm -rf ' + path)", "risky/shell"),
        ("a.js", "const r = eval(input);", "risky/eval"),
        ("a.ts", "const fn = new Function('a', body);", "risky/eval"),
        ("a.js", "child_process.exec(`git log ${ref}`, cb);", "risky/shell"),
        ("a.js", "exec('convert ' + file, cb);", "risky/shell"),
        ("a.py", 'cur.execute(f"SELECT * FROM users WHERE id = {uid}")', "risky/sql-injection"),
        ("a.py", 'q = "SELECT name FROM t WHERE id = %s" % uid', "risky/sql-injection"),
        ("a.py", 'q = "DELETE FROM t WHERE id = {}".format(uid)', "risky/sql-injection"),
        ("a.py", 'q = "UPDATE users SET name = \'" + name + "\'"', "risky/sql-injection"),
        ("a.js", "db.query(`SELECT * FROM users WHERE id = ${id}`);", "risky/sql-injection"),
        ("a.go", 'q := fmt.Sprintf("INSERT INTO t VALUES (%s)", v)', "risky/sql-injection"),
        ("A.java", 'stmt.executeQuery("select * from t where id=" + id);', "risky/sql-injection"),
        ("a.rb", 'User.where("DELETE FROM users WHERE id = #{id}")', "risky/sql-injection"),
        ("a.php", '$db->query("SELECT * FROM users WHERE id = $id");', "risky/sql-injection"),
    ],
)
def test_risky_calls(path: str, line: str, rule_id: str) -> None:
    findings = list(RiskyCheck().check(make_file(path, ["x = 1", line])))
    assert [(f.rule_id, f.start_line) for f in findings] == [(rule_id, 2)]
    f = findings[0]
    assert f.category == "security" and "security" in f.tags
    assert f.start_column is not None


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("a.py", "value = ast.literal_eval(text)"),
        ("a.py", "model.eval()"),
        ("a.py", "def eval(self, x):"),
        ("a.py", "# eval(expr) is dangerous"),
        ("a.py", "data = pickle.dumps(obj)"),
        ("a.py", "cfg = yaml.safe_load(fh)"),
        ("a.py", "cfg = yaml.load(fh, Loader=yaml.SafeLoader)"),
        ("a.py", "cfg = yaml.load(fh, Loader=CSafeLoader)"),
        ("a.py", "subprocess.run(['ls', d], shell=False)"),
        ("a.py", 'cur.execute("SELECT * FROM users WHERE id = %s", (uid,))'),
        ("a.py", "cur.execute(\"SELECT * FROM users WHERE name LIKE '%smith'\")"),
        ("a.py", 'log.info(f"selected {n} items")'),
        ("a.js", "const m = re.exec(text);"),
        ("a.js", "execFile('git', ['log', ref]);"),
        ("a.js", "db.query('SELECT * FROM users WHERE id = $1', [id]);"),
        ("a.js", "model.evaluate(x);"),
        ("schema.sql", "SELECT * FROM users;"),
        ("README.md", 'Use `eval(x)` and f"SELECT {x} FROM t"'),
    ],
)
def test_not_risky(path: str, line: str) -> None:
    assert ids(path, [line]) == []


def test_yaml_loader_on_next_line() -> None:
    assert ids("a.py", ["cfg = yaml.load(", "    fh, Loader=yaml.SafeLoader)"]) == []


@pytest.mark.parametrize(
    ("path", "line"),
    [
        ("a.py", 'PATTERN = re.compile(r"(?:eval|exec)\\(")'),
        ("a.py", "PAYLOAD = \"{{ cycler.__init__.__globals__.os.popen('id').read() }}\""),
        ("a.py", "x = 1  # eval(user_input) was removed"),
        ("a.py", 'assert lines == ("    return eval(expr)",)'),
        ("a.js", "const msg = 'never call eval(input)';"),
        ("a.js", "// eval(x) is forbidden here"),
        ("a.py", "data = yaml.load(text, Loader=ProjectSafeLoader)"),
    ],
)
def test_calls_inside_strings_comments_or_with_own_loader_are_not_reported(
    path: str, line: str
) -> None:
    assert ids(path, [line]) == []


@pytest.mark.parametrize(
    "line",
    [
        'run(eval(code), "x")',
        "data = yaml.load(text, Loader=yaml.Loader)",
        "data = yaml.load(text, Loader=yaml.FullLoader)",
        'label = "done"; result = eval(expr)',
    ],
)
def test_real_calls_next_to_strings_are_still_reported(line: str) -> None:
    assert ids("a.py", [line]) != []
