"""The asset register's pages: the list and its one-step search, an asset's page with
its moves, corrections and whole story, the licence pools and their seats, what a
contract covers, the register's settings, the receipt form's serial numbers and the
requester's "What you hold". Every page renders for who may, 403/404 for who may not;
bad input shows beside its field with 422 and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import settings
from procure.assets import pages as asset_pages
from procure.assets import registry, services
from procure.models import Asset, AssetStatus, AuditEvent, Licence, User
from procure.orders import services as orders
from procure.workflow import AssetAction

from .documents import issued_order
from .pages import field_errors, flashes, text
from .vendor_support import signed_in

D = Decimal


@pytest.fixture
def world(make, db):
    """An issued order for 3 laptops (24 months' warranty) and 2 docks, received with
    the laptops' serials; a requester who will hold one."""
    buyer = make.user(["procurement"], department="PROC", name="Bea Buyer")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("ThinkPad T14", "3", "1500.00"), ("USB-C dock", "2", "200.00")),
        warranty_months=24,
    )
    laptops, docks = sorted(order.lines, key=lambda line: line.position)
    orders.receive(
        order,
        [
            orders.ReceiptLineData(laptops.id, D("3"), serials=["SN-A1", "SN-A2", "SN-A3"]),
            orders.ReceiptLineData(docks.id, D("2")),
        ],
        received_on=None,
        actor=buyer,
    )
    db.session.commit()
    assets = db.session.scalars(
        sa.select(Asset).where(Asset.order_id == order.id).order_by(Asset.id)
    ).all()
    return {
        "buyer": buyer,
        "order": order,
        "assets": assets,
        "laptop": assets[0],
        "holder": make.user(["requester"], department="IT", name="Hal Holder"),
        "finance": make.user(["finance"], department="FIN"),
        "manager": make.user(["asset_manager"], department="IT"),
        "admin": make.user(["admin"], department="ADM"),
        "stranger": make.user(["requester"], department="IT", name="Sam Stranger"),
    }


def _events(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))


def _deploy(world, db, asset=None):
    asset = asset or world["laptop"]
    services.act(asset, AssetAction.DEPLOY, actor=world["buyer"], holder=world["holder"])
    db.session.commit()
    return asset


# The list ------------------------------------------------------------------------------


def test_the_register_lists_assets_with_status_holder_warranty_and_coverage(app, world, db):
    _deploy(world, db)
    page = signed_in(app, world["manager"]).get("/assets")
    assert page.status_code == 200
    body = text(page)
    for asset in world["assets"]:
        assert asset.tag in body
    assert "SN-A1" in body and "Hal Holder" in body and "Deployed" in body
    assert "Export CSV for Snipe-IT" in body and "Print labels of this page" in body


@pytest.mark.parametrize("role", ["finance", "admin", "buyer"])
def test_finance_admin_and_procurement_read_the_register(app, world, role):
    assert signed_in(app, world[role]).get("/assets").status_code == 200


def test_a_requester_may_not_open_the_register(app, world, db):
    _deploy(world, db)
    client = signed_in(app, world["holder"])
    assert client.get("/assets").status_code == 403
    assert client.get("/licences").status_code == 403
    assert client.get("/assets/export.csv?format=snipeit").status_code == 403


def test_a_tag_or_serial_typed_exactly_opens_the_asset(app, world):
    client = signed_in(app, world["manager"])
    laptop = world["laptop"]
    for typed in (laptop.tag, laptop.tag.lower(), "sn-a1"):
        response = client.get("/assets", query_string={"q": typed})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/assets/{laptop.tag}")


def test_the_search_finds_by_model_and_holder(app, world, db):
    _deploy(world, db)
    client = signed_in(app, world["manager"])
    by_model = text(client.get("/assets", query_string={"q": "dock"}))
    assert "USB-C dock" in by_model and "ThinkPad" not in by_model
    by_holder = text(client.get("/assets", query_string={"q": "hal"}))
    assert world["laptop"].tag in by_holder and world["assets"][1].tag not in by_holder


