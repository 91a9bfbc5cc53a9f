"""Where each part of a bar chart goes, computed before anything is drawn
(``charts.py`` draws it).

The title and the legend sit above the plot, wrapped to the chart's width; the
label axis' title heads the row labels' column; that column is as wide as its
longest label (up to ``MAX_LABEL_SHARE`` of the chart: longer labels are
shortened, the full one goes in their ``<title>``); the right margin is as wide as
the longest figure; ticks are thinned until their labels fit side by side.
``Text.box`` is the rectangle a text occupies (from ``text_width``, a generous
estimate of the sans-serif font), so that tests can check that no text leaves the
picture or overlaps another.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Callable, Sequence
from decimal import Decimal

WIDTH = 760
PAD = 8  # around the picture, and between a text and what it labels
FONT = 12
SMALL = 10  # the figures beside side-by-side bars
TITLE_FONT = 14
LINE = 1.35  # line height, in font sizes
MAX_LABEL_SHARE = 0.4  # of the width, for the row labels
SWATCH = 12
TEXT = "#3d4a45"
GRID = "#dfe5e2"
# A text's box around its baseline, in font sizes (sans-serif ascent and descent).
ASCENT = 0.8
DESCENT = 0.25

Number = Decimal | float | int


@dataclasses.dataclass(frozen=True)
class Series:
    name: str
    css: str  # a class of static/css/app.css, for those who restyle the chart
    fill: str
    values: Sequence[Number | None]


@dataclasses.dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )


def _char_width(char: str) -> float:
    """A generous width of one character, in font sizes."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in "mwMW@%&—":
        return 0.95
    if char in " .,:;'|!il1ftjrI()[]·":
        return 0.38
    if char.isupper():
        return 0.72
    return 0.6


def text_width(text: str, size: float = FONT, *, bold: bool = False) -> float:
    """How wide ``text`` draws at ``size`` in the chart's sans-serif font, rounded up:
    the layout reserves at least this much."""
    width = sum(_char_width(char) for char in text) * size
    return width * 1.06 if bold else width


@dataclasses.dataclass(frozen=True)
class Text:
    kind: str  # title, legend, axis, label, tick, value
    text: str
    x: float
    y: float  # the baseline
    size: float = FONT
    anchor: str = "start"
    bold: bool = False

    @property
    def width(self) -> float:
        return text_width(self.text, self.size, bold=self.bold)

    def box(self) -> Box:
        shift = {"start": 0.0, "middle": 0.5, "end": 1.0}[self.anchor]
        left = self.x - self.width * shift
        return Box(
            left, self.y - ASCENT * self.size, left + self.width, self.y + DESCENT * self.size
        )


@dataclasses.dataclass(frozen=True)
class Bar:
    series: Series
    x: float
    y: float
    width: float
    height: float
    figure: str


@dataclasses.dataclass(frozen=True)
class Row:
    full: str  # the whole label, in the row's <title>
    label: Text
    bars: list[Bar]
    values: list[Text]


@dataclasses.dataclass(frozen=True)
class Layout:
    width: float
    height: float
    titles: list[Text]
    legend: list[tuple[Series, float, float, Text]]  # the series, its swatch's x and y
    axes: list[Text]  # the label axis' title above the labels, the value axis' below
    ticks: list[Text]
    grid: list[float]
    plot: Box
    rows: list[Row]

    def texts(self) -> list[Text]:
        """Every text drawn."""
        row_texts = [text for row in self.rows for text in (row.label, *row.values)]
        legend = [text for *_swatch, text in self.legend]
        return [*self.titles, *legend, *self.axes, *self.ticks, *row_texts]


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


