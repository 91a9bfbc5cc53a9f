"""What the asset register's pages show: one call per page, built from the services.

The asset page tells an asset's whole story: the request that justified it (its key
events), the order's issue and receipts, then every move of the asset itself, in the
words ``history.entries`` gives every document."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import sqlalchemy as sa

from .. import access, audit, history
from ..errors import NotFound
from ..extensions import db
from ..models import (
    Asset,
    AuditEvent,
    Contract,
    Licence,
    PurchaseOrder,
    PurchaseRequest,
    User,
    utcnow,
)
from ..pagination import PageOf, paginate_page
from . import licences, registry, services

# The events of the request and the order that belong to an asset's story.
REQUEST_EVENTS = ("create", "submit", "approve", "order")
ORDER_EVENTS = ("issue", "receive", "return", "reverse")
# How many assets a search on the coverage form offers.
SEARCH_LIMIT = 50


@dataclasses.dataclass
class ListPage:
    page: PageOf
    covered: dict[int, list[Contract]]
    today: dt.date
    categories: list[str]
    may_manage: bool


# A search counts its matches up to here ("1,000+ in all"): the page itself stops at 25
# rows, but counting every asset a common word matches read them all (49 of the 74 ms
# of a search for "adapt" at 10,000 requests, and ten times that at 100,000).
SEARCH_COUNT_LIMIT = 1_000


def asset_list(user: User, filters: services.Filters) -> ListPage:
    """The register, filtered, one page of it with each asset's coverage."""
    page = paginate_page(
        services.query(user, filters),
        key=Asset.id,
        count_limit=SEARCH_COUNT_LIMIT if filters.q.strip() else None,
        count_by_index=bool(filters.q.strip()),
    )
    return ListPage(
        page=page,
        covered=services.covered_by(list(page.items)),
        today=utcnow().date(),
        categories=registry.current().hardware_categories,
        may_manage=access.may(user, "manage_assets"),
    )


def exact(user: User, text: str) -> Asset | None:
    """The asset whose tag or serial is exactly ``text`` (the one-step search)."""
    text = text.strip()
    if not text or len(text) > 100:
        return None
    found = db.session.scalar(
        services.query(user, services.Filters()).where(
            sa.or_(services.same_text(Asset.tag, text), services.same_text(Asset.serial, text))
        )
    )
    return found


def visible(user: User, ids: list[int]) -> dict[int, Asset]:
    """The assets of ``ids`` the user may see, by id (labels to print)."""
    query = services.query(user, services.Filters()).where(Asset.id.in_(set(ids)))
    return {asset.id: asset for asset in db.session.scalars(query)}


@dataclasses.dataclass
class AssetPage:
    asset: Asset
    order: PurchaseOrder
    request: PurchaseRequest
    coverage: list[Contract]
    actions: list[str]
    may_change: bool
    may_see_order: bool
    days_left: int
    locations: list[str]
    story: list[dict[str, Any]]


def asset_page(asset: Asset, user: User) -> AssetPage:
    order = asset.order
    request = db.session.get(PurchaseRequest, asset.request_id)
    return AssetPage(
        asset=asset,
        order=order,
        request=request,
        coverage=services.covered_by([asset])[asset.id],
        actions=services.allowed_actions(asset, user),
        may_change=access.can_change(user, asset),
        may_see_order=access.can_see(user, order),
        days_left=(asset.warranty_end - utcnow().date()).days,
        locations=registry.current().locations,
        story=story(asset, order, request),
    )


