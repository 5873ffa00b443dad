"""Tiny inline-SVG charts for the HTML report (no JavaScript, no external assets)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

REF, CUR, LINE, WARN, CRIT = "#7f8c8d", "#2e86de", "#2c3e50", "#f39c12", "#c0392b"
LABEL_CHARS, CHAR_WIDTH = 14, 4.8  # shown characters of a bin label; width of one at font-size 8


def grouped_bars(labels: Sequence[str], reference: Sequence[float], current: Sequence[float], width: int = 520, height: int = 180) -> str:
    """Reference (grey) and current (blue) shares per bin."""
    top = max([*reference, *current, 1e-9])
    slot = (width - 40) / max(len(labels), 1)
    # Labels wider than their slot would run into each other: slant them and make room below the bars.
    slanted = max((len(label[:LABEL_CHARS]) for label in labels), default=0) * CHAR_WIDTH > slot
    axis = height - (60 if slanted else 30)
    height += 30 if slanted else 0
    parts = []
    for i, label in enumerate(labels):
        x = 30 + i * slot
        for j, (value, colour) in enumerate(((reference[i], REF), (current[i], CUR))):
            h = (axis - 20) * value / top
            parts.append(f'<rect x="{x + j * slot * 0.4:.1f}" y="{axis - h:.1f}" width="{slot * 0.38:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
        cx, cy = x + slot * 0.4, axis + 12
        turn = f' transform="rotate(-40 {cx:.1f} {cy})"' if slanted else ""
        anchor = "end" if slanted else "middle"
        parts.append(f'<text x="{cx:.1f}" y="{cy}" font-size="8" text-anchor="{anchor}"{turn}>'
                     f'<title>{escape(label)}</title>{escape(label[:LABEL_CHARS])}</text>')
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
    # A single window is a point, which a polyline does not draw: mark every window so one is visible.
    parts += [f'<circle cx="{40 + i * step:.1f}" cy="{y(v):.1f}" r="3" fill="{LINE}"><title>{v:.4g}</title></circle>'
              for i, v in enumerate(values)]
    for mark, colour in marks:
        parts.append(f'<line x1="40" y1="{y(mark):.1f}" x2="{width - 20}" y2="{y(mark):.1f}" stroke="{colour}" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="2" y="{y(high) + 4:.1f}" font-size="9">{high:.3g}</text><text x="2" y="{y(low):.1f}" font-size="9">{low:.3g}</text>')
    return _svg(width, height, "".join(parts))


def _svg(width: int, height: int, body: str) -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif">{body}</svg>'
