"""From the loading dock to the register: what a receipt makes, and what a return or a
reversed receipt takes away.

Receiving a line of a hardware-like category (``registry.kind_of``) makes one asset per
unit, in stock, with the serial numbers and tags the receiver typed (in the order
given; tags from the gap-free ``AT-000123`` sequence otherwise). Receiving a licence-like
line makes the line's licence pool, or grows it. :func:`check` runs before anything is
written, with the receipt's other checks, so that a refused serial stores no receipt;
:func:`record` then writes in the receipt's transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .. import audit, numbering, rates, receiving, reference, workflow
from ..errors import ValidationError
from ..extensions import db
from ..models import (
    Asset,
    AssetStatus,
    Contract,
    Licence,
    OrderLine,
    PurchaseOrder,
    Receipt,
    User,
)
from ..validation import FieldErrors
from ..workflow import ASSET, AssetAction
from . import registry

SERIAL_MAX = 100
TAG_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
# An asset's page is /assets/<tag>: these would name another page.
RESERVED_TAGS = frozenset({"reports", "export.csv", "labels.pdf"})
# Tags of this form come from the sequence; a typed one may not take it.
SEQUENCE_TAG = re.compile(r"^AT-\d+$", re.IGNORECASE)


@dataclasses.dataclass
class Units:
    """What the receiver says of one row of a receipt: the line, how many units, and the
    serial numbers and tags of the first of them (``index`` names the row's fields)."""

    index: int
    line: OrderLine
    quantity: Decimal
    serials: Sequence[str] = ()
    tags: Sequence[str] = ()


def kind(line: OrderLine) -> str | None:
    return registry.kind_of(receiving.category_of(line))


def clean_serial(value: str, field: str, errors: FieldErrors) -> str:
    serial = " ".join((value or "").split())
    if len(serial) > SERIAL_MAX:
        errors.add(field, f"A serial number has at most {SERIAL_MAX} characters.")
    return serial


def clean_tag(value: str, field: str, errors: FieldErrors, *, typed: bool = True) -> str:
    tag = (value or "").strip()
    if tag and not TAG_PATTERN.match(tag):
        errors.add(field, f"{tag[:40]} is not an asset tag: letters, digits, . _ - (≤ 40).")
    elif tag.lower() in RESERVED_TAGS:
        errors.add(field, f"{tag} names a page of the register; choose another tag.")
    elif tag and typed and SEQUENCE_TAG.match(tag):
        errors.add(field, f"Tags like {tag} come from Procure's sequence; type another or none.")
    return tag


def taken(column: sa.orm.InstrumentedAttribute, values: list[str], *, but: int | None = None):
    """The assets already holding one of ``values`` (serials compared without case)."""
    if not values:
        return {}
    query = sa.select(column, Asset.tag).where(
        sa.func.upper(column).in_([v.upper() for v in values])
    )
    if but is not None:
        query = query.where(Asset.id != but)
    return {value.upper(): tag for value, tag in db.session.execute(query)}


def check(units: list[Units], errors: FieldErrors) -> None:
    """Every problem with the serials and tags of a receipt, beside its row's field:
    on a line the register does not keep, more than the units received, typed twice
    (in this receipt or on an asset already), a tag of the wrong form."""
    serials: dict[str, str] = {}  # upper-cased → the field it was first typed in
    tags: dict[str, str] = {}
    per_line: dict[int, int] = {}
    for item in units:
        field = f"lines.{item.index}"
        what = kind(item.line)
        given = [s for s in item.serials if s.strip()], [t for t in item.tags if t.strip()]
        if what == "asset" and item.quantity != item.quantity.to_integral_value():
            errors.add(f"{field}.quantity", "Hardware is received in whole units.")
        if what != "asset" and (given[0] or given[1]):
            errors.add(
                f"{field}.serials",
                f"Line {item.line.position} does not become assets: serial numbers and tags "
                "are kept for hardware.",
            )
            continue
        per_line[item.line.id] = per_line.get(item.line.id, 0)
        for name, values, seen in (("serials", item.serials, serials), ("tags", item.tags, tags)):
            count = len([v for v in values if v.strip()])
            if count > item.quantity:
                errors.add(
                    f"{field}.{name}",
                    f"{count} {'serial numbers' if name == 'serials' else 'tags'} for "
                    f"{item.quantity.normalize():f} units received.",
                )
            for value in values:
                clean = (
                    clean_serial(value, f"{field}.{name}", errors)
                    if name == "serials"
                    else clean_tag(value, f"{field}.{name}", errors)
                )
                if not clean:
                    continue
                if clean.upper() in seen:
                    errors.add(f"{field}.{name}", f"{clean} is typed twice.")
                seen[clean.upper()] = f"{field}.{name}"
    for column, seen, noun in ((Asset.serial, serials, "Serial"), (Asset.tag, tags, "Tag")):
        for value, tag in taken(column, list(seen)).items():
            errors.add(seen[value], f"{noun} {value} belongs to asset {tag} already.")


def record(receipt: Receipt, units: list[Units], *, actor: User) -> list[Asset | Licence]:
    """Make the receipt's assets and grow its licence pools (after :func:`check`)."""
    made: list[Asset | Licence] = []
    for item in units:
        what = kind(item.line)
        if what == "asset":
            made += _assets(receipt, item, actor)
        elif what == "licence":
            made.append(_licence(receipt, item, actor))
    return made


def flush_unique(field: str) -> None:
    """Flush; a serial or tag recorded meanwhile by someone else (the checks above saw
    it free) is a validation error beside ``field``, not a crash."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationError.field(
            field, "A serial number or tag here was recorded meanwhile on another asset."
        ) from None


def unit_cost(order: PurchaseOrder, line: OrderLine) -> Decimal:
    """A unit's price in the base currency, at the rate the order froze at issue."""
    if order.rate is None or order.rate_date is None:
        return line.unit_price
    return rates.to_base(line.unit_price, rates.Rate(order.currency, order.rate_date, order.rate))


def warranty_end(order: PurchaseOrder, received_on: dt.date) -> dt.date:
    """The receipt's date plus the awarded quote's warranty months."""
    months = order.quote.warranty_months if order.quote is not None else 0
    return reference.add_months(received_on, months)


def _assets(receipt: Receipt, item: Units, actor: User) -> list[Asset]:
    order, line = receipt.order, item.line
    serials = [clean_serial(s, "", FieldErrors()) for s in item.serials if s.strip()]
    tags = [t.strip() for t in item.tags if t.strip()]
    made = []
    for unit in range(int(item.quantity)):
        asset = Asset(
            tag=tags[unit] if unit < len(tags) else numbering.next_tag(),
            serial=serials[unit] if unit < len(serials) else None,
            model=line.description,
            category=receiving.category_of(line) or "",
            vendor_id=order.vendor_id,
            order_id=order.id,
            order_line_id=line.id,
            request_id=order.request_id,
            receipt_id=receipt.id,
            cost=unit_cost(order, line),
            purchase_date=receipt.received_on,
            warranty_end=warranty_end(order, receipt.received_on),
            status=AssetStatus.IN_STOCK,
        )
        db.session.add(asset)
        made.append(asset)
    flush_unique(f"lines.{item.index}.serials")
    for asset in made:
        audit.record(
            "asset",
            asset.id,
            "create",
            actor=actor,
            changes={
                "tag": asset.tag,
                "serial": asset.serial,
                "order": order.number,
                "receipt": receipt.id,
                "warranty_end": asset.warranty_end.isoformat(),
            },
        )
    return made


def _licence(receipt: Receipt, item: Units, actor: User) -> Licence:
    order, line = receipt.order, item.line
    seats = int(item.quantity)
    pool = db.session.scalar(sa.select(Licence).where(Licence.order_line_id == line.id))
    if pool is not None:
        old = pool.seats
        pool.seats = old + seats
        db.session.flush()
        audit.record(
            "licence",
            pool.id,
            "update",
            actor=actor,
            changes={"seats": [old, pool.seats], "receipt": receipt.id},
        )
        return pool
    contract = db.session.scalar(
        sa.select(Contract).where(Contract.order_id == order.id).order_by(Contract.id).limit(1)
    )
    pool = Licence(
        product=line.description,
        category=receiving.category_of(line) or "",
        vendor_id=order.vendor_id,
        order_id=order.id,
        order_line_id=line.id,
        contract_id=contract.id if contract is not None else None,
        seats=seats,
        start_date=contract.start_date if contract is not None else receipt.received_on,
        end_date=contract.end_date if contract is not None else None,
        unit_cost=unit_cost(order, line),
    )
    db.session.add(pool)
    db.session.flush()
    audit.record(
        "licence",
        pool.id,
        "create",
        actor=actor,
        changes={"product": pool.product, "seats": seats, "order": order.number},
    )
    return pool


# What a return or a reversed receipt takes away ------------------------------------------


def returnable(line: OrderLine, quantity: Decimal) -> str | None:
    """Why ``quantity`` of ``line`` cannot go back to the vendor, as the register sees
    it: hardware goes back from stock (deployed units are returned to stock first), a
    pool's seats only while free."""
    what = kind(line)
    if what == "asset":
        in_stock = db.session.scalar(
            sa.select(sa.func.count(Asset.id)).where(
                Asset.order_line_id == line.id, Asset.status == AssetStatus.IN_STOCK
            )
        )
        if in_stock < quantity:
            return (
                f"Only {in_stock} of line {line.position}'s assets are in stock: return the "
                "others to stock before sending them back."
            )
    if what == "licence":
        pool = db.session.scalar(sa.select(Licence).where(Licence.order_line_id == line.id))
        if pool is not None and pool.free < quantity:
            return (
                f"Only {pool.free} seats of line {line.position}'s licence are free: release "
                "seats before sending them back."
            )
    return None


def send_back(line: OrderLine, quantity: Decimal, *, actor: User, reason: str) -> None:
    """Take ``quantity`` units of ``line`` out of the register (after :func:`returnable`):
    the newest assets in stock (those with a serial last), or seats of its pool."""
    what = kind(line)
    if what == "asset":
        assets = db.session.scalars(
            sa.select(Asset)
            .where(Asset.order_line_id == line.id, Asset.status == AssetStatus.IN_STOCK)
            .order_by(Asset.serial.is_not(None), Asset.id.desc())
            .limit(int(quantity))
        ).all()
        for asset in assets:
            workflow.apply(ASSET, asset, AssetAction.SEND_BACK, actor=actor, comment=reason)
    elif what == "licence":
        pool = db.session.scalar(sa.select(Licence).where(Licence.order_line_id == line.id))
        if pool is not None:
            old = pool.seats
            pool.seats = old - int(quantity)
            db.session.flush()
            audit.record(
                "licence",
                pool.id,
                "update",
                actor=actor,
                comment=reason,
                changes={"seats": [old, pool.seats]},
            )


def reversal_blockers(receipt: Receipt) -> list[str]:
    """What of the receipt's assets and seats stops it being reversed: an asset no longer
    in stock, seats in use beyond what would remain."""
    found = [
        f"asset {tag} is {AssetStatus(status).label.lower()}"
        for tag, status in db.session.execute(
            sa.select(Asset.tag, Asset.status)
            .where(Asset.receipt_id == receipt.id, Asset.status != AssetStatus.IN_STOCK)
            .order_by(Asset.id)
        )
    ]
    for line in receipt.lines:
        if kind(line.order_line) == "licence":
            reason = returnable(line.order_line, line.quantity)
            if reason:
                found.append(reason.rstrip(".").lower())
    return found


def reverse(receipt: Receipt, *, actor: User, reason: str) -> None:
    """Undo what the receipt made (after :func:`reversal_blockers` found nothing): its
    assets leave the register, its seats come off the pool."""
    for asset in db.session.scalars(
        sa.select(Asset).where(Asset.receipt_id == receipt.id).order_by(Asset.id)
    ):
        # Recorded in error: its serial may be received again on the receipt that
        # replaces this one.
        serial = asset.serial
        workflow.apply(
            ASSET,
            asset,
            AssetAction.SEND_BACK,
            actor=actor,
            comment=reason,
            changes={"serial": [serial, None]} if serial else None,
            alongside=lambda _status, asset=asset: setattr(asset, "serial", None),
        )
    for line in receipt.lines:
        if kind(line.order_line) == "licence":
            send_back(line.order_line, line.quantity, actor=actor, reason=reason)
