"""Bar charts as SVG, drawn on the server: readable without JavaScript, no library.

Horizontal bars (one row per vendor, month, step…), stacked or side by side, with
a visible title, labelled axes, a legend, the figure at the end of each bar, and a
``<title>`` and ``<desc>`` that name the chart for screen readers (each bar has its
own ``<title>`` too). Where each part goes is ``chart_layout.layout``'s business.
The page's Content Security Policy forbids inline styles, so colours and sizes are
SVG presentation attributes; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from markupsafe import Markup

from .chart_layout import (
    FONT,
    GRID,
    SWATCH,
    TEXT,
    Number,
    Series,
    Text,
    layout,
    nice_ticks,
)

__all__ = ["Number", "Series", "bar_chart", "duration", "layout", "nice_ticks", "percent"]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(text: Text, css: str) -> Markup:
    extra = Markup("")
    if text.anchor != "start":
        extra += Markup(' text-anchor="{}"').format(text.anchor)
    if text.size != FONT:
        extra += Markup(' font-size="{}"').format(_num(text.size))
    if text.bold:
        extra += Markup(' font-weight="600"')
    return Markup('<text class="{css}" x="{x}" y="{y}"{extra}>{text}</text>').format(
        css=css, x=_num(text.x), y=_num(text.y), extra=extra, text=text.text
    )


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
    chart = layout(
        title=title,
        labels=labels,
        series=series,
        value_axis=value_axis,
        label_axis=label_axis,
        fmt=fmt,
        tick_fmt=tick_fmt,
        stacked=stacked,
    )
    plot = chart.plot
    parts: list[Markup] = [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="{id}" role="img" '
            'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
            'font-family="system-ui, -apple-system, sans-serif" font-size="{size}" fill="{text}" '
            'aria-labelledby="{id}-title {id}-desc">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        ).format(
            id=chart_id,
            w=_num(chart.width),
            h=_num(chart.height),
            size=FONT,
            text=TEXT,
            title=title,
            desc=description,
        )
    ]
    parts += [_text(line, "chart-title") for line in chart.titles]
    for s, x, y, name in chart.legend:
        parts.append(
            Markup(
                '<g class="chart-legend"><rect class="{css}" x="{x}" y="{y}" width="{size}" '
                'height="{size}" rx="2" fill="{fill}"/>{name}</g>'
            ).format(
                css=s.css,
                x=_num(x),
                y=_num(y),
                size=SWATCH,
                fill=s.fill,
                name=_text(name, "chart-legend-label"),
            )
        )
    for x, tick in zip(chart.grid, chart.ticks, strict=True):
        parts.append(
            Markup('<line x1="{x}" x2="{x}" y1="{top}" y2="{bottom}" stroke="{grid}"/>').format(
                x=_num(x), top=_num(plot.top), bottom=_num(plot.bottom), grid=GRID
            )
        )
        parts.append(_text(tick, "chart-tick"))
    parts.append(
        Markup(
            '<line x1="{l}" x2="{l}" y1="{top}" y2="{bottom}" stroke="{text}"/>'
            '<line x1="{l}" x2="{r}" y1="{bottom}" y2="{bottom}" stroke="{text}"/>'
        ).format(
            l=_num(plot.left),
            r=_num(plot.right),
            top=_num(plot.top),
            bottom=_num(plot.bottom),
            text=TEXT,
        )  # fmt: skip
    )
    parts += [_text(axis, "chart-axis-title") for axis in chart.axes]
    for row in chart.rows:
        parts.append(
            Markup('<g class="chart-row"><g><title>{full}</title>{label}</g>').format(
                full=row.full, label=_text(row.label, "chart-label")
            )
        )
        for bar in row.bars:
            parts.append(
                Markup(
                    '<rect class="{css}" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}">'
                    "<title>{label}, {name}: {figure}</title></rect>"
                ).format(
                    css=bar.series.css,
                    x=_num(bar.x),
                    y=_num(bar.y),
                    w=_num(bar.width),
                    h=_num(bar.height),
                    fill=bar.series.fill,
                    label=row.full,
                    name=bar.series.name,
                    figure=bar.figure,
                )
            )
        parts += [_text(value, "chart-value") for value in row.values]
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
