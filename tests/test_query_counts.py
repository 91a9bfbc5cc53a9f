"""Queries per page are constant: a list, the inbox, the comparison and the dashboards
issue as many SQL statements for 5 rows as for 50 (no query per row); so do the second
round's pages and API lists (invoices and their matching, the asset register, its
search and reports, licence pools, agreements and the catalogue, request types,
webhooks, SCIM's users).

Each test builds a small world through the services, counts the statements of every
page, grows the world tenfold and counts again."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import reference
from procure import request_types as types
from procure.agreements import calloff
from procure.budgets import services as budgets
from procure.contracts import services as contracts
from procure.models import AttemptStatus, WebhookEndpoint
from procure.purchasing import services as purchasing
from procure.scim import tokens as scim_tokens
from procure.sourcing import services as sourcing
from procure.webhooks import endpoints as webhooks

from . import agreement_support, invoice_support
from .factories import PASSWORD
from .vendor_support import counting_queries
from .webhook_support import logged_attempts

SMALL, LARGE = 5, 50
DUE = dt.date.today() + dt.timedelta(days=10)


def line(description: str = "Laptop", price: str = "900.00") -> purchasing.LineData:
    return purchasing.LineData(
        description=description,
        quantity=Decimal("1"),
        unit_price=Decimal(price),
        category="hardware",
    )


@dataclasses.dataclass
class World:
    """An organisation whose documents of every kind can be grown to a given count."""

    make: object
    db: object

    def __post_init__(self) -> None:
        make = self.make
        self.requester = make.user(["requester"], department="IT")
        self.approver = make.user(["approver"], department="IT")
        self.finance = make.user(["finance"], department="FIN")
        self.buyer = make.user(["procurement"], department="PROC")
        self.admin = make.user(["admin"], department="ADM")
        self.pending: list = []
        self.vendors: list = []
        self.orders: list = []
        self.contracts: list = []
        self.budgets = 0

    def vendor(self):
        vendor = self.make.vendor(categories=("hardware",), email="sales@vendor.example")
        self.vendors.append(vendor)
        return vendor

    def grow(self, count: int) -> None:
        """Pending requests in the approver's inbox, vendors, orders, contracts, budgets."""
        while len(self.pending) < count:
            pr = purchasing.create_request(
                purchasing.RequestData(
                    title=f"Pending {len(self.pending)}", lines=[line(), line("Dock", "90.00")]
                ),
                actor=self.requester,
            )
            purchasing.submit(pr, actor=self.requester)
            self.pending.append(pr)
        while len(self.vendors) < count:
            self.vendor()
        while len(self.orders) < count:
            pr = self.make.approved_request(self.requester, self.approver)
            vendor = self.vendors[len(self.orders)]
            rfq = sourcing.create_rfq(
                sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=DUE),
                actor=self.buyer,
            )
            sourcing.send(rfq, actor=self.buyer)
            quote = self.quote(rfq, vendor)
            self.orders.append(
                sourcing.award(rfq, quote.id, actor=self.buyer, justification="Sole supplier.")
            )
        while len(self.contracts) < count:
            vendor = self.vendors[len(self.contracts)]
            contract = contracts.create(
                contracts.ContractData(
                    vendor_id=vendor.id,
                    title=f"Support {len(self.contracts)}",
                    kind="support",
                    start_date=dt.date.today() - dt.timedelta(days=300),
                    end_date=dt.date.today() + dt.timedelta(days=40),
                    value=Decimal("1200.00"),
                    notice_days=30,
                    owner_id=self.requester.id,
                ),
                actor=self.buyer,
            )
            contracts.activate(contract, actor=self.buyer)
            self.contracts.append(contract)
        while self.budgets < count:
            # This year's budget of one more department.
            code = f"D{self.budgets:02d}"
            self.make.department(code)
            budgets.create(
                budgets.BudgetData(
                    department=code,
                    fiscal_year=reference.current_fiscal_year(),
                    amount=Decimal("50000"),
                ),
                actor=None,
            )
            self.budgets += 1
        self.db.session.commit()

    def quote(self, rfq, vendor, price: str = "950.00"):
        request_lines = rfq.request.lines
        return sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=DUE,
                lead_time_days=7,
                warranty_months=12,
                lines=[
                    sourcing.QuoteLineData(
                        description=rl.description,
                        quantity=rl.quantity,
                        unit_price=Decimal(price),
                        request_line_id=rl.id,
                    )
                    for rl in request_lines
                ],
            ),
            actor=self.buyer,
        )

    def rfq_with_quotes(self, count: int):
        """An open RFQ with ``count`` quotes, for the comparison."""
        while len(self.vendors) < count:
            self.vendor()
        pr = self.make.approved_request(self.requester, self.approver)
        vendors = self.vendors[:count]
        rfq = sourcing.create_rfq(
            sourcing.RfqData(request_id=pr.id, vendor_ids=[v.id for v in vendors], due_date=DUE),
            actor=self.buyer,
        )
        sourcing.send(rfq, actor=self.buyer)
        for index, vendor in enumerate(vendors):
            self.quote(rfq, vendor, price=f"{900 + index}.00")
        self.db.session.commit()
        return rfq


