"""The demo organisation of ``seed-demo``: small, realistic, idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import (
    delegation,
    demo_agreements,
    demo_assets,
    demo_currencies,
    demo_invoices,
    demo_orders,
    demo_request_types,
    organisation,
    reference,
    settings,
)
from .admin import services as admin_services
from .auth.services import find_user_by_email
from .budgets import services as budgets
from .contracts import services as contracts
from .extensions import db
from .models import (
    ApprovalStep,
    Budget,
    Contract,
    Delegation,
    Notification,
    PurchaseOrder,
    PurchaseRequest,
    Rfq,
    Role,
    StepStatus,
    Vendor,
    utcnow,
)
from .notifications import services as notifications
from .orders import services as orders
from .purchasing import services as purchasing
from .purchasing.services import LineData
from .sourcing import services as sourcing
from .vendors.demo import insured_vendor
from .vendors.demo import seed_vendors as seed_demo_vendors

DEMO_PASSWORD = "procure-demo"  # noqa: S105 -- printed for the demo, by design

DEPARTMENTS = [
    ("IT", "Information Technology"),
    ("FIN", "Finance"),
    ("EXEC", "Executive Office"),
    ("PROC", "Procurement"),
    ("OPS", "Operations"),
]

# e-mail, name, department, roles
PEOPLE = [
    ("ada@example.org", "Ada Lovelace", "IT", [Role.REQUESTER]),
    ("ian@example.org", "Ian Approver", "IT", [Role.APPROVER]),
    ("fiona@example.org", "Fiona Finance", "FIN", [Role.FINANCE]),
    ("eve@example.org", "Eve Executive", "EXEC", [Role.EXECUTIVE]),
    ("paul@example.org", "Paul Procurement", "PROC", [Role.PROCUREMENT]),
    ("adam@example.org", "Adam Admin", "IT", [Role.ADMIN]),
    ("oscar@example.org", "Oscar Operations", "OPS", [Role.REQUESTER]),
    ("olivia@example.org", "Olivia Ops Lead", "OPS", [Role.APPROVER, Role.REQUESTER]),
    ("frank@example.org", "Frank Finance", "FIN", [Role.FINANCE, Role.REQUESTER]),
    ("nils@example.org", "Nils Controller", "FIN", [Role.APPROVER]),
]


def seed() -> list[tuple[str, str, str]]:
    """Create what is missing; returns the logins (e-mail, password, roles)."""
    departments = {}
    for code, name in DEPARTMENTS:
        department = reference.department_by_code(code)
        if department is None:
            department = reference.create_department(code, name, actor=None)
        departments[code] = department

    logins = []
    for email, name, code, roles in PEOPLE:
        if find_user_by_email(email) is None:
            admin_services.create_user(
                email,
                name=name,
                password=DEMO_PASSWORD,
                department=departments[code],
                roles=set(roles),
                actor=None,
            )
        logins.append((email, DEMO_PASSWORD, ", ".join(role.value for role in roles)))
    return logins


def _line(description: str, quantity: str, price: str, category: str, unit: str = "each"):

    return LineData(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        category=category,
        unit=unit,
    )


# title, requester, lines, what happens to it, and the decision comments.
DEMO_REQUESTS = [
    (
        "Laptops for new developers",
        "ada@example.org",
        [
            ("ThinkPad T14 Gen 5, 32 GB", "3", "1650.00", "hardware"),
            ("USB-C docking station", "3", "289.00", "peripherals"),
        ],
        "overdue",
    ),
    (
        "JetBrains All Products licences",
        "ada@example.org",
        [("All Products Pack, annual", "10", "289.00", "licence", "seat")],
        "draft",
    ),
    (
        "Core switch replacement",
        "ada@example.org",
        [
            ("48-port 10G switch", "2", "6400.00", "hardware"),
            ("Installation and configuration", "16", "145.00", "services", "hour"),
        ],
        "finance",
    ),
    (
        "Monitors for the support desk",
        "ada@example.org",
        [('27" 4K monitor', "6", "389.00", "peripherals")],
        "approved",
    ),
    (
        "Backup storage expansion",
        "oscar@example.org",
        [("NAS expansion shelf, 12x16 TB", "1", "8900.00", "hardware")],
        "approved_big",
    ),
    (
        "Conference room display",
        "oscar@example.org",
        [('75" display with wall mount', "1", "2450.00", "hardware")],
        "rejected",
    ),
    (
        "Team offsite tablets",
        "oscar@example.org",
        [('iPad Air 11"', "4", "649.00", "hardware")],
        "cancelled",
    ),
    (
        "Headsets for the service desk",
        "ada@example.org",
        [("Wireless headset", "12", "129.00", "peripherals")],
        "returned",
    ),
    (
        "Datacentre refresh, phase 1",
        "frank@example.org",
        [("Rack servers, 2U, dual CPU", "8", "9800.00", "hardware")],
        "executive",
    ),
]


def seed_vendors() -> None:
    """IT vendors in every state, with contacts and documents, one flagged (once)."""

    seed_demo_vendors()


def seed_requests() -> None:
    """Requests in every state of their approval (once: skipped when any exist)."""

    if db.session.scalar(sa.select(sa.func.count()).select_from(PurchaseRequest)):
        return
    people = {email: find_user_by_email(email) for email, *_ in PEOPLE}
    approver = {
        "IT": people["ian@example.org"],
        "OPS": people["olivia@example.org"],
        "FIN": people["nils@example.org"],
    }
    finance = people["fiona@example.org"]
    executive = people["eve@example.org"]
    for title, email, lines, outcome in DEMO_REQUESTS:
        requester = people[email]
        pr = purchasing.create_request(
            purchasing.RequestData(
                title=title,
                justification=_JUSTIFICATIONS.get(title, ""),
                lines=[_line(*line) for line in lines],
            ),
            actor=requester,
        )
        if outcome == "draft":
            continue
        purchasing.submit(pr, actor=requester)
        dept_approver = approver[requester.department.code]
        if outcome == "pending":
            continue
        if outcome == "overdue":
            # Filed a week ago and still waiting: past the approval service level.
            week_ago = pr.pending_step.pending_since - dt.timedelta(days=7)
            pr.pending_step.pending_since = week_ago
            # Moved back in time without a new version: nothing about the request
            # changed, and the decision links of its e-mail keep working.
            db.session.execute(
                sa.update(PurchaseRequest.__table__)
                .where(PurchaseRequest.__table__.c.id == pr.id)
                .values(submitted_at=week_ago, created_at=week_ago)
            )
            db.session.expire(pr, ["submitted_at", "created_at"])
            continue
        if outcome == "rejected":
            purchasing.reject(
                pr,
                actor=dept_approver,
                comment="We have a spare display in storage; please use it.",
            )
            continue
        if outcome == "returned":
            purchasing.return_for_changes(
                pr, actor=dept_approver, comment="Please split wired and wireless models."
            )
            continue
        if outcome == "cancelled":
            purchasing.cancel(pr, actor=requester, comment="The offsite moved online.")
            continue
        purchasing.approve(pr, actor=dept_approver, comment="Agreed.")
        if outcome == "finance":
            continue
        if pr.pending_step is not None and pr.pending_step.name == "finance":
            purchasing.approve(pr, actor=finance, comment="Within the plan.")
        if outcome == "executive":
            continue
        if pr.pending_step is not None and pr.pending_step.name == "executive":
            purchasing.approve(pr, actor=executive, comment="Approved.")


_JUSTIFICATIONS = {
    "Laptops for new developers": "Three developers start on the 1st; their laptops must be "
    "imaged a week before.",
    "Core switch replacement": "The current core switch is end of support in March.",
    "Datacentre refresh, phase 1": "Replaces hosts that are out of warranty and at 85% load.",
}


def seed_budgets_and_delegation() -> None:
    """This year's budgets (IT nearly spent) and a delegation (once each)."""

    year = reference.current_fiscal_year()
    if not db.session.scalar(sa.select(sa.func.count()).select_from(Budget)):
        for code, amount, category in [
            ("IT", "2800.00", None),  # nearly used up by the approved monitors
            ("IT", "4000.00", "licence"),
            ("OPS", "40000.00", None),
            ("FIN", "150000.00", None),
            ("PROC", "20000.00", None),
        ]:
            budgets.create(
                budgets.BudgetData(
                    department=code, fiscal_year=year, amount=Decimal(amount), category=category
                ),
                actor=None,
            )
    if not db.session.scalar(sa.select(sa.func.count()).select_from(Delegation)):
        olivia = find_user_by_email("olivia@example.org")
        ian = find_user_by_email("ian@example.org")
        today = delegation.today()
        # Olivia (OPS approver) is away this week; Ian covers her steps.
        delegation.create(
            olivia, ian, today, today + dt.timedelta(days=7), note="Annual leave", actor=olivia
        )


