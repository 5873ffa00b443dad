"""Tiny inline-SVG charts for the HTML report (no JavaScript, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

REF, CUR, LINE, WARN, CRIT = "#7f8c8d", "#2e86de", "#2c3e50", "#f39c12", "#c0392b"


def grouped_bars(labels: Sequence[str], reference: Sequence[float], current: Sequence[float], width: int = 520, height: int = 180) -> str:
    """Reference (grey) and current (blue) shares per bin."""
    top = max([*reference, *current, 1e-9])
    slot = (width - 40) / max(len(labels), 1)
    parts = []
    for i, label in enumerate(labels):
        x = 30 + i * slot
        for j, (value, colour) in enumerate(((reference[i], REF), (current[i], CUR))):
            h = (height - 50) * value / top
            parts.append(f'<rect x="{x + j * slot * 0.4:.1f}" y="{height - 30 - h:.1f}" width="{slot * 0.38:.1f}" height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{height - 15}" font-size="8" text-anchor="middle">{escape(label[:14])}</text>')
    legend = f'<text x="30" y="12" font-size="10" fill="{REF}">reference</text><text x="100" y="12" font-size="10" fill="{CUR}">current</text>'
    return _svg(width, height, legend + "".join(parts))


def horizontal_bars(items: Sequence[tuple[str, float]], marks: Sequence[tuple[float, str]], width: int = 520) -> str:
    """One bar per item (e.g. PSI per feature) with vertical threshold marks."""
    row = 18
    height = 30 + row * len(items)
    top = max([v for _, v in items] + [m for m, _ in marks] + [1e-9]) * 1.1
    scale = (width - 160) / top
    parts = []
    for i, (label, value) in enumerate(items):
        y = 20 + i * row
        parts.append(f'<text x="145" y="{y + 11}" font-size="10" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="150" y="{y}" width="{max(value, 0) * scale:.1f}" height="{row - 4}" fill="{CUR}"/>')
        parts.append(f'<text x="{154 + max(value, 0) * scale:.1f}" y="{y + 11}" font-size="9">{value:.3f}</text>')
    for mark, colour in marks:
        x = 150 + mark * scale
        parts.append(f'<line x1="{x:.1f}" y1="15" x2="{x:.1f}" y2="{height - 5}" stroke="{colour}" stroke-dasharray="4 3"/>')
    return _svg(width, height, "".join(parts))


def line_chart(values: Sequence[float], marks: Sequence[tuple[float, str]], width: int = 520, height: int = 180) -> str:
    """A metric over successive windows with horizontal threshold lines."""
    if not values:
        return _svg(width, height, '<text x="20" y="40" font-size="11">no data yet</text>')
    low = min([*values, *(m for m, _ in marks)])
    high = max([*values, *(m for m, _ in marks)])
    span = (high - low) or 1.0

    def y(v: float) -> float:
        return height - 20 - (height - 40) * (v - low) / span

    step = (width - 60) / max(len(values) - 1, 1)
    points = " ".join(f"{40 + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [f'<polyline points="{points}" fill="none" stroke="{LINE}" stroke-width="1.5"/>']
    for mark, colour in marks:
        parts.append(f'<line x1="40" y1="{y(mark):.1f}" x2="{width - 20}" y2="{y(mark):.1f}" stroke="{colour}" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="2" y="{y(high) + 4:.1f}" font-size="9">{high:.3g}</text><text x="2" y="{y(low):.1f}" font-size="9">{low:.3g}</text>')
    return _svg(width, height, "".join(parts))


def _svg(width: int, height: int, body: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">{body}</svg>'
