"""Two small SVG charts for the performance page, drawn from the benchmark's JSON.

Plain SVG with no script and no dependency: the page stays static and works offline.
Both value axes are logarithmic, since the figures span several orders of magnitude.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from ..reports import terminal

_FONT = 'font-family="sans-serif" font-size="12" fill="currentColor"'


def _decades(low: float, high: float) -> list[float]:
    return [10.0**e for e in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)]


def bars(rows: Sequence[tuple[str, float]], *, title: str) -> str:
    """Horizontal bars on a log axis: one row per implementation, seconds per action."""
    label_width, plot_width, row_height, top = 260, 420, 28, 34
    ticks = _decades(min(v for _, v in rows), max(v for _, v in rows))
    lo, hi = math.log10(ticks[0]), math.log10(ticks[-1])

    def x(value: float) -> float:
        return label_width + (math.log10(value) - lo) / (hi - lo) * plot_width

    height = top + row_height * len(rows) + 30
    parts = [_open(label_width + plot_width + 90, height, title)]
    for tick in ticks:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top - 6}" x2="{x(tick):.1f}" '
            f'y2="{height - 26}" stroke="currentColor" stroke-opacity="0.2"/>'
            f'<text x="{x(tick):.1f}" y="{height - 10}" text-anchor="middle" {_FONT}>'
            f'{_time(tick)}</text>'
        )
    for n, (name, value) in enumerate(rows):
        y = top + n * row_height
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" {_FONT}>'
            f'{html.escape(name)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{x(value) - label_width:.1f}" '
            f'height="{row_height - 8}" fill="#7e56c2"/>'
            f'<text x="{x(value) + 6:.1f}" y="{y + 15}" {_FONT}>{_time(value)}</text>'
        )
    return '\n'.join([*parts, '</svg>'])


def fan_out(points: Sequence[tuple[int, float]], *, title: str) -> str:
    """Seconds against units on log-log axes, with the line of exactly linear cost."""
    left, width, top, plot_height = 70, 440, 34, 260
    xs = _decades(min(u for u, _ in points), max(u for u, _ in points))
    first_units, first_seconds = points[0]
    linear = [(u, first_seconds * u / first_units) for u, _ in points]
    ys = _decades(min(s for _, s in (*points, *linear)), max(s for _, s in (*points, *linear)))

    def x(units: float) -> float:
        return left + (math.log10(units) - math.log10(xs[0])) / math.log10(xs[-1] / xs[0]) * width

    def y(seconds: float) -> float:
        span = math.log10(ys[-1] / ys[0])
        return top + plot_height - (math.log10(seconds / ys[0])) / span * plot_height

    parts = [_open(left + width + 150, top + plot_height + 50, title)]
    for tick in xs:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{top}" x2="{x(tick):.1f}" y2="{top + plot_height}" '
            f'stroke="currentColor" stroke-opacity="0.2"/>'
            f'<text x="{x(tick):.1f}" y="{top + plot_height + 18}" text-anchor="middle" '
            f'{_FONT}>{tick:,.0f}</text>'
        )
    for tick in ys:
        parts.append(
            f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + width}" y2="{y(tick):.1f}" '
            f'stroke="currentColor" stroke-opacity="0.2"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" {_FONT}>'
            f'{_time(tick)}</text>'
        )
    parts.append(
        f'<text x="{left + width / 2}" y="{top + plot_height + 38}" text-anchor="middle" '
        f'{_FONT}>units in one juju run</text>'
    )
    parts.append(_polyline(linear, x, y, 'stroke-dasharray="5 4" stroke-opacity="0.6"'))
    parts.append(_polyline(points, x, y, 'stroke="#7e56c2" stroke-width="2.5"'))
    for units, seconds in points:
        parts.append(
            f'<circle cx="{x(units):.1f}" cy="{y(seconds):.1f}" r="4" fill="#7e56c2"/>'
            f'<text x="{x(units) + 8:.1f}" y="{y(seconds) - 6:.1f}" {_FONT}>'
            f'{_time(seconds)}</text>'
        )
    last_x, last_y = x(linear[-1][0]), y(linear[-1][1])
    parts.append(f'<text x="{last_x + 8:.1f}" y="{last_y + 16:.1f}" {_FONT}>linear</text>')
    return '\n'.join([*parts, '</svg>'])


def _polyline(
    points: Sequence[tuple[float, float]],
    x: Callable[[float], float],
    y: Callable[[float], float],
    style: str,
) -> str:
    coords = ' '.join(f'{x(u):.1f},{y(s):.1f}' for u, s in points)
    return f'<polyline points="{coords}" fill="none" stroke="currentColor" {style}/>'


def _open(width: float, height: float, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}"><title>{html.escape(title)}</title>'
        f'<text x="0" y="16" font-family="sans-serif" font-size="14" font-weight="bold" '
        f'fill="currentColor">{html.escape(title)}</text>'
    )


def _time(seconds: float) -> str:
    return terminal.human_seconds(seconds)