def seed_notifications() -> None:
    """A welcome note for every demo person (once). The demo requests wrote the rest
    through the workflow; what no longer waits for a person (they decided a step of it
    since, or no step of the request waits any more), they have read — an order's
    increase waiting on an ordered request stays unread."""

    welcomed = db.session.scalar(
        sa.select(Notification.id).where(Notification.kind == notifications.WELCOME).limit(1)
    )
    if welcomed is None:
        for email, *_ in PEOPLE:
            user = find_user_by_email(email)
            if user is not None:
                notifications.queue(user, notifications.WELCOME, path="/")
    # Decided since: a step of an order's increase asks the same approver again later.
    decided_it = (
        sa.select(ApprovalStep.id)
        .where(
            ApprovalStep.request_id == Notification.entity_id,
            ApprovalStep.decided_by_id == Notification.user_id,
            ApprovalStep.decided_at >= Notification.created_at,
        )
        .exists()
    )
    # Nothing waits: an ordered request's increase steps wait as a new request's do.
    no_longer_pending = ~(
        sa.select(ApprovalStep.id)
        .where(
            ApprovalStep.request_id == Notification.entity_id,
            ApprovalStep.status == StepStatus.PENDING,
        )
        .exists()
    )
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.entity == "request",
            Notification.kind == notifications.STEP_PENDING,
            Notification.read_at.is_(None),
            sa.or_(decided_it, no_longer_pending),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


