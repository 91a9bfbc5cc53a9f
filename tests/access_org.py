"""The organisation the access matrix runs against: every role in three relations to
the documents, and one document of each kind, built through the services.

For each role R there are three people:

- ``R/owner`` holds R and the requester role (only requesters file requests) and
  owns a set of documents: requests in every useful state, their RFQs and orders,
  two contracts, notifications, an API token and (for roles that decide steps) a
  delegation;
- ``R/same`` holds R alone, in the owner's department (IT);
- ``R/other`` holds R alone, in another department (OPS).

Every R principal is asked about ``R/owner``'s documents, so one table row answers
"the owner, a colleague of the same department, someone of another department".
Documents every role shares (vendors, the budget, categories, the policy rule, users)
are the same for everyone. Besides, ``anonymous`` has no session and no token, and
``inactive`` signed in and got a token before an admin deactivated them.

The setup people (a buyer, a department approver, an admin) are not principals, so
that no principal decided anything on the documents it is asked about.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import url_for

from procure import attachments, currencies, delegation, reference, request_types
from procure.admin import services as admin_services
from procure.agreements import services as agreements
from procure.assets import licences
from procure.assets import services as asset_services
from procure.auth import services as auth_services
from procure.budgets import services as budgets
from procure.contracts import services as contracts
from procure.extensions import db
from procure.invoices import actions as invoice_actions
from procure.invoices import links as invoice_links
from procure.invoices import services as invoices
from procure.models import (
    Asset,
    AuditHead,
    Category,
    Department,
    Licence,
    Notification,
    PolicyRule,
    Role,
    User,
)
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from procure.scim import tokens as scim_tokens
from procure.sourcing import services as sourcing
from procure.vendors import services as vendors
from procure.vendors.services import bank
from procure.webhooks import endpoints as webhooks
from procure.workflow import AssetAction

from .committing import reset_database
from .factories import PASSWORD

ROLES = (
    "requester", "approver", "finance", "procurement", "executive", "admin", "asset_manager",
    "security",
)  # fmt: skip
RELATIONS = ("owner", "same", "other")
PRINCIPALS = tuple(f"{role}/{relation}" for role in ROLES for relation in RELATIONS) + (
    "anonymous",
    "inactive",
)
DELEGATING_ROLES = ("approver", "finance", "executive")
IBAN = "DE89 3704 0044 0532 0130 00"
VENDOR_TAX_ID = "DE123456789"
# An e-invoice (UBL 2.1) for one unit of an order's first line.
UBL_INVOICE = """<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
 <cbc:ID>{number}</cbc:ID>
 <cbc:IssueDate>{today}</cbc:IssueDate>
 <cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
 <cac:OrderReference><cbc:ID>{order}</cbc:ID></cac:OrderReference>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyLegalEntity>
  <cbc:CompanyID>{tax_id}</cbc:CompanyID></cac:PartyLegalEntity></cac:Party>
 </cac:AccountingSupplierParty>
 <cac:LegalMonetaryTotal>
  <cbc:PayableAmount currencyID="{currency}">{price}</cbc:PayableAmount>
 </cac:LegalMonetaryTotal>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID>
  <cbc:InvoicedQuantity unitCode="EA">1</cbc:InvoicedQuantity>
  <cbc:LineExtensionAmount currencyID="{currency}">{price}</cbc:LineExtensionAmount>
  <cac:OrderLineReference><cbc:LineID>1</cbc:LineID></cac:OrderLineReference>
  <cac:Price><cbc:PriceAmount currencyID="{currency}">{price}</cbc:PriceAmount></cac:Price>
 </cac:InvoiceLine>
</Invoice>
"""
PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TODAY = dt.date.today()
DUE = TODAY + dt.timedelta(days=14)


@dataclasses.dataclass
class Principal:
    name: str
    role: str | None
    user_id: int | None = None
    email: str | None = None
    token: str | None = None
    cookie: str | None = None


@dataclasses.dataclass
class Organisation:
    """Ids only: the ORM objects die with the session that built them."""

    principals: dict[str, Principal]
    # role -> document key -> id (or token); see ``_documents``.
    documents: dict[str, dict[str, Any]]
    shared: dict[str, Any]

    def value(self, principal: str, key: str) -> Any:
        """The URL parameter ``key`` for ``principal``: its role's document, else shared."""
        role = self.principals[principal].role or "requester"
        if key in self.documents[role]:
            return self.documents[role][key]
        return self.shared[key]


