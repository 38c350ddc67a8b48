"""Does the evidence a reviewer needs reach a prompt? (eval-corpus cases, dry run, no model)

    python benchmarks/context_recall.py --cases /tmp/corpus/cases [--context-tokens N] [-e NAME]

For every case: materialise it as a git repository (main = base, feature = base + change),
run `prreview run --dry-run --dump-prompts DIR`, then report whether the truth lines reach a
prompt and the evidence recall: the definitions of the identifiers used on the defect lines
(looked up in the head tree by an independent regex scan, the defect's own file first, names
defined more than twice elsewhere skipped, test files excluded) that `git diff -U3` does not
already show, and how many of them reach a prompt. Prints names and numbers only: the cases
hold third-party code.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import clean_env, print_table, prreview

ATTRIBUTES = "* -text -eol -ident -filter -working-tree-encoding -export-subst\n"
IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
EXTENSIONS = {"python": (".py",), "javascript": (".js", ".mjs", ".cjs"), "go": (".go",)}
DEFINITION = {
    "python": [
        re.compile(r"^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)"),
        re.compile(r"^\s*class\s+([A-Za-z_]\w*)"),
        re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)"),
    ],
    "javascript": [
        re.compile(r"\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*\("),
        re.compile(r"^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*="),
        re.compile(r"^\s*(?:static\s+|async\s+)*([A-Za-z_$][\w$]*)\s*\([^)]*\)\s*\{"),
        re.compile(r"\.([A-Za-z_$][\w$]*)\s*=\s*(?:async\s+)?function\b"),
        re.compile(r"^\s*(?:exports|module\.exports)\.([A-Za-z_$][\w$]*)\s*="),
        re.compile(r"^\s*class\s+([A-Za-z_$][\w$]*)"),
    ],
    "go": [
        re.compile(r"^func\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)"),
        re.compile(r"^(?:type\s+|\t)([A-Za-z_]\w*)\s+(?:struct|interface|func|\[|map|\*?[A-Za-z])"),
        re.compile(r"^(?:var|const)\s+([A-Za-z_]\w*)"),
    ],
}
KEYWORDS = set(
    [
        "False",
        "None",
        "True",
        "and",
        "as",
        "assert",
        "async",
        "await",
        "break",
        "class",
        "continue",
        "def",
        "del",
        "elif",
        "else",
        "except",
        "finally",
        "for",
        "from",
        "global",
        "if",
        "import",
        "in",
        "is",
        "lambda",
        "nonlocal",
        "not",
        "or",
        "pass",
        "raise",
        "return",
        "try",
        "while",
        "with",
        "yield",
        "self",
        "cls",
        "case",
        "catch",
        "const",
        "debugger",
        "default",
        "delete",
        "do",
        "export",
        "extends",
        "function",
        "instanceof",
        "let",
        "new",
        "null",
        "switch",
        "this",
        "throw",
        "typeof",
        "undefined",
        "var",
        "void",
        "true",
        "false",
        "chan",
        "defer",
        "fallthrough",
        "func",
        "go",
        "goto",
        "interface",
        "map",
        "package",
        "range",
        "select",
        "struct",
        "type",
        "nil",
        "string",
        "int",
        "bool",
        "error",
        "byte",
        "rune",
        "len",
        "str",
        "dict",
        "list",
        "tuple",
        "set",
        "isinstance",
        "print",
        "super",
    ]
)


def is_test_path(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    parts = path.lower().split("/")
    return (
        any(p in {"test", "tests", "testing", "spec", "__tests__", "testdata"} for p in parts)
        or name.startswith("test_")
        or name.endswith(("_test.py", "_test.go", ".test.js", ".spec.js"))
    )


def git(repo: Path, *args: str) -> str:
    cmd = ["git", "-c", "commit.gpgSign=false", "-c", "core.autocrlf=false", *args]
    env = clean_env({"GIT_AUTHOR_NAME": "eval", "GIT_AUTHOR_EMAIL": "eval@example.invalid",
                     "GIT_COMMITTER_NAME": "eval", "GIT_COMMITTER_EMAIL": "eval@example.invalid"})  # fmt: skip
    proc = subprocess.run(cmd, cwd=repo, env=env, capture_output=True, check=True)
    return proc.stdout.decode("utf-8", "replace")


def materialise(case: Path, repo: Path) -> None:
    repo.mkdir(parents=True)
    with tarfile.open(case / "base.tar.gz") as tar:
        if hasattr(tarfile, "tar_filter"):
            tar.extractall(repo, filter="tar")
        else:
            tar.extractall(repo)
    git(repo, "init", "-q")
    git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    (repo / ".git" / "info" / "attributes").write_text(ATTRIBUTES, encoding="utf-8")
    git(repo, "add", "--all", "--force", ".")
    git(repo, "commit", "-q", "--no-verify", "-m", "Base snapshot")
    git(repo, "checkout", "-q", "-b", "feature")
    git(repo, "apply", "--whitespace=nowarn", str(case / "change.diff"))
    git(repo, "add", "--all", "--force", ".")
    git(repo, "commit", "-q", "--no-verify", "-m", "Proposed change")


def diff_visible(repo: Path) -> set[tuple[str, int | str]]:
    """(path, new line) of every line `git diff -U3 main feature` shows on the new side, and
    (path, text) of the function-context lines git prints in the hunk headers."""
    shown: set[tuple[str, int | str]] = set()
    path, line = "", 0
    for raw in git(repo, "diff", "-U3", "--no-color", "main", "feature").split("\n"):
        if raw.startswith("+++ "):
            path = raw[6:] if raw.startswith("+++ b/") else ""
        elif raw.startswith("@@"):
            m = re.match(r"@@ -\S+ \+(\d+)\S* @@ ?(.*)", raw)
            line = int(m.group(1)) if m else 0
            if m and m.group(2).strip():
                shown.add((path, m.group(2).strip()))
        elif path and raw[:1] in {" ", "+"}:
            shown.add((path, line))
            line += 1
    return shown


def definitions(repo: Path, language: str) -> dict[str, list[tuple[str, int, str]]]:
    """name -> [(path, line, text)] for every definition in non-test source of the head tree."""
    index: dict[str, list[tuple[str, int, str]]] = {}
    for path in git(repo, "ls-files").splitlines():
        if not path.endswith(EXTENSIONS[language]) or is_test_path(path):
            continue
        try:
            text = (repo / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for n, line in enumerate(text.split("\n"), 1):
            for pattern in DEFINITION[language]:
                m = pattern.search(line)
                if m:
                    index.setdefault(m.group(1), []).append((path, n, line.strip()))
                    break
    return index


@dataclass(frozen=True)
class CaseResult:
    name: str
    clean: bool
    truth_found: int
    truth_total: int
    primary_found: int
    primary_total: int
    evidence_found: int
    evidence_total: int
    missing: tuple[str, ...]
    prompts: int
    prompt_tokens: int


HEADER = re.compile(r"^\s*(?:async\s+)?def\s|\bfunction\s*\*?\s*[\w$]*\s*\(|^func\s")
ASSIGN = {
    "python": r"^\s*{n}\s*(?::[^=]*)?=(?!=)|\bfor\s+{n}\b|\bas\s+{n}\b",
    "javascript": r"\b(?:var|let|const)\s+{n}\b",
    "go": r"\b{n}\s*(?:,\s*\w+\s*)*:=|\bvar\s+{n}\b|\brange\b.*\b{n}\b",
}


def local_definition(lines: list[str], name: str, before: int, language: str) -> int | None:
    """Line of the nearest earlier declaration of `name` in its scope (parameter, local)."""
    declare = re.compile(ASSIGN[language].format(n=re.escape(name)))
    uses = re.compile(rf"(?<![\w.$]){re.escape(name)}(?![\w$])")
    for n in range(before - 1, max(before - 400, 0), -1):
        line = lines[n - 1]
        if declare.search(line) or (HEADER.search(line) and uses.search(line)):
            return n
        if HEADER.search(line) and not line[:1].isspace():
            return None
    return None


def _candidates(
    name: str,
    member: bool,
    finding: dict,
    index: dict[str, list[tuple[str, int, str]]],
    lines: list[str],
    language: str,
) -> list[tuple[str, int, str]]:
    own = finding["file"]
    if not member:
        local = local_definition(lines, name, finding["start_line"], language)
        if local is not None:
            return [(own, local, lines[local - 1].strip())]
    defs = index.get(name, [])
    mine = [d for d in defs if d[0] == own]
    return mine or (defs if len(defs) <= 2 else [])


def evidence(
    repo: Path,
    truth: dict,
    index: dict[str, list[tuple[str, int, str]]],
    shown: set[tuple[str, int | str]],
) -> list[tuple[str, str, int, str]]:
    """(name, path, line, header) of each definition a primary defect line needs and the
    diff does not show. Names after a dot are members (looked up by name only)."""
    out: dict[str, tuple[str, str, int, str]] = {}
    for finding in truth["findings"]:
        if finding["role"] != "primary":
            continue
        text = (repo / finding["file"]).read_text(encoding="utf-8", errors="replace")
        lines = text.split("\n")
        span = range(finding["start_line"], finding["end_line"] + 1)
        for line in finding["lines_text"]:
            for m in IDENT.finditer(line):
                name = m.group(0)
                if name in KEYWORDS or len(name) < 2 or name in out:
                    continue
                member = m.start() > 0 and line[m.start() - 1] == "."
                found = _candidates(name, member, finding, index, lines, truth["language"])
                found = [d for d in found if not (d[0] == finding["file"] and d[1] in span)]
                visible = any((p, n) in shown or (p, h) in shown for p, n, h in found)
                if found and not visible:
                    out[name] = (name, *found[0])
    return list(out.values())


def run_case(case: Path, work: Path, extra: list[str], env: dict[str, str]) -> CaseResult:
    truth = json.loads((case / "truth.json").read_text(encoding="utf-8"))
    repo = work / "repo"
    materialise(case, repo)
    dump, report = work / "prompts", work / "report.json"
    args = ["run", "--dry-run", "--dump-prompts", str(dump), "--model", "openai/gpt-4.1-mini",
            "--base", "main", "--config-source", "none", "--output", f"json={report}", *extra]  # fmt: skip
    result = prreview(args, repo, clean_env(env))
    if result.returncode not in (0, 1):
        raise RuntimeError(f"{case.name}: prreview exited {result.returncode}")
    files = sorted(dump.glob("*.md")) if dump.is_dir() else []
    prompt = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    lines = [t.strip() for f in truth["findings"] for t in f["lines_text"] if t.strip()]
    found = sum(1 for t in lines if t in prompt)
    primary = [t.strip() for f in truth["findings"] if f["role"] == "primary"
               for t in f["lines_text"] if t.strip()]  # fmt: skip
    needed = evidence(repo, truth, definitions(repo, truth["language"]), diff_visible(repo))
    missing = tuple(n for n, _p, _l, header in needed if header not in prompt)
    stats = json.loads(report.read_text(encoding="utf-8"))["stats"]
    return CaseResult(case.name, bool(truth["clean"]), found, len(lines),
                      sum(1 for t in primary if t in prompt), len(primary),
                      len(needed) - len(missing), len(needed), missing, len(files),
                      int(stats["prompt_tokens"]))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=Path, required=True)
    parser.add_argument("--context-tokens", type=int, help="PRREVIEW_CONTEXT_TOKENS for the runs")
    parser.add_argument("-e", "--evaluator", action="append", default=[], help="only these")
    opts = parser.parse_args(argv)
    extra = [a for name in opts.evaluator for a in ("-e", name)]
    env = (
        {} if opts.context_tokens is None else {"PRREVIEW_CONTEXT_TOKENS": str(opts.context_tokens)}
    )
    results: list[CaseResult] = []
    for case in sorted(p for p in opts.cases.iterdir() if (p / "truth.json").is_file()):
        with tempfile.TemporaryDirectory(prefix="prreview-recall-") as tmp:
            results.append(run_case(case, Path(tmp), extra, env))
    rows = []
    for r in results:
        truth = "clean" if r.clean else f"{r.truth_found}/{r.truth_total}"
        primary = "—" if r.clean else f"{r.primary_found}/{r.primary_total}"
        ev = "—" if r.clean else f"{r.evidence_found}/{r.evidence_total}"
        rows.append([r.name, truth, primary, ev, ", ".join(r.missing) or "—", str(r.prompts),
                     str(r.prompt_tokens)])  # fmt: skip
    print_table(["case", "truth lines in a prompt", "primary truth lines", "evidence in a prompt", "evidence missing",
                 "prompts", "prompt tokens"], rows)  # fmt: skip
    defect = [r for r in results if not r.clean]
    found = sum(r.evidence_found for r in defect)
    total = sum(r.evidence_total for r in defect)
    truth_ok = sum(1 for r in defect if r.truth_found == r.truth_total)
    primary_ok = sum(1 for r in defect if r.primary_found == r.primary_total)
    recall = found / total if total else 1.0
    tokens = sum(r.prompt_tokens for r in results)
    prompts = sum(r.prompts for r in results)
    print(f"\nmean prompt tokens per case: {tokens / max(len(results), 1):.0f}; "
          f"per prompt: {tokens / max(prompts, 1):.0f} ({prompts} prompts, {len(results)} cases)")  # fmt: skip
    print(f"evidence recall: {found}/{total} = {recall:.0%} (target >= 85%)")
    print(f"defect cases with every truth line in a prompt: {truth_ok}/{len(defect)} "
          f"(target: all); primary findings only: {primary_ok}/{len(defect)}")  # fmt: skip
    return 0 if recall >= 0.85 and truth_ok == len(defect) else 1


if __name__ == "__main__":
    sys.exit(main())
