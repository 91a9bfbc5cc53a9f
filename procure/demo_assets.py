"""The demo's asset register (docs/assets.md), made through the services on top of the
orders ``seed-demo`` has received, so that its audit trail and e-mails are real:

- Alan Assets, the asset manager, signs in with the demo password;
- the four operations laptops still in stock (six received, two sent back) get their
  serial numbers; one is deployed to Ada (her dashboard shows it, with a monitor arm),
  one is in repair, one retired (stolen), one deployed to Leo, who then leaves: his
  account is deactivated with the laptop and a licence seat still his, and Alan hears
  of it (the leavers report lists him);
- an on-site support contract covers Ada's laptop and the one in repair;
- two of the rack PDUs have a short warranty, ending within 90 days, that no contract
  covers: the warranty report finds them;
- a licence order of 25 Jira seats is received as a pool, and seats go to six people.

Once: skipped when the licence order's request exists, or when what it builds on (the
demo's people, the laptops, the licence vendor) is missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import demo_orders, reference
from .admin import services as admin_services
from .assets import licences, services
from .auth.services import find_user_by_email
from .contracts import services as contracts
from .extensions import db
from .identity import lifecycle
from .models import (
    Asset,
    AssetStatus,
    Licence,
    PurchaseRequest,
    Role,
    User,
    Vendor,
    utcnow,
)
from .orders import services as orders
from .workflow import AssetAction

# e-mail, name, department, roles — printed with the other logins.
ASSET_MANAGER = ("alan@example.org", "Alan Assets", "IT", [Role.ASSET_MANAGER])
# Leaves the organisation in the demo: no login printed (the account is deactivated).
LEAVER = ("leo@example.org", "Leo Leaving", "OPS", [Role.REQUESTER])

JIRA = "Jira seats for the project offices"
JIRA_LINE = ("Jira Software Cloud, annual seat", "25", "96.00", "licence")
LICENCE_VENDOR = "Tailspin Software Licensing"
PDUS = "Rack power distribution units"
SERIALS = ("5CG4210QXK", "5CG4210QXM", "5CG4210R02", "5CG4210R1F")
SEAT_HOLDERS = (
    "ada@example.org",
    "oscar@example.org",
    "olivia@example.org",
    "ian@example.org",
    "paul@example.org",
    LEAVER[0],
)


def _account(email: str, name: str, code: str, roles: list[Role], password: str) -> User | None:
    user = find_user_by_email(email)
    department = reference.department_by_code(code)
    if user is None and department is not None:
        user = admin_services.create_user(
            email,
            name=name,
            password=password,
            department=department,
            roles=set(roles),
            actor=None,
        )
    return user


def seed(password: str) -> list[tuple[str, str, str]]:
    """Alan's login (made when missing), then the register's story, once."""
    email, name, code, roles = ASSET_MANAGER
    alan = _account(email, name, code, roles, password)
    logins = [(email, password, ", ".join(role.value for role in roles))] if alan else []
    if alan is None or db.session.scalar(
        sa.select(PurchaseRequest.id).where(PurchaseRequest.title == JIRA).limit(1)
    ):
        return logins
    people = {e: find_user_by_email(e) for e in ("ada@example.org", "oscar@example.org")}
    buyer, admin = find_user_by_email("paul@example.org"), find_user_by_email("adam@example.org")
    laptops = _in_stock(demo_orders.LAPTOPS)
    tailspin = db.session.scalar(sa.select(Vendor).where(Vendor.name == LICENCE_VENDOR))
    ada, oscar = people["ada@example.org"], people["oscar@example.org"]
    if None in (buyer, admin, ada, oscar, tailspin) or len(laptops) < len(SERIALS):
        return logins
    assert buyer and admin and ada and oscar and tailspin  # noqa: S101 -- checked above
    leo = _account(*LEAVER, password)
    assert leo is not None  # noqa: S101 -- OPS is a demo department
    _laptops(laptops, alan, ada, oscar, leo)
    _cover(laptops[:2], laptops[0].vendor_id, buyer)
    _short_warranties(alan)
    pool = _licence_pool(tailspin, buyer)
    # Annual seats: a year's term, set by hand (no contract was filed for them).
    licences.update_term(
        pool, actor=alan, end_date=reference.add_months(pool.start_date, 12) - dt.timedelta(1)
    )
    for holder in [find_user_by_email(e) for e in SEAT_HOLDERS] + [alan]:
        if holder is not None:
            licences.assign(pool, holder.id, actor=alan)
    # Leo leaves with his laptop and his seat: Alan is told, the leavers report lists him.
    lifecycle.deactivate(leo, actor=admin, via="admin")
    return logins


def _in_stock(title: str) -> list[Asset]:
    return list(
        db.session.scalars(
            sa.select(Asset)
            .join(PurchaseRequest, PurchaseRequest.id == Asset.request_id)
            .where(PurchaseRequest.title == title, Asset.status == AssetStatus.IN_STOCK)
            .order_by(Asset.id)
        )
    )


def _laptops(laptops: list[Asset], alan: User, ada: User, oscar: User, leo: User) -> None:
    """Serials typed after the dock, then each laptop's life so far."""
    for asset, serial in zip(laptops, SERIALS, strict=False):
        services.update(asset, actor=alan, serial=serial)
    adas, repaired, stolen, leos = laptops[: len(SERIALS)]
    services.act(
        adas, AssetAction.DEPLOY, actor=alan, holder=ada, location="HQ, 2nd floor, desk 14"
    )
    services.act(repaired, AssetAction.DEPLOY, actor=alan, holder=oscar, location="Operations")
    services.act(
        repaired,
        AssetAction.REPAIR,
        actor=alan,
        comment="Keyboard fails intermittently; sent to the vendor under warranty.",
    )
    services.act(
        stolen,
        AssetAction.RETIRE,
        actor=alan,
        comment="Stolen from a car on 12 November; police report 2026-1187.",
    )
    services.act(leos, AssetAction.DEPLOY, actor=alan, holder=leo, location="Operations")
    arm = next(iter(_in_stock(demo_orders.MONITORS)), None)
    if arm is not None:
        services.act(arm, AssetAction.DEPLOY, actor=alan, holder=ada, location="HQ, 2nd floor")