def _line(
    description: str = "Laptop", price: str = "900.00", category: str = "hardware", quantity="1"
) -> purchasing.LineData:
    return purchasing.LineData(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        category=category,
    )


class _Builder:
    def __init__(self) -> None:
        self.department = {code: self._department(code) for code in ("IT", "OPS", "PROC", "FIN")}
        self.users: dict[str, User] = {}

    def _department(self, code: str) -> Department:
        return reference.department_by_code(code) or reference.create_department(
            code, f"{code} department", actor=None
        )

    def user(self, email: str, roles: set[str], department: str, name: str) -> User:
        return admin_services.create_user(
            email,
            name=name,
            password=PASSWORD,
            department=self.department[department],
            roles={Role(role) for role in roles},
            actor=None,
        )

    # Setup people and shared documents -----------------------------------------------

    def staff(self) -> None:
        self.buyer = self.user("buyer@matrix.example", {"procurement"}, "PROC", "Setup Buyer")
        self.approver = self.user("approver@matrix.example", {"approver"}, "IT", "Setup Approver")
        self.admin = self.user("admin@matrix.example", {"admin"}, "IT", "Setup Admin")
        self.target = self.user("target@matrix.example", {"requester"}, "OPS", "Target User")
        # Approves the invoices set up below, so that every finance principal may too.
        self.controller = self.user("controller@matrix.example", {"finance"}, "FIN", "Controller")

    def vendor(self, name: str, *, approve: bool = True, email: str = ""):
        vendor = vendors.create_vendor(
            vendors.VendorData(
                name=name, email=email, categories=["hardware", "licence"], rating=4
            ),
            actor=self.buyer,
        )
        if approve:
            vendors.act(vendor, "approve", actor=self.buyer)
        return vendor

    def shared(self) -> dict[str, Any]:
        self.vendors = [self.vendor(f"Matrix Vendor {n}") for n in range(3)]
        prospect = self.vendor("Matrix Prospect", approve=False)
        suspended = self.vendor("Matrix Suspended")
        vendors.act(suspended, "suspend", actor=self.buyer, comment="Late.")
        documented = self.vendors[0]
        documented.tax_id = VENDOR_TAX_ID  # e-invoices name their vendor by it
        document = vendors.file_document(
            documented,
            attachments.store_bytes(PDF_BYTES, "insurance.pdf", "application/pdf", user=None),
            kind="insurance",
            title="Insurance certificate",
            expires_on=TODAY + dt.timedelta(days=300),
            actor=self.buyer,
        )
        budget = budgets.create(
            budgets.BudgetData(
                department="IT",
                fiscal_year=reference.current_fiscal_year(),
                amount=Decimal("1000000"),
            ),
            actor=None,
        )
        category = reference.add_category("matrix", "Matrix things", actor=self.admin)
        bank.change(self.vendors[2], bank.BankData(iban=IBAN), actor=self.buyer)
        rule = db.session.scalar(sa.select(PolicyRule).order_by(PolicyRule.id).limit(1))
        # A framework agreement, active, whose one item the owners request from the
        # catalogue; another still a draft; a request type.
        laptops = [agreements.ItemData("Catalogue laptop", Decimal("700.00"), "hardware", "each")]
        agreement = agreements.create(
            agreements.AgreementData(
                vendor_id=self.vendors[0].id,
                title="Matrix laptops",
                start_date=TODAY,
                end_date=TODAY + dt.timedelta(days=365),
                currency=None,
                items=laptops,
                ceiling=Decimal("1000000.00"),
            ),
            self.buyer,
        )
        agreements.activate(agreement, self.buyer)
        draft_agreement = agreements.create(
            agreements.AgreementData(
                vendor_id=self.vendors[0].id,
                title="Matrix docks",
                start_date=TODAY,
                end_date=TODAY + dt.timedelta(days=365),
                currency=None,
                items=[agreements.ItemData("Catalogue dock", Decimal("90.00"), "hardware")],
            ),
            self.buyer,
        )
        self.catalogue_item = agreement.items[0]
        request_type = request_types.create(
            "matrix-saas",
            "Matrix SaaS",
            [{"name": "users", "label": "Users", "kind": "number", "required": False}],
            actor=self.admin,
        )
        webhook = webhooks.create(
            url=WEBHOOK_URL,
            secret=WEBHOOK_SECRET,
            events=["request.approved"],
            kind="json",
            actor=self.admin,
        )
        return {
            "webhook": webhook.id,
            "agreement": agreement.id,
            "agreement_draft": draft_agreement.id,
            "catalogue_item": self.catalogue_item.id,
            "request_type": request_type.id,
            "vendor": self.vendors[1].id,
            "vendor_with_document": documented.id,
            "vendor_pending_bank": self.vendors[2].id,
            "vendor_document": document.id,
            "prospect": prospect.id,
            "suspended_vendor": suspended.id,
            "budget": budget.id,
            "category": category.id,
            "builtin_category": db.session.scalar(
                sa.select(Category.id).where(Category.name == "other")
            ),
            "policy_rule": rule.id,
            "department": self.department["OPS"].id,
            "target_user": self.target.id,
            "missing": 2_000_000_000,
        }

    # One role's documents ------------------------------------------------------------

    def request(self, owner: User, title: str, *, submit=False, approve=False, lines=None):
        pr = purchasing.create_request(
            purchasing.RequestData(title=title, lines=lines or [_line(), _line("Dock", "90.00")]),
            actor=owner,
        )
        if submit or approve:
            purchasing.submit(pr, actor=owner)
        if approve:
            purchasing.approve(pr, actor=self.approver)
        return pr

    def rfq(self, pr, *, send=False, invite: int = 2):
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id, vendor_ids=[v.id for v in self.vendors[:invite]], due_date=DUE
            ),
            actor=self.buyer,
        )
        links = sourcing.send(rfq, actor=self.buyer) if send else {}
        return rfq, links

    def quote(self, rfq, vendor, price: str, attachment_id: int | None = None):
        return sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=DUE,
                lead_time_days=7,
                warranty_months=12,
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=Decimal(price),
                        request_line_id=line.id,
                    )
                    for line in rfq.request.lines
                ],
            ),
            actor=self.buyer,
            attachment_id=attachment_id,
        )

    def order(self, owner: User, title: str, *, issue=False, receive=False, lines=None):
        pr = self.request(owner, title, approve=True, lines=lines)
        rfq, _links = self.rfq(pr, send=True, invite=1)
        quote = self.quote(rfq, self.vendors[0], "800.00")
        order = sourcing.award(rfq, quote.id, actor=self.buyer, justification="Sole supplier.")
        if issue or receive:
            orders.issue(order, actor=self.buyer)
        if receive:
            orders.receive(
                order,
                [
                    orders.ReceiptLineData(line_id=line.id, quantity=line.quantity)
                    for line in order.lines
                ],
                received_on=TODAY,
                actor=self.buyer,
            )
        return rfq, order

    def invoice(self, order, line: int, shipping: str, *, submit=False, approve=False):
        """An invoice for one unit of ``order``'s line, entered by the setup buyer (no
        principal, so each may approve it), with the vendor's PDF. ``shipping`` (a few
        cents, within the tolerance) keeps every invoice's total apart: the same vendor
        and amount within 30 days would be held as a possible duplicate."""
        ordered = order.lines[line]
        pdf = attachments.store_bytes(
            PDF_BYTES + shipping.encode(), "invoice.pdf", "application/pdf", user=self.buyer
        )
        invoice = invoices.create(
            invoices.InvoiceData(
                order_id=order.id,
                vendor_invoice_number=f"MX-{order.id}-{line}-{shipping}",
                invoice_date=TODAY,
                lines=[invoices.LineData(ordered.id, Decimal(1), ordered.unit_price)],
                shipping=Decimal(shipping),
            ),
            actor=self.buyer,
            pdf=pdf,
        )
        if submit or approve:
            invoice_actions.submit(invoice, actor=self.buyer)
        if approve:
            invoice_actions.approve(invoice, actor=self.controller)
        return invoice

    def contract(self, owner: User, title: str, *, activate: bool):
        contract = contracts.create(
            contracts.ContractData(
                vendor_id=self.vendors[0].id,
                title=title,
                kind="support",
                start_date=TODAY - dt.timedelta(days=30),
                end_date=TODAY + dt.timedelta(days=335),
                value=Decimal("1200.00"),
                notice_days=30,
                owner_id=owner.id,
            ),
            actor=self.buyer,
        )
        if activate:
            contracts.activate(contract, actor=self.buyer)
            contract.signed_copy = attachments.store_bytes(
                PDF_BYTES + title.encode(), "signed.pdf", "application/pdf", user=self.buyer
            )
        return contract

    def documents(self, role: str, owner: User, same: User) -> dict[str, Any]:
        draft = self.request(owner, f"{role} draft")
        pending = self.request(owner, f"{role} pending", submit=True)
        approved = self.request(owner, f"{role} approved", approve=True)
        draft_rfq, _ = self.rfq(self.request(owner, f"{role} to source", approve=True))
        open_rfq, links = self.rfq(
            self.request(owner, f"{role} being sourced", approve=True), send=True, invite=3
        )
        attachment = attachments.store_bytes(
            PDF_BYTES + role.encode(), "quote.pdf", "application/pdf", user=self.buyer
        )
        quote = self.quote(open_rfq, self.vendors[0], "850.00", attachment.id)
        self.quote(open_rfq, self.vendors[1], "870.00")
        _rfq, draft_order = self.order(owner, f"{role} order draft")
        awarded_rfq, issued_order = self.order(owner, f"{role} ordered", issue=True)
        _rfq, received_order = self.order(owner, f"{role} received", receive=True)
        # Received in part, nothing invoiced: its receipt can be reversed.
        _rfq, partial_order = self.order(owner, f"{role} partly received", issue=True)
        receipt = orders.receive(
            partial_order,
            [orders.ReceiptLineData(line_id=partial_order.lines[0].id, quantity=Decimal(1))],
            received_on=TODAY,
            actor=self.buyer,
        )
        # The received dock is deployed to the owner; the laptop stays in stock (it
        # is what the return routes send back). A licence pool, one seat the owner's.
        laptop, dock = db.session.scalars(
            sa.select(Asset).where(Asset.order_id == received_order.id).order_by(Asset.id)
        ).all()
        asset_services.act(dock, AssetAction.DEPLOY, actor=self.buyer, holder=owner)
        _rfq, licence_order = self.order(
            owner,
            f"{role} licences",
            receive=True,
            lines=[_line("Office suite seat", "30.00", "licence", quantity="2")],
        )
        pool = db.session.scalars(
            sa.select(Licence).where(Licence.order_id == licence_order.id)
        ).one()
        licences.assign(pool, owner.id, actor=self.buyer)
        catalogue_request = self.request(
            owner,
            f"{role} from the catalogue",
            approve=True,
            lines=[
                purchasing.LineData(
                    description="Catalogue laptop",
                    quantity=Decimal("1"),
                    unit_price=Decimal("700.00"),
                    category="hardware",
                    catalogue_item_id=self.catalogue_item.id,
                )
            ],
        )
        cents = f"0.{ROLES.index(role) + 1}"
        invoice_draft = self.invoice(issued_order, 0, cents + "1")
        invoice_held = self.invoice(issued_order, 1, cents + "2", submit=True)  # not received
        invoice_matched = self.invoice(received_order, 0, cents + "3", submit=True)
        invoice_approved = self.invoice(received_order, 1, cents + "4", approve=True)
        draft_contract = self.contract(owner, f"{role} support draft", activate=False)
        active_contract = self.contract(owner, f"{role} support", activate=True)
        docs: dict[str, Any] = {
            "pr_draft": draft.id,
            "pr_pending": pending.id,
            "pr_approved": approved.id,
            "rfq_draft": draft_rfq.id,
            "rfq_open": open_rfq.id,
            "rfq_awarded": awarded_rfq.id,
            "quote": quote.id,
            "quote_token": links[self.vendors[2].id].rsplit("/", 1)[1],
            "invoice_token": invoice_links.current_link(issued_order).rsplit("/", 1)[1],
            "quoteless_vendor": self.vendors[2].id,
            "rfq_open_line0": open_rfq.request.lines[0].id,
            "rfq_open_line1": open_rfq.request.lines[1].id,
            "order_draft": draft_order.id,
            "order_issued": issued_order.id,
            "order_received": received_order.id,
            "order_line": issued_order.lines[0].id,
            "order_line_b": issued_order.lines[1].id,
            "order_received_line": received_order.lines[0].id,
            "order_partial": partial_order.id,
            "receipt": receipt.id,
            "asset": dock.id,
            "asset_tag": dock.tag,
            "asset_in_stock": laptop.id,
            "asset_in_stock_tag": laptop.tag,
            "licence": pool.id,
            "licence_holder": owner.id,
            "catalogue_request": catalogue_request.id,
            "invoice_draft": invoice_draft.id,
            "ubl_invoice": UBL_INVOICE.format(
                number=f"UBL-{role}",
                today=TODAY.isoformat(),
                currency=issued_order.currency,
                order=issued_order.number,
                tax_id=VENDOR_TAX_ID,
                price=issued_order.lines[0].unit_price,
            ).encode(),
            "invoice_held": invoice_held.id,
            "invoice_matched": invoice_matched.id,
            "invoice_approved": invoice_approved.id,
            "contract_draft": draft_contract.id,
            "contract_active": active_contract.id,
        }
        if role in DELEGATING_ROLES:
            given = delegation.create(
                owner, same, TODAY, TODAY + dt.timedelta(days=10), note="Away", actor=owner
            )
            docs["delegation"] = given.id
        db.session.flush()
        docs["notification"] = db.session.scalar(
            sa.select(Notification.id)
            .where(Notification.user_id == owner.id)
            .order_by(Notification.id)
            .limit(1)
        )
        assert docs["notification"] is not None, f"{role}/owner was told of nothing"
        return docs


