"""A Mermaid flowchart of the changed modules and the repository modules they import.

Only a small subset of the flowchart grammar is emitted, one statement per line, so that a
test can check it with a grammar of its own (tests/mermaid_check.py):

    flowchart LR
      m0["prreview/publish"]            node: id m<N>, quoted label
      m0 --> m1                         edge between declared nodes
      classDef changed fill:#fff4c2,stroke:#b08800
      class m0,m2 changed               the changed modules

Labels are paths from the pull request, so they are data: every character outside
`[A-Za-z0-9 _./@+-]` becomes `_`, which leaves no quote, bracket, `;` or `%%` to end a label,
a statement or start a directive.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

MAX_NODES = 30
_UNSAFE = re.compile(r"[^A-Za-z0-9 _./@+-]")
_LABEL_LIMIT = 60


def label(module: str) -> str:
    text = "repository root" if module == "." else module
    text = _UNSAFE.sub("_", text)
    return text if len(text) <= _LABEL_LIMIT else "…" + text[-(_LABEL_LIMIT - 1) :]


def flowchart(changed: Sequence[str], edges: Sequence[tuple[str, str]]) -> tuple[str, int]:
    """(the diagram text, how many modules were left out over MAX_NODES)."""
    order = list(dict.fromkeys(sorted(changed)))
    order += sorted({m for edge in edges for m in edge} - set(order))
    kept = order[:MAX_NODES]
    ids = {module: f"m{i}" for i, module in enumerate(kept)}
    lines = ["flowchart LR"]
    lines += [f'  {ids[m]}["{label(m)}"]' for m in kept]
    lines += [f"  {ids[a]} --> {ids[b]}" for a, b in edges if a in ids and b in ids]
    marked = [ids[m] for m in kept if m in set(changed)]
    if marked:
        lines.append("  classDef changed fill:#fff4c2,stroke:#b08800")
        lines.append(f"  class {','.join(marked)} changed")
    return "\n".join(lines), len(order) - len(kept)
