"""Importing e-invoices (UBL 2.1 / Peppol BIS Billing 3.0) through
``POST /api/v1/invoices/import``: a published-shape invoice and credit note for the
test's own order import and match; every refusal is a 422 on its field with nothing
stored; hostile XML (external entities to a file and to a server on loopback, an
external DTD, billion laughs) is refused without reading or fetching anything."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import http.server
import string
import threading
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import sqlalchemy as sa

from procure import storage
from procure.errors import ValidationError
from procure.invoices import ubl_document
from procure.models import Attachment, AuditEvent, Invoice
from tests import hostile
from tests.documents import issued_order

FIXTURES = Path(__file__).parent / "fixtures" / "invoices"
TODAY = dt.date.today()
TAX_ID = "DE123456789"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
XML = {"Content-Type": "application/xml"}
CENT = Decimal("0.01")


def template(name: str) -> string.Template:
    return string.Template((FIXTURES / name).read_text(encoding="utf-8"))


def peppol_invoice(
    order,
    number="NW-2026-0042",
    *,
    lines=None,
    positions=True,
    shipping="0.00",
    tax="0.00",
    total=None,
    currency="USD",
    tax_id=TAX_ID,
    order_number=None,
    issue_date=None,
    due_date=None,
    pdf=None,
) -> bytes:
    """The fixture filled in for ``order``: ``lines`` as (position, quantity, unit price),
    default every order line in full at the order's price."""
    lines = lines or [(line.position, line.quantity, line.unit_price) for line in order.lines]
    line_xml = template("peppol-invoice-line.xml")
    descriptions = {line.position: line.description for line in order.lines}
    rendered = []
    lines_total = Decimal("0.00")
    for index, (position, given_quantity, given_price) in enumerate(lines, start=1):
        quantity, price = Decimal(str(given_quantity)), Decimal(str(given_price))
        amount = (quantity * price).quantize(CENT)
        lines_total += amount
        reference = (
            f"<cac:OrderLineReference><cbc:LineID>{position}</cbc:LineID></cac:OrderLineReference>"
            if positions
            else ""
        )
        rendered.append(
            line_xml.substitute(
                index=index,
                quantity=quantity,
                currency=currency,
                line_total=amount,
                order_line_reference=reference,
                description=descriptions.get(position, "Item"),
                tax_percent="19",
                unit_price=price,
            )
        )
    taxable = lines_total + Decimal(shipping)
    attachment = ""
    if pdf is not None:
        attachment = (
            "<cac:AdditionalDocumentReference><cbc:ID>1</cbc:ID><cac:Attachment>"
            '<cbc:EmbeddedDocumentBinaryObject mimeCode="application/pdf" filename="inv.pdf">'
            f"{base64.b64encode(pdf).decode()}</cbc:EmbeddedDocumentBinaryObject>"
            "</cac:Attachment></cac:AdditionalDocumentReference>"
        )
    return (
        template("peppol-invoice.xml")
        .substitute(
            number=number,
            issue_date=issue_date or TODAY.isoformat(),
            due_date=due_date or (TODAY + dt.timedelta(days=30)).isoformat(),
            currency=currency,
            order_number=order_number or order.number,
            attachment=attachment,
            tax_id=tax_id,
            shipping=shipping,
            tax=tax,
            taxable=taxable,
            tax_percent="19",
            lines_total=lines_total,
            total=total or (taxable + Decimal(tax)),
            lines="\n    ".join(rendered),
        )
        .encode("utf-8")
    )


def peppol_credit_note(order, credited, *, quantity="1", number="NW-CN-7") -> bytes:
    dock = order.lines[1]
    return (
        template("peppol-credit-note.xml")
        .substitute(
            number=number,
            issue_date=TODAY.isoformat(),
            currency="USD",
            order_number=order.number,
            credited=credited,
            tax_id=TAX_ID,
            total=(dock.unit_price * int(quantity)).quantize(dock.unit_price),
            quantity=quantity,
            line_id=dock.position,
            unit_price=dock.unit_price,
        )
        .encode("utf-8")
    )


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "clerk": make.user(["finance"], department="FIN"),
    }


@pytest.fixture
def order(make, db, people):
    order = issued_order(make, buyer=people["buyer"])
    order.vendor.tax_id = "DE 123 456 789"  # as a person typed it: spaces do not count
    db.session.commit()
    return order


@pytest.fixture
def clerk(api, people):
    return api(people["clerk"])


def stored(db) -> tuple[int, ...]:
    """Rows of invoices, attachments and audit events, and the files in the storage."""
    files = sum(1 for path in storage.current().root.rglob("*") if path.is_file())
    return (
        *(
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Invoice, Attachment, AuditEvent)
        ),
        files,
    )