@pytest.fixture
def world(make, db) -> World:
    return World(make, db)


def signed_in(new_client, user):
    client = new_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def count(client, path: str, headers: dict | None = None) -> int:
    client.get(path, headers=headers or {})  # warm: session, caches, first-use lookups
    with counting_queries() as calls:
        response = client.get(path, headers=headers or {})
    assert response.status_code == 200, (path, response.status_code)
    return len(calls)


PAGES = {
    "requester": ["/", "/requests", "/requests?status=pending_approval", "/notifications"],
    "approver": ["/", "/approvals", "/requests", "/notifications"],
    "buyer": [
        "/",
        "/rfqs",
        "/orders/",
        "/invoices/",
        "/vendors",
        "/vendors?q=vendor",
        "/contracts/",
    ],
    "finance": ["/", "/budgets/", "/orders/", "/invoices/", "/contracts/"],
    "admin": ["/", "/requests", "/admin/"],
}

API = {
    "requester": ["/api/v1/requests", "/api/v1/notifications", "/api/v1/delegations"],
    "approver": ["/api/v1/requests?status=pending_approval"],
    "buyer": ["/api/v1/rfqs", "/api/v1/orders", "/api/v1/vendors", "/api/v1/contracts"],
    "finance": ["/api/v1/budgets"],
    "admin": ["/api/v1/audit"],
}


def page_counts(world: World, new_client) -> dict[str, int]:
    counts = {}
    for role, paths in PAGES.items():
        client = signed_in(new_client, getattr(world, role))
        for path in paths:
            counts[f"{role} {path}"] = count(client, path)
    return counts


def api_counts(world: World, api) -> dict[str, int]:
    counts = {}
    for role, paths in API.items():
        client = api(getattr(world, role))
        for path in paths:
            counts[f"{role} {path}"] = count(client.client, path, client.headers)
    return counts


def test_pages_issue_as_many_queries_for_50_rows_as_for_5(world, new_client):
    world.grow(SMALL)
    small = page_counts(world, new_client)
    world.grow(LARGE)
    large = page_counts(world, new_client)
    assert large == small


def test_api_lists_issue_as_many_queries_for_50_rows_as_for_5(world, api):
    world.grow(SMALL)
    small = api_counts(world, api)
    world.grow(LARGE)
    large = api_counts(world, api)
    assert large == small


def test_the_comparison_issues_as_many_queries_for_50_quotes_as_for_5(world, new_client, api):
    from procure.vendors import services as vendors

    few = world.rfq_with_quotes(SMALL)
    many = world.rfq_with_quotes(LARGE)
    # Every vendor's documents are checked when some are required.
    vendors.set_required_documents(["insurance"], actor=None)
    world.db.session.commit()
    client = signed_in(new_client, world.buyer)
    token = api(world.buyer)
    for path in ("/rfqs/{}", "/api/v1/rfqs/{}/comparison", "/api/v1/rfqs/{}/quotes"):
        if path.startswith("/api"):
            small = count(token.client, path.format(few.id), token.headers)
            large = count(token.client, path.format(many.id), token.headers)
        else:
            small = count(client, path.format(few.id))
            large = count(client, path.format(many.id))
        assert large == small, path


def test_a_request_page_issues_as_many_queries_for_10_lines_as_for_1(world, new_client):
    short = purchasing.create_request(
        purchasing.RequestData(title="Short", lines=[line()]), actor=world.requester
    )
    long = purchasing.create_request(
        purchasing.RequestData(title="Long", lines=[line(f"Item {n}") for n in range(10)]),
        actor=world.requester,
    )
    for pr in (short, long):
        purchasing.submit(pr, actor=world.requester)
    world.db.session.commit()
    for role in ("requester", "approver"):
        client = signed_in(new_client, getattr(world, role))
        assert count(client, f"/requests/{short.id}") == count(client, f"/requests/{long.id}")