def test_a_search_counts_its_matches_only_so_far(app, world, monkeypatch):
    """A common word's matches are counted up to ``SEARCH_COUNT_LIMIT`` ("N+ in all");
    the register without a search counts as every list does."""
    monkeypatch.setattr(asset_pages, "SEARCH_COUNT_LIMIT", 2)
    client = signed_in(app, world["manager"])
    searched = text(client.get("/assets", query_string={"q": "thinkpad"}))
    assert "2+ in all" in searched
    assert all(asset.tag in searched for asset in world["assets"][:3])
    assert "5 in all" in text(client.get("/assets"))


def test_filters_status_uncovered_order_and_warranty(app, world, db, make):
    _deploy(world, db)
    client = signed_in(app, world["manager"])
    deployed = text(client.get("/assets?status=deployed"))
    assert world["laptop"].tag in deployed and world["assets"][1].tag not in deployed
    contract = make.contract(kind="support", owner=world["buyer"])
    services.set_coverage(contract, [a.id for a in world["assets"][:2]], actor=world["buyer"])
    db.session.commit()
    uncovered = text(client.get("/assets?uncovered=1"))
    assert world["assets"][2].tag in uncovered and world["laptop"].tag not in uncovered
    of_order = text(client.get(f"/assets?order_id={world['order'].id}"))
    assert "Assets of one order only" in of_order and world["laptop"].tag in of_order
    soon = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert "No asset matches" in text(client.get(f"/assets?warranty_before={soon}"))
    # What does not parse is left out, never a 500.
    for junk in (
        "status=lost",
        "warranty_before=someday",
        "order_id=x",
        "category=nothing",
        "format=glpi",
        "_scheme=ftp",
        "_anchor=x",
    ):
        assert client.get(f"/assets?{junk}").status_code == 200


def test_a_passed_warranty_shows_red(app, world, db):
    laptop = world["laptop"]
    laptop.warranty_end = laptop.purchase_date  # allowed: not before the purchase
    laptop.purchase_date = laptop.purchase_date - dt.timedelta(days=800)
    laptop.warranty_end = laptop.purchase_date + dt.timedelta(days=10)
    db.session.commit()
    body = signed_in(app, world["manager"]).get("/assets").get_data(as_text=True)
    assert body.count("warranty-passed") == 1
    detail = text(signed_in(app, world["manager"]).get(f"/assets/{laptop.tag}"))
    assert "days ago" in detail


# An asset's page --------------------------------------------------------------------


def test_the_asset_page_tells_everything_and_its_whole_story(app, world, db, make):
    laptop = world["laptop"]
    contract = make.contract(kind="support", owner=world["buyer"], order=world["order"])
    page = signed_in(app, world["manager"]).get(f"/assets/{laptop.tag}")
    assert page.status_code == 200
    body = text(page)
    order, request = world["order"], laptop.order.request
    for expected in (
        "ThinkPad T14",
        "SN-A1",
        order.number,
        request.number,
        "1,500.00",
        contract.number,
        "In stock",
        "Deploy",
        "Retire",
        "Correct what was typed",
    ):
        assert expected in body
    # The story: the request, the order's issue and receipt, then the asset itself.
    story = body[body.index("Its story") :]
    assert story.index(f"{request.number}: Submitted") < story.index(f"{order.number}: Issued")
    assert story.index(f"{order.number}: Issued") < story.index(f"{order.number}: Received")
    assert story.index(f"{order.number}: Received") < story.index("Entered the register")


def test_a_serial_opens_the_page_too(app, world):
    response = signed_in(app, world["manager"]).get("/assets/sn-a2")
    assert response.status_code == 200 and world["assets"][1].tag in text(response)