def receive_all(api, people, order) -> None:
    answer = api(people["buyer"]).post(
        f"/api/v1/orders/{order.id}/receive",
        json={
            "lines": [{"line_id": line.id, "quantity": str(line.quantity)} for line in order.lines]
        },
    )
    assert answer.status_code == 200, answer.get_json()


# What imports ------------------------------------------------------------------------------


def test_a_peppol_invoice_imports_as_a_draft_and_matches(api, people, order, clerk):
    receive_all(api, people, order)
    laptops, docks = sorted(order.lines, key=lambda line: line.position)
    body = peppol_invoice(
        order,
        lines=[(docks.position, docks.quantity, docks.unit_price), (1, 2, laptops.unit_price)],
    )
    answer = clerk.post("/api/v1/invoices/import", data=body, headers=XML)
    assert answer.status_code == 201, answer.get_json()
    invoice = answer.get_json()
    assert invoice["status"] == "draft" and invoice["source"] == "einvoice"
    assert invoice["vendor_invoice_number"] == "NW-2026-0042"
    assert invoice["order_id"] == order.id and invoice["vendor"]["id"] == order.vendor_id
    # Mapped by cac:OrderLineReference/cbc:LineID, not by their place in the file.
    assert [(line["order_line_id"], line["quantity"]) for line in invoice["lines"]] == [
        (docks.id, "3"),
        (laptops.id, "2"),
    ]
    assert (
        invoice["total"] == "2450.00"
        and invoice["due_date"] == (TODAY + dt.timedelta(days=30)).isoformat()
    )
    assert invoice["xml_sha256"] == hashlib.sha256(body).hexdigest()
    assert invoice["note"] == "Please quote our invoice number with your payment."

    submitted = clerk.post(f"/api/v1/invoices/{invoice['id']}/submit", json={})
    assert submitted.get_json()["status"] == "matched", submitted.get_json()


def test_lines_without_a_line_id_map_in_order_and_charges_and_tax_are_read(order, clerk):
    body = peppol_invoice(order, positions=False, shipping="25.00", tax="470.25")
    answer = clerk.post("/api/v1/invoices/import", data=body, headers=XML)
    assert answer.status_code == 201, answer.get_json()
    invoice = answer.get_json()
    assert [line["order_line_id"] for line in invoice["lines"]] == [
        line.id for line in sorted(order.lines, key=lambda line: line.position)
    ]
    assert (invoice["shipping"], invoice["tax"], invoice["total"]) == (
        "25.00",
        "470.25",
        "2945.25",
    )


