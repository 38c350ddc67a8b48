"""The one git runner: every git process of prreview starts here.

All git processes start from `argv`/`git_env`: a fixed set of `-c` overrides (no hooks, no
fsmonitor, no signature checks, no submodule recursion, unquoted UTF-8 paths, no diff
prefixes/config surprises), no pager, no terminal prompt, no external diff, literal
pathspecs, and never `--textconv`. Nothing here runs a filter, a textconv driver or a hook
on repository content, in any mode: commands that may read the working tree (`diff`,
`grep`, `status`, ...) also get every configured `filter.<driver>` emptied (`clean`,
`smudge`, `process` set to "" and `required` to false), wherever the driver was defined
(a global config, `.git/config`, or a file it includes from the work tree). Filtered files
are therefore compared as their raw bytes, as in range mode. Everything read from the
repository or the CI environment is untrusted.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from prreview.errors import GitError

_CONFIG = {
    "core.quotepath": "off",
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "color.ui": "false",
    "diff.noprefix": "false",
    "diff.mnemonicPrefix": "false",
    "diff.suppressBlankEmpty": "false",
    "diff.relative": "false",
    "grep.column": "false",
    "grep.fullName": "false",
    "log.showSignature": "false",
    "submodule.recurse": "false",
}
_DROP_ENV = (
    "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES",
    "GIT_COMMON_DIR", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT",
    "GIT_TEMPLATE_DIR", "GIT_EXTERNAL_DIFF", "GIT_DIFF_OPTS", "GIT_PAGER",
)  # fmt: skip
"""Variables that would point git at another repository, another config or another program."""
DIFF_OPTS = (
    "diff", "--raw", "-p", "-z", "--no-abbrev", "--full-index", "--no-color", "--no-ext-diff",
    "--no-textconv", "-M", "-C", "-U3", "--inter-hunk-context=0", "--src-prefix=a/",
    "--dst-prefix=b/", "--submodule=short", "--ignore-submodules=dirty",
)  # fmt: skip
SHALLOW_HINT = (
    "fetch more history: with actions/checkout set `fetch-depth: 0`, on GitLab set "
    "`GIT_DEPTH: 0`, or run `git fetch --deepen=500` (or `git fetch --unshallow`)"
)
BINARY_SNIFF = 8000


def argv(repo: Path, args: Sequence[str]) -> list[str]:
    config = [part for key, value in _CONFIG.items() for part in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", "-C", str(repo), *config, *args]


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_OPTIONAL_LOCKS="0",
        GIT_LITERAL_PATHSPECS="1",
        GIT_PAGER="cat",
        PAGER="cat",
        LC_ALL="C",
    )
    env.update(extra or {})
    return env


def run(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok: tuple[int, ...] = (0,),
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run one git command; a return code outside `ok` raises GitError."""
    if _command_name(args) in _READS_WORKTREE:
        env = {**no_filters_env(repo), **(env or {})}
    try:
        proc = subprocess.run(
            argv(repo, args), input=stdin, capture_output=True, env=git_env(env), check=False
        )
    except FileNotFoundError:
        raise GitError("git executable not found", hint="install git and put it on PATH") from None
    if proc.returncode not in ok:
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = err[-1] if err else f"exit code {proc.returncode}"
        raise GitError(f"git {_command_name(args)} failed: {detail}")
    return proc


_READS_WORKTREE = frozenset({
    "diff", "diff-files", "diff-index", "grep", "status", "blame", "add", "update-index",
    "stash", "checkout", "restore", "reset", "read-tree",
})  # fmt: skip
"""Commands that can read work-tree files, where git would run a clean/process filter."""
_FILTER_KEYS = ("clean", "smudge", "process")


def no_filters_env(repo: Path) -> dict[str, str]:
    """GIT_CONFIG_COUNT/KEY/VALUE entries that switch off every configured filter driver.

    The driver names come from the effective config (includes followed); environment
    config entries are used because a driver name may contain `=`, which `-c` cannot carry.
    """
    pattern = r"^filter\..+\.(clean|smudge|process|required)$"
    proc = run(repo, ["config", "-z", "--get-regexp", pattern], ok=(0, 1))
    names: list[str] = []
    for entry in proc.stdout.split(b"\0"):
        key = entry.split(b"\n", 1)[0].decode("utf-8", "surrogateescape")
        name = key[len("filter.") : key.rfind(".")]
        if key and name and name not in names:
            names.append(name)
    pins = [(f"filter.{n}.{k}", "") for n in names for k in _FILTER_KEYS]
    pins += [(f"filter.{n}.required", "false") for n in names]
    env = {"GIT_CONFIG_COUNT": str(len(pins))} if pins else {}
    for i, (key, value) in enumerate(pins):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def _command_name(args: Sequence[str]) -> str:
    """The git sub-command in `args` (after any `-c key=value` pins)."""
    rest = list(args)
    while rest[:1] == ["-c"]:
        rest = rest[2:]
    return rest[0] if rest else "?"


# --------------------------------------------------------------------------- repository and refs


