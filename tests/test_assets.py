"""The asset register through the services: receipts make assets and licence pools,
assets move through their life, contracts cover them, returns and reversals take them
away, and who may do what."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure.assets import licences, services
from procure.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError
from procure.models import (
    Asset,
    AssetStatus,
    AuditEvent,
    ContractKind,
    Licence,
    OrderStatus,
    Receipt,
)
from procure.orders import returns
from procure.orders import services as orders
from procure.reference import add_months
from procure.workflow import AssetAction

from .documents import issued_order

D = Decimal
TODAY = dt.date.today


@pytest.fixture
def laptops(make):
    """An issued order for 3 laptops (24 months' warranty quoted) and 2 docks."""
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("ThinkPad T14", "3", "1500.00"), ("USB-C dock", "2", "200.00")),
        warranty_months=24,
    )
    return order, buyer


def _line(order, position):
    return next(line for line in order.lines if line.position == position)


def _receive(order, buyer, *rows, on=None):
    return orders.receive(
        order,
        [
            orders.ReceiptLineData(line_id=_line(order, p).id, quantity=D(q), **kw)
            for p, q, kw in rows
        ],
        received_on=on,
        actor=buyer,
    )


def _assets(order):
    from procure.extensions import db

    return db.session.scalars(
        sa.select(Asset).where(Asset.order_id == order.id).order_by(Asset.id)
    ).all()


def test_receiving_laptops_with_serials_makes_one_asset_each_with_the_quotes_warranty(laptops, db):
    order, buyer = laptops
    receipt = _receive(
        order, buyer, (1, "3", {"serials": ["SN-A1", " SN-A2 ", "SN-A3"]}), (2, "2", {})
    )
    db.session.commit()
    assets = _assets(order)
    assert len(assets) == 5
    laptops_ = [a for a in assets if a.order_line_id == _line(order, 1).id]
    assert [a.serial for a in laptops_] == ["SN-A1", "SN-A2", "SN-A3"]
    assert all(a.status == AssetStatus.IN_STOCK for a in assets)
    first = laptops_[0]
    assert first.model == "ThinkPad T14"
    assert first.category == "hardware"
    assert first.vendor_id == order.vendor_id
    assert first.request_id == order.request_id
    assert first.receipt_id == receipt.id
    assert first.cost == D("1500.00")
    assert first.purchase_date == TODAY()
    assert first.warranty_end == add_months(TODAY(), 24)
    tags = [a.tag for a in assets]
    assert len(set(tags)) == 5 and all(t.startswith("AT-") and len(t) == 9 for t in tags)
    numbers = sorted(int(t[3:]) for t in tags)
    assert numbers == list(range(numbers[0], numbers[0] + 5)), "gap-free"
    created = db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity == "asset", AuditEvent.action == "create"
        )
    )
    assert created == 5


def test_typed_tags_are_kept_and_the_sequence_form_is_refused(laptops, db):
    order, buyer = laptops
    with pytest.raises(ValidationError) as refused:
        _receive(order, buyer, (1, "1", {"tags": ["AT-000999"]}))
    assert "lines.0.tags" in refused.value.fields
    _receive(order, buyer, (1, "1", {"tags": ["IT-LAP-0001"], "serials": ["X1"]}))
    db.session.commit()
    assert [a.tag for a in _assets(order)] == ["IT-LAP-0001"]


@pytest.mark.parametrize(
    "rows, field",
    [
        ([(1, "2", {"serials": ["S1", "S1"]})], "lines.0.serials"),
        ([(1, "1", {"serials": ["s1"]}), (2, "1", {"serials": ["S1"]})], "lines.1.serials"),
        ([(1, "2", {"serials": ["S1", "S2", "S3"]})], "lines.0.serials"),
        ([(1, "1.5", {})], "lines.0.quantity"),
        ([(1, "1", {"serials": ["x" * 101]})], "lines.0.serials"),
    ],
    ids=["twice", "twice-across-lines", "more-than-units", "half-a-laptop", "too-long"],
)
def test_a_refused_serial_stores_no_receipt_at_all(laptops, db, rows, field):
    order, buyer = laptops
    with pytest.raises(ValidationError) as refused:
        _receive(order, buyer, *rows)
    assert field in refused.value.fields
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Receipt.id))) == 0
    assert _assets(order) == []
    assert all(line.received_quantity == 0 for line in order.lines)