@pytest.mark.parametrize("stand_ins", [False, True])
def test_telling_the_deciders_costs_the_same_for_six_approvers_as_for_one(make, db, stand_ins):
    from procure import delegation

    counts = []
    for department, approvers in (("ONE", 1), ("SIX", 6)):
        requester = make.user(["requester"], department=department)
        deciders = [make.user(["approver"], department=department) for _ in range(approvers)]
        if stand_ins:
            for decider in deciders:
                delegation.create(
                    decider,
                    make.user(["approver"], department=department),
                    starts_on=dt.date.today(),
                    ends_on=dt.date.today() + dt.timedelta(days=3),
                    actor=decider,
                )
        pr = purchasing.create_request(
            purchasing.RequestData(title="Cables", lines=[line("Cable", "9.00")]),
            actor=requester,
        )
        db.session.commit()
        statements = []

        def record(_conn, _cursor, statement, *_args, seen=statements) -> None:
            seen.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            purchasing.submit(pr, actor=requester)
            db.session.flush()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        # Reads do not grow with the deciders, nor do the e-mails' decision links (one
        # INSERT for all). One notification each is written; on PostgreSQL in one INSERT,
        # on SQLite, whose RETURNING keeps no order, in one each.
        counts.append(sum(1 for s in statements if not s.startswith("INSERT INTO notifications")))
    assert counts[0] == counts[1]


def _received_assets(make, db, buyer, units: int, category: str = "hardware"):
    """An order of ``units`` laptops (or seats), issued and received in full."""
    from procure.orders import services as orders

    from .documents import issued_order

    order = issued_order(
        make, buyer=buyer, title_lines=(("Laptop", str(units), "90.00"),), category=category
    )
    orders.receive(
        order,
        [orders.ReceiptLineData(order.lines[0].id, Decimal(units))],
        received_on=None,
        actor=buyer,
    )
    db.session.commit()
    return order


def test_the_asset_pages_issue_as_many_queries_for_50_assets_as_for_5(
    world, new_client, make, api
):
    from procure.assets import licences
    from procure.assets import services as assets
    from procure.models import Asset, Licence
    from procure.workflow import AssetAction

    db = world.db
    holders = [make.user(["requester"], department="IT") for _ in range(LARGE)]
    counts = []
    for units in (SMALL, LARGE):
        order = _received_assets(make, db, world.buyer, units)
        pool_order = _received_assets(make, db, world.buyer, units, category="software")
        listed = db.session.scalars(sa.select(Asset).where(Asset.order_id == order.id)).all()
        for asset, holder in zip(listed, holders, strict=False):
            assets.act(asset, AssetAction.DEPLOY, actor=world.buyer, holder=holder)
        contract = make.contract(kind="support", owner=world.buyer)
        # Half covered: the other half is in the warranty report (no warranty at all).
        assets.set_coverage(contract, [a.id for a in listed[::2]], actor=world.buyer)
        pool = db.session.scalar(sa.select(Licence).where(Licence.order_id == pool_order.id))
        for holder in holders[:units]:
            licences.assign(pool, holder.id, actor=world.buyer)
        # One asset moved back and forth as often as there are units: a longer story.
        first = listed[0]
        for _ in range(units):
            assets.act(first, AssetAction.RETURN, actor=world.buyer)
            assets.act(first, AssetAction.DEPLOY, actor=world.buyer, holder=holders[0])
        db.session.commit()
        client = signed_in(new_client, world.buyer)
        pages = {
            "list": "/assets",
            "of an order": f"/assets?order_id={order.id}",
            "uncovered": "/assets?uncovered=1",
            "asset": f"/assets/{first.tag}",
            "pools": "/licences",
            "pool": f"/licences/{pool.id}",
            "contract": f"/contracts/{contract.id}",
            "coverage": f"/contracts/{contract.id}/coverage",
            "order": f"/orders/{order.id}",
            "search": "/assets?q=laptop",
            "warranty report": "/assets/reports/warranty?days=365",
            "cost report": "/assets/reports/costs",
            "pools report": "/assets/reports/licences",
        }
        found = {name: count(client, path) for name, path in pages.items()}
        token = api(world.buyer)
        for path in ("/api/v1/assets", "/api/v1/assets?q=laptop", "/api/v1/licences"):
            found[path] = count(token.client, path, token.headers)
        counts.append(found)
    assert counts[0] == counts[1]


