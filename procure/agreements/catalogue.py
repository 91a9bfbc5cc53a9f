"""The catalogue: the items of active agreements within their dates, for anyone who
files requests to pick from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from .. import access
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
        .join(Vendor, Agreement.vendor_id == Vendor.id)
        .where(
            Agreement.status == AgreementStatus.ACTIVE,
            Agreement.start_date <= today,
            Agreement.end_date >= today,
        )
        .order_by(AgreementItem.description, AgreementItem.id)
    )
    for word in (q or "").split()[:10]:
        pattern = f"%{_escape_like(word.lower())}%"
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(AgreementItem.description).like(pattern, escape="\\"),
                sa.func.lower(Vendor.name).like(pattern, escape="\\"),
            )
        )
    if category:
        stmt = stmt.where(AgreementItem.category == category)
    return stmt


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
