"""The description as Markdown (what `prreview describe` prints and publish writes).

Every string that came from the change or from a model goes through `report.escape`, so the
text cannot ping anyone, link anywhere, open HTML or forge our hidden markers. Sections start
with `### ` so that a body that must be shortened drops whole sections from the end.
"""

from __future__ import annotations

from prreview.describe.mermaid import flowchart
from prreview.describe.shape import Description, FileNote, ModuleChange
from prreview.report import escape

MAX_ROWS = 50
_FILES_PER_ROW = 8
_SYMBOLS = 6


def render_markdown(desc: Description) -> str:
    parts = [
        "### Suggested title",
        "",
        escape.md_inline(escape.truncate(desc.title, 200)),
        "",
        f"**Type:** {desc.type}"
        + (
            f" · **Labels:** {', '.join(escape.code_span(x) for x in desc.labels)}"
            if desc.labels
            else ""
        ),
        "",
        escape.md_text(escape.truncate(desc.overview, 2_000)),
        "",
        "### Walkthrough",
        "",
        *_table(desc.modules),
    ]
    if desc.modules:
        parts += ["", *_diagram(desc)]
    footer = "Written by `prreview describe`"
    footer += " with a model." if desc.source == "model" else " without a model."
    if desc.note:
        footer += " " + escape.md_inline(escape.truncate(desc.note, 300))
    parts += ["", f"_{footer}_"]
    return "\n".join(parts).rstrip() + "\n"


def _table(modules: tuple[ModuleChange, ...]) -> list[str]:
    if not modules:
        return ["No files changed."]
    rows = ["| module | files | +/- | what changed |", "| --- | --- | ---: | --- |"]
    for m in modules[:MAX_ROWS]:
        rows.append(
            f"| {escape.code_span(m.module, in_table=True)} | {_files(m.files)} | "
            f"+{m.added}/-{m.removed} | {_what(m)} |"
        )
    if len(modules) > MAX_ROWS:
        rows.append(f"| … | {len(modules) - MAX_ROWS} more modules | | |")
    return rows


def _what(m: ModuleChange) -> str:
    text = escape.table_cell(escape.truncate(m.summary, 300))
    names = list(dict.fromkeys(s for f in m.files for s in f.symbols))
    if names:
        shown = ", ".join(escape.code_span(n, in_table=True) for n in names[:_SYMBOLS])
        more = f" +{len(names) - _SYMBOLS}" if len(names) > _SYMBOLS else ""
        text += f"; touches {shown}{more}"
    return text


def _files(files: tuple[FileNote, ...]) -> str:
    shown = [
        f"{escape.code_span(f.path.rsplit('/', 1)[-1], in_table=True)} ({f.status})"
        for f in files[:_FILES_PER_ROW]
    ]
    if len(files) > _FILES_PER_ROW:
        shown.append(f"+{len(files) - _FILES_PER_ROW} more")
    return ", ".join(shown)


def _diagram(desc: Description) -> list[str]:
    text, left_out = flowchart([m.module for m in desc.modules], desc.imports)
    lines = ["### Modules and imports", "", "```mermaid", text, "```"]
    if left_out:
        lines += ["", f"{left_out} more modules are not drawn."]
    return lines
