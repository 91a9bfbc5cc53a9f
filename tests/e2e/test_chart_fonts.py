"""A report chart's labels in Japanese, Chinese, Korean, Arabic and Hebrew are drawn
with fonts that have their glyphs: Chromium says which fonts it used for each label
(DevTools' CSS.getPlatformFontsForNode), with the app's own stylesheet applied."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from procure.reports import charts

APP_CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
LABELS = {
    "Noto Sans CJK JP": ["株式会社サンプル電機", "联想笔记本电脑", "삼성 모니터 받침대"],
    "Noto Sans Arabic": ["حاسوب محمول"],
    "Noto Sans Hebrew": ["מקלדת אלחוטית"],
}


def test_chart_labels_in_any_script_use_fonts_that_have_them(page):
    labels = [label for group in LABELS.values() for label in group]
    svg = charts.bar_chart(
        chart_id="scripts-chart",
        title="Spend by vendor",
        description="One bar per vendor.",
        labels=labels,
        series=[charts.Series("Spent", "bar-spent", "#15503f", [Decimal(10)] * len(labels))],
        value_axis="Amount",
        label_axis="Vendor",
        fmt=lambda value: f"{value}",
    )
    page.set_content(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<style>{APP_CSS.read_text(encoding='utf-8')}</style></head>"
        f"<body><main>{svg}</main></body></html>"
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
    nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "svg text"})["nodeIds"]
    used: dict[str, set[str]] = {}
    for node in nodes:
        text = page.evaluate(
            "(i) => document.querySelectorAll('svg text')[i].textContent", nodes.index(node)
        )
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        used[text] = {font["familyName"] for font in fonts if font["glyphCount"]}
    for family, group in LABELS.items():
        for label in group:
            shown = [text for text in used if text and text in label or label in text]
            assert shown, f"{label} is not drawn: {sorted(used)}"
            assert all(family in used[text] for text in shown), (label, used[shown[0]])