# Sourcing and orders ------------------------------------------------------------------

# Two more hardware vendors, so that an RFQ can compare three quotes.
EXTRA_VENDORS = [
    (
        "Coho Computers",
        ["hardware", "peripherals"],
        3,
        "bids@coho-computers.example.com",
        "88 Harbour Way\nSeattle, WA 98101",
    ),
    (
        "Woodgrove Systems",
        ["hardware"],
        5,
        "quotes@woodgrove.example.com",
        "5 Woodgrove Park\nAustin, TX 78701",
    ),
]

# title, requester, lines, what happens to its order.
SOURCED_REQUESTS = [
    (
        "Keyboards and mice for the new floor",
        "oscar@example.org",
        [("Wireless keyboard and mouse set", "20", "59.00", "peripherals")],
        "draft",
    ),
    (
        "Docking stations for hot desks",
        "ada@example.org",
        [("USB-C dock, 100 W", "10", "189.00", "peripherals")],
        "issued",
    ),
    (
        "Rack power distribution units",
        "oscar@example.org",
        [("Switched PDU, 16 A", "4", "420.00", "hardware")],
        "received",
    ),
    (
        "Conference room headsets",
        "oscar@example.org",
        [("USB headset with boom mic", "8", "99.00", "peripherals")],
        "closed",
    ),
    (
        "Spare SSDs for the build farm",
        "ada@example.org",
        [("NVMe SSD, 2 TB", "6", "160.00", "hardware")],
        "cancelled",
    ),
    (
        "Laptop bags and privacy filters",
        "oscar@example.org",
        [
            ('Laptop backpack, 15"', "12", "65.00", "peripherals"),
            ('Privacy filter, 14"', "12", "39.00", "peripherals"),
        ],
        "partial",
    ),
]