def test_the_agreement_pages_issue_as_many_queries_for_50_rows_as_for_5(
    world, new_client, make, api
):
    db = world.db
    made = []
    counts = []
    for rows in (SMALL, LARGE):
        while len(made) < rows:
            made.append(
                agreement_support.agreement(
                    make,
                    world.buyer,
                    items=[(f"Item {n}", "10.00", "1000") for n in range(rows)],
                )
            )
        agreement = made[-1]
        for item in agreement.items:
            pr = agreement_support.catalogue_request(
                make, world.requester, world.approver, [(item, "1")]
            )
            calloff.call_off(agreement, pr, world.buyer)
        db.session.commit()
        buyer = signed_in(new_client, world.buyer)
        requester = signed_in(new_client, world.requester)
        token = api(world.buyer)
        counts.append(
            {
                "list": count(buyer, "/agreements"),
                "agreement": count(buyer, f"/agreements/{agreement.id}"),
                "catalogue": count(buyer, "/catalogue"),
                "catalogue of a requester": count(requester, "/catalogue?q=item"),
                "api": count(token.client, "/api/v1/agreements", token.headers),
                "api agreement": count(
                    token.client, f"/api/v1/agreements/{agreement.id}", token.headers
                ),
                "api catalogue": count(token.client, "/api/v1/catalogue?q=item", token.headers),
            }
        )
    assert counts[0] == counts[1]


def test_the_webhook_lists_issue_as_many_queries_for_50_rows_as_for_5(world, new_client, api):
    """Endpoints with their last delivery, and one endpoint's delivery log."""
    db = world.db
    made: list[WebhookEndpoint] = []
    counts = []
    for rows in (SMALL, LARGE):
        while len(made) < rows:
            endpoint = webhooks.create(
                url=f"https://93.184.215.14/hooks/{len(made)}",
                secret="count-webhook-secret-0123",
                events=["request.approved"],
                actor=world.admin,
            )
            made.append(endpoint)
            # An event each: a log of many events must not read each event on its own.
            for _ in made:
                logged_attempts(db, endpoint.id, [(AttemptStatus.FAILED, 500, "")])
        db.session.commit()
        admin = signed_in(new_client, world.admin)
        client = api(world.admin)
        last = made[-1].id
        counts.append(
            {
                "page": count(admin, "/admin/webhooks"),
                "log page": count(admin, f"/admin/webhooks/{last}"),
                "api": count(client.client, "/api/v1/webhooks", client.headers),
                "api log": count(
                    client.client, f"/api/v1/webhooks/{last}/deliveries", client.headers
                ),
            }
        )
    assert counts[0] == counts[1]


def test_the_invoice_pages_issue_as_many_queries_for_50_invoices_as_for_5(
    make, db, new_client, api
):
    """The list (page and API), and a held invoice's matching page with 5 or 50 lines,
    each line an exception (nothing received)."""
    people = invoice_support.People(make)
    vendor = make.vendor(categories=("hardware",), email="sales@vendor.example")
    counts = []
    listed = 0
    for rows in (SMALL, LARGE):
        while listed < rows:
            order = invoice_support.issued_order(people, vendor)
            invoice_support.receive(order, people)
            invoice_support.approved(order, people, f"V-{listed}")
            listed += 1
        held_order = invoice_support.issued_order(
            people, vendor, lines=[(f"Item {n}", "1", "10.00") for n in range(rows)]
        )
        held = invoice_support.submitted(held_order, people, f"H-{rows}")
        db.session.commit()
        assert held.open_exceptions
        finance = signed_in(new_client, people.clerk)
        token = api(people.clerk)
        counts.append(
            {
                "list": count(finance, "/invoices/"),
                "held": count(finance, "/invoices/?status=on_hold"),
                "matching": count(finance, f"/invoices/{held.id}"),
                "order": count(finance, f"/orders/{held_order.id}"),
                "api": count(token.client, "/api/v1/invoices", token.headers),
                "api invoice": count(token.client, f"/api/v1/invoices/{held.id}", token.headers),
            }
        )
    assert counts[0] == counts[1]


def test_request_types_and_scim_users_cost_as_much_for_50_as_for_5(world, new_client, api):
    db = world.db
    _token, secret = scim_tokens.issue("Directory", actor=None)
    scim_headers = {"Authorization": f"Bearer {secret}"}
    made = 0
    counts = []
    for rows in (SMALL, LARGE):
        while made < rows:
            types.create(
                f"type-{made}",
                f"Type {made}",
                [{"name": "users", "label": "Users", "kind": "number", "required": False}],
                actor=world.admin,
            )
            world.make.user(["requester"], department="IT")
            made += 1
        db.session.commit()
        admin = signed_in(new_client, world.admin)
        token = api(world.admin)
        counts.append(
            {
                "page": count(admin, "/admin/request-types"),
                "api": count(token.client, "/api/v1/request-types", token.headers),
                "scim users": count(token.client, "/scim/v2/Users", scim_headers),
            }
        )
    assert counts[0] == counts[1]
