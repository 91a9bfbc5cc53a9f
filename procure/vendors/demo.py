"""The demo vendors of ``seed-demo``: IT suppliers in every state, with contacts,
categories, ratings and compliance documents, some of them flagged."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from .. import attachments, settings
from ..auth.services import find_user_by_email
from ..extensions import db
from ..models import Setting, User, Vendor, utcnow
from ..money import format_date
from . import services

# name, status, categories, rating, details, contacts, documents (kind, title, days to expiry)
DEMO_VENDORS = [
    (
        "Northwind Hardware",
        "approved",
        ["hardware", "peripherals"],
        4,
        {
            "legal_name": "Northwind Hardware Ltd.",
            "tax_id": "US-84-1234567",
            "website": "https://northwind-hardware.example.com",
            "email": "sales@northwind-hardware.example.com",
            "phone": "+1 415 555 0100",
            "address": "200 Market Street\nSan Francisco, CA 94105",
            "notes": "Preferred supplier for laptops and docks; next-business-day swaps.",
        },
        [
            (
                "Grace Kim",
                "Account manager",
                "grace.kim@northwind-hardware.example.com",
                "+1 415 555 0101",
                True,
            ),
            (
                "Luis Ortega",
                "Service desk",
                "support@northwind-hardware.example.com",
                "+1 415 555 0199",
                False,
            ),
        ],
        [
            ("insurance", "General liability certificate", 240),
            ("tax_form", "W-9", None),
            ("nda", "Mutual NDA", 700),
        ],
    ),
    (
        "Contoso Cloud Services",
        "approved",
        ["cloud", "software", "services"],
        5,
        {
            "legal_name": "Contoso Cloud Services Inc.",
            "tax_id": "US-91-7654321",
            "website": "https://cloud.contoso.example.com",
            "email": "enterprise@contoso.example.com",
            "phone": "+1 206 555 0142",
            "address": "1 Contoso Way\nRedmond, WA 98052",
        },
        [("Priya Natarajan", "Enterprise sales", "priya@contoso.example.com", "", True)],
        [("insurance", "Cyber liability certificate", 400), ("security", "SOC 2 Type II", 150)],
    ),
    (
        "Fabrikam Networks",
        "approved",
        ["hardware", "telecom", "maintenance"],
        3,
        {
            "legal_name": "Fabrikam Networks LLC",
            "website": "https://www.fabrikam-networks.example.com",
            "email": "quotes@fabrikam-networks.example.com",
            "phone": "+1 512 555 0177",
            "notes": "Core switching and support contracts. Insurance renewal chased in March.",
        },
        [
            (
                "Tom Becker",
                "Sales engineer",
                "tom.becker@fabrikam-networks.example.com",
                "+1 512 555 0178",
                True,
            )
        ],
        # Expired: with insurance required, Fabrikam is flagged until it sends a new one.
        [("insurance", "General liability certificate", -20), ("tax_form", "W-9", None)],
    ),
    (
        "Tailspin Software Licensing",
        "approved",
        ["software", "licence"],
        4,
        {
            "legal_name": "Tailspin Toys Software GmbH",
            "tax_id": "DE123456789",
            "website": "https://tailspin.example.com",
            "phone": "+49 30 555 0123",
            "address": "Friedrichstraße 10\n10117 Berlin\nGermany",
            "notes": "No shared mailbox: quotes are entered by hand from their PDF.",
        },
        [("Jonas Weber", "Licensing specialist", "", "+49 30 555 0124", True)],
        [("insurance", "Insurance certificate", 300)],
    ),
    (
        "Litware Peripherals",
        "prospect",
        ["peripherals"],
        None,
        {
            "website": "https://litware.example.com",
            "email": "hello@litware.example.com",
            "notes": "Suggested by the service desk for headsets; documents requested.",
        },
        [("Mia Chen", "Sales", "mia.chen@litware.example.com", "", True)],
        [],
    ),
    (
        "Proseware Security",
        "prospect",
        ["software", "services"],
        None,
        {
            "legal_name": "Proseware Inc.",
            "website": "https://proseware.example.com",
            "email": "sales@proseware.example.com",
            "phone": "+1 646 555 0150",
        },
        [
            (
                "Sam Adeyemi",
                "Account executive",
                "sam@proseware.example.com",
                "+1 646 555 0151",
                True,
            )
        ],
        [("insurance", "Professional liability certificate", 365), ("nda", "NDA", 730)],
    ),
    (
        "Adventure Works IT Services",
        "suspended",
        ["services", "maintenance"],
        2,
        {
            "legal_name": "Adventure Works Consulting Ltd.",
            "website": "https://adventure-works.example.com",
            "email": "bids@adventure-works.example.com",
            "phone": "+44 20 5550 0190",
            "notes": "Suspended after two missed response times on the printer contract.",
        },
        [("Olivia Hart", "Delivery lead", "olivia.hart@adventure-works.example.com", "", True)],
        [("insurance", "Insurance certificate", 90)],
    ),
    (
        "Wide World Telecom",
        "blocked",
        ["telecom"],
        1,
        {
            "website": "http://wideworld-telecom.example.com",
            "email": "sales@wideworld-telecom.example.com",
            "notes": "Blocked: invoices for services never delivered.",
        },
        [("Ray Dunn", "Sales", "ray@wideworld-telecom.example.com", "", True)],
        [("insurance", "Insurance certificate", -200)],
    ),
]

# What to take a new vendor through to reach each demo status.
PATHS = {
    "prospect": [],
    "approved": ["approve"],
    "suspended": ["approve", "suspend"],
    "blocked": ["approve", "block"],
}


def tiny_pdf(*lines: str) -> bytes:
    """A valid one-page PDF showing ``lines`` (ASCII), written by hand."""

    def escape(text: str) -> str:
        clean = text.encode("ascii", "replace").decode("ascii")
        return clean.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = " ".join(
        f"BT /F1 {16 if i == 0 else 11} Tf 72 {770 - 24 * i} Td ({escape(line)}) Tj ET"
        for i, line in enumerate(lines)
    ).encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def seed_vendors(actor: User | None = None) -> None:
    """The demo vendors (once: skipped when any vendor exists). ``actor`` is the
    procurement user who files them; the demo's Paul Procurement by default."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(Vendor)):
        return
    if actor is None:
        actor = find_user_by_email("paul@example.org")
    if actor is None:
        return
    # The demo shows flagging: insurance is required, unless admin has chosen already.
    if db.session.get(Setting, services.REQUIRED_DOCUMENTS) is None:
        settings.put(services.REQUIRED_DOCUMENTS, ["insurance"], actor=None)
    today = services.today()
    for name, status, categories, rating, details, contacts, documents in DEMO_VENDORS:
        vendor = services.create_vendor(
            services.VendorData(
                name=name,
                categories=categories,
                rating=rating,
                contacts=[services.ContactData(*contact) for contact in contacts],
                **details,
            ),
            actor=actor,
        )
        for kind, title, days in documents:
            expires_on = None if days is None else today + dt.timedelta(days=days)
            pdf = tiny_pdf(
                title,
                f"Issued to {name}",
                f"Valid until {format_date(expires_on)}" if expires_on else "No expiry",
                "Demo document generated by Procure.",
            )
            filename = f"{name}-{kind}.pdf".replace(" ", "-").lower()
            stored = attachments.store_bytes(pdf, filename, "application/pdf", user=actor)
            services.file_document(
                vendor, stored, kind=kind, title=title, expires_on=expires_on, actor=actor
            )
        for action in PATHS[status]:
            comment = {
                "suspend": "Missed two SLA response times; under review.",
                "block": "Invoices for services never delivered.",
            }.get(action, "")
            services.act(vendor, action, actor=actor, comment=comment)


def insured_vendor(
    buyer: User, name: str, categories: list[str], rating: int, email: str, address: str
) -> Vendor:
    """An approved vendor with the insurance certificate the demo requires."""
    found = services.name_taken(name)
    if found is not None:
        return found
    vendor = services.create_vendor(
        services.VendorData(
            name=name, categories=categories, rating=rating, email=email, address=address
        ),
        actor=buyer,
    )
    stored = attachments.store_bytes(
        tiny_pdf("Insurance certificate", f"Issued to {name}", "Demo document."),
        f"{name.lower().replace(' ', '-')}-insurance.pdf",
        "application/pdf",
        user=buyer,
    )
    services.file_document(
        vendor,
        stored,
        kind="insurance",
        title="Insurance certificate",
        expires_on=utcnow().date() + dt.timedelta(days=365),
        actor=buyer,
    )
    services.act(vendor, "approve", actor=buyer)
    return vendor