def seed_sourcing() -> None:
    """An open RFQ with three quotes ready to compare, and orders in every state with
    their stored PDFs (once: skipped when any RFQ exists)."""

    if db.session.scalar(sa.select(sa.func.count()).select_from(Rfq)):
        return
    buyer = find_user_by_email("paul@example.org")
    if buyer is None or not db.session.scalar(sa.select(sa.func.count()).select_from(Vendor)):
        return
    today = utcnow_date()
    for name, categories, rating, email, address in EXTRA_VENDORS:
        insured_vendor(buyer, name, categories, rating, email, address)

    by_name = {v.name: v for v in db.session.scalars(sa.select(Vendor))}
    northwind, coho, woodgrove = (
        by_name["Northwind Hardware"],
        by_name["Coho Computers"],
        by_name["Woodgrove Systems"],
    )

    def quote(rfq, vendor, factor: str, lead: int, warranty: int):
        return sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=today + dt.timedelta(days=30),
                lead_time_days=lead,
                warranty_months=warranty,
                payment_terms="30 days net",
                shipping=Decimal("35.00"),
                tax=Decimal("0.00"),
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit=line.unit,
                        unit_price=(line.unit_price * Decimal(factor)).quantize(Decimal("0.01")),
                        request_line_id=line.id,
                    )
                    for line in rfq.request.lines
                ],
            ),
            actor=buyer,
        )

    # The open RFQ: the approved backup storage expansion, three quotes to compare.
    storage = db.session.scalar(
        sa.select(PurchaseRequest).where(PurchaseRequest.title == "Backup storage expansion")
    )
    if storage is not None and storage.status.value == "approved":
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=storage.id,
                vendor_ids=[northwind.id, coho.id, woodgrove.id],
                due_date=today + dt.timedelta(days=10),
                notes="Please include rails and a 3-year on-site warranty.",
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        quote(rfq, northwind, "0.98", 10, 36)
        quote(rfq, coho, "0.94", 21, 12)
        quote(rfq, woodgrove, "1.03", 5, 60)

    # Orders in every state.
    approver = {
        "IT": find_user_by_email("ian@example.org"),
        "OPS": find_user_by_email("olivia@example.org"),
    }
    for title, email, lines, outcome in SOURCED_REQUESTS:
        requester = find_user_by_email(email)
        pr = purchasing.create_request(
            purchasing.RequestData(
                title=title,
                needed_by=today + dt.timedelta(days=21),
                lines=[
                    purchasing.LineData(
                        description=d, quantity=Decimal(q), unit_price=Decimal(p), category=c
                    )
                    for d, q, p, c in lines
                ],
            ),
            actor=requester,
        )
        purchasing.submit(pr, actor=requester)
        deciders = {
            "department": approver[requester.department.code],
            "finance": find_user_by_email("fiona@example.org"),
            "executive": find_user_by_email("eve@example.org"),
        }
        while pr.pending_step is not None:
            purchasing.approve(pr, actor=deciders[pr.pending_step.name], comment="Fine.")
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=[northwind.id, coho.id],
                due_date=today + dt.timedelta(days=7),
            ),
            actor=buyer,
        )
        sourcing.send(rfq, actor=buyer)
        cheaper = quote(rfq, northwind, "0.95", 7, 24)
        quote(rfq, coho, "0.99", 14, 12)
        order = sourcing.award(rfq, cheaper.id, actor=buyer)
        if outcome == "draft":
            continue
        orders.issue(order, actor=buyer)
        if outcome == "cancelled":
            orders.cancel(order, actor=buyer, comment="The build farm is moving to the cloud.")
            continue
        if outcome in ("received", "closed"):
            orders.receive(
                order,
                [
                    orders.ReceiptLineData(line_id=line.id, quantity=line.quantity)
                    for line in order.lines
                ],
                received_on=today,
                actor=buyer,
            )
        if outcome == "partial":
            first = order.lines[0]
            orders.receive(
                order,
                [orders.ReceiptLineData(line_id=first.id, quantity=first.quantity)],
                received_on=today,
                actor=buyer,
                note="Filters back-ordered.",
            )
        # "closed": received here; its invoices close it (demo_invoices.py).


def utcnow_date():

    return utcnow().date()


# title, vendor, kind, months running, days left, notice days, auto-renew, what happens
DEMO_CONTRACTS = [
    ("Core network support", "Fabrikam Networks", "support", 10, 40, 30, True, "active"),
    (
        "Microsoft 365 E3 subscription",
        "Tailspin Software Licensing",
        "subscription",
        11,
        70,
        60,
        True,
        "active",
    ),
    ("Laptop fleet maintenance", "Northwind Hardware", "maintenance", 2, 130, 30, False, "active"),
    ("Backup appliance service", "Coho Computers", "service", 1, 350, 90, True, "draft"),
    (
        "Legacy PBX maintenance",
        "Wide World Telecom",
        "maintenance",
        14,
        10,
        30,
        False,
        "terminated",
    ),
    (
        "Print fleet service",
        "Adventure Works IT Services",
        "service",
        24,
        0,
        30,
        False,
        "expired",
    ),
]


