"""Printable asset labels: an A4 sheet of 3 × 8 labels (70 × 37 mm, the common
self-adhesive sheet), each with the asset's tag in large type, its model and serial,
and a QR code (about 25 mm) that opens the asset's page, ``<PROCURE_BASE_URL>/assets/
<tag>``. A longer list runs over more sheets, at most :data:`MAX_LABELS` at once.

Rendered through the app's safe PDF renderer (``pdf.py``: it loads nothing but the
app's static files). The QR code is drawn by ``segno`` as inline SVG — vector, so it
scans at any printer resolution, and no image is fetched; it encodes only the link.
The text (tag, model, serial) reaches the PDF through the autoescaped template.

Who may print which assets is the caller's to check (the assets it loads through
``services``); this module only draws them.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence

import segno
from markupsafe import Markup

from .. import organisation, pdf
from ..errors import ValidationError
from ..models import Asset, utcnow
from ..notifications.services import absolute_link

MAX_LABELS = 240
PER_SHEET = 24
# All a QR code's SVG may be: a viewBox and one path of moves and lines.
QR_SVG = re.compile(
    r'<svg viewBox="0 0 \d+ \d+" class="segno">'
    r'<path class="qrline" stroke="#000" d="[Mmhv0-9. -]+"/></svg>'
)


def link(asset: Asset) -> str:
    """The asset page's absolute address, which its QR code encodes."""
    return absolute_link("/assets/" + urllib.parse.quote(asset.tag, safe=""))


def qr_svg(text: str) -> Markup:
    """``text`` as a QR code in inline SVG, sized by the stylesheet (``omitsize``).
    Segno draws the modules as one path: nothing of ``text`` appears in the markup,
    and :data:`QR_SVG` proves it before the markup is trusted."""
    svg = segno.make(text, error="m").svg_inline(scale=1, border=2, omitsize=True, title=None)
    if not QR_SVG.fullmatch(svg):
        raise ValueError("segno drew an unexpected SVG")
    return Markup(svg)  # noqa: S704 -- checked against QR_SVG just above


def check(count: int, field: str = "ids") -> None:
    """Refuse an empty list or more than :data:`MAX_LABELS` labels (a 422 on ``field``)."""
    if count == 0:
        raise ValidationError.field(field, "Choose at least one asset to label.")
    if count > MAX_LABELS:
        raise ValidationError.field(
            field, f"At most {MAX_LABELS} labels at once ({count} asked); print in batches."
        )


def render(assets: Sequence[Asset]) -> bytes:
    """A PDF of labels for ``assets``, in the order given."""
    check(len(assets))
    org = organisation.current()
    labels = [
        {"tag": asset.tag, "model": asset.model, "serial": asset.serial, "qr": qr_svg(link(asset))}
        for asset in assets
    ]
    sheets = [labels[i : i + PER_SHEET] for i in range(0, len(labels), PER_SHEET)]
    count = len(labels)
    document = pdf.DocumentInfo(
        title=f"Asset labels ({count})",
        author=org.name,
        subject=f"{count} asset label{'s' if count != 1 else ''} of {org.name}",
        created=utcnow(),
    )
    return pdf.render_pdf("asset_labels.html", document=document, sheets=sheets, org=org)