def test_an_embedded_pdf_becomes_the_invoices_pdf(order, clerk):
    answer = clerk.post(
        "/api/v1/invoices/import", data=peppol_invoice(order, pdf=PDF), headers=XML
    )
    assert answer.status_code == 201, answer.get_json()
    invoice = answer.get_json()
    assert invoice["pdf_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert clerk.get(f"/api/v1/invoices/{invoice['id']}/pdf").data == PDF


def test_a_credit_note_imports_against_the_invoice_it_names(api, db, people, order, clerk):
    receive_all(api, people, order)
    first = clerk.post(
        "/api/v1/invoices/import", data=peppol_invoice(order, "NW-0042"), headers=XML
    ).get_json()
    before = stored(db)
    early = clerk.post(
        "/api/v1/invoices/import", data=peppol_credit_note(order, "NW-0042"), headers=XML
    )
    assert early.status_code == 422  # a draft is not yet an invoice to credit
    assert "only a submitted invoice" in early.get_json()["error"]["fields"]["credit_for"][0]
    assert stored(db) == before
    clerk.post(f"/api/v1/invoices/{first['id']}/submit", json={})
    # The vendor's number as the credit note writes it: normalised, it is the same.
    answer = clerk.post(
        "/api/v1/invoices/import", data=peppol_credit_note(order, "nw 42"), headers=XML
    )
    assert answer.status_code == 201, answer.get_json()
    credit = answer.get_json()
    assert credit["credit_for"] == first["id"]
    assert credit["total"] == "-150.00" and credit["lines"][0]["quantity"] == "-1"
    assert credit["lines"][0]["order_line_id"] == order.lines[1].id


# What is refused, with nothing stored ---------------------------------------------------------


REFUSALS = {
    "unknown tax id": (dict(tax_id="FR00999999999"), "vendor", "FR00999999999"),
    "another currency": (dict(currency="EUR"), "currency", "EUR"),
    "a total that does not add up": (dict(total="2500.00"), "total", "add up"),
    "an unknown order": (dict(order_number="PO-1999-00001"), "order_id", "PO-1999-00001"),
    "no such order line": (dict(lines=[(9, 1, 1)]), "lines.0.order_line_id", "no line 9"),
    "a line id of 5,000 digits": (
        dict(lines=[("9" * 5000, 1, 1)]),
        "lines.0.order_line_id",
        "has no line 999",
    ),
    "a line id in other digits": (dict(lines=[("²", 1, 1)]), "lines.0.order_line_id", "no line ²"),
    "a negative quantity": (dict(lines=[(1, -1, 1)]), "lines.0.quantity", "greater than zero"),
    "a bad date": (dict(issue_date="5 Dec 2026"), "invoice_date", "not a date"),
    "an issue date to come": (
        dict(issue_date=(TODAY + dt.timedelta(days=3)).isoformat()),
        "invoice_date",
        "in the future",
    ),
    "due before issued": (
        dict(due_date=(TODAY - dt.timedelta(days=1)).isoformat()),
        "due_date",
        "before the issue date",
    ),
    "a number too long": (dict(number="N" * 101), "vendor_invoice_number", "over 100"),
    "no number": (dict(number=" - "), "vendor_invoice_number", "no invoice number"),
    "one order line twice": (
        dict(lines=[(1, 1, "1000.00"), (1, 1, "1000.00")]),
        "lines.1.order_line_id",
        "already on the invoice",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_e_invoice_is_a_422_on_its_field_and_nothing_is_stored(
    make, db, order, clerk, case
):
    overrides, field, said = REFUSALS[case]
    body = peppol_invoice(order, **overrides)
    before = stored(db)
    answer = clerk.post("/api/v1/invoices/import", data=body, headers=XML)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert said in " ".join(error["fields"][field]), error
    assert stored(db) == before


def test_another_vendors_tax_id_and_a_duplicate_number_are_refused(make, db, order, clerk):
    other = make.vendor("Contoso Ltd")
    other.tax_id = "GB987654321"
    db.session.commit()
    answer = clerk.post(
        "/api/v1/invoices/import", data=peppol_invoice(order, tax_id="GB987654321"), headers=XML
    )
    assert answer.status_code == 422
    assert "Contoso Ltd" in answer.get_json()["error"]["fields"]["vendor"][0]

    assert (
        clerk.post(
            "/api/v1/invoices/import", data=peppol_invoice(order, "A-0042"), headers=XML
        ).status_code
        == 201
    )
    before = stored(db)
    again = clerk.post("/api/v1/invoices/import", data=peppol_invoice(order, "a 42"), headers=XML)
    assert again.status_code == 422
    assert "vendor_invoice_number" in again.get_json()["error"]["fields"]
    assert stored(db) == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<Invoice><unclosed></Invoice>",
        b"not xml at all",
        b'<?xml version="1.0"?><Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:'
        b'Order-2"/>',
    ],
    ids=["empty", "malformed", "text", "not-an-invoice"],
)
def test_what_is_not_a_ubl_invoice_is_a_422_on_file(db, order, clerk, body):
    before = stored(db)
    answer = clerk.post("/api/v1/invoices/import", data=body, headers=XML)
    assert answer.status_code == 422, answer.get_json()
    assert "file" in answer.get_json()["error"]["fields"]
    assert stored(db) == before


def test_only_xml_is_read_and_only_by_who_enters_invoices(api, db, order, clerk):
    body = peppol_invoice(order)
    wrong = clerk.post(
        "/api/v1/invoices/import", data=body, headers={"Content-Type": "application/json"}
    )
    assert wrong.status_code == 400
    requester = api(order.request.requester)
    before = stored(db)
    assert requester.post("/api/v1/invoices/import", data=body, headers=XML).status_code == 403
    assert requester.post("/api/v1/invoices/import", data=b"{}").status_code == 403
    assert stored(db) == before
    as_text_xml = clerk.post(
        "/api/v1/invoices/import", data=body, headers={"Content-Type": "text/xml"}
    )
    assert as_text_xml.status_code == 201


# Hostile XML ----------------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.hits.append(self.path)
        payload = b'<!ENTITY leak "fetched">'
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args):
        pass


@pytest.fixture
def loopback():
    """An HTTP server on 127.0.0.1 that records every request it receives."""
    _Recorder.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.hits
    server.shutdown()
    server.server_close()
    thread.join(5)