def seed_contracts() -> None:
    """Contracts in every state, some near their notice deadline, one made from a demo
    purchase order (once: skipped when any contract exists)."""

    if db.session.scalar(sa.select(sa.func.count()).select_from(Contract)):
        return
    buyer = find_user_by_email("paul@example.org")
    owner = find_user_by_email("ian@example.org")
    vendors = {v.name: v for v in db.session.scalars(sa.select(Vendor))}
    if buyer is None or not vendors:
        return
    today = utcnow().date()
    order = db.session.scalar(
        sa.select(PurchaseOrder)
        .where(PurchaseOrder.number.is_not(None))
        .order_by(PurchaseOrder.id)
    )
    for title, vendor_name, kind, ran, left, notice, auto, outcome in DEMO_CONTRACTS:
        vendor = vendors.get(vendor_name)
        if vendor is None:
            continue
        start = today - dt.timedelta(days=30 * ran)
        end = today + dt.timedelta(days=left)
        from_order = (
            order
            if (
                outcome == "active"
                and kind == "maintenance"
                and order is not None
                and order.vendor_id == vendor.id
            )
            else None
        )
        contract = contracts.create(
            contracts.ContractData(
                vendor_id=vendor.id,
                title=title,
                kind=kind,
                start_date=start,
                end_date=max(end, start),
                value=Decimal("2400.00") * (1 + ran % 5),
                billing_period="quarterly" if kind != "subscription" else "monthly",
                auto_renew=auto,
                notice_days=notice,
                renewal_term_months=12,
                sla_response_hours=4 if kind in ("support", "maintenance") else None,
                sla_resolution_hours=24 if kind in ("support", "maintenance") else None,
                covered_items=[line.description for line in from_order.lines]
                if from_order
                else [f"{title}: all covered equipment"],
                terms="Service hours Monday to Friday, 08:00-18:00.",
                order_id=from_order.id if from_order else None,
                owner_id=owner.id if owner else None,
            ),
            actor=buyer,
        )
        if outcome == "draft":
            continue
        contracts.activate(contract, actor=buyer)
        if outcome == "expired":
            # It ends today: tomorrow's run of the daily job expires it.
            contracts.roll_or_expire(contract, today + dt.timedelta(days=1))
            continue
        if outcome == "terminated":
            contracts.terminate(
                contract, actor=buyer, comment="The PBX is replaced by the new phone system."
            )


# The demo's buying organisation, as admin would set it on /admin/organisation.
ORGANISATION = {
    "name": "Lakeview County Public Schools",
    "address": "IT Services — Procurement\n2400 Harbor Boulevard\nLakeview, OR 97630",
    "phone": "+1 541 555 0142",
    "email": "procurement@example.org",
    "tax_id": "EIN 93-1234567",
    "bill_to": "Accounts Payable\nPO Box 1180\nLakeview, OR 97630",
    "terms": (
        "1. Delivery: goods are delivered to the address on the order, Monday to Friday "
        "between 8:00 and 16:00, with a delivery note quoting the order number.\n"
        "2. Acceptance: goods are accepted once inspected; defective or non-conforming "
        "goods are returned at the vendor's cost within 30 days of delivery.\n"
        "3. Invoices quote the order number and go to the invoice address; correct "
        "invoices are paid within 30 days of receipt.\n"
        "4. Prices are fixed and include packing and delivery unless the order says "
        "otherwise.\n"
        "5. Warranty: at least 12 months from acceptance, or the manufacturer's warranty "
        "if longer."
    ),
}
# The clauses the demo's agreements print where the defaults would be too generic.
AGREEMENT_CLAUSES = {
    "governing_law": (
        "This agreement is governed by the laws of the State of Oregon; the courts of "
        "Lake County, Oregon, alone decide any dispute arising from it."
    ),
}


def seed_organisation() -> None:
    """The demo's organisation and agreement clauses, unless admin already set them."""
    if not settings.get(organisation.SETTING):
        organisation.update(ORGANISATION, actor=None)
    clauses = settings.get(organisation.AGREEMENT_SETTING)
    if clauses == settings.DEFAULTS[organisation.AGREEMENT_SETTING]:
        organisation.update_agreement_clauses({**clauses, **AGREEMENT_CLAUSES}, actor=None)


def seed_all() -> list[tuple[str, str, str]]:
    """Everything ``seed-demo`` loads, in order; returns the logins."""
    logins = seed()
    seed_organisation()
    seed_budgets_and_delegation()
    seed_vendors()
    seed_requests()
    seed_sourcing()
    seed_contracts()
    demo_currencies.seed_all()
    demo_invoices.seed()
    demo_invoices.seed_bank_details()
    demo_orders.seed()
    logins += demo_assets.seed(DEMO_PASSWORD)
    logins += demo_request_types.seed(DEMO_PASSWORD)
    demo_agreements.seed()
    seed_notifications()
    return logins