def shorten(text: str, width: float, size: float = FONT) -> str:
    """``text``, cut with an ellipsis to fit ``width``."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, width: float, size: float = FONT, *, bold: bool = False) -> list[str]:
    """``text`` in lines of at most ``width`` (a word longer than a line is shortened)."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, bold=bold) <= width:
            lines[-1] = candidate
        else:
            fits = text_width(word, size, bold=bold) <= width
            lines.append(word if fits else shorten(word, width / (1.06 if bold else 1), size))
    return lines or [""]


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def layout(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    value_axis: str,
    label_axis: str,
    fmt: Callable[[Number], str],
    tick_fmt: Callable[[Number], str] | None = None,
    stacked: bool = False,
) -> Layout:
    """Where every part of the chart goes (see the module's docstring)."""
    inner = WIDTH - 2 * PAD
    y = PAD
    # The title, wrapped, above everything.
    titles = []
    for line in wrap(title, inner, TITLE_FONT, bold=True):
        y += TITLE_FONT * LINE
        titles.append(
            Text("title", line, PAD, round(y - DESCENT * TITLE_FONT, 1), TITLE_FONT, bold=True)
        )
    # The legend, in as many lines as it needs.
    legend: list[tuple[Series, float, float, Text]] = []
    y += PAD
    x = PAD
    line_top = y
    for s in series:
        name = shorten(s.name, inner - SWATCH - 5)
        item = SWATCH + 5 + text_width(name)
        if x > PAD and x + item > WIDTH - PAD:
            x, line_top = PAD, line_top + FONT * LINE
        baseline = round(line_top + SWATCH - 2, 1)
        legend.append((s, x, line_top, Text("legend", name, x + SWATCH + 5, baseline)))
        x += item + 18
    y = line_top + FONT * LINE + PAD
    # The label axis' title heads the labels' column, above the first row.
    axes = []
    for line in wrap(label_axis, inner, FONT, bold=True):
        y += FONT * LINE
        axes.append(Text("axis", line, PAD, round(y - DESCENT * FONT, 1), bold=True))
    plot_top = y + PAD / 2

    values = [[float(v or 0) for v in s.values] for s in series]
    figures = [[fmt(v) if v is not None else "—" for v in s.values] for s in series]
    if stacked:
        sums = [sum(column) for column in zip(*values, strict=True)]
        top = max(sums, default=0.0)
        ends = [fmt(sum(s.values[i] or 0 for s in series)) for i in range(len(labels))]
        value_room = max((text_width(f) for f in ends), default=0.0)
    else:
        top = max((v for row in values for v in row), default=0.0)
        value_room = max((text_width(f, SMALL) for row in figures for f in row), default=0.0)
    shown = [shorten(label, WIDTH * MAX_LABEL_SHARE) for label in labels]
    label_room = max((text_width(label) for label in shown), default=0.0)

    tick_label = tick_fmt or fmt
    for count in (5, 4, 3, 2, 1):
        ticks = nice_ticks(top, count)
        tick_texts = [tick_label(tick) for tick in ticks]
        widest = max(text_width(t) for t in tick_texts)
        left = PAD + max(label_room + PAD, text_width(tick_texts[0]) / 2)
        right = WIDTH - PAD - max(value_room + 4, text_width(tick_texts[-1]) / 2)
        if (right - left) / (len(ticks) - 1) >= widest + PAD:
            break
    scale_top = ticks[-1]

    def at(value: float) -> float:
        return left + (right - left) * value / scale_top

    bar = 18 if stacked else 12
    row_height = bar + 10 if stacked else bar * len(series) + 12
    rows = []
    for index, label in enumerate(labels):
        y0 = plot_top + row_height * index + 5
        label_text = Text(
            "label",
            shown[index],
            left - PAD,
            round(y0 + (row_height - 10) / 2 + 4, 1),
            anchor="end",
        )
        bars, texts, start = [], [], 0.0
        for number, s in enumerate(series):
            value = values[number][index]
            if stacked:
                bx, by, width = at(start), y0, at(start + value) - at(start)
                start += value
            else:
                bx, by, width = at(0), y0 + bar * number, at(value) - at(0)
            figure = fmt(s.values[index] if s.values[index] is not None else 0)
            bars.append(Bar(s, round(bx, 1), by, round(max(width, 0), 1), bar - 2, figure))
            if not stacked:
                texts.append(
                    Text(
                        "value",
                        figures[number][index],
                        round(bx + width + 4, 1),
                        by + bar - 4,
                        SMALL,
                    )
                )
        if stacked:
            texts.append(Text("value", ends[index], round(at(start) + 4, 1), y0 + bar - 5))
        rows.append(Row(label, label_text, bars, texts))
    plot_bottom = plot_top + row_height * len(labels)
    tick_texts = [
        Text("tick", text, round(at(tick), 1), plot_bottom + 16, anchor="middle")
        for tick, text in zip(ticks, tick_texts, strict=True)
    ]
    axes.append(
        Text(
            "axis",
            shorten(value_axis, right - left),
            round((left + right) / 2, 1),
            plot_bottom + 40,
            anchor="middle",
            bold=True,
        )
    )
    return Layout(
        width=WIDTH,
        height=round(plot_bottom + 40 + DESCENT * FONT + PAD, 1),
        titles=titles,
        legend=legend,
        axes=axes,
        ticks=tick_texts,
        grid=[round(at(tick), 1) for tick in ticks],
        plot=Box(round(left, 1), plot_top, round(right, 1), plot_bottom),
        rows=rows,
    )