def approve_link(pr_id: int, person: User) -> str:
    """The token of the Approve button in the e-mail that asked ``person`` to decide."""
    note = db.session.scalars(
        sa.select(Notification).where(
            Notification.user_id == person.id,
            Notification.kind == "step_pending",
            Notification.entity_id == pr_id,
        )
    ).one()
    return re.search(r"^Approve: \S+/act/(\S+)$", note.body_text, re.M).group(1)


def build() -> tuple[Organisation, dict[str, User]]:
    """Build and commit the organisation; returns it and the principals' users."""
    builder = _Builder()
    builder.staff()
    shared = builder.shared()
    people: dict[str, User] = {}
    documents: dict[str, dict[str, Any]] = {}
    for role in ROLES:
        people[f"{role}/owner"] = builder.user(
            f"{role}.owner@matrix.example", {role, "requester"}, "IT", f"{role.title()} Owner"
        )
        people[f"{role}/same"] = builder.user(
            f"{role}.same@matrix.example", {role}, "IT", f"{role.title()} Colleague"
        )
        people[f"{role}/other"] = builder.user(
            f"{role}.other@matrix.example", {role}, "OPS", f"{role.title()} Elsewhere"
        )
    people["inactive"] = builder.user(
        "inactive@matrix.example", {"requester"}, "IT", "Former Colleague"
    )
    db.session.flush()
    for role in ROLES:
        documents[role] = builder.documents(role, people[f"{role}/owner"], people[f"{role}/same"])
    # Roles that decide no steps delegate nothing: they are asked about the approver's.
    shared["delegation"] = documents["approver"]["delegation"]
    shared["act_token"] = approve_link(
        documents["approver"]["pr_pending"], people["approver/same"]
    )
    # The principals' own API tokens (the owner's is also the token the revoke route names).
    principals: dict[str, Principal] = {"anonymous": Principal("anonymous", None)}
    for name, user in people.items():
        role = name.split("/")[0] if "/" in name else "requester"
        _row, secret = auth_services.create_token(user, "matrix", actor=user)
        principals[name] = Principal(name, role, user.id, user.email, secret)
        if name.endswith("/owner"):
            documents[role]["token"] = _row.id
    # Euros and pounds besides the base: rates and foreign documents have somewhere to go.
    currencies.set_enabled(["EUR", "GBP"], actor=None)
    db.session.commit()
    return Organisation(principals, documents, shared), people