def test_deploy_then_retire_through_the_page(app, world, db):
    laptop, holder = world["laptop"], world["holder"]
    client = signed_in(app, world["manager"])
    response = client.post(
        f"/assets/{laptop.id}/deploy",
        data={"holder": holder.email.upper(), "location": "Room 4.12", "version": laptop.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert laptop.status == AssetStatus.DEPLOYED and laptop.holder_id == holder.id
    assert laptop.location == "Room 4.12"
    page = client.get(f"/assets/{laptop.tag}")
    assert f"{laptop.tag} is deployed to Hal Holder." in flashes(page)
    assert "Deployed" in text(page) and "Hal Holder" in text(page)
    assert f"Deployed to {holder.email} at Room 4.12" in text(page)
    response = client.post(
        f"/assets/{laptop.id}/retire", data={"comment": "Screen broken", "version": laptop.version}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert laptop.status == AssetStatus.RETIRED and laptop.holder_id is None
    story = text(client.get(f"/assets/{laptop.tag}"))
    assert "Screen broken" in story and "Retired" in story


def test_deploy_to_nobody_or_a_deactivated_account_shows_beside_the_field(app, world, db, make):
    laptop = world["laptop"]
    gone = make.user(["requester"], active=False, name="Gone Person")
    client = signed_in(app, world["manager"])
    before = _events(db)
    for typed, message in (
        ("", "Say who gets it."),
        ("nobody@example.org", "No account has this e-mail address."),
        (gone.email, "Gone Person's account is deactivated."),
    ):
        response = client.post(
            f"/assets/{laptop.id}/deploy", data={"holder": typed, "version": laptop.version}
        )
        assert response.status_code == 422
        assert field_errors(response, "deploy-holder") == [message]
    db.session.expire_all()
    assert laptop.status == AssetStatus.IN_STOCK and _events(db) == before


def test_a_move_the_life_cycle_refuses_says_why_and_changes_nothing(app, world, db):
    laptop = world["laptop"]
    client = signed_in(app, world["manager"])
    response = client.post(f"/assets/{laptop.id}/dispose", data={"version": laptop.version})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert any("dispose" in message.lower() for message in flashes(page))
    db.session.expire_all()
    assert laptop.status == AssetStatus.IN_STOCK


def test_a_move_on_a_stale_page_is_refused(app, world, db):
    laptop = _deploy(world, db)
    client = signed_in(app, world["manager"])
    response = client.post(
        f"/assets/{laptop.id}/return", data={"version": str(laptop.version - 1)}
    )
    assert response.status_code == 303
    assert any("changed" in m for m in flashes(client.get(response.headers["Location"])))
    db.session.expire_all()
    assert laptop.status == AssetStatus.DEPLOYED


def test_the_edit_form_corrects_and_refuses_what_is_wrong(app, world, db):
    laptop, other = world["laptop"], world["assets"][1]
    client = signed_in(app, world["manager"])
    form = {
        "serial": "SN-A1X",
        "tag": "IT-0001",
        "location": "Store",
        "warranty_end": laptop.warranty_end.isoformat(),
        "version": laptop.version,
    }
    assert client.post(f"/assets/{laptop.id}/edit", data=form).status_code == 302
    db.session.expire_all()
    assert (laptop.serial, laptop.tag, laptop.location) == ("SN-A1X", "IT-0001", "Store")
    assert "Edited: location, serial, tag" in text(client.get("/assets/IT-0001"))
    before = _events(db)
    for changes, field, message in (
        ({"serial": other.serial}, "edit-serial", f"belongs to asset {other.tag} already"),
        ({"tag": other.tag}, "edit-tag", "belongs to another asset already"),
        ({"tag": ""}, "edit-tag", "An asset keeps a tag."),
        ({"tag": "<b>bad tag</b>"}, "edit-tag", "is not an asset tag"),
        (
            {"warranty_end": (laptop.purchase_date - dt.timedelta(days=1)).isoformat()},
            "edit-warranty_end",
            "cannot end before the purchase date",
        ),
        ({"warranty_end": "31/02/2026"}, "edit-warranty_end", "Not a valid date value."),
        ({"location": "x" * 201}, "edit-location", "200"),
    ):
        response = client.post(
            f"/assets/{laptop.id}/edit", data={**form, "version": laptop.version, **changes}
        )
        assert response.status_code == 422, changes
        assert any(message in error for error in field_errors(response, field)), (
            changes,
            field_errors(response, field),
        )
        assert "<b>bad tag</b>" not in response.get_data(as_text=True)
    db.session.expire_all()
    assert laptop.serial == "SN-A1X" and _events(db) == before


def test_a_holder_reads_their_asset_and_nothing_else(app, world, db):
    laptop = _deploy(world, db)
    client = signed_in(app, world["holder"])
    page = client.get(f"/assets/{laptop.tag}")
    assert page.status_code == 200
    body = text(page)
    assert "ThinkPad T14" in body and "Move it" not in body and "Correct what" not in body
    assert client.get(f"/assets/{world['assets'][1].tag}").status_code == 404
    assert client.post(f"/assets/{laptop.id}/return", data={}).status_code == 403
    stranger = signed_in(app, world["stranger"])
    assert stranger.get(f"/assets/{laptop.tag}").status_code == 404
    assert stranger.post(f"/assets/{laptop.id}/retire", data={}).status_code == 404


def test_finance_reads_an_asset_without_forms(app, world):
    body = text(signed_in(app, world["finance"]).get(f"/assets/{world['laptop'].tag}"))
    assert "ThinkPad T14" in body and "Move it" not in body
    response = signed_in(app, world["finance"]).post(
        f"/assets/{world['laptop'].id}/retire", data={}
    )
    assert response.status_code == 403


def test_an_unknown_tag_is_a_404(app, world):
    client = signed_in(app, world["manager"])
    for tag in ("AT-999999", "nothing/here", "%00", "x" * 300):
        assert client.get(f"/assets/{tag}").status_code == 404


# Export and labels ---------------------------------------------------------------


def test_the_snipeit_and_glpi_exports_download_what_is_listed(app, world, db):
    laptop = world["laptop"]
    laptop.model = "=HYPERLINK(1)"
    db.session.commit()
    client = signed_in(app, world["manager"])
    response = client.get("/assets/export.csv?format=snipeit")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    csv_text = response.get_data(as_text=True)
    assert csv_text.startswith("Asset Tag,Serial Number,Model Name,Category,Status,Supplier")
    assert "'=HYPERLINK(1)" in csv_text and len(csv_text.strip().splitlines()) == 6
    docks = client.get("/assets/export.csv?format=glpi&q=dock").get_data(as_text=True)
    assert len(docks.strip().splitlines()) == 3
    assert client.get("/assets/export.csv?format=excel").status_code == 404


def test_labels_print_for_the_picked_assets(app, world):
    client = signed_in(app, world["manager"])
    ids = [a.id for a in world["assets"][:2]]
    for query in (f"ids={ids[0]},{ids[1]}", f"ids={ids[0]}&ids={ids[1]}"):
        response = client.get(f"/assets/labels.pdf?{query}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    for bad in ("", "ids=", "ids=a,b", "ids=999999", "ids=" + ",".join(["1"] * 2000)):
        assert client.get(f"/assets/labels.pdf?{bad}").status_code == 422, bad


# Licences ---------------------------------------------------------------------------


@pytest.fixture
def pool(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make, buyer=buyer, title_lines=(("Design suite", "2", "300.00"),), category="software"
    )
    orders.receive(
        order, [orders.ReceiptLineData(order.lines[0].id, D("2"))], received_on=None, actor=buyer
    )
    db.session.commit()
    return db.session.scalar(sa.select(Licence).where(Licence.order_id == order.id))


def test_the_pools_list_and_a_pool_page(app, world, pool):
    client = signed_in(app, world["manager"])
    body = text(client.get("/licences"))
    assert "Design suite" in body and "0 of 2" in body
    page = client.get(f"/licences/{pool.id}")
    assert page.status_code == 200 and "0 of 2 seats used" in text(page)


def test_assigning_seats_until_the_pool_is_full_then_the_refusal(app, world, db, pool, make):
    client = signed_in(app, world["manager"])
    people = [world["holder"], world["stranger"], make.user(["requester"], name="Third One")]
    for person in people[:2]:
        response = client.post(
            f"/licences/{pool.id}/assign", data={"user": person.email, "version": pool.version}
        )
        assert response.status_code == 302
        db.session.expire_all()
    assert pool.used == 2
    page = text(client.get(f"/licences/{pool.id}"))
    assert "2 of 2 seats used" in page and "Hal Holder" in page
    response = client.post(
        f"/licences/{pool.id}/assign", data={"user": people[2].email, "version": pool.version}
    )
    assert response.status_code == 303
    refused = client.get(response.headers["Location"])
    assert any("All 2 seats of Design suite are in use" in m for m in flashes(refused))
    db.session.expire_all()
    assert pool.used == 2
    # A seat taken twice, an unknown e-mail: beside the field.
    for typed, message in (
        ("", "Say who gets the seat."),
        ("nobody@example.org", "No account has this e-mail address."),
    ):
        response = client.post(
            f"/licences/{pool.id}/assign", data={"user": typed, "version": pool.version}
        )
        assert response.status_code == 422 and field_errors(response, "user") == [message]
    # The holder of a seat sees the pool read-only, and it is on their dashboard.
    holder = signed_in(app, world["holder"])
    assert "Release" not in text(holder.get(f"/licences/{pool.id}"))
    assert "Design suite" in text(holder.get("/"))
    # Releasing gives the seat back.
    response = client.post(
        f"/licences/{pool.id}/release",
        data={"user_id": world["holder"].id, "version": pool.version},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert pool.used == 1
    assert holder.get(f"/licences/{pool.id}").status_code == 404
    again = client.post(
        f"/licences/{pool.id}/release",
        data={"user_id": world["holder"].id, "version": pool.version},
    )
    assert again.status_code == 303
    assert any("has no seat of it" in m for m in flashes(client.get(f"/licences/{pool.id}")))


def test_a_requester_without_a_seat_sees_no_pool(app, world, pool):
    client = signed_in(app, world["stranger"])
    assert client.get(f"/licences/{pool.id}").status_code == 404
    assert client.post(f"/licences/{pool.id}/assign", data={}).status_code == 404


# Coverage on the contract page -----------------------------------------------------


def test_a_support_contract_covers_the_assets_ticked_on_its_page(app, world, db, make):
    contract = make.contract(kind="support", owner=world["buyer"], order=world["order"])
    client = signed_in(app, world["buyer"])
    detail = text(client.get(f"/contracts/{contract.id}"))
    assert "Covers" in detail and "Every asset of its order" in detail
    form = client.get(f"/contracts/{contract.id}/coverage")
    assert form.status_code == 200
    for asset in world["assets"]:
        assert asset.tag in text(form)
    two = [a.id for a in world["assets"][:2]]
    response = client.post(f"/contracts/{contract.id}/coverage", data={"assets": two})
    assert response.status_code == 302
    assert [a.id for a in services.covered_assets(contract)] == sorted(two)
    uncovered = text(client.get("/assets?uncovered=1"))
    assert world["assets"][2].tag in uncovered and world["laptop"].tag not in uncovered
    assert "No active contract covers it." in text(client.get(f"/assets/{world['assets'][2].tag}"))
    # A search offers other assets; an id that is not an asset is refused.
    assert client.get(f"/contracts/{contract.id}/coverage?q=zzz").status_code == 200
    before = _events(db)
    for bad in (["999999"], ["abc"]):
        response = client.post(f"/contracts/{contract.id}/coverage", data={"assets": bad})
        assert response.status_code == 422
    assert _events(db) == before
    assert [a.id for a in services.covered_assets(contract)] == sorted(two)


def test_only_maintenance_and_support_contracts_cover_assets(app, world, make):
    contract = make.contract(kind="licence", owner=world["buyer"])
    client = signed_in(app, world["buyer"])
    assert "Choose the assets it covers" not in text(client.get(f"/contracts/{contract.id}"))
    assert client.get(f"/contracts/{contract.id}/coverage").status_code == 404


def test_who_may_not_choose_coverage(app, world, make):
    contract = make.contract(kind="support", owner=world["buyer"])
    assert (
        signed_in(app, world["finance"]).get(f"/contracts/{contract.id}/coverage").status_code
        == 403
    )
    assert (
        signed_in(app, world["stranger"]).get(f"/contracts/{contract.id}/coverage").status_code
        == 404
    )


# The register's settings ---------------------------------------------------------------


def test_admin_sets_the_register(app, world, db):
    client = signed_in(app, world["admin"])
    page = client.get("/admin/assets")
    assert page.status_code == 200 and "Categories that become assets" in text(page)
    assert "/admin/assets" in client.get("/admin/").get_data(as_text=True)
    response = client.post(
        "/admin/assets",
        data={
            "hardware_categories": ["hardware"],
            "licence_categories": ["software"],
            "locations": "Room 4.12\n\nStore\nstore",
            "warranty_reminder_days": "45",
        },
    )
    assert response.status_code == 302
    now = registry.current()
    assert now.hardware_categories == ["hardware"] and now.locations == ["Room 4.12", "Store"]
    assert now.warranty_reminder_days == 45


def test_the_settings_refuse_bad_input_beside_the_field(app, world, db):
    client = signed_in(app, world["admin"])
    before = settings.get(registry.REMINDER_DAYS)
    for data, field, message in (
        (
            {"warranty_reminder_days": "0"},
            "warranty_reminder_days",
            "Give between 1 and 365 days.",
        ),
        ({"warranty_reminder_days": "soon"}, "warranty_reminder_days", "Give a whole number"),
        (
            {"hardware_categories": ["hardware"], "licence_categories": ["hardware"]},
            "licence_categories",
            "either hardware or licences",
        ),
        ({"locations": "x" * 201}, "locations", "200"),
    ):
        response = client.post("/admin/assets", data={"warranty_reminder_days": "30", **data})
        assert response.status_code == 422, data
        assert any(message in e for e in field_errors(response, field)), field_errors(
            response, field
        )
    assert settings.get(registry.REMINDER_DAYS) == before


@pytest.mark.parametrize("role", ["buyer", "manager", "finance", "holder"])
def test_only_admin_opens_the_register_settings(app, world, role):
    assert signed_in(app, world[role]).get("/admin/assets").status_code == 403


# The dashboard ---------------------------------------------------------------------------


def test_the_dashboard_says_what_you_hold_and_hides_it_when_nothing(app, world, db):
    client = signed_in(app, world["holder"])
    assert "What you hold" not in text(client.get("/"))
    laptop = _deploy(world, db)
    body = text(client.get("/"))
    assert "What you hold" in body and laptop.tag in body and "ThinkPad T14" in body


# Receiving with serials through the order page ---------------------------------------


@pytest.fixture
def to_receive(make, db):
    buyer = make.user(["procurement"], department="PROC")
    order = issued_order(
        make,
        buyer=buyer,
        title_lines=(("ThinkPad T14", "3", "1500.00"), ("USB-C dock", "2", "200.00")),
        warranty_months=24,
    )
    return order, buyer, sorted(order.lines, key=lambda line: line.position)


def _assets_of(db, order):
    return db.session.scalars(
        sa.select(Asset).where(Asset.order_id == order.id).order_by(Asset.id)
    ).all()


def test_the_receive_form_takes_serials_and_tags_and_makes_the_assets(app, db, to_receive):
    order, buyer, (laptops, docks) = to_receive
    client = signed_in(app, buyer)
    page = text(client.get(f"/orders/{order.id}"))
    assert "One per line, or scan them; add a tag after a comma." in page
    response = client.post(
        f"/orders/{order.id}/receive",
        data={
            f"line-{laptops.id}": "3",
            f"serials-{laptops.id}": "PF-111\r\n\r\nPF-222, IT-22\r\n PF-333 \r\n",
            f"line-{docks.id}": "2",
            "version": order.version,
        },
    )
    assert response.status_code == 302
    after = client.get(f"/orders/{order.id}")
    assert "The receipt is recorded. It made 5 assets." in flashes(after)
    assert f"/assets?order_id={order.id}" in after.get_data(as_text=True)
    assert "5 assets from this order" in text(after)
    made = _assets_of(db, order)
    assert len(made) == 5
    by_serial = {a.serial: a for a in made if a.serial}
    assert set(by_serial) == {"PF-111", "PF-222", "PF-333"} and by_serial["PF-222"].tag == "IT-22"
    listed = text(signed_in(app, buyer).get(f"/assets?order_id={order.id}"))
    assert "PF-333" in listed


@pytest.mark.parametrize(
    "quantity, serials, message",
    [
        ("2", "A1\nA2\nA3", "3 serial numbers for 2 units received."),
        ("3", "A1\na1", "is typed twice."),
        ("", "A1", "Say how many units arrived."),
        ("2", "A1\n, T-9", "Some rows have only a serial and others only a tag"),
        ("1", "A1, AT-000001", "come from Procure's sequence"),
    ],
)
def test_bad_serials_show_beside_the_line_and_store_no_receipt(
    app, db, to_receive, quantity, serials, message
):
    order, buyer, (laptops, _docks) = to_receive
    client = signed_in(app, buyer)
    before = _events(db)
    response = client.post(
        f"/orders/{order.id}/receive",
        data={
            f"line-{laptops.id}": quantity,
            f"serials-{laptops.id}": serials,
            "version": order.version,
        },
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    errors = text_of_errors(body, f"serials-{laptops.id}")
    assert message in errors
    db.session.expire_all()
    assert _assets_of(db, order) == [] and _events(db) == before
    assert len(order.receipts) == 0


def test_a_serial_already_on_an_asset_is_refused_at_the_dock(app, db, world, to_receive):
    order, buyer, (laptops, _docks) = to_receive
    response = signed_in(app, buyer).post(
        f"/orders/{order.id}/receive",
        data={
            f"line-{laptops.id}": "1",
            f"serials-{laptops.id}": "sn-a1",
            "version": order.version,
        },
    )
    assert response.status_code == 422
    assert f"belongs to asset {world['laptop'].tag} already" in text_of_errors(
        response.get_data(as_text=True), f"serials-{laptops.id}"
    )


def text_of_errors(body: str, field: str) -> str:
    import html
    import re

    match = re.search(
        rf'<div class="invalid-feedback d-block" id="{field}-errors">(.*?)</div>', body, re.S
    )
    return html.unescape(match.group(1)) if match else ""


def test_the_export_and_label_links_keep_the_lists_filters(app, world):
    body = (
        signed_in(app, world["manager"])
        .get("/assets?q=dock&status=in_stock&format=x&after=99999999")
        .get_data(as_text=True)
    )
    assert "/assets/export.csv?format=snipeit&amp;q=dock&amp;status=in_stock" in body
    assert "after=" not in body.split("Export CSV for GLPI")[0].rsplit("<a", 1)[-1]
    docks = [str(a.id) for a in world["assets"] if a.model == "USB-C dock"]
    assert any(f"labels.pdf?ids={','.join(order)}" in body for order in (docks, docks[::-1]))


def test_a_pools_term_and_contract_on_its_page(app, world, db, pool, make):
    buyer = db.session.scalar(sa.select(User).where(User.id == pool.order.created_by_id))
    contract = make.contract(kind="subscription", owner=buyer, order=pool.order)
    client = signed_in(app, world["manager"])
    page = text(client.get(f"/licences/{pool.id}"))
    assert "Term and contract" in page and "no end date" in page
    response = client.post(
        f"/licences/{pool.id}/term",
        data={
            "start_date": pool.start_date.isoformat(),
            "end_date": "",
            "contract": contract.number,
            "version": pool.version,
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (pool.contract_id, pool.end_date) == (contract.id, contract.end_date)
    assert contract.number in text(client.get(f"/licences/{pool.id}"))
    bad = client.post(
        f"/licences/{pool.id}/term",
        data={"start_date": "2027-05-01", "end_date": "2027-04-01", "version": pool.version},
    )
    assert bad.status_code == 422
    assert field_errors(bad, "end_date") == ["The term cannot end before it starts."]
    unknown = client.post(
        f"/licences/{pool.id}/term", data={"contract": "CT-1999-00001", "version": pool.version}
    )
    assert field_errors(unknown, "contract") == ["No contract CT-1999-00001."]
    db.session.expire_all()
    assert pool.contract_id == contract.id
    holder = signed_in(app, world["stranger"])
    assert holder.post(f"/licences/{pool.id}/term", data={}).status_code == 404
