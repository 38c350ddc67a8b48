"""Inline SVG charts (no script, no external reference): the confidence sweep, recall bars."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from prreview.report.escape import html_text

WIDTH, HEIGHT = 600, 330
LEFT, RIGHT, TOP, BOTTOM = 52, 170, 18, 48
SERIES = (
    ("precision", "Precision", "#0969da", ""),
    ("recall", "Recall", "#1a7f37", ""),
    ("clean_fp_rate", "Clean cases flagged", "#cf222e", "5 4"),
)


def _x(t: float, lo: float, hi: float) -> float:
    span = (hi - lo) or 1.0
    return LEFT + (t - lo) / span * (WIDTH - LEFT - RIGHT)


def _y(v: float) -> float:
    return TOP + (1.0 - v) * (HEIGHT - TOP - BOTTOM)


def _segments(points: Sequence[tuple[float, float | None]]) -> list[list[tuple[float, float]]]:
    """Runs of consecutive points with a value (None breaks the line)."""
    runs: list[list[tuple[float, float]]] = [[]]
    for t, v in points:
        if v is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((t, v))
    return [r for r in runs if r]


def _axes(thresholds: Sequence[float], lo: float, hi: float) -> list[str]:
    out = []
    for pct in (0, 25, 50, 75, 100):
        y = _y(pct / 100)
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="#d1d9e0" stroke-width="1"/>'
            f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    base = _y(0)
    for t in thresholds:
        x = _x(t, lo, hi)
        out.append(
            f'<line x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" y2="{base + 5:.1f}" stroke="#59636e"/>'
            f'<text x="{x:.1f}" y="{base + 18:.1f}" text-anchor="middle">{t:.1f}</text>'
        )
    mid = (LEFT + WIDTH - RIGHT) / 2
    out.append(
        f'<text x="{mid:.1f}" y="{HEIGHT - 8}" text-anchor="middle">minimum confidence</text>'
    )
    return out


def _series(
    sweep: Sequence[Mapping[str, Any]],
    key: str,
    label: str,
    color: str,
    dash: str,
    span: tuple[float, float],
) -> list[str]:
    points = [(float(p["threshold"]), p.get(key)) for p in sweep]
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    out = []
    for run in _segments(points):
        coords = " ".join(f"{_x(t, *span):.1f},{_y(v):.1f}" for t, v in run)
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2.2"'
            f"{dash_attr}/>"
        )
        out += [
            f'<circle cx="{_x(t, *span):.1f}" cy="{_y(v):.1f}" r="3.2" fill="{color}">'
            f"<title>{label} at {t:.1f}: {100 * v:.1f}%</title></circle>"
            for t, v in run
        ]
    return out


def _legend() -> list[str]:
    out = []
    x = WIDTH - RIGHT + 16
    for i, (_key, label, color, dash) in enumerate(SERIES):
        y = TOP + 10 + i * 20
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x}" y1="{y}" x2="{x + 22}" y2="{y}" stroke="{color}" '
            f'stroke-width="2.2"{dash_attr}/><text x="{x + 28}" y="{y + 4}">{label}</text>'
        )
    return out


def sweep_chart(sweep: Sequence[Mapping[str, Any]]) -> str:
    """Precision, recall and the clean-case rate against the confidence threshold."""
    thresholds = [float(p["threshold"]) for p in sweep] or [0.0]
    span = (min(thresholds), max(thresholds))
    body = _axes(thresholds, *span)
    for key, label, color, dash in SERIES:
        body += _series(sweep, key, label, color, dash, span)
    body += _legend()
    return (
        f'<svg role="img" aria-label="Precision and recall by minimum confidence" '
        f'width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="system-ui, sans-serif" font-size="11" fill="#1f2328">'
        + "".join(body)
        + "</svg>"
    )


BAR_WIDTH, BAR_ROW, BAR_LEFT, BAR_RIGHT = 520, 24, 150, 70


def recall_bars(groups: Mapping[str, Mapping[str, Any]], label: str) -> str:
    """Horizontal bars of recall per group with their 95% interval as a whisker."""
    names = list(groups)
    height = TOP + BAR_ROW * max(len(names), 1) + 30
    span = BAR_WIDTH - BAR_LEFT - BAR_RIGHT

    def x(v: float) -> float:
        return BAR_LEFT + v * span

    body = [
        f'<line x1="{x(p / 100):.1f}" y1="{TOP - 6}" x2="{x(p / 100):.1f}" y2="{height - 26}" '
        f'stroke="#d1d9e0"/><text x="{x(p / 100):.1f}" y="{height - 12}" '
        f'text-anchor="middle">{p}%</text>'
        for p in (0, 50, 100)
    ]
    for i, name in enumerate(names):
        g, y = groups[name], TOP + i * BAR_ROW
        short = name if len(name) <= 22 else name[:21] + "…"
        body.append(
            f'<text x="{BAR_LEFT - 8}" y="{y + 13}" text-anchor="end">{html_text(short)} '
            f"({g.get('primary_findings', 0)})</text>"
        )
        recall, interval = g.get("recall"), g.get("recall_ci")
        if recall is None:
            body.append(f'<text x="{x(0) + 4:.1f}" y="{y + 13}" fill="#59636e">n/a</text>')
            continue
        body.append(
            f'<rect x="{x(0):.1f}" y="{y + 3}" width="{recall * span:.1f}" height="14" '
            f'fill="#1a7f37" opacity="0.8"><title>{html_text(name)}: {100 * recall:.1f}%</title></rect>'
        )
        if interval:
            lo, hi = x(interval[0]), x(interval[1])
            body.append(
                f'<path d="M{lo:.1f},{y + 10} H{hi:.1f} M{lo:.1f},{y + 5} V{y + 15} '
                f'M{hi:.1f},{y + 5} V{y + 15}" stroke="#1f2328" stroke-width="1.3" fill="none"/>'
            )
        body.append(f'<text x="{x(1) + 8:.1f}" y="{y + 13}">{100 * recall:.0f}%</text>')
    return (
        f'<svg role="img" aria-label="{html_text(label)}" width="{BAR_WIDTH}" height="{height}" '
        f'viewBox="0 0 {BAR_WIDTH} {height}" font-family="system-ui, sans-serif" '
        f'font-size="11" fill="#1f2328">' + "".join(body) + "</svg>"
    )
