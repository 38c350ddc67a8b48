from __future__ import annotations

import textwrap

import pytest

from prreview.context.symbols import (
    Definition,
    bound_names,
    changed_modules,
    changed_symbols,
    extract_definitions,
    identifier_uses,
    identifiers_in,
)
from tests.textdiff import make_change


def _src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _outline(text: str, language: str | None, path: str) -> set[tuple[str, str, int, int]]:
    return {
        (d.kind, d.qualified_name, d.start_line, d.end_line)
        for d in extract_definitions(_src(text), language, path)
    }


CASES = {
    "python": (
        "pkg/mod.py",
        """
        MAX_SIZE = 3

        @decorator
        def top(a):
            def inner():
                return a
            return inner

        class Box(Base):
            # the size in bytes
            def size(self):
                return MAX_SIZE
        """,
        {
            ("constant", "MAX_SIZE", 1, 1),
            ("function", "top", 3, 7),
            ("function", "top.inner", 5, 6),
            ("class", "Box", 9, 12),
            ("method", "Box.size", 10, 12),
        },
    ),
    "javascript": (
        "src/app.js",
        """
        const LIMIT = 10;
        function load(url) {
          return fetch(url);
        }
        const parse = (text) => JSON.parse(text);
        class Store {
          get(key) {
            return this.items[key];
          }
        }
        """,
        {
            ("constant", "LIMIT", 1, 1),
            ("function", "load", 2, 4),
            ("function", "parse", 5, 5),
            ("class", "Store", 6, 10),
            ("method", "Store.get", 7, 9),
        },
    ),
    "jsx": (
        "src/View.jsx",
        """
        export function View({ name }) {
          return <div className="v">{name}</div>;
        }
        """,
        {("function", "View", 1, 3)},
    ),
    "typescript": (
        "src/shape.ts",
        """
        export interface Shape {
          area(): number;
        }
        type Id = string;
        export class Square implements Shape {
          constructor(private side: number) {}
          area(): number {
            return this.side * this.side;
          }
        }
        export const unit = (): Square => new Square(1);
        """,
        {
            ("class", "Shape", 1, 3),
            ("class", "Id", 4, 4),
            ("class", "Square", 5, 10),
            ("method", "Square.area", 7, 9),
            ("function", "unit", 11, 11),
        },
    ),
    "tsx": (
        "src/Button.tsx",
        """
        type Props = { label: string };
        export const Button = ({ label }: Props) => {
          return <button>{label}</button>;
        };
        """,
        {("class", "Props", 1, 1), ("function", "Button", 2, 4)},
    ),
    "go": (
        "srv/server.go",
        """
        package srv

        const Port = 8080

        type Server struct {
            addr string
        }

        // Start listens on the address.
        func (s *Server) Start() error {
            return nil
        }

        func New(addr string) *Server {
            return &Server{addr: addr}
        }
        """,
        {
            ("constant", "Port", 3, 3),
            ("class", "Server", 5, 7),
            ("method", "Server.Start", 9, 12),
            ("function", "New", 14, 16),
        },
    ),
    "java": (
        "src/main/java/a/Counter.java",
        """
        package a;

        public class Counter {
            public static final int STEP = 1;
            private int value;

            public Counter(int start) {
                this.value = start;
            }

            @Override
            public String toString() {
                return "" + value;
            }
        }
        """,
        {
            ("class", "Counter", 3, 15),
            ("constant", "Counter.STEP", 4, 4),
            ("method", "Counter.Counter", 7, 9),
            ("method", "Counter.toString", 11, 14),
        },
    ),
    "rust": (
        "src/lib.rs",
        """
        const LIMIT: usize = 4;

        pub struct Stack {
            items: Vec<i32>,
        }

        impl Stack {
            /// Pushes a value.
            pub fn push(&mut self, v: i32) {
                self.items.push(v);
            }
        }
        """,
        {
            ("constant", "LIMIT", 1, 1),
            ("class", "Stack", 3, 5),
            ("class", "impl Stack", 7, 12),
            ("method", "Stack.push", 8, 11),
        },
    ),
    "c": (
        "src/util.c",
        """
        #define BUF 64

        struct point {
            int x;
        };

        static int
        add(int a, int b)
        {
            return a + b;
        }
        """,
        {
            ("constant", "BUF", 1, 1),
            ("class", "point", 3, 5),
            ("function", "add", 7, 11),
        },
    ),
    "cpp": (
        "src/shape.cpp",
        """
        namespace geo {
        class Circle {
         public:
          double area() const { return 3.14 * r * r; }
          double r;
        };
        }

        double geo::Circle::scaled(double k) {
          return k;
        }
        """,
        {
            ("class", "Circle", 2, 6),
            ("method", "Circle.area", 4, 4),
            ("method", "Circle.scaled", 9, 11),
        },
    ),
    "ruby": (
        "lib/greeter.rb",
        """
        module Greetings
          class Greeter
            DEFAULT = "hi"

            def greet(name)
              "#{DEFAULT} #{name}"
            end
          end
        end
        """,
        {
            ("class", "Greetings", 1, 9),
            ("class", "Greetings.Greeter", 2, 8),
            ("constant", "Greetings.Greeter.DEFAULT", 3, 3),
            ("method", "Greetings.Greeter.greet", 5, 7),
        },
    ),
    "csharp": (
        "src/Account.cs",
        """
        namespace Bank {
          public class Account {
            public const int Limit = 5;
            public decimal Balance(int day) {
              return 0;
            }
          }
        }
        """,
        {
            ("class", "Account", 2, 7),
            ("constant", "Account.Limit", 3, 3),
            ("method", "Account.Balance", 4, 6),
        },
    ),
    "php": (
        "src/Cart.php",
        """
        <?php
        function total($items) {
            return array_sum($items);
        }
        class Cart {
            const MAX = 9;
            public function add($item) {
                $this->items[] = $item;
            }
        }
        """,
        {
            ("function", "total", 2, 4),
            ("class", "Cart", 5, 10),
            ("constant", "Cart.MAX", 6, 6),
            ("method", "Cart.add", 7, 9),
        },
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_extract_definitions_per_language(language: str) -> None:
    path, source, expected = CASES[language]
    found = _outline(source, language, path)
    assert expected <= found, found


def test_language_from_path_when_unknown() -> None:
    path, source, expected = CASES["go"]
    assert expected <= _outline(source, None, path)
    assert expected <= _outline(source, "Go Lang?", path)


def test_fallback_heuristic_for_other_languages() -> None:
    lua = """
    local function helper(x)
      return x * 2
    end

    function M.run(a)
      if a then
        return helper(a)
      end
    end
    """
    assert _outline(lua, "lua", "scripts/m.lua") == {
        ("function", "helper", 1, 3),
        ("function", "run", 5, 9),
    }
    kotlin = """
    class Repo {
        fun load(id: Int): User {
            return users[id]
        }
    }
    """
    assert _outline(kotlin, "kotlin", "app/Repo.kt") == {
        ("class", "Repo", 1, 5),
        ("method", "Repo.load", 2, 4),
    }
    shell = """
    deploy() {
      echo "go"
    }
    """
    assert _outline(shell, None, "bin/deploy.sh") == {("function", "deploy", 1, 3)}


def test_definition_model_is_frozen() -> None:
    d = Definition(kind="function", name="f", qualified_name="f", start_line=1, end_line=2)
    with pytest.raises(ValueError):
        d.name = "g"  # type: ignore[misc]
    assert d.contains(2) and not d.contains(3) and d.length == 2


OLD = _src(
    """
    import os


    class Repo:
        def load(self, key):
            return self.data[key]

        def save(self, key, value):
            self.data[key] = value

        def drop(self, key):
            del self.data[key]


    def helper():
        return 1
    """
)


def _by_name(symbols):
    return {s.qualified_name: s for s in symbols}


def test_changed_symbols_modified_added_deleted() -> None:
    new = (
        OLD.replace("return self.data[key]", "return self.data.get(key)")
        .replace(
            "    def drop(self, key):\n        del self.data[key]\n",
            "    def clear(self):\n        self.data = {}\n",
        )
        .replace("import os", "import os\nimport sys")
    )
    change = make_change("app/repo.py", OLD, new, "python")
    symbols = changed_symbols(change, OLD, new)
    found = _by_name(symbols)
    assert {q: s.change for q, s in found.items()} == {
        "app/repo.py": "modified",
        "Repo": "modified",
        "Repo.load": "modified",
        "Repo.clear": "added",
        "Repo.drop": "deleted",
    }
    load = found["Repo.load"]
    assert (load.kind, load.name, load.path) == ("method", "load", "app/repo.py")
    assert (load.old_start, load.old_end, load.new_start, load.new_end) == (5, 6, 6, 7)
    drop = found["Repo.drop"]
    assert drop.new_start is None and (drop.old_start, drop.old_end) == (11, 12)
    module = found["app/repo.py"]
    assert (module.kind, module.name, module.new_start, module.new_end) == (
        "module",
        "repo.py",
        2,
        2,
    )
    assert "Repo.save" not in found and "helper" not in found
    assert symbols == changed_symbols(change, OLD, new)


def test_changed_symbols_new_and_deleted_files() -> None:
    added = changed_symbols(make_change("app/repo.py", None, OLD, "python"), None, OLD)
    assert {s.qualified_name: s.change for s in added if s.kind != "module"} == {
        "Repo": "added",
        "Repo.load": "added",
        "Repo.save": "added",
        "Repo.drop": "added",
        "helper": "added",
    }
    gone = changed_symbols(make_change("app/repo.py", OLD, None, "python"), OLD, None)
    assert {s.change for s in gone} == {"deleted"}
    assert {s.qualified_name for s in gone} >= {"Repo.load", "helper", "app/repo.py"}


def test_blank_line_changes_touch_no_symbol() -> None:
    new = OLD.replace("        return self.data[key]\n", "        return self.data[key]\n\n")
    change = make_change("app/repo.py", OLD, new, "python")
    assert changed_symbols(change, OLD, new) == []


def test_changed_modules() -> None:
    paths = ["b/x.py", "a/y.py", "README.md", "b/z.py", "a/deep/w.go"]
    assert changed_modules(paths) == [".", "a", "a/deep", "b"]


def test_identifiers_in() -> None:
    line = "result = self.fetch(client, timeout=DEFAULT_TIMEOUT) if len(x) else None"
    names = identifiers_in(line, "python")
    assert names == ["fetch", "client", "timeout", "DEFAULT_TIMEOUT"]
    assert identifiers_in("if (ready) { start(engine); }", "javascript") == [
        "ready",
        "start",
        "engine",
    ]
    assert identifiers_in('local v = compute(total) -- "note"', "lua") == ["compute", "total"]


def test_identifier_uses_marks_calls_and_lines() -> None:
    text = "def f(a):\n    b = helper(a)\n    return b.size\n"
    uses = identifier_uses(text, "python", [2])
    assert [(u.name, u.line, u.called) for u in uses] == [("helper", 2, True)]


def test_prose_and_data_have_no_definitions() -> None:
    doc = "# Guide\n\nclass Foo is described here.\ndef bar: not code\n"
    assert extract_definitions(doc, "markdown", "docs/guide.md") == []
    assert extract_definitions("def: 1\n", None, "conf/app.yaml") == []
    change = make_change("docs/guide.md", "# Guide\n", doc, "markdown")
    assert [(s.kind, s.name) for s in changed_symbols(change, "# Guide\n", doc)] == [
        ("module", "guide.md")
    ]


def test_javascript_functions_assigned_to_properties_are_definitions() -> None:
    text = """
        var fs = require('fs');
        var mod = require('./mod').inner;
        var app = exports = module.exports = {};

        // Registers a handler.
        app.on = function on(event, fn) {
          function wrap() {}
          return wrap;
        };
        Queue.prototype.drain = function (limit) {
          return limit;
        };
        exports.parse = async (text) => text;
        module.exports.render = function () {};
        module.exports = function createServer() {};
        exports.Model = class {};
        handlers[key] = function () {};
        """
    assert _outline(text, "javascript", "lib/app.js") == {
        ("other", "app", 3, 3),
        ("function", "app.on", 5, 9),
        ("function", "app.on.wrap", 7, 7),
        ("method", "Queue.drain", 10, 12),
        ("function", "parse", 13, 13),
        ("function", "render", 14, 14),
        ("function", "createServer", 15, 15),
        ("class", "Model", 16, 16),
    }
    ts = "export const api = {};\napi.get = (url: string): string => url;\n"
    assert _outline(ts, "typescript", "src/api.ts") == {
        ("constant", "api", 1, 1),
        ("function", "api.get", 2, 2),
    }


def test_a_change_inside_an_assigned_function_touches_it() -> None:
    old = "var app = {};\napp.use = function use(path, fn) {\n  return path;\n};\n"
    new = old.replace("return path;", "return fn;")
    change = make_change("lib/app.js", old, new, "javascript")
    (symbol,) = changed_symbols(change, old, new)
    assert (symbol.kind, symbol.name, symbol.qualified_name) == ("function", "use", "app.use")
    assert (symbol.new_start, symbol.new_end) == (2, 4)


def test_bound_names_are_parameters_and_locals_of_the_enclosing_functions() -> None:
    js = _src(
        """
        var top = 1;
        app.use = function use(path, fn = fallback, { strict, mode: how }) {
          var mounted;
          let [first] = list;
          if (fn) {
            return mounted.go(path, first);
          }
        };
        function other(unrelated) { var hidden = 2; }
        """
    )
    assert bound_names(js, "javascript", [6]) == {
        "path", "fn", "strict", "how", "mounted", "first"
    }  # fmt: skip
    py = "def f(a: Model, b=default, *rest, **options):\n    x, y = a\n    self.z = b\n    return x\n"
    assert bound_names(py, "python", [4]) == {"a", "b", "rest", "options", "x", "y"}
    go = "func (s *Server) Run(ctx Context) (err error) {\n\tn := 1\n\treturn n\n}\n"
    assert bound_names(go, "go", [3]) == {"s", "ctx", "err", "n"}
    c = "static char *copy(const char *src, size_t n) {\n  int i = 0;\n  return src;\n}\n"
    assert bound_names(c, "c", [3]) == {"src", "n", "i"}
    assert bound_names("x = compute()\n", "python", [1]) == frozenset()
    assert bound_names("anything", None, [1], "notes.unknownext") is None
