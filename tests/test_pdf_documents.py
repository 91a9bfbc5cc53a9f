"""Every PDF Procure makes, as its readers get it: the buying organisation's details,
tagged with its metadata (pdfinfo, qpdf), text in any script printed as glyphs, a
short order on one page, and the two hashes of an issued order told apart.

``PROCURE_PDF_DIR=/some/folder`` keeps the rendered PDFs there, to look at."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa

from procure import organisation, pdf
from procure.contracts import document as contract_document
from procure.contracts import services as contracts
from procure.models import Notification
from procure.orders import services as orders
from procure.sourcing import services as sourcing

from .documents import issued_order

DETAILS = {
    "name": "Lakeview County Public Schools",
    "address": "2400 Harbor Boulevard\nLakeview, OR 97630",
    "phone": "+1 541 555 0142",
    "email": "procurement@lakeview.example",
    "tax_id": "EIN 93-1234567",
    "bill_to": "Accounts Payable\nPO Box 1180\nLakeview, OR 97630",
    "terms": "Goods are accepted once inspected; defective goods go back at the vendor's cost.",
}
FINGERPRINT_LABEL = "Order content fingerprint (SHA-256 of the order's data, not of this file)"
LATER = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def org(db):
    organisation.update(DETAILS, actor=None)
    db.session.commit()
    return organisation.current()


def keep(name: str, data: bytes) -> None:
    if folder := os.environ.get("PROCURE_PDF_DIR"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / name).write_bytes(data)


def pages_text(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def tool(tmp_path: Path, data: bytes, *command: str) -> subprocess.CompletedProcess:
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(  # noqa: S603 -- fixed tools on a file of ours
        [*command, str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def pdfinfo(tmp_path: Path, data: bytes) -> dict[str, str]:
    result = tool(tmp_path, data, "pdfinfo")
    assert result.returncode == 0, result.stderr
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in result.stdout.splitlines())
    )


def order_with(make, vendor_name: str, lines, *, issue: bool = True):
    """An order to ``vendor_name`` for ``lines`` ((description, quantity, price)…),
    sourced, awarded and (unless ``issue`` is false) issued."""
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    pr = make.approved_request(requester, approver, lines=lines)
    vendor = make.vendor(vendor_name, email="orders@vendor.example")
    vendor.address = "1 Supplier Way\nPort Town"
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=LATER),
        actor=buyer,
    )
    sourcing.send(rfq, actor=buyer)
    quote = sourcing.record_quote(
        rfq,
        sourcing.QuoteData(
            vendor_id=vendor.id,
            valid_until=LATER,
            lead_time_days=5,
            lines=[
                sourcing.QuoteLineData(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    request_line_id=line.id,
                )
                for line in pr.lines
            ],
        ),
        actor=buyer,
    )
    order = sourcing.award(rfq, quote.id, actor=buyer)
    if issue:
        orders.issue(order, actor=buyer)
    make.db.session.commit()
    return order


def contract_for(make, *, activate: bool):
    owner = make.user(["procurement"], department="PROC")
    vendor = make.vendor("Fabrikam Networks")
    contract = contracts.create(
        contracts.ContractData(
            vendor_id=vendor.id,
            title="Core switch maintenance",
            kind="maintenance",
            start_date=dt.date(2026, 3, 15),
            end_date=dt.date(2027, 3, 14),
            value=Decimal("12000.00"),
            billing_period="quarterly",
            auto_renew=True,
            notice_days=30,
            renewal_term_months=12,
            sla_response_hours=4,
            sla_resolution_hours=24,
            covered_items=["Core switch SW-01"],
        ),
        actor=owner,
    )
    if activate:
        contracts.activate(contract, actor=owner)
    make.db.session.commit()
    return contract


def stored_pdf(order) -> bytes:
    data, _name = orders.document(order)
    return data


# The organisation on the purchase order --------------------------------------------------


def test_the_order_shows_the_organisation_as_admin_set_it(app, make, org):
    order = issued_order(make)
    data = stored_pdf(order)
    keep("order-organisation.pdf", data)
    text = " ".join(pages_text(data))
    for expected in (
        DETAILS["name"],
        "2400 Harbor Boulevard Lakeview, OR 97630",
        "Phone: +1 541 555 0142",
        "E-mail: procurement@lakeview.example",
        "Tax id: EIN 93-1234567",
        "Invoice to Accounts Payable PO Box 1180 Lakeview, OR 97630",
        "General terms of purchase",
        DETAILS["terms"],
    ):
        assert expected in text, expected
    assert app.config["PROCURE_ORGANISATION"] not in text  # "Example Organisation"
    assert "localhost" not in text


def test_the_fingerprint_in_the_footer_says_it_is_not_the_files_hash(app, make, org, client):
    order = issued_order(make)
    data = stored_pdf(order)
    text = " ".join(pages_text(data))
    fingerprint = orders.content_reference(order)
    assert f"{FINGERPRINT_LABEL}: {fingerprint}" in text
    # The file's own hash is another one, kept on the order and shown on its page.
    assert hashlib.sha256(data).hexdigest() == order.pdf_sha256 != fingerprint
    assert order.pdf_sha256 not in text

    admin = make.user(["admin"], email="pdf-admin@example.org")
    client.post("/login", data={"email": admin.email, "password": "correct horse battery"})
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    label = re.search(r"<dt[^>]*>([^<]*)</dt><dd[^>]*><code[^>]*>" + order.pdf_sha256, page)
    assert label is not None and label.group(1) == "SHA-256 of the PDF file"
    assert "What <code>sha256sum</code> of the download prints." in page
    assert "of the order's data, not of the file" in page
    download = client.get(f"/orders/{order.id}/pdf").data
    assert hashlib.sha256(download).hexdigest() == order.pdf_sha256


def test_a_draft_has_no_fingerprint(app, make, org):
    order = order_with(make, "Contoso", [("Laptop", "1", "900.00")], issue=False)
    text = " ".join(pages_text(stored_pdf(order)))
    assert "Draft — not a purchase order" in text
    assert "fingerprint" not in text


def test_a_one_line_order_is_one_page(app, make, org):
    order = order_with(make, "Contoso", [("Laptop", "1", "900.00")])
    data = stored_pdf(order)
    keep("order-1-line.pdf", data)
    assert len(pages_text(data)) == 1


# Without the stylesheet's keep-together rules, 14 lines leave the signatures alone on
# the second page and 15 the totals without any line; 25 run well onto a second page.
@pytest.mark.parametrize("count", [14, 15, 25])
def test_the_signature_stays_with_the_totals_and_the_last_line(app, make, org, count):
    lines = [
        (f"Item {n}: docking station, model {n * 7}", "1", "99.00") for n in range(1, count + 1)
    ]
    order = order_with(make, "Contoso", lines)
    data = stored_pdf(order)
    keep(f"order-{count}-lines.pdf", data)
    pages = pages_text(data)
    signed = [text for text in pages if "Accepted for Contoso" in text]
    assert len(signed) == 1
    assert "Total (USD)" in signed[0]
    assert f"Item {count}: docking station" in signed[0]


# Tagged, with metadata, valid -------------------------------------------------------------


def _issued_order(make):
    order = order_with(make, "Contoso", [("Laptop", "1", "900.00")])
    return stored_pdf(order), f"Purchase order {order.number}", "Contoso"


def _draft_order(make):
    order = order_with(make, "Contoso", [("Laptop", "1", "900.00")], issue=False)
    return stored_pdf(order), "Purchase order draft", "Contoso"


def _draft_agreement(make):
    contract = contract_for(make, activate=False)
    data, _ = contract_document.render(contract)
    return data, f"Maintenance agreement {contract.number}", "Fabrikam Networks"


def _active_agreement(make):
    contract = contract_for(make, activate=True)
    data, _ = contract_document.render(contract)
    return data, f"Maintenance agreement {contract.number}", "Fabrikam Networks"


KINDS = [_issued_order, _draft_order, _draft_agreement, _active_agreement]


@pytest.mark.parametrize("build", KINDS, ids=[kind.__name__[1:] for kind in KINDS])
def test_every_pdf_is_tagged_and_says_what_it_is(app, make, org, tmp_path, build):
    with app.test_request_context():
        data, title, vendor = build(make)
    keep(f"{build.__name__[1:]}.pdf", data)
    info = pdfinfo(tmp_path, data)
    assert info["Title"] == title
    assert info["Author"] == DETAILS["name"]
    assert DETAILS["name"] in info["Subject"] and vendor in info["Subject"], info
    assert re.match(r"\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4}", info["CreationDate"]), info
    assert info["Tagged"] == "yes"
    check = tool(tmp_path, data, "qpdf", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "No syntax or stream encoding errors found" in check.stdout
    catalog = pypdf.PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert bool(catalog["/MarkInfo"]["/Marked"])


def test_an_issued_order_is_dated_when_it_was_issued(app, make, org, tmp_path):
    order = order_with(make, "Contoso", [("Laptop", "1", "900.00")])
    info = pdfinfo(tmp_path, stored_pdf(order))
    issued = order.issued_at.replace(tzinfo=dt.UTC)
    shown = dt.datetime.strptime(info["CreationDate"], "%a %b %d %H:%M:%S %Y %Z")
    assert shown.replace(tzinfo=dt.UTC) == issued.replace(microsecond=0)


# Any script ---------------------------------------------------------------------------------

SCRIPTS = {
    "Japanese": "株式会社サンプル電機",
    "Chinese": "联想笔记本电脑",
    "Korean": "삼성 모니터 받침대",
    "Arabic": "حاسوب محمول",
    "Hebrew": "מקלדת אלחוטית",
}


def notdef_warnings(caplog) -> list[str]:
    """WeasyPrint's word for a character no font has, printed as a box (.notdef)."""
    return [r.getMessage() for r in caplog.records if ".notdef" in r.getMessage()]


