"""The catalogue: the items of active agreements within their dates, for anyone who
files requests to pick from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from .. import access
from ..db import is_postgres
from ..extensions import db
from ..models import Agreement, AgreementItem, AgreementStatus, User, Vendor
from ..money import quantity_to_api, to_api

LIMIT = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def query(q: str = "", category: str = "", today: dt.date | None = None) -> sa.Select[Any]:
    today = today or dt.date.today()
    stmt = (
        sa.select(AgreementItem, Agreement)
        .join(Agreement, AgreementItem.agreement_id == Agreement.id)
        .where(
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.start_date <= today,
            Agreement.end_date >= today,
        )
        .order_by(AgreementItem.description, AgreementItem.id)
    )
    for word in (q or "").split()[:10]:
        stmt = stmt.where(_matches(word))
    if category:
        stmt = stmt.where(AgreementItem.category == category)
    return stmt


def _matches(word: str) -> sa.ColumnElement[bool]:
    """``word`` in the item's description or its vendor's name, ignoring case.

    ``ILIKE``, which the trigram indexes serve on PostgreSQL; the vendor's side as the
    items of the agreements of the vendors it names (an array computed once there), so
    that both sides are on the items' table and the planner joins the two indexes'
    bitmaps instead of reading every item."""
    pattern = f"%{_escape_like(word)}%"
    of_vendors = (
        sa.select(Agreement.id)
        .join(Vendor, Agreement.vendor_id == Vendor.id)
        .where(Vendor.name.ilike(pattern, escape="\\"))
    )
    if is_postgres():
        by_vendor = AgreementItem.agreement_id == sa.any_(
            sa.func.array(of_vendors.scalar_subquery())
        )
    else:
        by_vendor = AgreementItem.agreement_id.in_(of_vendors)
    return sa.or_(AgreementItem.description.ilike(pattern, escape="\\"), by_vendor)


def entry(item: AgreementItem, agreement: Agreement) -> dict[str, Any]:
    return {
        "item_id": item.id,
        "agreement_id": agreement.id,
        "agreement_number": agreement.number,
        "vendor_id": agreement.vendor_id,
        "vendor": agreement.vendor.name,
        "description": item.description,
        "category": item.category,
        "unit": item.unit,
        "unit_price": to_api(item.unit_price, agreement.currency),
        "currency": agreement.currency,
        "remaining": quantity_to_api(item.remaining),
    }


def search(
    user: User, q: str = "", category: str = "", *, limit: int = LIMIT
) -> list[dict[str, Any]]:
    """Catalogue entries matching every word of ``q`` (in the description or the
    vendor's name) and ``category``, at most ``limit``."""
    access.require(user, "read_catalogue", action="read the catalogue")
    rows = db.session.execute(query(q, category).limit(limit)).all()
    return [entry(item, agreement) for item, agreement in rows]