def repo_root(path: Path) -> Path:
    """The top-level directory of the work tree containing `path`."""
    if not path.exists():
        raise GitError(f"repository path does not exist: {path}", hint="pass --repo PATH")
    proc = run(path, ["rev-parse", "--show-toplevel"], ok=(0, 128))
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "dubious ownership" in err:
            raise GitError(
                f"git refuses to read {path}: it is owned by another user",
                hint=f"git config --global --add safe.directory {path.resolve()}",
            )
        raise GitError(
            f"not a git repository (or not a work tree): {path}",
            hint="run prreview inside a git checkout or pass --repo PATH",
        )
    return Path(os.fsdecode(proc.stdout.rstrip(b"\n")))


def rev_parse(repo: Path, ref: str, kind: str = "commit") -> str | None:
    """Full object id of `ref` peeled to `kind`, or None when it does not exist."""
    if not ref or ref.startswith("-") or "\n" in ref:
        return None
    proc = run(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{{kind}}}"], ok=(0, 1, 128))
    sha = proc.stdout.decode("ascii", "replace").strip()
    return sha if proc.returncode == 0 and sha else None


def is_shallow(repo: Path) -> bool:
    proc = run(repo, ["rev-parse", "--is-shallow-repository"], ok=(0, 128, 129))
    if proc.returncode == 0 and proc.stdout.strip() in (b"true", b"false"):
        return proc.stdout.strip() == b"true"
    # git < 2.15 echoes the option back; the shallow file is what it checks itself
    shallow = run(repo, ["rev-parse", "--git-path", "shallow"]).stdout.rstrip(b"\n")
    return (repo / os.fsdecode(shallow)).exists()


def is_ancestor(repo: Path, a: str, b: str) -> bool:
    """True when commit `a` is an ancestor of (or equal to) commit `b`."""
    sha_a, sha_b = rev_parse(repo, a), rev_parse(repo, b)
    if sha_a is None or sha_b is None:
        raise GitError(f"unknown ref '{a if sha_a is None else b}'")
    proc = run(repo, ["merge-base", "--is-ancestor", sha_a, sha_b], ok=(0, 1))
    return proc.returncode == 0


def empty_tree(repo: Path) -> str:
    """Id of the empty tree in this repository's hash algorithm."""
    return run(repo, ["hash-object", "-t", "tree", "--stdin"], stdin=b"").stdout.decode().strip()


def blob_sizes(repo: Path, shas: Sequence[str]) -> dict[str, int]:
    """Sizes of many objects with one `git cat-file --batch-check`; missing ones are left out."""
    if not shas:
        return {}
    out = run(repo, ["cat-file", "--batch-check"], stdin="\n".join(shas).encode() + b"\n")
    sizes: dict[str, int] = {}
    for line in out.stdout.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            sizes[parts[0]] = int(parts[2])
    return sizes


# --------------------------------------------------------------------------- reading trees


def read_blob_at(repo: Path, rev: str, path: str) -> bytes | None:
    """Content of `path` at commit `rev` (e.g. the config file at the base); None if absent."""
    sha = rev_parse(repo, rev)
    if sha is None:
        raise GitError(f"unknown ref '{rev}'")
    proc = run(repo, ["cat-file", "blob", f"{sha}:{path}"], ok=(0, 128))
    return proc.stdout if proc.returncode == 0 else None


def git_attr(
    repo: Path, paths: Sequence[str], attr: str, rev: str | None = None, *, index: bool = False
) -> dict[str, str]:
    """Value of `attr` for each path: 'set', 'unset', 'unspecified' or the value string.

    Reads the .gitattributes of tree-ish `rev` (None: the working tree, or the index with
    index=True) without checking anything out; git < 2.40 lacks `check-attr --source`,
    so a throw-away index is filled with `read-tree` instead. Read-only, runs nothing.
    """
    if not paths or attr.startswith("-"):
        return {}
    stdin = b"\0".join(p.encode("utf-8", "surrogateescape") for p in paths) + b"\0"
    base = ["check-attr", "-z", "--stdin"]
    if rev is None:
        args = [*base, "--cached", attr] if index else [*base, attr]
        return _parse_attrs(run(repo, args, stdin=stdin).stdout)
    proc = run(repo, [*base, f"--source={rev}", attr], stdin=stdin, ok=(0, 128, 129))
    if proc.returncode == 0:
        return _parse_attrs(proc.stdout)
    with tempfile.TemporaryDirectory(prefix="prreview-attr-") as tmp:
        index_env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        run(repo, ["read-tree", rev], env=index_env)
        out = run(repo, [*base, "--cached", attr], stdin=stdin, env=index_env).stdout
    return _parse_attrs(out)


def _parse_attrs(out: bytes) -> dict[str, str]:
    fields = out.split(b"\0")
    return {
        fields[i].decode("utf-8", "replace"): fields[i + 2].decode("utf-8", "replace")
        for i in range(0, len(fields) - 2, 3)
    }


def tree_modes(repo: Path, rev: str) -> dict[str, str]:
    """path -> mode (`100644`, `100755`, `120000` for a symlink) of every blob at tree-ish `rev`."""
    out = run(repo, ["ls-tree", "-r", "-z", "--full-tree", rev]).stdout
    modes: dict[str, str] = {}
    for entry in out.split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        parts = meta.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            modes[name.decode("utf-8", "surrogateescape")] = parts[0].decode("ascii")
    return modes