def test_text_in_any_script_prints_as_glyphs(app, make, org, tmp_path, caplog):
    lines = [(f"{name}: {text}", "1", "10.00") for name, text in SCRIPTS.items()]
    order = order_with(make, SCRIPTS["Japanese"], lines)
    data = stored_pdf(order)
    keep("order-scripts.pdf", data)

    fonts = tool(tmp_path, data, "pdffonts").stdout
    embedded = [line for line in fonts.splitlines()[2:] if line.split()[-5] == "yes"]
    names = " ".join(line.split()[0] for line in embedded)
    for family in ("Noto-Sans-CJK-JP", "Noto-Sans-Arabic", "Noto-Sans-Hebrew"):
        assert family in names, fonts
    assert len(embedded) == len(fonts.splitlines()[2:])  # every font embedded

    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    for name in ("Japanese", "Chinese", "Korean"):
        assert SCRIPTS[name] in text, name
    for name in ("Arabic", "Hebrew"):
        # Right-to-left words are extracted as drawn; each word is there whole.
        for word in SCRIPTS[name].split():
            assert word in text or word[::-1] in text, (name, word)
    assert notdef_warnings(caplog) == []


def test_a_character_no_font_has_is_noticed(app, caplog):
    """The check above can fail: a code point no installed font covers is a box."""
    with app.test_request_context():
        pdf.html_to_pdf('<html lang="en"><p>\U000f0000</p></html>')
    assert notdef_warnings(caplog) != []


# E-mails to vendors -------------------------------------------------------------------------


def test_the_vendor_email_is_signed_by_the_organisation(app, make, org, db):
    order = issued_order(make)
    mail = db.session.scalar(
        sa.select(Notification).where(
            Notification.entity == "order", Notification.entity_id == order.id
        )
    )
    assert mail.subject == f"Purchase order {order.number} from {DETAILS['name']}"
    assert DETAILS["name"] in mail.body_text and DETAILS["name"] in mail.body_html
    assert "Phone: +1 541 555 0142" in mail.body_text
    assert "Accounts Payable\nPO Box 1180" in mail.body_text