# A public address (nothing is ever sent to it here), so the URL guard accepts it.
WEBHOOK_URL = "https://93.184.215.14/hooks/matrix"
WEBHOOK_SECRET = "matrix-webhook-secret-0123"  # noqa: S105 -- a throwaway test value


def deactivate(user_id: int) -> None:
    """What an admin does to someone who left (after they signed in and got a token)."""
    user = db.session.get(User, user_id)
    admin = db.session.scalar(sa.select(User).where(User.email == "admin@matrix.example"))
    admin_services.update_user(
        user,
        name=user.name,
        department=user.department,
        roles=set(user.roles),
        active=False,
        actor=admin,
    )
    db.session.commit()


@contextlib.contextmanager
def signed_in(app, migration_seeds) -> Iterator[Organisation]:
    """The organisation, committed, with every principal signed in (a session cookie
    and a token each) and ``inactive`` deactivated since; the database is reset after."""
    from flask.testing import FlaskClient

    with app.app_context():
        try:
            organisation, _people = build()
            for principal in organisation.principals.values():
                if principal.email is None:
                    continue
                client: FlaskClient = app.test_client()
                signed = client.post(
                    "/login", data={"email": principal.email, "password": PASSWORD}
                )
                assert signed.status_code == 302, principal.name
                principal.cookie = client.get_cookie("procure_session").value
                if principal.name == "procurement/owner":
                    # Their calendar feed: its address carries the token, no session.
                    page = client.post("/contracts/calendar/feed", follow_redirects=True)
                    token = re.search(
                        r"calendar\.ics\?token=([\w-]+)", page.get_data(as_text=True)
                    )
                    organisation.shared["feed_token"] = token.group(1)
            deactivate(organisation.principals["inactive"].user_id)
            # A directory's SCIM token, for admin to revoke.
            scim_token, _secret = scim_tokens.issue("Matrix directory", actor=None)
            db.session.commit()
            organisation.shared["scim_token"] = scim_token.id
            db.session.remove()
            yield organisation
        finally:
            db.session.remove()
            reset_database(db.engine, migration_seeds)


