"""The repository's review guidelines and the instruction files teams already keep.

Which files apply to a changed file, in this order (earlier ones win the budget):

1. `REVIEW.md`, then `AGENTS.md`, then `CLAUDE.md`: each nearest-first, from the file's own
   directory up to the root, then `.github/` (and `.claude/CLAUDE.md`);
2. `.github/copilot-instructions.md` (repository-wide);
3. `.github/instructions/**/*.instructions.md` whose front matter `applyTo` globs match the
   file (comma-separated or a list; none means the file is only attached by hand, so it is
   not applied; `excludeAgent: code-review` leaves it out);
4. `.cursor/rules/**/*.mdc` with `alwaysApply: true`, or whose `globs` match the file (a rule
   with neither is "agent requested" and not applied);
5. `CONTRIBUTING.md`: nearest-first, then `.github/` and `docs/`.

Globs are gitignore-style, like `include`/`exclude` (a pattern without `/` matches at any
depth). Files are read from the tree the caller passes: the pipeline passes the trusted
policy tree (config.trust: the base commit when a range is reviewed), so a change cannot
rewrite what the model is told. At most `max_files` files and about `max_tokens` tokens per
changed file; a long REVIEW.md/AGENTS.md/CLAUDE.md/CONTRIBUTING.md contributes its relevant
sections (review, style, tests, conventions, ...), an instruction file its first lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import Field

from prreview.change.filters import glob_matches
from prreview.context.cache import ContextCache, ContextLimits
from prreview.context.paths import cut
from prreview.models import Frozen, Snippet

NESTED_NAMES = ("REVIEW.md", "AGENTS.md", "CLAUDE.md")
CONTRIBUTING = "CONTRIBUTING.md"
GUIDELINE_NAMES = (*NESTED_NAMES, CONTRIBUTING)
COPILOT = ".github/copilot-instructions.md"
SCOPED_DIR, SCOPED_SUFFIX = ".github/instructions/", ".instructions.md"
CURSOR_DIR, CURSOR_SUFFIX = ".cursor/rules/", ".mdc"
_HEADING = re.compile(r"^(#{1,6})\s+(.*)")
_RELEVANT_HEADING = re.compile(r"review|style|test|convention|guideline|lint|format|code", re.I)
_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_ITEM = re.compile(r"^\s+-\s*(.*)$|^-\s+(.*)$")


class GuidelineLimits(Frozen):
    max_files: int = Field(10, ge=0, description="Guideline/instruction files per changed file.")
    max_lines: int = Field(60, ge=1, description="Lines per file (relevant sections first).")
    max_tokens: int = Field(3000, ge=0, description="About this many tokens per changed file.")


@dataclass(frozen=True)
class Applicable:
    path: str
    why: str
    body_start: int = 1
    """First line after the front matter."""
    whole_file: bool = False
    """An instruction file: its first lines, not its relevant sections."""


class Guidelines:
    """The guideline and instruction files of one tree, and which apply to a path."""

    def __init__(self, cache: ContextCache, limits: GuidelineLimits = GuidelineLimits()) -> None:
        self.cache = cache
        self.limits = limits
        self._by_lower: dict[str, str] | None = None
        self._meta: dict[str, tuple[dict[str, Any], int]] = {}
        self._lists: dict[tuple[str, str], list[str]] = {}

    # -- which files

    def applicable(self, path: str) -> list[Applicable]:
        """Every file that applies to `path`, in priority order (see the module docstring)."""
        parents = [str(p) for p in PurePosixPath(path).parents]
        found: dict[str, Applicable] = {}
        for name in NESTED_NAMES:
            extra = [".github", ".claude"] if name == "CLAUDE.md" else [".github"]
            self._add_nested(found, name, [*parents, *extra])
        if (copilot := self._real(COPILOT)) is not None:
            found.setdefault(copilot, self._instruction(copilot, "repository-wide"))
        for scoped in self._listed(SCOPED_DIR, SCOPED_SUFFIX):
            why = self._scoped_match(scoped, path)
            if why:
                found.setdefault(scoped, self._instruction(scoped, why))
        for rule in self._listed(CURSOR_DIR, CURSOR_SUFFIX):
            why = self._cursor_match(rule, path)
            if why:
                found.setdefault(rule, self._instruction(rule, why))
        self._add_nested(found, CONTRIBUTING, [*parents, ".github", "docs"])
        return list(found.values())

    def usage(self, paths: Iterable[str]) -> dict[str, list[str]]:
        """guideline file -> the given paths it is sent with (the dry run lists this)."""
        used: dict[str, list[str]] = {}
        for path in paths:
            for snippet_path in dict.fromkeys(s.path for s in self.for_path(path)):
                used.setdefault(snippet_path, []).append(path)
        return used

    def _add_nested(self, found: dict[str, Applicable], name: str, folders: list[str]) -> None:
        for folder in folders:
            real = self._real(name if folder == "." else f"{folder}/{name}")
            if real is not None and real not in found:
                where = "the repository root" if folder == "." else f"{folder}/"
                found[real] = Applicable(real, f"{name} in {where}")

    def _instruction(self, path: str, why: str) -> Applicable:
        _meta, start = self._front_matter(path)
        return Applicable(path, why, body_start=start, whole_file=True)

    def _scoped_match(self, path: str, target: str) -> str | None:
        meta, _ = self._front_matter(path)
        if "code-review" in _as_list(meta.get("excludeAgent")):
            return None
        glob = _first_match(_as_list(meta.get("applyTo")), target)
        return f"applyTo {glob}" if glob else None

    def _cursor_match(self, path: str, target: str) -> str | None:
        meta, _ = self._front_matter(path)
        if meta.get("alwaysApply") is True:
            return "alwaysApply"
        glob = _first_match(_as_list(meta.get("globs")), target)
        return f"globs {glob}" if glob else None

    def _real(self, wanted: str) -> str | None:
        if self._by_lower is None:
            self._by_lower = {f.lower(): f for f in self.cache.files()}
        return self._by_lower.get(wanted.lower())

    def _listed(self, folder: str, suffix: str) -> list[str]:
        if (folder, suffix) not in self._lists:
            files = self.cache.files()
            found = sorted(f for f in files if f.startswith(folder) and f.lower().endswith(suffix))
            self._lists[(folder, suffix)] = found
        return self._lists[(folder, suffix)]

    def _front_matter(self, path: str) -> tuple[dict[str, Any], int]:
        if path not in self._meta:
            self._meta[path] = parse_front_matter(self.cache.lines(path) or [])
        return self._meta[path]

    # -- what is sent

    def for_path(self, path: str) -> list[Snippet]:
        """Excerpts of the applicable files, within the file and token budget."""
        out: list[Snippet] = []
        files, tokens = 0, 0
        for item in self.applicable(path):
            if files >= self.limits.max_files:
                break
            excerpt = self._excerpt(item)
            cost = sum(len(s.text) // 4 + 1 for s in excerpt)
            if not excerpt or tokens + cost > self.limits.max_tokens:
                continue
            out.extend(excerpt)
            files, tokens = files + 1, tokens + cost
        return out

    def _excerpt(self, item: Applicable) -> list[Snippet]:
        lines = self.cache.lines(item.path) or []
        if not item.whole_file:
            return _guideline_excerpt(item.path, lines, self.limits.max_lines)
        start = item.body_start
        while start <= len(lines) and not lines[start - 1].strip():
            start += 1
        end = start + self.limits.max_lines - 1
        label = f"instructions: {item.path} ({item.why})"
        if end < len(lines):
            label += f" (first {self.limits.max_lines} lines)"
        snippet = cut("guideline", item.path, lines, start, end, label)
        return [snippet] if snippet is not None else []


def find_guidelines(path: str, cache: ContextCache, limits: ContextLimits) -> list[Snippet]:
    """The guideline snippets for `path` read from `cache`'s tree (library convenience)."""
    return Guidelines(cache, GuidelineLimits(max_lines=limits.max_guideline_lines)).for_path(path)


