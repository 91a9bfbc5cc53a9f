"""Reading a UBL 2.1 ``Invoice`` or ``CreditNote`` (Peppol BIS Billing 3.0 is UBL 2.1
with rules on top) safely, into the text of the fields Procure maps (``ubl.py`` says
what maps to what and records the invoice).

``defusedxml`` reads it with every DTD refused: a file with a ``DOCTYPE`` — the carrier
of external entities, entity expansion ("billion laughs") and network fetches — is
refused whole; no e-invoice has one. Files over :data:`MAX_XML_BYTES` are not read.
Every refusal is a ``ValidationError`` on ``file``.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET  # noqa: S405 - for ParseError only; defusedxml reads
from xml.etree.ElementTree import Element  # noqa: S405

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException, DTDForbidden

from ..errors import ValidationError

MAX_XML_BYTES = 10 * 1024 * 1024
UBL = "urn:oasis:names:specification:ubl:schema:xsd:"
INVOICE = "{" + UBL + "Invoice-2}Invoice"
CREDIT_NOTE = "{" + UBL + "CreditNote-2}CreditNote"
NS = {
    "cac": UBL + "CommonAggregateComponents-2",
    "cbc": UBL + "CommonBasicComponents-2",
}
FILE = "file"
SHOWN = 60  # how much of a value from the file a message repeats
NOTE_MAX = 10_000
# A supplier names a VAT number, a registration number, perhaps a few more: more are
# not looked up (a file could name thousands).
TAX_IDS_READ = 10


@dataclasses.dataclass
class Line:
    line_id: str | None
    quantity: str | None
    price: str | None
    base_quantity: str | None
    currencies: list[str]


@dataclasses.dataclass
class Document:
    """What the file says, as text: nothing is looked up or converted yet."""

    credit_note: bool
    number: str
    order_number: str
    tax_ids: list[str]
    issue_date: str
    due_date: str
    currency: str
    lines: list[Line]
    charges: list[str]
    allowances: list[str]
    tax: str | None
    total: str | None
    credited_number: str
    note: str
    pdf: str | None
    amount_currencies: list[str]


def shown(value: str) -> str:
    return value if len(value) <= SHOWN else value[:SHOWN] + "…"


# Reading the file ---------------------------------------------------------------------------


def read(data: bytes) -> Element:
    """The document's root element, read with DTDs, entities and external references
    refused; a ``ValidationError`` on ``file`` for anything else than well-formed XML."""
    if len(data) > MAX_XML_BYTES:
        raise ValidationError.field(
            FILE, f"The file is larger than {MAX_XML_BYTES // 1048576} MB."
        )
    if not data.strip():
        raise ValidationError.field(FILE, "The file is empty.")
    try:
        return SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise ValidationError.field(
            FILE,
            "The file declares a document type (DOCTYPE): an e-invoice has none, and one "
            "could define entities that read files or expand without end. Refused.",
        ) from None
    except DefusedXmlException:
        raise ValidationError.field(
            FILE, "The file uses XML entities or external references: refused."
        ) from None
    except ET.ParseError as exc:
        raise ValidationError.field(FILE, f"The file is not well-formed XML ({exc}).") from None
    except (ValueError, LookupError):
        raise ValidationError.field(FILE, "The file's encoding cannot be read.") from None


def _text(element: Element, path: str) -> str:
    found = element.find(path, NS)
    return (found.text or "").strip() if found is not None else ""


def _currency_of(element: Element, path: str) -> list[str]:
    found = element.find(path, NS)
    return [found.get("currencyID", "")] if found is not None else []


def _line(element: Element, credit_note: bool) -> Line:
    quantity = "cbc:CreditedQuantity" if credit_note else "cbc:InvoicedQuantity"
    return Line(
        line_id=_text(element, "cac:OrderLineReference/cbc:LineID") or None,
        quantity=_text(element, quantity) or None,
        price=_text(element, "cac:Price/cbc:PriceAmount") or None,
        base_quantity=_text(element, "cac:Price/cbc:BaseQuantity") or None,
        currencies=_currency_of(element, "cac:Price/cbc:PriceAmount"),
    )


def _embedded_pdf(root: Element) -> str | None:
    for reference in root.findall("cac:AdditionalDocumentReference", NS):
        binary = reference.find("cac:Attachment/cbc:EmbeddedDocumentBinaryObject", NS)
        if binary is not None and binary.get("mimeCode") == "application/pdf":
            return binary.text or ""
    return None


def document(root: Element) -> Document:
    """The fields of a UBL Invoice or CreditNote, as text."""
    if root.tag not in (INVOICE, CREDIT_NOTE):
        raise ValidationError.field(
            FILE,
            "The file is not a UBL 2.1 Invoice or CreditNote (Peppol BIS Billing 3.0): "
            f"its root element is {shown(root.tag)}.",
        )
    credit_note = root.tag == CREDIT_NOTE
    line_tag = "cac:CreditNoteLine" if credit_note else "cac:InvoiceLine"
    charges, allowances = [], []
    for item in root.findall("cac:AllowanceCharge", NS):
        is_charge = _text(item, "cbc:ChargeIndicator").lower() == "true"
        (charges if is_charge else allowances).append(_text(item, "cbc:Amount"))
    currency = _text(root, "cbc:DocumentCurrencyCode")
    tax = None
    for total in root.findall("cac:TaxTotal", NS):
        amount = total.find("cbc:TaxAmount", NS)
        if amount is not None and amount.get("currencyID", currency) == currency:
            tax = (amount.text or "").strip()
            break
    monetary = "cac:LegalMonetaryTotal/cbc:"
    total_path = monetary + "TaxInclusiveAmount"
    if not _text(root, total_path):
        total_path = monetary + "PayableAmount"
    amount_currencies = [
        found.get("currencyID", "")
        for path in (total_path, "cac:AllowanceCharge/cbc:Amount")
        for found in root.findall(path, NS)
    ]
    return Document(
        credit_note=credit_note,
        number=_text(root, "cbc:ID"),
        order_number=_text(root, "cac:OrderReference/cbc:ID"),
        tax_ids=[
            (found.text or "").strip()
            for found in root.findall("cac:AccountingSupplierParty//cbc:CompanyID", NS)
            if (found.text or "").strip()
        ][:TAX_IDS_READ],
        issue_date=_text(root, "cbc:IssueDate"),
        due_date=_text(root, "cbc:DueDate") or _text(root, "cac:PaymentMeans/cbc:PaymentDueDate"),
        currency=currency,
        lines=[_line(element, credit_note) for element in root.findall(line_tag, NS)],
        charges=charges,
        allowances=allowances,
        tax=tax,
        total=_text(root, total_path) or None,
        credited_number=_text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID"),
        note="\n".join((note.text or "").strip() for note in root.findall("cbc:Note", NS)).strip()[
            :NOTE_MAX
        ],
        pdf=_embedded_pdf(root),
        amount_currencies=amount_currencies,
    )