def story(asset: Asset, order: PurchaseOrder, request: PurchaseRequest) -> list[dict[str, Any]]:
    """The asset's life from its request to now, oldest first."""
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            sa.or_(
                sa.and_(
                    AuditEvent.entity == "request",
                    AuditEvent.entity_id == request.id,
                    AuditEvent.action.in_(REQUEST_EVENTS),
                ),
                sa.and_(
                    AuditEvent.entity == "order",
                    AuditEvent.entity_id == order.id,
                    AuditEvent.action.in_(ORDER_EVENTS),
                ),
                sa.and_(AuditEvent.entity == "asset", AuditEvent.entity_id == asset.id),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    # What one transaction wrote reads request, order, asset: the receipt before the
    # assets it made.
    rank = {"request": 0, "order": 1, "asset": 2}
    events = sorted(
        events, key=lambda e: (e.at.replace(microsecond=0), rank.get(e.entity, 3), e.id)
    )
    names = {"request": request.number, "order": order.number or f"Order #{order.id}"}
    # The words of each document's events (one query per document for the people).
    words: dict[int, dict[str, Any]] = {}
    for entity in rank:
        own = [event for event in events if event.entity == entity]
        detail = _asset_detail if entity == "asset" else None
        entries = history.entries(entity, own, detail=detail)
        for event, entry in zip(own, entries, strict=True):
            if entity in names:
                entry["what"] = f"{names[entity]}: {entry['what']}"
            elif event.action == "create":
                entry["what"] = "Entered the register"
            words[event.id] = entry
    return [words[event.id] for event in events]


def _asset_detail(event: AuditEvent, changes: dict[str, Any]) -> tuple[str, str | None]:
    """ "Deployed" → "Deployed to ada@example.org at HQ, 2nd floor"."""
    if event.action == "update" and changes:
        return f": {', '.join(sorted(changes)).replace('_', ' ')}", None
    extra = ""
    holder = changes.get("holder")
    if event.action == "deploy" and isinstance(holder, list) and holder[-1]:
        extra += f" to {holder[-1]}"
    place = changes.get("location")
    if event.action != "update" and isinstance(place, list) and place[-1]:
        extra += f" at {place[-1]}"
    return extra, None


def _licence_detail(event: AuditEvent, changes: dict[str, Any]) -> tuple[str, str | None]:
    """ "Seat assigned" → "Seat assigned to ada@example.org"."""
    person = changes.get("user")
    if event.action in ("assign", "release") and isinstance(person, str):
        return f" {'to' if event.action == 'assign' else 'of'} {person}", None
    return "", None


def person(email: str) -> User | None:
    """The account with this e-mail (whatever its case), for the deploy and seat forms."""
    email = (email or "").strip()
    if not email or len(email) > 320:
        return None
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))


@dataclasses.dataclass
class LicencePage:
    licence: Licence
    percent: int
    may_change: bool
    story: list[dict[str, Any]]


def licence_page(licence: Licence, user: User) -> LicencePage:
    events = db.session.scalars(audit.events_for("licence", licence.id)).all()
    return LicencePage(
        licence=licence,
        percent=(licence.used * 100 // licence.seats) if licence.seats else 0,
        may_change=access.can_change(user, licence),
        story=history.entries("licence", events, detail=_licence_detail),
    )


@dataclasses.dataclass
class LicenceList:
    page: PageOf
    percents: dict[int, int]
    q: str


def licence_list(user: User, q: str = "", order_id: int | None = None) -> LicenceList:
    """The pools the user may see, a page of them, each with its share used."""
    page = paginate_page(licences.query(user, order_id=order_id, q=q[:200]))
    percents = {
        pool.id: (pool.used * 100 // pool.seats) if pool.seats else 0 for pool in page.items
    }
    return LicenceList(page=page, percents=percents, q=q)


@dataclasses.dataclass(frozen=True)
class OrderNote:
    """What an order's receipts made in the register, for its page."""

    assets: int
    licences: int


def order_note(order: PurchaseOrder, user: User) -> OrderNote | None:
    """How many assets and licence pools ``order`` made; None for someone who does not
    read the register, or when it made none."""
    if not access.may(user, "read_assets"):
        return None
    assets = db.session.scalar(
        sa.select(sa.func.count()).select_from(Asset).where(Asset.order_id == order.id)
    )
    pools = db.session.scalar(
        sa.select(sa.func.count()).select_from(Licence).where(Licence.order_id == order.id)
    )
    if not assets and not pools:
        return None
    return OrderNote(assets=assets or 0, licences=pools or 0)


def made_by(receipt_id: int) -> int:
    """How many assets one receipt made."""
    return (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Asset).where(Asset.receipt_id == receipt_id)
        )
        or 0
    )


@dataclasses.dataclass
class CoveragePage:
    contract: Contract
    covered: list[Asset]
    choices: list[Asset]  # the contract's order's assets first, then what was searched
    q: str
    may_change: bool


def coverage_summary(contract: Contract, user: User) -> CoveragePage | None:
    """What a maintenance or support contract covers, for its page (None otherwise)."""
    if contract.kind not in services.COVERING_KINDS:
        return None
    return CoveragePage(
        contract=contract,
        covered=services.covered_assets(contract),
        choices=[],
        q="",
        may_change=access.can_change(user, contract) and access.may(user, "manage_assets"),
    )


def coverage_page(contract: Contract, user: User, q: str = "") -> CoveragePage:
    """The coverage form: what it covers, its order's assets, and what ``q`` finds."""
    page = coverage_summary(contract, user)
    if page is None:
        raise NotFound("Only a maintenance or support contract covers assets.")
    seen = {asset.id for asset in page.covered}
    choices = list(page.covered)
    found: list[Asset] = []
    if contract.order_id is not None:
        found += db.session.scalars(
            sa.select(Asset).where(Asset.order_id == contract.order_id).order_by(Asset.tag)
        ).all()
    if q.strip():
        found += db.session.scalars(
            services.query(user, services.Filters(q=q[:200])).limit(SEARCH_LIMIT)
        ).all()
    for asset in found:
        if asset.id not in seen:
            seen.add(asset.id)
            choices.append(asset)
    page.choices, page.q = choices, q
    return page