def usage_note(usage: dict[str, list[str]]) -> str:
    """`instruction files: REVIEW.md (3 files), ...` for the dry run."""
    parts = [f"{g} ({len(fs)} file{'' if len(fs) == 1 else 's'})" for g, fs in usage.items()]
    return "instruction files: " + (", ".join(parts) if parts else "none")


# --------------------------------------------------------------------------- front matter


def parse_front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """(keys, first body line) of a `---` YAML front matter block: scalars, [a, b], - items."""
    if not lines or lines[0].strip() != "---":
        return {}, 1
    end = next((i for i in range(1, min(len(lines), 200)) if lines[i].strip() == "---"), None)
    if end is None:
        return {}, 1
    data: dict[str, Any] = {}
    key: str | None = None
    for raw in lines[1:end]:
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        item = _ITEM.match(raw)
        if item and key is not None:
            value = _scalar(item.group(1) if item.group(1) is not None else item.group(2))
            previous = data.get(key)
            data[key] = [*(previous if isinstance(previous, list) else []), value]
            continue
        match = _KEY.match(raw)
        if match:
            key = match.group(1)
            data[key] = _scalar(match.group(2))
    return data, end + 2


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_scalar(p) for p in text[1:-1].split(",") if p.strip()]
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text or None


def _as_list(value: Any) -> list[str]:
    """A front-matter value as strings: a list, or one comma-separated string."""
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            out.extend(p.strip().strip("\"'") for p in item.split(",") if p.strip())
    return out


def _first_match(globs: list[str], path: str) -> str | None:
    for glob in globs:
        pattern = glob.removeprefix("./")
        if pattern and glob_matches(pattern, path):
            return glob
    return None


# --------------------------------------------------------------------------- long guides


def _guideline_excerpt(path: str, lines: list[str], cap: int) -> list[Snippet]:
    if len(lines) <= cap:
        whole = cut("guideline", path, lines, 1, len(lines), f"guidelines: {path}")
        return [whole] if whole is not None else []
    sections = _relevant_sections(lines)
    if not sections:
        head = cut("guideline", path, lines, 1, cap, f"guidelines: {path} (first {cap} lines)")
        return [head] if head is not None else []
    out: list[Snippet] = []
    budget = cap
    for start, end, title in sections:
        if budget <= 0:
            break
        end = min(end, start + budget - 1)
        snippet = cut("guideline", path, lines, start, end, f"guidelines: {path} § {title}")
        if snippet is not None:
            out.append(snippet)
            budget -= end - start + 1
    return out


def _relevant_sections(lines: list[str]) -> list[tuple[int, int, str]]:
    headings: list[tuple[int, int, str]] = []
    fenced = False
    for number, line in enumerate(lines, start=1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced and (match := _HEADING.match(line)):
            headings.append((number, len(match.group(1)), match.group(2).strip()))
    sections: list[tuple[int, int, str]] = []
    for index, (line, level, title) in enumerate(headings):
        if not _RELEVANT_HEADING.search(title):
            continue
        end = len(lines)
        for later_line, later_level, _ in headings[index + 1 :]:
            if later_level <= level:
                end = later_line - 1
                break
        if not sections or line > sections[-1][1]:
            sections.append((line, end, title))
    return sections
