"""A grammar check of the Mermaid flowchart subset `prreview describe` emits.

Mermaid itself needs a browser DOM to parse, so the tests check the subset we promise
(prreview/describe/mermaid.py) with an exact grammar instead, one statement per line:

    diagram   := "flowchart" SP direction NL statement*
    direction := "LR" | "TD" | "TB" | "RL" | "BT"
    statement := SP SP ( node | edge | classdef | class )
    node      := id '["' label '"]'                 label: [A-Za-z0-9 _./@+-…]{1,60}
    edge      := id " --> " id                      both ids declared before
    classdef  := "classDef " name " " style("," style)*   style: key ":" value
    class     := "class " id ("," id)* " " name     ids declared, name defined by classDef

Anything else (a quote, bracket, `;`, `%%` directive, `click`, an undeclared id) is an error.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^flowchart (LR|TD|TB|RL|BT)$")
_ID = r"m\d+"
_NODE = re.compile(rf'^  ({_ID})\["([A-Za-z0-9 _./@+\-…]{{1,60}})"\]$')
_EDGE = re.compile(rf"^  ({_ID}) --> ({_ID})$")
_CLASSDEF = re.compile(
    r"^  classDef ([a-z]+) ([a-z-]+:#[0-9a-f]{3,6}(?:,[a-z-]+:#[0-9a-f]{3,6})*)$"
)
_CLASS = re.compile(rf"^  class ({_ID}(?:,{_ID})*) ([a-z]+)$")


class MermaidError(ValueError):
    pass


def check_flowchart(text: str) -> dict[str, str]:
    """Parse `text`; return {node id: label}. Raises MermaidError on the first bad line."""
    lines = text.strip("\n").split("\n")
    if not lines or not _HEADER.match(lines[0]):
        raise MermaidError(f"line 1: not a flowchart header: {lines[0]!r}")
    nodes: dict[str, str] = {}
    classes: set[str] = set()
    for number, line in enumerate(lines[1:], start=2):
        if m := _NODE.match(line):
            if m.group(1) in nodes:
                raise MermaidError(f"line {number}: node {m.group(1)} declared twice")
            nodes[m.group(1)] = m.group(2)
        elif m := _EDGE.match(line):
            _declared(number, nodes, m.group(1), m.group(2))
        elif m := _CLASSDEF.match(line):
            classes.add(m.group(1))
        elif m := _CLASS.match(line):
            _declared(number, nodes, *m.group(1).split(","))
            if m.group(2) not in classes:
                raise MermaidError(f"line {number}: class {m.group(2)} has no classDef")
        else:
            raise MermaidError(f"line {number}: not in the grammar: {line!r}")
    return nodes


def _declared(number: int, nodes: dict[str, str], *ids: str) -> None:
    for node in ids:
        if node not in nodes:
            raise MermaidError(f"line {number}: {node} is not declared")


def mermaid_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)\n```$", markdown, flags=re.M | re.S)
