"""Reading another repository's history for the corpus builders (`eval mine`, `eval import
aacr`): one runner, read-only sources.

Every git process starts in `git()`, which hands the hardened invocation of change/git.py
(no hooks, no fsmonitor, no pager, no prompt, literal pathspecs) plus pins that make archives
and diffs independent of the machine's configuration. A source repository is read through a
throw-away bare helper repository that borrows its objects (alternates) and carries neutral
attributes, so the source's own config, hooks, attributes, filters and textconv drivers are
never used and nothing is written to it.
"""

from __future__ import annotations

import gzip
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prreview.change.diffparse import build_changes, split_raw
from prreview.change.git import run as git_run
from prreview.errors import GitError
from prreview.models import FileChange

# Highest-precedence attributes of the helper: archive and diff every file as stored.
NEUTRAL_ATTRIBUTES = (
    "* -export-ignore -export-subst -text -eol -ident -filter -working-tree-encoding\n"
)
_PINS = (
    "core.autocrlf=false",
    "core.eol=lf",
    "core.quotePath=true",
    "tar.umask=0002",
    "log.showSignature=false",
    "diff.algorithm=myers",
    "diff.indentHeuristic=true",
    "diff.orderFile=/dev/null",
    "diff.renames=true",
)
_DIFF = (
    "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--full-index", "-M",
    "-U3", "--inter-hunk-context=0", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip


def run(
    repo: Path,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    ok: tuple[int, ...] = (0,),
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """One git command in `repo`; an exit code outside `ok` raises GitError.

    The corpus builders' git: change/git.py's runner plus pins that fix archive and diff output.
    """
    pins = [part for pin in _PINS for part in ("-c", pin)]
    return git_run(repo, [*pins, *args], stdin=stdin, ok=ok, env=env)


def git(repo: Path, args: Sequence[str], **kwargs: Any) -> bytes:
    """Stdout of `run`."""
    return run(repo, args, **kwargs).stdout


def git_dir_of(path: Path) -> Path:
    """The git directory of the repository at exactly `path` (a work tree or a bare clone)."""
    if not path.is_dir():
        raise GitError(f"{path} is not a directory")
    # a ceiling: a plain directory inside some other repository is not that repository
    env = {"GIT_CEILING_DIRECTORIES": str(path.resolve().parent)}
    args = ["rev-parse", "--path-format=absolute", "--git-common-dir", "--is-bare-repository"]
    proc = run(path, args, ok=(0, 128), env=env)
    fields = proc.stdout.decode("utf-8", "surrogateescape").split("\n")
    if proc.returncode != 0 or len(fields) < 2:
        raise GitError(f"{path} is not a git repository")
    common, bare = Path(fields[0]), fields[1] == "true"
    top = common if bare else Path(os.fsdecode(git(path, ["rev-parse", "--show-toplevel"]).strip()))
    if top.resolve() != path.resolve():
        raise GitError(f"{path} is not a git repository (it is inside {top})")
    return common


def resolve_commit(repo: Path, ref: str) -> str | None:
    """Full id of commit `ref` in the repository at `repo`, None when unknown."""
    if not ref or ref.startswith("-") or "\n" in ref:
        return None
    out = git(repo, ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], ok=(0, 1, 128))
    sha = out.decode("ascii", "replace").strip()
    return sha or None


@contextmanager
def borrowed(source: Path) -> Iterator[Path]:
    """A temporary bare repository that reads the objects of the repository at `source`."""
    objects = git_dir_of(source) / "objects"
    tmp = Path(tempfile.mkdtemp(prefix="prreview-corpus-"))
    helper = tmp / "helper.git"
    hash_format = git(source, ["rev-parse", "--show-object-format"]).decode("ascii").strip()
    try:
        init = ["init", "-q", "--bare", "--template=", f"--object-format={hash_format}"]
        git(tmp, [*init, str(helper)])
        (helper / "objects" / "info").mkdir(parents=True, exist_ok=True)
        (helper / "objects" / "info" / "alternates").write_text(f"{objects}\n", encoding="utf-8")
        (helper / "info").mkdir(exist_ok=True)
        (helper / "info" / "attributes").write_text(NEUTRAL_ATTRIBUTES, encoding="ascii")
        shallow = objects.parent / "shallow"
        if shallow.is_file():  # the grafts of a shallow clone, so history walks stop there
            shutil.copyfile(shallow, helper / "shallow")
        yield helper
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def has_commit(helper: Path, sha: str) -> bool:
    out = git(helper, ["cat-file", "-t", sha], ok=(0, 1, 128))
    return out.strip() == b"commit"


def archive(helper: Path, commit: str) -> bytes:
    """`git archive --format=tar` of `commit`, gzip level 9 with mtime 0 and no file name."""
    tar = git(helper, ["archive", "--format=tar", commit])
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar)
    return buffer.getvalue()


def diff_bytes(helper: Path, old: str, new: str, paths: Sequence[str] = ()) -> bytes:
    """The patch `git apply` takes (`--binary --full-index`), a/ and b/ prefixes."""
    return git(helper, [*_DIFF, "--binary", old, new, "--", *paths])


def diff_files(helper: Path, old: str, new: str, paths: Sequence[str] = ()) -> list[FileChange]:
    """The same diff as `diff_bytes`, parsed by the package's diff parser."""
    out = git(helper, [*_DIFF, "--raw", "-p", "-z", old, new, "--", *paths])
    records, patch = split_raw(out)
    return build_changes(records, patch, [None] * len(records))


def blob(helper: Path, commit: str, path: str) -> bytes | None:
    """Content of `path` at `commit`, None when it is absent."""
    proc = run(helper, ["cat-file", "blob", f"{commit}:{path}"], ok=(0, 128))
    return proc.stdout if proc.returncode == 0 else None


def blame_range(helper: Path, commit: str, path: str, first: int, last: int) -> set[str]:
    """Commits `git blame` gives lines first..last of `path` at `commit` to."""
    args = ["blame", "--porcelain", "--no-textconv", f"-L{first},{last}", commit, "--", path]
    out = git(helper, args, ok=(0, 128))
    found = set()
    for line in out.split(b"\n"):
        head = line.split(b" ", 1)[0]
        if len(head) in (40, 64) and all(c in b"0123456789abcdef" for c in head):
            found.add(head.decode("ascii"))
    return found
