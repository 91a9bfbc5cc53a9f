"""Agreements and catalogue requests for the agreement tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from procure import currencies
from procure.agreements import services
from procure.purchasing import services as purchasing

TODAY = dt.date.today()


def agreement(
    make,
    buyer,
    *,
    items=(("ThinkPad T14", "1000.00", "10"),),
    ceiling=None,
    activate=True,
    start=None,
    end=None,
    currency=None,
):
    vendor = make.vendor()
    ag = services.create(
        services.AgreementData(
            vendor_id=vendor.id,
            title="Laptops 2026",
            start_date=start or TODAY - dt.timedelta(days=1),
            end_date=end or TODAY + dt.timedelta(days=365),
            currency=currency or currencies.base(),
            ceiling=None if ceiling is None else Decimal(ceiling),
            items=[
                services.ItemData(
                    description=d,
                    unit_price=Decimal(p),
                    category="hardware",
                    max_quantity=None if m is None else Decimal(m),
                )
                for d, p, m in items
            ],
        ),
        buyer,
    )
    if activate:
        services.activate(ag, buyer)
    return ag


def catalogue_request(make, requester, approver, wanted, *, approve=True, currency=None):
    """A request of catalogue lines ``[(item, quantity)]``, submitted and approved."""
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Standard laptops",
            currency=currency or currencies.base(),
            lines=[
                purchasing.LineData(
                    description="",
                    quantity=Decimal(q),
                    unit_price=None,  # type: ignore[arg-type]
                    catalogue_item_id=item.id,
                )
                for item, q in wanted
            ],
        ),
        actor=requester,
    )
    if approve:
        purchasing.submit(pr, actor=requester)
        while pr.pending_step is not None:
            step = pr.pending_step
            decider = (
                approver
                if step.name == "department"
                else make.user([step.role.value], department="FIN")
            )
            purchasing.approve(pr, actor=decider)
    return pr
