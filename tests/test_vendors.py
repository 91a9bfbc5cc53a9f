"""The vendor register: services (validation, life cycle, permissions, flags,
scorecard) and pages (list, detail, form, documents, the admin setting)."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal

import pytest

from procure import award_figures, workflow
from procure.errors import Forbidden, InvalidTransition, ValidationError
from procure.extensions import db
from procure.models import (
    AuditEvent,
    OrderLine,
    OrderStatus,
    PurchaseOrder,
    Quote,
    Receipt,
    ReceiptLine,
    Rfq,
    RfqInvitation,
    RfqStatus,
    Vendor,
    VendorDocument,
    VendorStatus,
)
from procure.money import format_date
from procure.purchasing import services as purchasing
from procure.vendors import services

from .vendor_support import (
    PDF,
    PNG,
    count,
    counting_queries,
    document,
    people_fixture,  # noqa: F401 -- the people fixture
    require,
    signed_in,
    vendor,
)


def text(response) -> str:
    return response.get_data(as_text=True)


def events(target: Vendor) -> list[AuditEvent]:
    return services.history(target)


# Creating and editing ---------------------------------------------------------------


def test_a_new_vendor_is_a_prospect_and_audited(people):
    made = vendor(
        people["procurement"],
        "  Northwind   Hardware ",
        email="Sales@Northwind.example.com",
        website="https://northwind.example.com/shop?x=1",
        categories=["peripherals", "hardware", "hardware"],
        rating=4,
        contacts=[{"name": "Grace Kim", "email": "grace@northwind.example.com"}],
    )
    assert made.status == VendorStatus.PROSPECT
    assert made.name == "Northwind   Hardware"
    assert made.name_key == "northwind hardware"
    assert made.categories == ["hardware", "peripherals"]
    assert made.contacts[0].is_primary  # the only contact is the primary one
    [created] = events(made)
    assert created.action == "create" and created.actor_id == people["procurement"].id
    changes = json.loads(created.changes)
    assert changes["status"] == "prospect" and changes["rating"] == 4
    assert changes["contacts"] == [["Grace Kim", "", "grace@northwind.example.com", "", True]]


def test_an_edit_is_audited_with_what_changed(people):
    made = vendor(people["procurement"], phone="+1 555 0100", rating=3)
    data = services.VendorData.of(made)
    data.rating = 5
    data.categories = ["hardware", "services"]
    version = made.version
    services.update_vendor(made, data, actor=people["buyer"], expected_version=version)
    db.session.commit()
    update = events(made)[-1]
    assert update.action == "update" and update.actor_id == people["buyer"].id
    assert json.loads(update.changes) == {
        "rating": [3, 5],
        "categories": [["hardware"], ["hardware", "services"]],
    }
    assert made.version == version + 1
    # Nothing changed: nothing recorded.
    services.update_vendor(made, services.VendorData.of(made), actor=people["buyer"])
    assert len(events(made)) == 2


def test_a_contact_change_moves_the_version(people):
    made = vendor(people["procurement"], contacts=[{"name": "A"}])
    version = made.version
    data = services.VendorData.of(made)
    data.contacts.append(services.ContactData(name="B", email="b@example.com"))
    services.update_vendor(made, data, actor=people["procurement"])
    db.session.commit()
    assert made.version == version + 1
    assert [c.name for c in made.contacts] == ["A", "B"]


def test_a_stale_edit_conflicts(people):
    made = vendor(people["procurement"])
    from procure.errors import Conflict

    with pytest.raises(Conflict):
        services.update_vendor(
            made, services.VendorData.of(made), actor=people["procurement"], expected_version=99
        )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"email": "not an address"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"website": "www.example.com"}, "website"),
        ({"website": "ftp://example.com"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "https://"}, "website"),
        ({"website": "http://exa mple.com"}, "website"),
        ({"website": "https://user:pw@example.com"}, "website"),
        ({"website": "https://example.com:99999"}, "website"),
        ({"website": "https://-bad-.example.com"}, "website"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "4"}, "rating"),
        ({"categories": ["furniture"]}, "categories"),
        ({"tax_id": "x" * 51}, "tax_id"),
        ({"notes": "x" * 10_001}, "notes"),
        ({"contacts": [{"name": ""}]}, "contacts.0.name"),
        ({"contacts": [{"name": "A", "email": "nope"}]}, "contacts.0.email"),
        (
            {"contacts": [{"name": "A", "is_primary": True}, {"name": "B", "is_primary": True}]},
            "contacts",
        ),
    ],
)
def test_bad_input_is_refused_by_field_and_nothing_is_stored(people, fields, field):
    data = {"name": "Contoso", **fields}
    contacts = [services.ContactData(**c) for c in data.pop("contacts", [])]
    with pytest.raises(ValidationError) as caught:
        services.create_vendor(
            services.VendorData(**data, contacts=contacts), actor=people["procurement"]
        )
    assert field in caught.value.fields, caught.value.fields
    db.session.rollback()
    assert count(Vendor) == 0


@pytest.mark.parametrize(
    "website",
    [
        "https://example.com",
        "http://shop.example.co.uk/path?q=1#x",
        "https://EXAMPLE.com:8443/",
        "http://localhost:8080",
        "http://10.0.0.7/",
        "https://bücher.example",
    ],
)
def test_good_web_addresses_are_kept(people, website):
    assert vendor(people["procurement"], website=website).website == website


@pytest.mark.parametrize(
    "other", ["northwind hardware", "  NORTHWIND\tHardware  ", "Northwind  hardware"]
)
def test_a_name_is_unique_ignoring_case_and_spacing(people, other):
    vendor(people["procurement"], "Northwind Hardware")
    with pytest.raises(ValidationError) as caught:
        vendor(people["procurement"], other)
    assert "Northwind Hardware" in caught.value.fields["name"][0]
    db.session.rollback()
    assert count(Vendor) == 1


def test_renaming_to_its_own_name_in_other_case_is_fine(people):
    made = vendor(people["procurement"], "Northwind Hardware")
    data = services.VendorData.of(made)
    data.name = "NORTHWIND HARDWARE"
    services.update_vendor(made, data, actor=people["procurement"])
    assert made.name == "NORTHWIND HARDWARE"


# Who may do what ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["requester", "approver", "finance", "executive", "admin"])
def test_only_procurement_changes_vendors(people, who):
    made = vendor(people["procurement"])
    user = people[who]
    assert services.get(made.id, user) is made  # everybody reads vendors
    with pytest.raises(Forbidden):
        services.create_vendor(services.VendorData(name="Other"), actor=user)
    with pytest.raises(Forbidden):
        services.update_vendor(made, services.VendorData.of(made), actor=user)
    for action in services.ACTIONS:
        with pytest.raises(Forbidden):
            services.act(made, action, actor=user)
    with pytest.raises(Forbidden):
        services.get(made.id, user, change=True)
    assert services.allowed_actions(made, user) == []


# The life cycle ------------------------------------------------------------------------

PATH_TO = {
    VendorStatus.PROSPECT: [],
    VendorStatus.APPROVED: ["approve"],
    VendorStatus.SUSPENDED: ["approve", "suspend"],
    VendorStatus.BLOCKED: ["block"],
}


@pytest.mark.parametrize("state", list(VendorStatus))
@pytest.mark.parametrize("action", list(workflow.VendorAction))
def test_every_state_and_action(people, state, action):
    made = vendor(people["procurement"])
    for step in PATH_TO[state]:
        services.act(made, step, actor=people["procurement"])
    transition = workflow.VENDOR.transition(state, action)
    # Any procurement user may act, not only the one who added the vendor.
    if transition is None:
        with pytest.raises(InvalidTransition):
            services.act(made, action.value, actor=people["buyer"])
        assert made.status == state
        assert action.value not in services.allowed_actions(made, people["buyer"])
        return
    assert action.value in services.allowed_actions(made, people["buyer"])
    services.act(made, action.value, actor=people["buyer"], comment="Checked.")
    db.session.commit()
    assert made.status == transition.target
    last = events(made)[-1]
    assert last.action == action.value and last.comment == "Checked."
    assert json.loads(last.changes)["status"] == [state.value, transition.target.value]


# Documents and flags --------------------------------------------------------------------


def test_nothing_is_flagged_by_default(people):
    made = vendor(people["procurement"])
    assert services.required_documents() == []
    assert services.flag_reasons(made) == [] and not services.is_flagged(made)


def test_a_missing_or_expired_required_document_flags_the_vendor(people):
    buyer = people["procurement"]
    missing = vendor(buyer, "Missing")
    expired = vendor(buyer, "Expired")
    document(buyer, expired, "insurance", days=-1)
    current = vendor(buyer, "Current")
    document(buyer, current, "insurance", days=-30)
    document(buyer, current, "insurance", days=0)  # valid through today
    forever = vendor(buyer, "Forever")
    document(buyer, forever, "insurance", days=None)
    other_kind = vendor(buyer, "Other kind")
    document(buyer, other_kind, "nda")
    require("insurance")
    assert services.flag_reasons(missing) == ["No insurance certificate on file."]
    # The date as every page writes one ("Nov 15, 2026"), not in ISO.
    yesterday = format_date(services.today() - dt.timedelta(days=1))
    assert services.flag_reasons(expired) == [f"The insurance certificate expired on {yesterday}."]
    assert services.is_flagged(other_kind)
    assert not services.is_flagged(current) and not services.is_flagged(forever)
    # The same answer in SQL, for filtering lists.
    flagged = set(db.session.scalars(services.list_query(flagged=True)))
    assert flagged == {missing, expired, other_kind}
    assert set(db.session.scalars(services.list_query(flagged=False))) == {current, forever}
    require("insurance", "nda")
    assert services.flag_reasons(other_kind) == ["No insurance certificate on file."]
    assert len(services.flag_reasons(missing)) == 2


def test_documents_are_audited(people):
    buyer = people["procurement"]
    made = vendor(buyer)
    filed = document(buyer, made, "tax_form", days=None)
    services.remove_document(made, filed, actor=buyer)
    db.session.commit()
    assert [e.action for e in events(made)] == ["create", "add_document", "remove_document"]
    assert count(VendorDocument) == 0


def test_the_setting_is_for_admin_and_known_kinds(people):
    with pytest.raises(Forbidden):
        services.set_required_documents(["insurance"], actor=people["procurement"])
    with pytest.raises(ValidationError):
        services.set_required_documents(["passport"], actor=people["admin"])
    services.set_required_documents(["nda", "insurance", "nda"], actor=people["admin"])
    assert services.required_documents() == ["insurance", "nda"]


# The scorecard ----------------------------------------------------------------------------


def _order(pr, supplier, buyer, number, status, needed_by, receipts=()):
    line = OrderLine(
        position=1,
        description="Laptop",
        quantity=Decimal("2"),
        unit_price=Decimal("100.00"),
        total=Decimal("200.00"),
        received_quantity=Decimal("0"),
    )
    order = PurchaseOrder(
        number=number,
        request_id=pr.id,
        vendor_id=supplier.id,
        status=status,
        currency="USD",
        subtotal=Decimal("200.00"),
        total=Decimal("200.00"),
        needed_by=needed_by,
        created_by_id=buyer.id,
        pdf_sha256="0" * 64,
        lines=[line],
    )
    db.session.add(order)
    db.session.flush()
    for received_on, value in receipts:
        db.session.add(
            Receipt(
                order_id=order.id,
                received_on=received_on,
                recorded_by_id=buyer.id,
                lines=[ReceiptLine(order_line=line, quantity=Decimal("1"), value=Decimal(value))],
            )
        )
    db.session.flush()


def _quote(rfq, supplier, lead, **extra):
    quote = Quote(
        rfq=rfq,
        vendor=supplier,
        currency="USD",
        valid_until=rfq.due_date,
        lead_time_days=lead,
        subtotal=Decimal("100.00"),
        total=Decimal("100.00"),
        **extra,
    )
    db.session.add(quote)
    db.session.flush()
    return quote


def test_the_scorecard_counts_quotes_deliveries_and_spend(people):
    buyer = people["procurement"]
    supplier = vendor(buyer, "Northwind", rating=4)
    rival = vendor(buyer, "Contoso")
    idle = vendor(buyer, "Idle")
    pr = purchasing.create_request(
        purchasing.RequestData(
            title="Laptops",
            lines=[purchasing.LineData("Laptop", Decimal("2"), Decimal("100.00"))],
        ),
        actor=people["requester"],
    )
    today = services.today()
    rfqs = []
    for number in range(1, 4):
        rfq = Rfq(
            number=f"RFQ-T-{number}",
            request_id=pr.id,
            due_date=today,
            status=RfqStatus.OPEN,
            created_by_id=buyer.id,
            invitations=[RfqInvitation(vendor=supplier), RfqInvitation(vendor=rival)],
        )
        db.session.add(rfq)
        rfqs.append(rfq)
    db.session.flush()
    won = _quote(rfqs[0], supplier, 10)
    _quote(rfqs[0], supplier, 99, replaced_by_id=won.id)  # an earlier revision: not counted
    _quote(rfqs[1], supplier, 20)
    lost_to = _quote(rfqs[1], rival, 5)
    rfqs[0].status, rfqs[0].awarded_quote_id = RfqStatus.AWARDED, won.id
    rfqs[1].status, rfqs[1].awarded_quote_id = RfqStatus.AWARDED, lost_to.id
    db.session.flush()
    award_figures.refill()  # awarded by hand: what the award service would have kept

    days = dt.timedelta
    received = OrderStatus.RECEIVED
    _order(pr, supplier, buyer, "PO-T-1", received, today - days(5), [(today - days(6), "200")])
    _order(
        pr,
        supplier,
        buyer,
        "PO-T-2",
        OrderStatus.CLOSED,
        today - days(10),
        [(today - days(12), "100"), (today - days(3), "100")],
    )
    _order(pr, supplier, buyer, "PO-T-3", OrderStatus.ISSUED, today - days(1))  # overdue
    _order(pr, supplier, buyer, "PO-T-4", OrderStatus.ISSUED, today + days(10))  # not due
    _order(pr, supplier, buyer, "PO-T-5", OrderStatus.CANCELLED, today - days(10))
    last_year = dt.date(today.year - 1, 6, 1)
    _order(pr, supplier, buyer, "PO-T-6", received, None, [(last_year, "999"), (today, "50")])
    db.session.commit()
    for loaded in (supplier, rival, idle):
        db.session.refresh(loaded)  # as a page has them, loaded

    with counting_queries() as one:
        services.scorecards([supplier])
    with counting_queries() as three:
        cards = services.scorecards([supplier, rival, idle])
    assert len(one) == len(three) == 7  # whatever the number of vendors

    card = cards[supplier.id]
    assert (card.quotes_requested, card.quotes_sent, card.quotes_won) == (3, 2, 1)
    assert card.win_rate == Decimal("0.5")
    assert card.average_lead_time == Decimal("15.0")
    assert (card.deliveries_measured, card.deliveries_on_time) == (3, 1)
    assert card.on_time_rate == Decimal("0.3333")
    this_year = sum(
        (
            Decimal(v)
            for d, v in [
                (today - days(6), "200"),
                (today - days(12), "100"),
                (today - days(3), "100"),
                (today, "50"),
            ]
            if d.year == today.year
        ),
        Decimal("0"),
    )
    assert card.spend_this_year == this_year
    assert card.rating == 4
    assert cards[rival.id].win_rate == Decimal("1") and cards[rival.id].average_lead_time == 5
    empty = cards[idle.id]
    assert empty.win_rate is None and empty.on_time_rate is None
    assert empty.average_lead_time is None and empty.spend_this_year == Decimal("0.00")


# Pages -------------------------------------------------------------------------------------


def test_everybody_signed_in_reads_the_list_and_detail(app, people):
    made = vendor(people["procurement"], "Northwind Hardware", rating=4, status="approved")
    client = signed_in(app, people["requester"])
    page = text(client.get("/vendors"))
    assert "Northwind Hardware" in page and "Rating 4 of 5" in page
    assert "New vendor" not in page and "Import CSV" not in page
    detail = text(client.get(f"/vendors/{made.id}"))
    assert "Scorecard" in detail
    assert "Edit" not in detail and "Suspend" not in detail and "Add a document" not in detail
    assert client.get("/vendors/9999").status_code == 404
    anonymous = app.test_client().get("/vendors")
    assert anonymous.status_code == 302 and "/login" in anonymous.location


@pytest.mark.parametrize("who", ["requester", "approver", "finance", "admin"])
def test_others_get_403_on_every_change(app, people, who):
    made = vendor(people["procurement"])
    client = signed_in(app, people[who])
    assert client.get("/vendors/new").status_code == 403
    assert client.post("/vendors/new", data={"name": "X"}).status_code == 403
    assert client.get(f"/vendors/{made.id}/edit").status_code == 403
    assert client.post(f"/vendors/{made.id}/approve").status_code == 403
    assert client.get("/vendors/import").status_code == 403
    upload = {"kind": "nda", "file": (io.BytesIO(PDF), "nda.pdf")}
    assert client.post(f"/vendors/{made.id}/documents", data=upload).status_code == 403
    db.session.expire_all()
    assert made.status == VendorStatus.PROSPECT and count(Vendor) == 1


def test_search_filters_and_pages(app, people):
    buyer = people["procurement"]
    vendor(buyer, "Northwind Hardware", status="approved")
    vendor(buyer, "Contoso Cloud", categories=["cloud"], status="suspended")
    vendor(buyer, "Fabrikam 100% Networks", categories=["telecom"])
    for number in range(30):
        vendor(buyer, f"Zeta {number:02d}")
    client = signed_in(app, people["requester"])

    def names(query: str) -> list[str]:
        page = text(client.get(f"/vendors?{query}"))
        return re.findall(r'href="/vendors/\d+">([^<]+)</a>', page)

    assert names("q=NORTHWIND") == ["Northwind Hardware"]
    assert names("q=cloud") == ["Contoso Cloud"]
    assert names("q=100%25") == ["Fabrikam 100% Networks"]  # % is a letter, not a wildcard
    assert names("status=suspended") == ["Contoso Cloud"]
    assert names("category=telecom") == ["Fabrikam 100% Networks"]
    first, second = names(""), names("page=2")
    assert len(first) == 25 and len(second) == 8 and not set(first) & set(second)
    assert names("status=bogus")[:1] == ["Contoso Cloud"]  # a bad filter is ignored


def test_flagged_vendors_are_marked_in_the_list_and_on_their_page(app, people):
    buyer = people["procurement"]
    flagged = vendor(buyer, "Fabrikam Networks", status="approved")
    document(buyer, flagged, "insurance", days=-3)
    fine = vendor(buyer, "Northwind Hardware", status="approved")
    document(buyer, fine, "insurance", days=30)
    require("insurance")
    client = signed_in(app, people["requester"])
    page = text(client.get("/vendors"))
    rows = re.findall(r'<tr data-vendor="(\d+)"( class="vendor-flagged")?', page)
    assert dict(rows) == {str(flagged.id): ' class="vendor-flagged"', str(fine.id): ""}
    expired_on = format_date(services.today() - dt.timedelta(days=3))
    assert f"The insurance certificate expired on {expired_on}." in page
    detail = text(client.get(f"/vendors/{flagged.id}"))
    assert "cannot be invited to quote" in detail and 'data-flagged="1"' in detail
    assert 'data-flagged="1"' not in text(client.get(f"/vendors/{fine.id}"))
    only = text(client.get("/vendors?flagged=1"))
    assert "Fabrikam Networks" in only and "Northwind Hardware" not in only


def form(name="Northwind Hardware", **extra):
    data = {
        "name": name,
        "legal_name": "Northwind Hardware Ltd.",
        "tax_id": "US-1",
        "website": "https://northwind.example.com",
        "email": "sales@northwind.example.com",
        "phone": "+1 555 0100",
        "address": "1 Main St",
        "categories": ["hardware", "peripherals"],
        "rating": "4",
        "notes": "",
        "contacts-0-name": "Grace Kim",
        "contacts-0-title": "Account manager",
        "contacts-0-email": "grace@northwind.example.com",
        "contacts-0-phone": "",
        "contacts-0-is_primary": "y",
    }
    data.update(extra)
    return data


def test_procurement_adds_edits_and_approves_through_the_pages(app, people):
    client = signed_in(app, people["procurement"])
    assert client.get("/vendors/new").status_code == 200
    response = client.post("/vendors/new", data=form())
    assert response.status_code == 302, text(response)
    made = db.session.scalars(db.select(Vendor)).one()
    assert made.categories == ["hardware", "peripherals"] and made.rating == 4
    assert made.contacts[0].name == "Grace Kim"
    detail = text(client.get(response.location))
    assert "is added as a prospect" in detail
    assert ">Approve</button>" in detail and ">Block</button>" in detail
    assert ">Suspend</button>" not in detail and ">Reinstate</button>" not in detail

    edit = client.get(f"/vendors/{made.id}/edit")
    assert 'value="Grace Kim"' in text(edit)
    # Add a contact row without JavaScript, then save two contacts.
    added = text(client.post(f"/vendors/{made.id}/edit", data=form(add_contact="Add a contact")))
    assert 'name="contacts-1-name"' in added
    saved = client.post(
        f"/vendors/{made.id}/edit",
        data=form(
            rating="",
            version=str(made.version),
            **{"contacts-1-name": "Luis Ortega", "contacts-1-email": "luis@example.com"},
        ),
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert made.rating is None and [c.name for c in made.contacts] == ["Grace Kim", "Luis Ortega"]

    approved = client.post(f"/vendors/{made.id}/approve", data={"version": str(made.version)})
    assert approved.status_code == 302
    db.session.expire_all()
    assert made.status == VendorStatus.APPROVED
    page = text(client.get(f"/vendors/{made.id}"))
    assert ">Suspend</button>" in page and ">Approve</button>" not in page
    assert "Approved" in page and "Edited: contacts, rating" in page


def test_a_wrong_state_is_refused_on_the_page(app, people):
    made = vendor(people["procurement"], status="blocked")
    client = signed_in(app, people["procurement"])
    response = client.post(
        f"/vendors/{made.id}/reinstate", headers={"Referer": f"/vendors/{made.id}"}
    )
    assert response.status_code == 303
    assert "cannot reinstate a vendor that is blocked" in text(client.get(response.location))
    db.session.expire_all()
    assert made.status == VendorStatus.BLOCKED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"website": "northwind.example.com"}, "website"),
        ({"rating": "9"}, "rating"),
        ({"name": "x" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"categories": ["furniture"]}, "categories"),
        ({"contacts-0-email": "grace@"}, "contacts-0-email"),
    ],
)
def test_form_errors_stand_beside_their_field(app, people, changes, field):
    client = signed_in(app, people["procurement"])
    response = client.post("/vendors/new", data=form(**changes))
    assert response.status_code == 422
    page = text(response)
    assert f'id="{field}-errors"' in page, page
    assert count(Vendor) == 0


def test_a_duplicate_name_is_refused_beside_the_field(app, people):
    vendor(people["procurement"], "Northwind Hardware")
    client = signed_in(app, people["procurement"])
    response = client.post("/vendors/new", data=form(name="  northwind   HARDWARE"))
    assert response.status_code == 422
    assert re.search(r'id="name-errors"[^>]*>\s*<div>There is a vendor', text(response))
    assert count(Vendor) == 1


def test_documents_upload_and_download(app, people):
    made = vendor(people["procurement"])
    client = signed_in(app, people["procurement"])
    response = client.post(
        f"/vendors/{made.id}/documents",
        data={
            "kind": "insurance",
            "title": "Liability certificate",
            "expires_on": "2099-12-31",
            "file": (io.BytesIO(PDF), "certificate.pdf"),
        },
    )
    assert response.status_code == 302, text(response)
    db.session.expire_all()
    [filed] = made.documents
    assert filed.kind == "insurance" and filed.expires_on == dt.date(2099, 12, 31)
    assert filed.attachment.content_type == "application/pdf"
    # Any signed-in user may download it; nobody else.
    reader = signed_in(app, people["requester"])
    with reader.get(f"/vendors/{made.id}/documents/{filed.id}") as download:
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert "attachment" in download.headers["Content-Disposition"]
    assert app.test_client().get(f"/vendors/{made.id}/documents/{filed.id}").status_code == 302
    other = vendor(people["procurement"], "Other")
    assert reader.get(f"/vendors/{other.id}/documents/{filed.id}").status_code == 404
    assert "Liability certificate" in text(reader.get(f"/vendors/{made.id}"))


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (PNG, "certificate.pdf", "which its name does not say"),
        (b"plain text, not a PDF", "certificate.pdf", "Upload a"),
        (b"MZ\x90\x00", "setup.exe", "Upload a"),
        (b"%PDF-1.4" + b"x" * 3000, "big.pdf", "larger than"),
    ],
)
def test_bad_uploads_are_refused_beside_the_field(app, people, content, filename, message):
    made = vendor(people["procurement"])
    client = signed_in(app, people["procurement"])
    limit = app.config["MAX_UPLOAD_BYTES"]
    app.config["MAX_UPLOAD_BYTES"] = 2048
    try:
        response = client.post(
            f"/vendors/{made.id}/documents",
            data={"kind": "insurance", "file": (io.BytesIO(content), filename)},
        )
    finally:
        app.config["MAX_UPLOAD_BYTES"] = limit
    assert response.status_code == 422
    page = text(response)
    assert 'id="file-errors"' in page and message in page
    assert count(VendorDocument) == 0


def test_an_upload_needs_a_known_kind_and_a_file(app, people):
    made = vendor(people["procurement"])
    client = signed_in(app, people["procurement"])
    response = client.post(
        f"/vendors/{made.id}/documents",
        data={"kind": "passport", "file": (io.BytesIO(PDF), "p.pdf")},
    )
    assert response.status_code == 422 and 'id="kind-errors"' in text(response)
    response = client.post(f"/vendors/{made.id}/documents", data={"kind": "nda"})
    assert response.status_code == 422 and 'id="file-errors"' in text(response)
    assert count(VendorDocument) == 0


def test_admin_chooses_the_required_documents(app, people):
    made = vendor(people["procurement"], "Northwind Hardware")
    assert signed_in(app, people["procurement"]).get("/admin/vendors").status_code == 403
    client = signed_in(app, people["admin"])
    page = text(client.get("/admin/vendors"))
    assert "Required vendor documents" in page and "0</strong> vendors are flagged" in page
    response = client.post("/admin/vendors", data={"kinds": ["insurance", "tax_form"]})
    assert response.status_code == 302
    assert services.required_documents() == ["insurance", "tax_form"]
    assert "1</strong> vendor is flagged" in text(client.get("/admin/vendors"))
    assert 'data-flagged="1"' in text(client.get(f"/vendors/{made.id}"))
    assert 'href="/admin/vendors"' in text(client.get("/admin/"))
    assert client.post("/admin/vendors", data={"kinds": ["passport"]}).status_code == 422
    assert services.required_documents() == ["insurance", "tax_form"]


# The demo -------------------------------------------------------------------------------------


def test_the_demo_vendors(app):
    import pypdf

    from procure import attachments, demo
    from procure.vendors.demo import seed_vendors

    demo.seed()
    seed_vendors()
    db.session.commit()
    vendors = list(db.session.scalars(services.list_query()))
    assert len(vendors) == 8
    assert {v.status for v in vendors} == set(VendorStatus)
    assert all(v.contacts and v.categories for v in vendors)
    assert services.required_documents() == ["insurance"]
    flagged = {v.name for v in vendors if services.is_flagged(v)}
    assert "Fabrikam Networks" in flagged and "Northwind Hardware" not in flagged
    filed = [d for v in vendors for d in v.documents]
    assert filed and all(d.attachment.content_type == "application/pdf" for d in filed)
    reader = pypdf.PdfReader(io.BytesIO(attachments.read_bytes(filed[0].attachment)), strict=True)
    assert "Issued to" in reader.pages[0].extract_text()
    seed_vendors()  # idempotent
    assert count(Vendor) == 8