def _hostile(order, doctype: str, value: str) -> bytes:
    body = peppol_invoice(order).decode("utf-8")
    body = body.replace("<Invoice ", doctype + "\n<Invoice ", 1)
    return body.replace("<cbc:ID>NW-2026-0042</cbc:ID>", f"<cbc:ID>{value}</cbc:ID>", 1).encode()


def _laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    return "<!DOCTYPE Invoice [" + "".join(entities) + "]>"


@pytest.mark.parametrize(
    "attack", ["file_entity", "http_entity", "external_dtd", "parameter_entity", "laughs"]
)
def test_hostile_xml_is_refused_without_reading_or_fetching_anything(
    db, order, clerk, loopback, tmp_path, attack
):
    url, hits = loopback
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-42")
    doctype, value = {
        "file_entity": (
            f'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
            "&xxe;",
        ),
        "http_entity": (f'<!DOCTYPE Invoice [<!ENTITY xxe SYSTEM "{url}/xxe">]>', "&xxe;"),
        "external_dtd": (f'<!DOCTYPE Invoice SYSTEM "{url}/evil.dtd">', "&leak;"),
        "parameter_entity": (
            f'<!DOCTYPE Invoice [<!ENTITY % remote SYSTEM "{url}/remote.dtd"> %remote;]>',
            "&leak;",
        ),
        "laughs": (_laughs(), "&lol9;"),
    }[attack]
    before = stored(db)
    answer = clerk.post(
        "/api/v1/invoices/import", data=_hostile(order, doctype, value), headers=XML
    )
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert "DOCTYPE" in error["fields"]["file"][0]
    text = answer.get_data(as_text=True)
    assert "TOP-SECRET-42" not in text and "lollol" not in text
    assert hits == []  # nothing was fetched from the loopback server
    assert stored(db) == before


def test_an_e_invoice_may_be_larger_than_a_json_body_but_not_without_limit(order, clerk):
    """A PDF embedded in the XML makes it larger than the API's 1 MiB for JSON: read up
    to the upload limit; beyond the reader's own limit, refused without being parsed."""
    big_pdf = PDF + b"%" + b"x" * (3 * 1024 * 1024)
    answer = clerk.post(
        "/api/v1/invoices/import", data=peppol_invoice(order, pdf=big_pdf), headers=XML
    )
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["pdf_sha256"] == hashlib.sha256(big_pdf).hexdigest()
    with pytest.raises(ValidationError) as refused:
        ubl_document.read(b"<a/>" + b" " * ubl_document.MAX_XML_BYTES)
    assert "larger than" in refused.value.fields["file"][0]


# Hostile values in the file's fields -----------------------------------------------------------

FIELDS = {
    "number": "<cbc:ID>NW-2026-0042</cbc:ID>",
    "note": "<cbc:Note>Please quote our invoice number with your payment.</cbc:Note>",
    "order": "<cbc:ID>{order}</cbc:ID>\n    </cac:OrderReference>",
    "tax id": f"<cbc:CompanyID>{TAX_ID}</cbc:CompanyID>",
    "issue date": f"<cbc:IssueDate>{TODAY.isoformat()}</cbc:IssueDate>",
    "quantity": '<cbc:InvoicedQuantity unitCode="C62">2</cbc:InvoicedQuantity>',
    "price": '<cbc:PriceAmount currencyID="USD">1000.00</cbc:PriceAmount>',
}


@pytest.mark.parametrize("field", list(FIELDS))
def test_hostile_values_in_any_field_are_refused_or_kept_as_text(db, order, clerk, field):
    original = FIELDS[field].replace("{order}", order.number)
    problems = []
    for kind, values in hostile.TEXT.items():
        for value in values:
            before = stored(db)
            tag, _, rest = original.partition(">")
            closing = rest[rest.index("</") :]
            text = peppol_invoice(order, lines=[(1, "2", "1000.00"), (2, "3", "150.00")])
            text = text.decode("utf-8")
            assert original in text
            hostile_xml = text.replace(original, f"{tag}>{escape(value)}{closing}", 1)
            answer = clerk.post(
                "/api/v1/invoices/import",
                data=hostile_xml.encode("utf-8", "surrogatepass"),
                headers=XML,
            )
            if answer.status_code == 201:
                invoice = answer.get_json()
                clerk.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={})
                if field == "number":  # kept as sent: it is the vendor's, not ours
                    problems += (
                        []
                        if invoice["vendor_invoice_number"] == value.strip()
                        else [f"{kind}: stored {invoice['vendor_invoice_number']!r}"]
                    )
            elif answer.status_code == 422:
                if stored(db) != before:
                    problems.append(f"{kind}: refused, yet something was stored")
            else:
                problems.append(f"{kind}: {answer.status_code}")
    assert not problems, problems