def test_a_serial_of_an_existing_asset_is_refused_naming_it(laptops, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "1", {"serials": ["DUP-1"]}))
    db.session.commit()
    tag = _assets(order)[0].tag
    with pytest.raises(ValidationError) as refused:
        _receive(order, buyer, (1, "1", {"serials": ["dup-1"]}))
    assert tag in refused.value.fields["lines.0.serials"][0]


def test_an_asset_is_deployed_repaired_returned_and_retired_every_move_audited(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "1", {"serials": ["LIFE-1"]}))
    db.session.commit()
    asset = _assets(order)[0]
    holder = make.user(["requester"], department="IT")
    with pytest.raises(ValidationError) as refused:
        services.act(asset, AssetAction.DEPLOY, actor=buyer)
    assert "holder" in refused.value.fields
    services.act(asset, AssetAction.DEPLOY, actor=buyer, holder=holder, location="HQ 3rd floor")
    db.session.commit()
    assert (asset.status, asset.holder_id, asset.location) == (
        AssetStatus.DEPLOYED,
        holder.id,
        "HQ 3rd floor",
    )
    assert services.held_by(holder) == [asset]
    services.act(asset, AssetAction.REPAIR, actor=buyer, comment="Broken hinge")
    assert asset.holder_id == holder.id
    services.act(asset, AssetAction.DEPLOY, actor=buyer, holder=holder)
    services.act(asset, AssetAction.RETURN, actor=buyer)
    assert (asset.status, asset.holder_id) == (AssetStatus.IN_STOCK, None)
    services.act(asset, AssetAction.RETIRE, actor=buyer)
    with pytest.raises(InvalidTransition):
        services.act(asset, AssetAction.DEPLOY, actor=buyer, holder=holder)
    services.act(asset, AssetAction.DISPOSE, actor=buyer)
    db.session.commit()
    moves = db.session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.entity == "asset", AuditEvent.entity_id == asset.id)
        .order_by(AuditEvent.id)
    ).all()
    assert moves == ["create", "deploy", "repair", "deploy", "return", "retire", "dispose"]
    assert services.allowed_actions(asset, buyer) == []


def test_who_may_see_and_move_an_asset(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "2", {}))
    db.session.commit()
    mine, other = _assets(order)
    holder = make.user(["requester"], department="IT")
    keeper = make.user(["asset_manager"], department="IT")
    services.act(mine, AssetAction.DEPLOY, actor=keeper, holder=holder)
    db.session.commit()
    assert services.get(mine.id, holder) is mine
    with pytest.raises(NotFound):
        services.get(other.id, holder)
    with pytest.raises(Forbidden):
        services.act(mine, AssetAction.RETURN, actor=holder)
    finance = make.user(["finance"], department="FIN")
    assert services.get(other.id, finance) is other
    with pytest.raises(Forbidden):
        services.update(other, actor=finance, location="Basement")
    listed = db.session.scalars(services.query(holder, services.Filters())).all()
    assert listed == [mine]
    assert services.allowed_actions(mine, keeper) == ["return", "repair", "retire"]


def test_search_finds_by_tag_serial_model_and_holder(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "2", {"serials": ["PF-ABC", "PF-XYZ"]}), (2, "1", {}))
    holder = make.user(["requester"], department="IT", name="Grace Hopper")
    first = _assets(order)[0]
    services.act(first, AssetAction.DEPLOY, actor=buyer, holder=holder)
    db.session.commit()

    def found(text):
        return [a.id for a in db.session.scalars(services.query(buyer, services.Filters(q=text)))]

    assert found("pf-xyz") == [_assets(order)[1].id]
    assert found("hopper") == [first.id]
    assert len(found("thinkpad")) == 2
    assert found(first.tag) == [first.id]
    assert found("100%_") == []
    assert services.by_tag(first.tag.lower(), buyer) is first
    assert services.by_tag("PF-ABC", buyer) is first


def test_correcting_serial_tag_location_and_warranty(laptops, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "2", {"serials": ["FIX-1"]}))
    db.session.commit()
    one, two = _assets(order)
    with pytest.raises(ValidationError) as refused:
        services.update(two, actor=buyer, serial="fix-1")
    assert "serial" in refused.value.fields
    with pytest.raises(ValidationError) as refused:
        services.update(two, actor=buyer, warranty_end=two.purchase_date - dt.timedelta(days=1))
    assert "warranty_end" in refused.value.fields
    with pytest.raises(ValidationError):
        services.update(two, actor=buyer, tag=one.tag)
    services.update(two, actor=buyer, serial="FIX-2", tag="LAB-7", location="Lab")
    db.session.commit()
    assert (two.serial, two.tag, two.location) == ("FIX-2", "LAB-7", "Lab")
    with pytest.raises(Conflict):
        services.update(two, actor=buyer, location="Elsewhere", expected_version=1)


