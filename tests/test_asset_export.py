"""The asset register handed over: CSV in Snipe-IT's and GLPI's import layouts (every
cell safe for a spreadsheet, every row as wide as its header, one query per batch of
assets, not per asset) and the PDF sheet of labels (tags, QR codes to the pages)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
import segno
import sqlalchemy as sa
from PIL import Image

from procure.assets import export, labels, services
from procure.csvcells import neutralise
from procure.errors import ValidationError
from procure.models import Asset, AssetStatus
from procure.orders import services as orders
from procure.reference import add_months
from procure.vendors import csvio
from procure.workflow import AssetAction

from .documents import issued_order

D = Decimal
SNIPEIT_START = (
    "Asset Tag,Serial Number,Model Name,Category,Status,Supplier,Purchase Date,"
    "Purchase Cost,Order Number,Warranty Months"
)


@pytest.fixture
def register(make, db):
    """Three laptops received with serials (36 months' warranty), one deployed, one
    retired; a model typed as a formula."""
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(('=HYPERLINK("http://x.example")', "3", "1249.50"),),
        warranty_months=36,
    )
    line = order.lines[0]
    orders.receive(
        order,
        [
            orders.ReceiptLineData(
                line_id=line.id, quantity=D("3"), serials=["+SN-1", "SN-2", "@SN-3"]
            )
        ],
        received_on=None,
        actor=buyer,
    )
    db.session.commit()
    assets = db.session.scalars(sa.select(Asset).order_by(Asset.id)).all()
    holder = make.user(["requester"], department="IT", name="Grace Hopper")
    services.act(assets[0], AssetAction.DEPLOY, actor=buyer, holder=holder, location="-Desk 4")
    services.act(assets[2], AssetAction.RETIRE, actor=buyer)
    db.session.commit()
    return order, assets, holder


def _parse(fmt, assets):
    text = "".join(export.generate(assets, fmt))
    assert text.endswith("\r\n")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_snipeit_export_has_its_header_and_neutralised_cells(register):
    order, assets, holder = register
    rows = _parse("snipeit", sa.select(Asset).order_by(Asset.id))
    header = rows[0]
    assert ",".join(header).startswith(SNIPEIT_START)
    assert {"Location", "Full Name", "Email", "Notes"} <= set(header)
    assert len(rows) == 4
    assert all(len(row) == len(header) for row in rows)
    first = dict(zip(header, rows[1], strict=True))
    assert first["Asset Tag"] == assets[0].tag
    assert first["Serial Number"] == "'+SN-1"
    assert first["Model Name"].startswith("'=HYPERLINK")
    assert first["Status"] == "Ready to Deploy"
    assert first["Full Name"] == "Grace Hopper" and first["Email"] == holder.email
    assert first["Location"] == "'-Desk 4"
    assert first["Purchase Date"] == dt.date.today().isoformat()
    assert first["Purchase Cost"] == "1249.50"
    assert first["Order Number"] == order.number
    assert first["Warranty Months"] == "36"
    assert first["Supplier"] == order.vendor.name
    assert first["Category"] == "Hardware"
    retired = dict(zip(header, rows[3], strict=True))
    assert retired["Status"] == "Archived"
    assert retired["Notes"].endswith("Procure status: retired")
    assert retired["Serial Number"] == "'@SN-3"
    # Nothing in the file starts a formula.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_glpi_export_names_glpis_fields(register):
    order, assets, holder = register
    rows = _parse("glpi", assets)
    header = rows[0]
    assert header[:4] == ["Name", "Serial number", "Inventory number", "Type"]
    for field in ("Status", "Location", "User", "Supplier", "Purchase date", "Value"):
        assert field in header
    assert {"Warranty duration", "Warranty start date", "Order number"} <= set(header)
    assert all(len(row) == len(header) for row in rows)
    first = dict(zip(header, rows[1], strict=True))
    assert first["Inventory number"] == assets[0].tag
    assert first["Status"] == "Deployed"
    assert first["User"] == holder.email
    assert first["Warranty duration"] == "36"
    assert first["Value"] == "1249.50"


def test_an_empty_register_still_has_its_header(app):
    assert list(export.generate([], "snipeit")) == [
        SNIPEIT_START + ",Location,Full Name,Email,Notes\r\n"
    ]
    with pytest.raises(ValueError):
        list(export.generate([], "xlsx"))


def test_the_export_reads_order_numbers_once_per_batch_not_per_asset(register, db):
    statements = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        db.session.expire_all()
        rows = _parse("snipeit", sa.select(Asset).order_by(Asset.id))
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert len(rows) == 4
    # The assets (vendor and holder joined), the categories, the orders' numbers.
    assert len(statements) <= 3, statements


@pytest.mark.parametrize(
    "purchase, end, months",
    [
        (dt.date(2026, 1, 31), dt.date(2029, 1, 31), 36),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28), 1),
        (dt.date(2026, 3, 15), dt.date(2026, 4, 14), 0),
        (dt.date(2026, 3, 15), dt.date(2026, 3, 15), 0),
        (dt.date(2026, 3, 15), add_months(dt.date(2026, 3, 15), 60), 60),
    ],
)
def test_warranty_months_are_whole_months(purchase, end, months):
    asset = Asset(purchase_date=purchase, warranty_end=end)
    assert export.warranty_months(asset) == months


def test_the_file_name_says_format_and_day():
    assert export.filename("glpi", dt.date(2026, 12, 6)) == "assets-glpi-2026-12-06.csv"
    assert export.FORMATS == ("snipeit", "glpi")


def test_neutralise_is_the_vendor_csvs():
    assert csvio.neutralise is neutralise
    assert neutralise("=1+1") == "'=1+1" and neutralise("'x") == "''x" and neutralise(None) == ""


def _tool(tmp_path: Path, data: bytes, *command: str) -> subprocess.CompletedProcess:
    path = tmp_path / "labels.pdf"
    path.write_bytes(data)
    return subprocess.run(  # noqa: S603 -- fixed tools on a file of ours
        [*command, str(path), *(["-"] if command[0] == "pdftotext" else [])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_labels_print_each_tag_with_a_qr_code_to_its_page(app, register, tmp_path):
    _order, assets, _holder = register
    with app.test_request_context():
        data = labels.render(assets)
        link = labels.link(assets[0])
    assert data.startswith(b"%PDF")
    check = _tool(tmp_path, data, "qpdf", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    text = _tool(tmp_path, data, "pdftotext", "-layout").stdout
    for asset in assets:
        assert asset.tag in text
    assert "S/N +SN-1" in text
    assert link == app.config["PROCURE_BASE_URL"].rstrip("/") + f"/assets/{assets[0].tag}"
    assert labels.qr_svg(link).startswith("<svg")
    assert "HYPERLINK" not in labels.qr_svg(link)


def test_the_qr_code_printed_is_the_assets_link_and_scan_sized(app, register, tmp_path):
    """The first label's QR code, read back from the printed page module by module, is
    segno's code for the asset's link; the symbol is over 20 mm wide."""
    _order, assets, _holder = register
    with app.test_request_context():
        data = labels.render(assets[:1])
        link = labels.link(assets[0])
    (tmp_path / "labels.pdf").write_bytes(data)
    dpi = 200
    subprocess.run(  # noqa: S603 -- a fixed tool on a file of ours
        ["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile"]
        + [str(tmp_path / "labels.pdf"), str(tmp_path / "page")],
        check=True,
        timeout=60,
    )
    mm = dpi / 25.4
    with Image.open(tmp_path / "page.png") as page:
        # The first label: its QR code sits left, within 31 × 42 mm of the corner.
        corner = page.convert("L").crop((0, 0, int(31 * mm), int(42 * mm)))
    pixels, (width, height) = corner.load(), corner.size
    dark = [(x, y) for y in range(height) for x in range(width) if pixels[x, y] < 128]
    left, top = min(x for x, _ in dark), min(y for _, y in dark)
    size = max(x for x, _ in dark) - left + 1
    matrix = segno.make(link, error="m").matrix
    n = len(matrix)
    printed = [
        [
            pixels[int(left + (c + 0.5) * size / n), int(top + (r + 0.5) * size / n)] < 128
            for c in range(n)
        ]
        for r in range(n)
    ]
    assert printed == [[bool(module) for module in row] for row in matrix]
    assert size / mm > 20


def test_labels_are_refused_for_none_or_too_many():
    with pytest.raises(ValidationError) as none:
        labels.check(0)
    assert "ids" in none.value.fields
    with pytest.raises(ValidationError) as many:
        labels.check(labels.MAX_LABELS + 1)
    assert "ids" in many.value.fields
    labels.check(labels.MAX_LABELS)


def test_a_tag_with_a_slash_is_quoted_in_its_link(app, register):
    _order, assets, _holder = register
    asset = assets[1]
    asset.tag = "IT/LAP-7"
    with app.test_request_context():
        assert labels.link(asset).endswith("/assets/IT%2FLAP-7")
    assert asset.status == AssetStatus.IN_STOCK
