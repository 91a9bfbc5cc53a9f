"""The report charts' layout: every text inside the picture, none over another.

The boxes are the chart code's own (``chart_layout.Text.box``: where a text is
anchored and how wide the layout reckons it); the SVG is then checked to draw each
text at exactly those coordinates, so the boxes are those of the picture.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from procure.reports import chart_layout, charts, figures

SVG = "{http://www.w3.org/2000/svg}"


def money(value) -> str:
    return f"${Decimal(value):,.2f}"


def tick(value) -> str:
    return f"${float(value):,.0f}"


SHORT = ["A", "B"]
LONG = [
    "RFQ-2026-00001 Laptops for the developers joining the platform team in spring",
    "RFQ-2026-00002 Docks",
    "RFQ-2026-00003 日本語のラベルはとても長いので途中で切られます",
    "RFQ-2026-00004 " + "W" * 60,
]
CASES = {
    "short labels, side by side": dict(labels=SHORT, stacked=False, axis="RFQ"),
    "long labels, side by side": dict(labels=LONG, stacked=False, axis="RFQ"),
    "short labels, stacked": dict(
        labels=SHORT, stacked=True, axis="Department · vendor or category · first request"
    ),
    "long labels, stacked": dict(labels=LONG, stacked=True, axis="Vendor"),
}


def arguments(
    labels, stacked, axis, title="Awarded quote against the median and the highest quote"
):
    count = len(labels)
    big = [Decimal("123456.78") * (n + 1) for n in range(count)]
    return dict(
        title=title,
        labels=labels,
        series=[
            charts.Series("Awarded", "bar-spent", "#15503f", big),
            charts.Series("Median quote", "bar-committed", "#5fa58f", [Decimal("900")] * count),
            charts.Series("Highest quote", "bar-highest", "#c9a227", [None] * count),
        ],
        value_axis="Amount (USD)",
        label_axis=axis,
        fmt=money,
        tick_fmt=tick,
        stacked=stacked,
    )


def describe(text: chart_layout.Text) -> str:
    box = text.box()
    return (
        f"{text.kind} {text.text!r} at ({box.left:.0f}, {box.top:.0f})–"
        f"({box.right:.0f}, {box.bottom:.0f})"
    )


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_every_text_lies_inside_the_picture(case):
    layout = charts.layout(**arguments(case["labels"], case["stacked"], case["axis"]))
    outside = [
        describe(text)
        for text in layout.texts()
        if not (
            0 <= text.box().left
            and text.box().right <= layout.width
            and 0 <= text.box().top
            and text.box().bottom <= layout.height
        )
    ]
    assert not outside, f"outside the {layout.width}×{layout.height} viewBox: {outside}"


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_no_text_overlaps_another_and_the_title_stands_above_the_plot(case):
    layout = charts.layout(**arguments(case["labels"], case["stacked"], case["axis"]))
    texts = layout.texts()
    overlapping = [
        f"{describe(a)} over {describe(b)}"
        for a, b in itertools.combinations(texts, 2)
        if a.box().overlaps(b.box())
    ]
    assert not overlapping, "\n".join(overlapping)
    title_bottom = max(text.box().bottom for text in layout.titles)
    axis_labels = [t for t in texts if t.kind in ("axis", "label", "tick", "legend")]
    assert all(title_bottom <= text.box().top for text in axis_labels)
    assert title_bottom <= layout.plot.top
    # The labels' column and the figures' margin are wide enough for what they hold.
    assert all(
        text.box().right <= layout.plot.left for text in layout.texts() if text.kind == "label"
    )


def test_the_margins_follow_the_labels_length():
    short = charts.layout(**arguments(SHORT, False, "RFQ"))
    long = charts.layout(**arguments(LONG, False, "RFQ"))
    assert short.plot.left < 60
    assert long.plot.left > 200
    # A label too long for its column is shortened; its full text stays in its <title>.
    assert long.rows[0].label.text.endswith("…")
    assert long.rows[0].full == LONG[0]
    assert long.rows[1].label.text == LONG[1]


def test_a_long_title_wraps_inside_the_picture():
    layout = charts.layout(**arguments(SHORT, True, "Vendor", title="Spend by vendor " * 12))
    assert len(layout.titles) > 1
    assert all(text.box().right <= layout.width - chart_layout.PAD for text in layout.titles)


def test_tick_labels_stay_apart_on_a_narrow_plot():
    layout = charts.layout(**arguments(LONG, False, "RFQ"))
    ticks = [text.box() for text in layout.ticks]
    assert len(ticks) >= 2
    assert all(a.right < b.left for a, b in itertools.pairwise(ticks))


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_the_svg_draws_each_text_where_the_layout_puts_it(case):
    kwargs = arguments(case["labels"], case["stacked"], case["axis"])
    layout = charts.layout(**kwargs)
    drawing = str(charts.bar_chart(chart_id="c", description="d", **kwargs))
    svg = ET.fromstring(drawing)  # noqa: S314 -- the chart code's own output
    _x, _y, width, height = (float(n) for n in svg.get("viewBox").split())
    assert (width, height) == (layout.width, layout.height)
    drawn = sorted(
        (element.text, round(float(element.get("x")), 1), round(float(element.get("y")), 1))
        for element in svg.iter(f"{SVG}text")
    )
    planned = sorted((text.text, round(text.x, 1), round(text.y, 1)) for text in layout.texts())
    assert drawn == planned
    # Nothing is rotated or moved after layout.
    assert not [element for element in svg.iter() if element.get("transform")]


def test_money_ticks_say_the_amount_they_stand_at(app):
    with app.test_request_context():
        assert figures.money_tick(2.5) == "$2.5"
        assert figures.money_tick(7.5) == "$7.5"
        assert figures.money_tick(150000) == "$150,000"