def test_a_support_contract_covers_chosen_assets_and_the_report_finds_the_rest(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "3", {"serials": ["C-1", "C-2", "C-3"]}))
    db.session.commit()
    a, b, c = _assets(order)
    contract = make.contract(kind=ContractKind.SUPPORT, owner=buyer, status="active")
    services.set_coverage(contract, [a.id, b.id], actor=buyer)
    db.session.commit()
    uncovered = db.session.scalars(services.query(buyer, services.Filters(uncovered=True))).all()
    assert uncovered == [c]
    assert [x.id for x in services.covered_by([a, c])[a.id]] == [contract.id]
    assert services.covered_by([a, c])[c.id] == []
    services.act(c, AssetAction.RETIRE, actor=buyer)
    db.session.commit()
    assert db.session.scalars(services.query(buyer, services.Filters(uncovered=True))).all() == []
    licence_contract = make.contract(kind=ContractKind.LICENCE, owner=buyer, status="active")
    with pytest.raises(ValidationError):
        services.set_coverage(licence_contract, [a.id], actor=buyer)
    soon = services.Filters(warranty_before=add_months(TODAY(), 25))
    assert len(db.session.scalars(services.query(buyer, soon)).all()) == 3


def test_a_contract_of_the_order_covers_its_assets_until_chosen(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "2", {}))
    contract = make.contract(
        kind=ContractKind.MAINTENANCE, owner=buyer, status="active", order=order
    )
    db.session.commit()
    assert [x.id for x in services.covered_assets(contract)] == [x.id for x in _assets(order)]
    assert db.session.scalars(services.query(buyer, services.Filters(uncovered=True))).all() == []
    services.set_coverage(contract, [], actor=buyer)
    db.session.commit()
    assert services.covered_assets(contract) == []
    assert (
        len(db.session.scalars(services.query(buyer, services.Filters(uncovered=True))).all()) == 2
    )


@pytest.fixture
def seats(make):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("Office suite, 1 year", "50", "12.00"),),
        category="licence",
    )
    return order, buyer


def test_a_licence_purchase_of_50_seats_refuses_the_51st(seats, make, db):
    order, buyer = seats
    _receive(order, buyer, (1, "50", {}))
    db.session.commit()
    pool = db.session.scalars(sa.select(Licence)).one()
    assert (pool.product, pool.seats, pool.used, pool.start_date) == (
        "Office suite, 1 year",
        50,
        0,
        TODAY(),
    )
    people = [make.user(["requester"], department="IT") for _ in range(51)]
    for person in people[:50]:
        licences.assign(pool, person.id, actor=buyer)
    db.session.commit()
    assert (pool.used, pool.free) == (50, 0)
    with pytest.raises(InvalidTransition, match="All 50 seats"):
        licences.assign(pool, people[50].id, actor=buyer)
    with pytest.raises(ValidationError):
        licences.assign(pool, people[0].id, actor=buyer)
    licences.release(pool, people[0].id, actor=buyer)
    licences.assign(pool, people[50].id, actor=buyer)
    db.session.commit()
    assert pool.used == 50
    assert licences.seats_of(people[50]) == [pool]
    assert licences.get(pool.id, people[50]) is pool
    with pytest.raises(NotFound):
        licences.get(pool.id, people[0])


def test_serials_on_a_licence_line_are_refused(seats):
    order, buyer = seats
    with pytest.raises(ValidationError) as refused:
        _receive(order, buyer, (1, "2", {"serials": ["KEY-1"]}))
    assert "lines.0.serials" in refused.value.fields