def _cover(assets: list[Asset], vendor_id: int, buyer: User) -> None:
    today = utcnow().date()
    contract = contracts.create(
        contracts.ContractData(
            vendor_id=vendor_id,
            title="On-site laptop support, next business day",
            kind="support",
            start_date=today,
            end_date=today + dt.timedelta(days=365),
            value=Decimal("480.00"),
            sla_response_hours=8,
        ),
        actor=buyer,
    )
    contracts.activate(contract, actor=buyer)
    services.set_coverage(contract, [asset.id for asset in assets], actor=buyer)


def _short_warranties(alan: User) -> None:
    """The PDUs' vendor warrants them for a quarter only: two run out soon, uncovered."""
    today = utcnow().date()
    for asset, days in zip(_in_stock(PDUS), (24, 61), strict=False):
        services.update(asset, actor=alan, warranty_end=today + dt.timedelta(days=days))


def _licence_pool(vendor: Vendor, buyer: User) -> Licence:
    people = demo_orders._people()  # noqa: SLF001 -- the demo's own cast
    order = demo_orders._issued_order(JIRA, [JIRA_LINE], people, (vendor,))  # noqa: SLF001
    line = order.lines[0]
    orders.receive(
        order,
        [orders.ReceiptLineData(line_id=line.id, quantity=line.quantity)],
        received_on=utcnow().date(),
        actor=buyer,
    )
    pool = db.session.scalar(sa.select(Licence).where(Licence.order_id == order.id))
    assert pool is not None  # noqa: S101 -- "licence" is a licence category by default
    return pool