# Valid bodies: what an allowed principal sends to succeed ----------------------------

REQUEST_FORM = {
    "title": "Headsets for the help desk",
    "justification": "Calls all day.",
    "lines-0-description": "Headset",
    "lines-0-category": "hardware",
    "lines-0-quantity": "2",
    "lines-0-unit": "each",
    "lines-0-unit_price": "80.00",
    "save": "Save draft",
}
REQUEST_JSON = {
    "title": "Headsets for the help desk",
    "lines": [{"description": "Headset", "quantity": "2", "unit_price": "80.00"}],
}
VENDOR_FORM = {
    "name": "Matrix New Vendor",
    "email": "sales@new-vendor.example",
    "categories": "hardware",
    "rating": "3",
    "contacts-0-name": "",
    "save": "Save vendor",
}
CONTRACT_FORM = {
    "vendor_id": "@vendor",
    "title": "Printer maintenance",
    "kind": "maintenance",
    "start_date": TODAY.isoformat(),
    "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
    "value": "600.00",
    "billing_period": "yearly",
    "notice_days": "30",
    "renewal_term_months": "12",
}
CONTRACT_JSON = {
    "vendor_id": "@vendor",
    "title": "Printer maintenance",
    "kind": "maintenance",
    "start_date": TODAY.isoformat(),
    "end_date": (TODAY + dt.timedelta(days=365)).isoformat(),
}
QUOTE_FORM = {
    "vendor_id": "@quoteless_vendor",
    "lines-0-request_line_id": "@rfq_open_line0",
    "lines-0-unit_price": "840.00",
    "lines-1-request_line_id": "@rfq_open_line1",
    "lines-1-unit_price": "85.00",
    "shipping": "0.00",
    "tax": "0.00",
    "lead_time_days": "5",
    "warranty_months": "12",
    "payment_terms": "30 days net",
    "valid_until": DUE.isoformat(),
}
QUOTE_JSON = {
    "vendor_id": "@quoteless_vendor",
    "valid_until": DUE.isoformat(),
    "lead_time_days": 5,
    "lines": [
        {"description": "Laptop", "quantity": "1", "unit_price": "840.00"},
        {"description": "Dock", "quantity": "1", "unit_price": "85.00"},
    ],
}
RULE_FORM = {"step": "security", "role": "executive", "step_order": "40", "min_total": "20000"}
DELEGATION_FORM = {
    "delegate": "@colleague.id",
    "starts_on": (TODAY + dt.timedelta(days=20)).isoformat(),
    "ends_on": (TODAY + dt.timedelta(days=25)).isoformat(),
    "note": "Conference",
}
PDF_UPLOAD = ("@file", PDF_BYTES, "copy.pdf")
# What a vendor types into the order's invoice link (the PDF is required there).
# Every field before the file: a part the form parser refuses as too large after a file
# part would leave that file's spool to the garbage collector.
INVOICE_LINK_FORM = {
    "vendor_invoice_number": "MATRIX-1",
    "invoice_date": TODAY.isoformat(),
    "due_date": "",
    "lines-0-order_line_id": "@order_line",
    "lines-0-quantity": "1",
    "lines-0-unit_price": "10.00",
    "shipping": "0.00",
    "tax": "0.00",
    "total": "",
    "credit_for": "",
    "note": "",
    "save": "Send",
    "save_submit": "",
    "pdf": PDF_UPLOAD,
}