def test_a_return_sends_assets_in_stock_back_and_refuses_deployed_ones(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "3", {"serials": ["R-1", "R-2", "R-3"]}))
    db.session.commit()
    a, b, c = _assets(order)
    holder = make.user(["requester"], department="IT")
    for asset in (a, b):
        services.act(asset, AssetAction.DEPLOY, actor=buyer, holder=holder)
    db.session.commit()
    line = _line(order, 1)
    with pytest.raises(ValidationError) as refused:
        returns.record_return(
            order,
            [returns.ReturnLineData(line_id=line.id, quantity=D("2"))],
            returned_on=None,
            reason="Dead on arrival",
            actor=buyer,
        )
    assert "in stock" in refused.value.fields["lines.0.quantity"][0]
    returns.record_return(
        order,
        [returns.ReturnLineData(line_id=line.id, quantity=D("1"))],
        returned_on=None,
        reason="Dead on arrival",
        actor=buyer,
    )
    db.session.commit()
    assert c.status == AssetStatus.DISPOSED


def test_a_receipt_with_a_deployed_asset_cannot_be_reversed_and_one_in_stock_can(
    laptops, make, db
):
    order, buyer = laptops
    first = _receive(order, buyer, (1, "1", {"serials": ["REV-1"]}))
    db.session.commit()
    asset = _assets(order)[0]
    holder = make.user(["requester"], department="IT")
    services.act(asset, AssetAction.DEPLOY, actor=buyer, holder=holder)
    db.session.commit()
    with pytest.raises(InvalidTransition, match=f"asset {asset.tag} is deployed"):
        returns.reverse_receipt(order, first, reason="Wrong order", actor=buyer)
    services.act(asset, AssetAction.RETURN, actor=buyer)
    returns.reverse_receipt(order, first, reason="Wrong order", actor=buyer)
    db.session.commit()
    assert (asset.status, asset.serial) == (AssetStatus.DISPOSED, None)
    assert order.status == OrderStatus.ISSUED
    _receive(order, buyer, (1, "1", {"serials": ["REV-1"]}))
    db.session.commit()
    assert _assets(order)[-1].serial == "REV-1"


def test_only_who_keeps_the_register_chooses_what_a_contract_covers(laptops, make, db):
    order, buyer = laptops
    _receive(order, buyer, (1, "1", {}))
    contract = make.contract(kind=ContractKind.SUPPORT, owner=buyer, status="active")
    finance = make.user(["finance"], department="FIN")
    with pytest.raises(Forbidden):
        services.set_coverage(contract, [_assets(order)[0].id], actor=finance)


@pytest.mark.parametrize("tag", ["reports", "Export.csv", "labels.pdf", "IT/LAP/1"])
def test_a_tag_that_would_name_another_page_is_refused(laptops, tag):
    order, buyer = laptops
    with pytest.raises(ValidationError) as refused:
        _receive(order, buyer, (1, "1", {"tags": [tag]}))
    assert "lines.0.tags" in refused.value.fields


def test_a_pools_term_and_contract_are_set_and_checked(seats, make, db):
    order, buyer = seats
    _receive(order, buyer, (1, "10", {}))
    db.session.commit()
    pool = db.session.scalars(sa.select(Licence)).one()
    assert (pool.end_date, pool.contract_id) == (None, None)
    contract = make.contract(kind=ContractKind.SUBSCRIPTION, owner=buyer, order=order)
    licences.update_term(pool, actor=buyer, contract_number=contract.number.lower())
    db.session.commit()
    assert (pool.contract_id, pool.start_date, pool.end_date) == (
        contract.id,
        contract.start_date,
        contract.end_date,
    )
    with pytest.raises(ValidationError) as refused:
        licences.update_term(
            pool, actor=buyer, start_date=TODAY(), end_date=TODAY() - dt.timedelta(days=1)
        )
    assert "end_date" in refused.value.fields
    other = make.contract(kind=ContractKind.SUBSCRIPTION, owner=buyer)
    with pytest.raises(ValidationError) as refused:
        licences.update_term(pool, actor=buyer, contract_number=other.number)
    assert "another vendor" in refused.value.fields["contract"][0]
    with pytest.raises(ValidationError):
        licences.update_term(pool, actor=buyer, contract_number="CT-1999-99999")
    licences.update_term(pool, actor=buyer, contract_number="", end_date=None)
    db.session.commit()
    assert (pool.contract_id, pool.end_date) == (None, None)
    events = db.session.scalars(
        sa.select(AuditEvent.changes).where(
            AuditEvent.entity == "licence", AuditEvent.action == "update"
        )
    ).all()
    assert json.loads(events[-2])["contract"] == [None, contract.number]
    finance = make.user(["finance"], department="FIN")
    with pytest.raises(Forbidden):
        licences.update_term(pool, actor=finance, end_date=None)
