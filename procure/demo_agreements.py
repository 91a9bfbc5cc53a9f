"""The demo's framework agreement (docs/agreements.md), made through the services so
that its audit trail is real: Northwind Hardware's laptop agreement, active, with a
ceiling and three items (a laptop up to 50, a dock at a rate only, a monitor up to 20),
and one call-off: Ada's catalogue request for five laptops, approved by Ian, called
off and issued by Paul.

Once: skipped when the agreement exists, or when what it builds on (the demo's people,
Northwind Hardware) is missing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from . import currencies
from .admin import policy
from .agreements import calloff
from .agreements import services as agreements
from .auth.services import find_user_by_email
from .extensions import db
from .models import Agreement, PolicyRule, PurchaseOrder, User, Vendor
from .orders import services as orders
from .purchasing import services as purchasing

TITLE = "Standard laptops and workplace equipment"
VENDOR = "Northwind Hardware"
CEILING = Decimal("120000.00")
# description, category, unit, unit price, max quantity (None: rate only)
ITEMS = (
    ("Laptop 14in, 32 GB, 1 TB, 3-year warranty", "hardware", "each", "1180.00", "50"),
    ("USB-C docking station", "hardware", "each", "189.00", None),
    ('27" monitor, height-adjustable', "hardware", "each", "249.00", "20"),
)
# Who decides a step of the request, by the step's role.
DECIDERS = {
    "approver": "ian@example.org",
    "finance": "fiona@example.org",
    "executive": "eve@example.org",
}


def seed() -> Agreement | None:
    """The agreement and its call-off; None when skipped."""
    if db.session.scalar(sa.select(Agreement.id).where(Agreement.title == TITLE)) is not None:
        return None
    vendor = db.session.scalar(sa.select(Vendor).where(Vendor.name == VENDOR))
    paul = find_user_by_email("paul@example.org")
    ada = find_user_by_email("ada@example.org")
    if vendor is None or paul is None or ada is None:
        return None
    today = dt.date.today()
    agreement = agreements.create(
        agreements.AgreementData(
            vendor_id=vendor.id,
            title=TITLE,
            start_date=today - dt.timedelta(days=60),
            end_date=today + dt.timedelta(days=305),
            currency=currencies.base(),
            ceiling=CEILING,
            terms="Delivery within 10 working days of the call-off. Prices fixed for the term.",
            items=[
                agreements.ItemData(
                    description=description,
                    category=category,
                    unit=unit,
                    unit_price=Decimal(price),
                    max_quantity=None if most is None else Decimal(most),
                )
                for description, category, unit, price, most in ITEMS
            ],
        ),
        paul,
    )
    agreements.activate(agreement, paul)
    _pre_approve_catalogue()
    _call_off(agreement, ada, paul)
    db.session.commit()
    return agreement


def _pre_approve_catalogue() -> None:
    """Admin marks the finance review of larger requests not needed for pre-approved
    catalogue items: a catalogue request is the department's decision alone."""
    admin = find_user_by_email("adam@example.org")
    rule = db.session.scalar(
        sa.select(PolicyRule).where(
            PolicyRule.step == "finance",
            PolicyRule.min_total.is_not(None),
            PolicyRule.when_over_budget.is_(False),
            PolicyRule.active.is_(True),
        )
    )
    if admin is None or rule is None or rule.skip_for_catalogue:
        return
    policy.update_rule(
        rule,
        policy.RuleData(
            step=rule.step,
            role=rule.role,
            step_order=rule.step_order,
            min_total=rule.min_total,
            category=rule.category,
            department_code=rule.department.code if rule.department else None,
            when_over_budget=rule.when_over_budget,
            request_type=rule.request_type,
            field_name=rule.field_name,
            field_value=rule.field_value,
            skip_for_catalogue=True,
        ),
        actor=admin,
    )


def _call_off(agreement: Agreement, ada: User, paul: User) -> None:
    """Ada asks for five laptops from the catalogue; approved, called off and issued."""
    laptop = agreement.items[0]
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Laptops for the new service desk team",
            justification="Five starters in January; the standard laptop from the catalogue.",
            currency=agreement.currency,
            lines=[
                purchasing.LineData(
                    description=laptop.description,
                    quantity=Decimal("5"),
                    unit_price=laptop.unit_price,
                    catalogue_item_id=laptop.id,
                )
            ],
        ),
        actor=ada,
    )
    purchasing.submit(pr, actor=ada)
    while pr.pending_step is not None:
        decider = find_user_by_email(DECIDERS.get(pr.pending_step.role.value, ""))
        if decider is None:
            return  # a step the demo has no one for: the request waits there
        purchasing.approve(pr, actor=decider, comment="Standard catalogue item.")
    # Called off at the approval already when agreements.auto_call_off is on.
    order = db.session.scalar(
        sa.select(PurchaseOrder).where(
            PurchaseOrder.request_id == pr.id, PurchaseOrder.agreement_id == agreement.id
        )
    ) or calloff.call_off(agreement, pr, paul)
    orders.issue(order, actor=paul)