# Calling a route as a principal ------------------------------------------------------


def resolve(value: Any, org: Organisation, principal: str) -> Any:
    if isinstance(value, list):
        return [resolve(item, org, principal) for item in value]
    if isinstance(value, tuple) and value and value[0] == "@file":
        data = value[1]
        if isinstance(data, str) and data.startswith("@"):  # the bytes of a document
            data = _reference(data[1:], org, principal)
        return (io.BytesIO(data), value[2])
    if isinstance(value, dict):
        return {
            resolve(key, org, principal): resolve(item, org, principal)
            for key, item in value.items()
        }
    if not isinstance(value, str):
        return value
    if value.startswith("@"):
        return _reference(value[1:], org, principal)
    # A field named after a row: line-@id, line-@id-quantity.
    field = re.fullmatch(r"(\w+-)@([\w.]+)(-\w+)?", value)
    if field:
        reference = str(_reference(field.group(2), org, principal))
        return field.group(1) + reference + (field.group(3) or "")
    return value


def _reference(key: str, org: Organisation, principal: str) -> Any:
    me = org.principals[principal]
    if key == "me.email":
        return me.email or "nobody@matrix.example"
    if key.startswith("colleague."):
        # Someone holding the same role: the same-department colleague, or the owner for them.
        role = me.role or "requester"
        colleague = org.principals[
            f"{role}/owner" if principal == f"{role}/same" else f"{role}/same"
        ]
        return colleague.user_id if key.endswith(".id") else colleague.email
    return org.value(principal, key)


def path_for(app, case, org: Organisation, principal: str) -> str:
    params = {k: resolve(v, org, principal) for k, v in case.params.items()}
    query = {k: resolve(v, org, principal) for k, v in case.query.items()}
    with app.test_request_context():
        return url_for(case.endpoint, **params, **query)


def call(app, case, org: Organisation, principal: str):
    """Send ``case`` (endpoint, method, params, query, form, json) as ``principal``."""
    me = org.principals[principal]
    client = app.test_client()
    headers = {}
    path = path_for(app, case, org, principal)
    if path.startswith("/api/"):
        if me.token:
            headers["Authorization"] = f"Bearer {me.token}"
    elif me.cookie:
        client.set_cookie("procure_session", me.cookie)
    kwargs: dict[str, Any] = {"headers": headers}
    if case.form is not None:
        kwargs["data"] = resolve(case.form, org, principal)
    if case.json is not None:
        kwargs["json"] = resolve(case.json, org, principal)
    return client.open(path, method=case.method, **kwargs)


def audit_head(connection) -> tuple[int, str]:
    return tuple(connection.execute(sa.select(AuditHead.seq, AuditHead.hash)).one())
