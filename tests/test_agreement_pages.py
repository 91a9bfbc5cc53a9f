"""The pages of framework agreements and the catalogue: who sees what, and what they
show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from procure.models import Agreement, AgreementItem, AgreementStatus

TODAY = dt.date.today()


@pytest.fixture
def people(make):
    return {
        "buyer": make.user(["procurement"], department="PROC"),
        "finance": make.user(["finance"], department="FIN"),
        "admin": make.user(["admin"], department="ADM"),
        "requester": make.user(["requester"], department="IT"),
        "approver": make.user(["approver"], department="IT"),
    }


def agreement(
    make, db, buyer, *, status=AgreementStatus.ACTIVE, number="AG-2026-0001", vendor=None
):
    """An agreement row as the services would leave it (status set directly)."""
    made = Agreement(
        number=number,
        vendor_id=(
            vendor or make.vendor("Northwind <Traders>" if number.endswith("1") else None)
        ).id,
        title="Laptops & docks",
        status=status,
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=335),
        currency="EUR",
        ceiling=Decimal("100000.00"),
        consumed=Decimal("25000.00"),
        created_by_id=buyer.id,
        items=[
            AgreementItem(
                position=1,
                description="Laptop 14in",
                category="hardware",
                unit="each",
                unit_price=Decimal("1250.00"),
                max_quantity=Decimal("50"),
                ordered=Decimal("20"),
            ),
            AgreementItem(
                position=2,
                description="USB-C dock",
                category="accessories",
                unit="each",
                unit_price=Decimal("180.00"),
            ),
        ],
    )
    db.session.add(made)
    db.session.commit()
    return made


@pytest.mark.parametrize("who", ["buyer", "finance", "admin"])
def test_readers_see_the_list_and_the_page(client, auth, make, db, people, who):
    made = agreement(make, db, people["buyer"])
    auth.login(people[who].email)
    listing = client.get("/agreements")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert made.number in text and "Northwind &lt;Traders&gt;" in text
    page = client.get(f"/agreements/{made.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" in text
    assert "30 of 50" in text  # remaining of the laptop's maximum
    assert "rate only" in text  # the dock has no maximum
    assert "25%" in text  # consumed of the ceiling
    assert "Laptops &amp; docks" in text


@pytest.mark.parametrize("who", ["requester", "approver"])
def test_others_may_not_read_agreements(client, auth, make, db, people, who):
    made = agreement(make, db, people["buyer"])
    auth.login(people[who].email)
    assert client.get("/agreements").status_code == 403
    assert client.get(f"/agreements/{made.id}").status_code == 404


def test_unknown_agreement_is_404(client, auth, people):
    auth.login(people["buyer"].email)
    assert client.get("/agreements/999999").status_code == 404


def test_list_filters_by_status(client, auth, make, db, people):
    active = agreement(make, db, people["buyer"])
    draft = agreement(
        make, db, people["buyer"], status=AgreementStatus.DRAFT, number="AG-2026-0002"
    )
    auth.login(people["buyer"].email)
    text = client.get("/agreements?status=draft").get_data(as_text=True)
    assert draft.number in text and active.number not in text
    assert client.get("/agreements?status=nonsense").status_code == 200


def test_catalogue_lists_active_items_for_everyone(client, auth, make, db, people):
    active = agreement(make, db, people["buyer"])
    agreement(make, db, people["buyer"], status=AgreementStatus.DRAFT, number="AG-2026-0002")
    auth.login(people["requester"].email)
    page = client.get("/catalogue")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.count("<td>Laptop 14in") == 1  # the draft's items are not offered
    assert "Northwind &lt;Traders&gt;" in text
    assert f'name="item" value="{active.items[0].id}"' in text
    assert active.number not in text  # requesters do not read agreements


def test_catalogue_searches_by_text_and_category(client, auth, make, db, people):
    agreement(make, db, people["buyer"])
    auth.login(people["buyer"].email)
    text = client.get("/catalogue?q=dock").get_data(as_text=True)
    assert "USB-C dock" in text and "Laptop 14in" not in text
    text = client.get("/catalogue?category=hardware").get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" not in text
    text = client.get("/catalogue?q=northwind").get_data(as_text=True)
    assert "Laptop 14in" in text and "USB-C dock" in text
    text = client.get("/catalogue?q=%25_").get_data(as_text=True)
    assert "No catalogue item matches." in text


def test_catalogue_needs_a_login(client):
    assert client.get("/catalogue").status_code in (302, 401)
