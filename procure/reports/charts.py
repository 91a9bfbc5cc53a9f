"""Bar charts as SVG, drawn on the server: readable without JavaScript, no library.

Horizontal bars (one row per vendor, month, step…), stacked or side by side, with
labelled axes, a legend, the figure at the end of each bar, and a ``<title>`` and
``<desc>`` that name the chart for screen readers (each bar has its own ``<title>``
too). The page's Content Security Policy forbids inline styles, so colours and
sizes are SVG presentation attributes; every text is escaped.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup

WIDTH = 760
LABEL_WIDTH = 200  # left of the bars: the row labels
VALUE_WIDTH = 110  # right of the bars: the figures
TOP = 34  # the legend
BOTTOM = 52  # the ticks and the value axis' title
LABEL_CHARS = 28
TEXT = "#3d4a45"
GRID = "#dfe5e2"

Number = Decimal | float | int


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    css: str  # a class of static/css/app.css, for those who restyle the chart
    fill: str
    values: Sequence[Number | None]


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top`` (1, 2, 2.5 or 5 times a power of 10)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_axis: str,
    label_axis: str,
    fmt: Callable[[Number], str],
    tick_fmt: Callable[[Number], str] | None = None,
    stacked: bool = False,
) -> Markup:
    """One row per label; in each row the series' bars, stacked or one under another."""
    values = [[float(v or 0) for v in s.values] for s in series]
    if stacked:
        top = max((sum(column) for column in zip(*values, strict=True)), default=0.0)
    else:
        top = max((v for row in values for v in row), default=0.0)
    ticks = nice_ticks(top)
    scale_top = ticks[-1]
    plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bar = 18 if stacked else 12
    row_height = bar + 10 if stacked else bar * len(series) + 12

    def x(value: float) -> float:
        return LABEL_WIDTH + plot * value / scale_top

    height = TOP + row_height * len(labels) + BOTTOM
    bottom = TOP + row_height * len(labels)
    parts: list[str] = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="{id}" role="img" '
            'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
            'font-family="system-ui, -apple-system, sans-serif" font-size="12" fill="{text}" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        ).format(id=chart_id, w=WIDTH, h=height, text=TEXT, title=title, desc=description)
    ]
    # The legend.
    legend_x = LABEL_WIDTH
    for s in series:
        parts.append(
            Markup(
                '<g class="chart-legend"><rect class="{css}" x="{x}" y="8" width="12" '
                'height="12" rx="2" fill="{fill}"/><text x="{tx}" y="18">{name}</text></g>'
            ).format(css=s.css, x=legend_x, fill=s.fill, tx=legend_x + 17, name=s.name)
        )
        legend_x += 30 + 7 * len(s.name)
    # The grid and the value axis with its ticks.
    for tick in ticks:
        tx = round(x(tick), 1)
        parts.append(
            Markup(
                '<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{grid}"/>'
                '<text class="chart-tick" x="{x}" y="{ty}" text-anchor="middle">{label}</text>'
            ).format(
                x=tx,
                top=TOP - 4,
                bottom=bottom,
                grid=GRID,
                ty=bottom + 16,
                label=(tick_fmt or fmt)(tick),
            )
        )
    parts.append(
        Markup(
            '<line x1="{l}" x2="{l}" y1="{top}" y2="{bottom}" stroke="{text}"/>'
            '<line x1="{l}" x2="{r}" y1="{bottom}" y2="{bottom}" stroke="{text}"/>'
            '<text class="chart-axis-title" x="{mid}" y="{ay}" text-anchor="middle" '
            'font-weight="600">{value_axis}</text>'
            '<text class="chart-axis-title" transform="rotate(-90)" x="{lx}" y="14" '
            'text-anchor="middle" font-weight="600">{label_axis}</text>'
        ).format(
            l=LABEL_WIDTH,
            r=LABEL_WIDTH + plot,
            top=TOP - 4,
            bottom=bottom,
            text=TEXT,
            mid=LABEL_WIDTH + plot / 2,
            ay=bottom + 40,
            value_axis=value_axis,
            lx=-(TOP + (bottom - TOP) / 2),
            label_axis=label_axis,
        )
    )
    # The rows.
    for index, label in enumerate(labels):
        y0 = TOP + row_height * index + 5
        parts.append(
            Markup(
                '<g class="chart-row"><g><title>{full}</title><text class="chart-label" '
                'x="{x}" y="{y}" text-anchor="end">{short}</text></g>'
            ).format(
                x=LABEL_WIDTH - 8,
                y=round(y0 + (row_height - 10) / 2 + 4, 1),
                full=label,
                short=_short(label),
            )
        )
        start = 0.0
        for number, s in enumerate(series):
            value = values[number][index]
            if stacked:
                bx, by, width = x(start), y0, x(start + value) - x(start)
                start += value
            else:
                bx, by, width = x(0), y0 + bar * number, x(value) - x(0)
            parts.append(
                Markup(
                    '<rect class="{css}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}">'
                    "<title>{label}, {name}: {figure}</title></rect>"
                ).format(
                    css=s.css,
                    x=round(bx, 1),
                    y=by,
                    w=round(max(width, 0), 1),
                    h=bar - 2,
                    fill=s.fill,
                    label=label,
                    name=s.name,
                    figure=fmt(s.values[index] if s.values[index] is not None else 0),
                )
            )
            if not stacked:
                parts.append(
                    Markup(
                        '<text class="chart-value" x="{x}" y="{y}" font-size="10">{figure}</text>'
                    ).format(
                        x=round(bx + width + 4, 1),
                        y=by + bar - 4,
                        figure=fmt(value) if s.values[index] is not None else "—",
                    )
                )
        if stacked:
            total = sum(s.values[index] or 0 for s in series)
            parts.append(
                Markup('<text class="chart-value" x="{x}" y="{y}">{figure}</text>').format(
                    x=round(x(start) + 4, 1), y=y0 + bar - 5, figure=fmt(total)
                )
            )
        parts.append(Markup("</g>"))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def percent(value: Number) -> str:
    return f"{_num(float(value))}%"


def duration(hours: Number | None) -> str:
    """A duration given in hours, in the unit that reads best: 40 s, 12 min, 5.5 h,
    3.2 days."""
    if hours is None:
        return "—"
    seconds = float(hours) * 3600
    if seconds == 0:
        return "0"
    if seconds < 60:
        return f"{_num(seconds)} s"
    if seconds < 3600:
        return f"{_num(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{_num(seconds / 3600)} h"
    return f"{_num(seconds / 86400)} days"
