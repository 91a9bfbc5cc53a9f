"""Each invited vendor as procurement follows it, and the vendor's private link:
sending redirects (a reload sends nothing twice), the RFQ page shows every
invitation's state and procurement sees each working link again, a link is
re-issued (the old one dies, the vendor is e-mailed, the act is audited), a vendor
may decline, and every link is built from PROCURE_BASE_URL only."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import sqlalchemy as sa

from procure.models import AuditEvent, Notification, NotificationStatus, RfqInvitation, utcnow

from .pages import flashes, text

LATER = dt.date.today() + dt.timedelta(days=10)
LINK = re.compile(r"https?://[^\s\"'<]+/quote/[\w-]+")


@pytest.fixture
def sourcing(app, make):
    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    pr = make.approved_request(
        requester, approver, lines=(("Laptop", "2", "1000.00"), ("Dock", "2", "200.00"))
    )
    vendors = {
        "acme": make.vendor("Acme Systems", email="sales@acme.example"),
        "brick": make.vendor("Brick Computers"),
    }
    client = app.test_client()
    client.post("/login", data={"email": buyer.email, "password": "correct horse battery"})
    reader = app.test_client()
    reader.post("/login", data={"email": requester.email, "password": "correct horse battery"})
    return {"pr": pr, "vendors": vendors, "client": client, "reader": reader, "buyer": buyer}


def new_rfq(sourcing) -> int:
    client, pr = sourcing["client"], sourcing["pr"]
    response = client.post(
        f"/rfqs/new?request_id={pr.id}",
        data={
            "vendors": [str(v.id) for v in sourcing["vendors"].values()],
            "due_date": LATER.isoformat(),
            "weight_price": "0.6",
            "weight_lead_time": "0.2",
            "weight_rating": "0.2",
            "weight_warranty": "0",
        },
    )
    assert response.status_code == 302, text(response)
    return int(response.location.rsplit("/", 1)[1])


def send(sourcing) -> int:
    rfq_id = new_rfq(sourcing)
    sent = sourcing["client"].post(f"/rfqs/{rfq_id}/send", data={})
    assert sent.status_code == 303
    return rfq_id


def invitation(rfq_id: int, page_html: str, vendor) -> str:
    """The text of ``vendor``'s entry in the RFQ page's list of invited vendors."""
    match = re.search(
        rf'<li class="[^"]*invitation" data-vendor="{vendor.id}">(.*?)</li>', page_html, re.S
    )
    assert match is not None, f"no invitation of {vendor.name} on RFQ {rfq_id}'s page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def links_on(page_html: str) -> list[str]:
    return LINK.findall(page_html)


def vendor_form(pr, prices=("970", "185"), **extra) -> dict:
    return {
        "shipping": "15",
        "tax": "0",
        "lead_time_days": "7",
        "warranty_months": "24",
        "payment_terms": "45 days",
        "valid_until": LATER.isoformat(),
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": prices[0],
        "lines-1-request_line_id": str(pr.lines[1].id),
        "lines-1-unit_price": prices[1],
        **extra,
    }


def path(link: str) -> str:
    return "/quote/" + link.rsplit("/quote/", 1)[1]


# Sending: redirected, the links kept ------------------------------------------------------


def test_sending_redirects_to_the_rfq_page_and_a_reload_sends_nothing_twice(sourcing, db):
    client = sourcing["client"]
    rfq_id = new_rfq(sourcing)
    sent = client.post(f"/rfqs/{rfq_id}/send", data={})
    assert sent.status_code == 303
    assert sent.location == f"/rfqs/{rfq_id}#invitations"
    page = client.get(sent.location)
    assert any("is open" in message for message in flashes(page))
    first = links_on(page.get_data(as_text=True))
    assert len(first) == 2

    # The browser reloads the page it was sent to: a GET, which shows the same links.
    again = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert links_on(again) == first
    # Posting again by hand is refused, and changes nothing: the links still work.
    twice = client.post(f"/rfqs/{rfq_id}/send", data={})
    assert twice.status_code == 303
    assert links_on(client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)) == first
    visitor = sourcing["reader"].application.test_client()
    assert visitor.get(path(first[0])).status_code == 200
    sends = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "rfq", AuditEvent.action == "send")
    )
    assert sends == 1


def test_only_procurement_sees_the_links(sourcing):
    rfq_id = send(sourcing)
    page = sourcing["reader"].get(f"/rfqs/{rfq_id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert links_on(body) == [] and "Re-issue link" not in body
    # The requester still sees where each invitation stands.
    assert "Waiting for the quote" in invitation(rfq_id, body, sourcing["vendors"]["acme"])


# Where each invitation stands ---------------------------------------------------------------


def test_the_rfq_page_shows_each_invitations_state(sourcing, app, db):
    acme, brick = sourcing["vendors"]["acme"], sourcing["vendors"]["brick"]
    client, pr = sourcing["client"], sourcing["pr"]
    draft_id = new_rfq(sourcing)
    draft = client.get(f"/rfqs/{draft_id}").get_data(as_text=True)
    assert "Not sent yet" in invitation(draft_id, draft, acme)
    client.post(f"/rfqs/{draft_id}/cancel", data={"comment": "Start again."})

    rfq_id = send(sourcing)
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "Waiting for the quote" in invitation(rfq_id, page, acme)
    assert "E-mail to sales@acme.example waiting to be sent" in invitation(rfq_id, page, acme)
    assert "No e-mail address: give the vendor the link yourself" in invitation(
        rfq_id, page, brick
    )
    mail = db.session.scalars(
        sa.select(Notification).where(
            Notification.entity == "rfq", Notification.entity_id == rfq_id
        )
    ).one()
    mail.status, mail.sent_at = NotificationStatus.SENT, utcnow()
    db.session.commit()

    # Acme quotes through its link; Brick declines through its own.
    links = dict(zip((acme.id, brick.id), links_on(page), strict=True))
    vendor_browser = app.test_client()
    quoted = vendor_browser.post(
        path(links[acme.id]), data=vendor_form(pr), content_type="multipart/form-data"
    )
    assert quoted.status_code == 200, text(quoted)
    declined = vendor_browser.post(
        path(links[brick.id]) + "/decline", data={"decline-reason": "Out of stock until May."}
    )
    assert declined.status_code == 200
    assert "knows you will not quote" in text(declined)

    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    acme_entry, brick_entry = invitation(rfq_id, page, acme), invitation(rfq_id, page, brick)
    assert "Quoted" in acme_entry and "through the link" in acme_entry
    assert "E-mailed to sales@acme.example" in acme_entry
    assert "Declined" in brick_entry and "Out of stock until May." in brick_entry
    # Neither link works any more, so neither is shown.
    assert links_on(page) == []
    history = text(client.get(f"/rfqs/{rfq_id}"))
    assert "Quote recorded: Acme Systems by Acme Systems, through its link" in history
    assert "Declined to quote: Brick Computers by Brick Computers, through its link" in history


def test_an_unused_link_past_its_date_reads_expired(sourcing, db):
    rfq_id = send(sourcing)
    db.session.execute(
        sa.update(RfqInvitation)
        .where(RfqInvitation.rfq_id == rfq_id)
        .values(token_expires_on=dt.date.today() - dt.timedelta(days=1))
    )
    db.session.commit()
    page = sourcing["client"].get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "Link expired" in invitation(rfq_id, page, sourcing["vendors"]["brick"])
    assert links_on(page) == []


# Re-issuing a link ---------------------------------------------------------------------------


def test_re_issuing_a_link_retires_the_old_one_audits_and_e_mails_the_new(sourcing, app, db):
    acme = sourcing["vendors"]["acme"]
    client = sourcing["client"]
    rfq_id = send(sourcing)
    old = links_on(client.get(f"/rfqs/{rfq_id}").get_data(as_text=True))[0]

    response = client.post(f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={})
    assert response.status_code == 303
    assert response.location == f"/rfqs/{rfq_id}#invitations"
    page = client.get(response.location)
    assert any(
        "Acme Systems has a new quote link; the earlier one no longer works. "
        "It is e-mailed to sales@acme.example." == message
        for message in flashes(page)
    ), flashes(page)
    body = page.get_data(as_text=True)
    new = links_on(body)[0]
    assert new != old
    assert "Link re-issued 1 time" in invitation(rfq_id, body, acme)

    visitor = app.test_client()
    refused = visitor.get(path(old))
    assert refused.status_code == 410
    assert "replaced by a newer one" in text(refused)
    assert visitor.get(path(new)).status_code == 200

    event = db.session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity == "rfq",
            AuditEvent.entity_id == rfq_id,
            AuditEvent.action == "reissue_link",
        )
    ).one()
    assert event.actor_id == sourcing["buyer"].id
    changes = json.loads(event.changes)
    assert changes["vendor"] == "Acme Systems" and changes["vendor_id"] == acme.id
    assert "Quote link re-issued: Acme Systems by" in text(client.get(f"/rfqs/{rfq_id}"))

    mails = db.session.scalars(
        sa.select(Notification)
        .where(Notification.entity == "rfq", Notification.email == "sales@acme.example")
        .order_by(Notification.id)
    ).all()
    assert len(mails) == 2
    assert new in mails[1].body_text and new in mails[1].body_html
    assert old not in mails[1].body_text
    replaced = "This link replaces the one we sent you earlier, which no longer works."
    assert replaced in mails[1].body_text and replaced in mails[1].body_html
    assert mails[1].subject.startswith("New link: ")
    assert replaced not in mails[0].body_text and not mails[0].subject.startswith("New link")


def test_a_re_issued_link_lets_the_vendor_correct_their_quote(sourcing, app, db):
    acme = sourcing["vendors"]["acme"]
    client, pr = sourcing["client"], sourcing["pr"]
    rfq_id = send(sourcing)
    link = links_on(client.get(f"/rfqs/{rfq_id}").get_data(as_text=True))[0]
    visitor = app.test_client()
    first = visitor.post(path(link), data=vendor_form(pr), content_type="multipart/form-data")
    assert first.status_code == 200
    used = visitor.get(path(link))
    assert used.status_code == 410 and "already sent" in text(used)

    client.post(f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={})
    new = links_on(client.get(f"/rfqs/{rfq_id}").get_data(as_text=True))[0]
    corrected = visitor.post(
        path(new), data=vendor_form(pr, ("950", "185")), content_type="multipart/form-data"
    )
    assert corrected.status_code == 200
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "revision 2" in invitation(rfq_id, page, acme)


def test_a_vendor_without_e_mail_gets_the_link_from_procurement(sourcing, db):
    brick = sourcing["vendors"]["brick"]
    client = sourcing["client"]
    rfq_id = send(sourcing)
    response = client.post(f"/rfqs/{rfq_id}/invitations/{brick.id}/reissue", data={})
    page = client.get(response.location)
    assert any("Give it to the vendor" in message for message in flashes(page))
    assert len(links_on(invitation(rfq_id, page.get_data(as_text=True), brick))) == 1
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.entity == "rfq", Notification.entity_id == rfq_id)
        )
        == 1  # Acme's invitation only
    )


def test_re_issuing_is_procurements_and_only_while_the_rfq_is_open(sourcing, db):
    acme = sourcing["vendors"]["acme"]
    client = sourcing["client"]
    rfq_id = send(sourcing)
    old = links_on(client.get(f"/rfqs/{rfq_id}").get_data(as_text=True))[0]
    refused = sourcing["reader"].post(f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={})
    assert refused.status_code == 403
    unknown = client.post(f"/rfqs/{rfq_id}/invitations/999999/reissue", data={})
    assert unknown.status_code == 303
    assert any("not invited" in message for message in flashes(client.get(f"/rfqs/{rfq_id}")))
    client.post(f"/rfqs/{rfq_id}/cancel", data={"comment": "No longer needed."})
    closed = client.post(f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={})
    assert closed.status_code == 303
    page = client.get(f"/rfqs/{rfq_id}")
    assert any("links are re-issued while it is open" in m for m in flashes(page))
    assert "Re-issue link" not in page.get_data(as_text=True)
    assert sourcing["reader"].application.test_client().get(path(old)).status_code == 410
    reissues = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "reissue_link")
    )
    assert reissues == 0


def test_the_api_shows_states_and_links_to_procurement_and_re_issues(sourcing, api, make):
    acme = sourcing["vendors"]["acme"]
    rfq_id = send(sourcing)
    buyer = api(sourcing["buyer"])
    body = buyer.get(f"/api/v1/rfqs/{rfq_id}").get_json()
    entry = next(i for i in body["invitations"] if i["vendor_id"] == acme.id)
    assert entry["state"] == "waiting" and entry["links_issued"] == 1
    assert entry["email_status"] == "pending"
    assert entry["link"].startswith("http://procure.test/quote/")
    reader = api(make.user(["finance"], department="FIN"))
    seen = reader.get(f"/api/v1/rfqs/{rfq_id}").get_json()
    assert {i["link"] for i in seen["invitations"]} == {None}

    answer = buyer.post(f"/api/v1/rfqs/{rfq_id}/invitations/{acme.id}/reissue")
    assert answer.status_code == 200
    reissued = answer.get_json()
    new = reissued["links"][str(acme.id)]
    assert new != entry["link"]
    assert next(i for i in reissued["invitations"] if i["vendor_id"] == acme.id)["link"] == new
    assert sourcing["client"].get(path(entry["link"])).status_code == 410
    assert reader.post(f"/api/v1/rfqs/{rfq_id}/invitations/{acme.id}/reissue").status_code == 403


# Declining ---------------------------------------------------------------------------------


def test_a_vendor_declines_through_their_link(sourcing, app, db):
    brick = sourcing["vendors"]["brick"]
    client = sourcing["client"]
    rfq_id = send(sourcing)
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    link = links_on(invitation(rfq_id, page, brick))[0]
    visitor = app.test_client()
    assert "Not quoting this time?" in text(visitor.get(path(link)))
    too_long = visitor.post(path(link) + "/decline", data={"decline-reason": "x" * 2001})
    assert too_long.status_code == 422
    assert 'id="decline-reason-errors"' in too_long.get_data(as_text=True)
    assert visitor.get(path(link)).status_code == 200  # nothing changed
    declined = visitor.post(path(link) + "/decline", data={"decline-reason": "<b>No stock</b>"})
    assert declined.status_code == 200
    spent = visitor.get(path(link))
    assert spent.status_code == 410 and "You declined to quote" in text(spent)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "decline")).one()
    assert event.actor_id is None and event.comment == "<b>No stock</b>"
    assert json.loads(event.changes)["vendor_id"] == brick.id
    page = client.get(f"/rfqs/{rfq_id}").get_data(as_text=True)
    assert "&lt;b&gt;No stock&lt;/b&gt;" in page and "<b>No stock</b>" not in page


# Absolute links come from PROCURE_BASE_URL only ---------------------------------------------


def test_links_on_the_page_and_in_the_e_mail_use_procure_base_url(sourcing, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PROCURE_BASE_URL", "http://buying.example.org:5123/")
    acme = sourcing["vendors"]["acme"]
    client = sourcing["client"]
    rfq_id = new_rfq(sourcing)
    # The browser reached the app under another name and port: links do not follow it.
    sent = client.post(
        f"/rfqs/{rfq_id}/send", data={}, base_url="http://localhost:5000", follow_redirects=True
    )
    assert sent.status_code == 200
    shown = links_on(sent.get_data(as_text=True))
    assert len(shown) == 2
    assert all(link.startswith("http://buying.example.org:5123/quote/") for link in shown)
    mail = db.session.scalars(
        sa.select(Notification).where(
            Notification.entity == "rfq", Notification.entity_id == rfq_id
        )
    ).one()
    in_mail = set(links_on(mail.body_text)) | set(links_on(mail.body_html))
    assert in_mail == {shown[0]}
    assert "localhost" not in mail.body_text + mail.body_html

    client.post(
        f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={}, base_url="http://localhost"
    )
    again = db.session.scalars(
        sa.select(Notification)
        .where(Notification.entity == "rfq", Notification.entity_id == rfq_id)
        .order_by(Notification.id)
    ).all()[-1]
    assert all(
        link.startswith("http://buying.example.org:5123/quote/")
        for link in links_on(again.body_text)
    )


# The RFQ's history ----------------------------------------------------------------------------


def test_the_rfq_page_has_a_history_in_the_words_every_document_uses(sourcing):
    client, pr, buyer = sourcing["client"], sourcing["pr"], sourcing["buyer"]
    acme = sourcing["vendors"]["acme"]
    rfq_id = send(sourcing)
    entered = client.post(
        f"/rfqs/{rfq_id}/quotes",
        data={"vendor_id": str(acme.id), **vendor_form(pr)},
        content_type="multipart/form-data",
    )
    assert entered.status_code == 302, text(entered)
    client.post(f"/rfqs/{rfq_id}/invitations/{acme.id}/reissue", data={})
    client.post(f"/rfqs/{rfq_id}/cancel", data={"comment": "Bought elsewhere."})
    page = text(client.get(f"/rfqs/{rfq_id}"))
    history = page.split("History", 1)[1]
    for entry in (
        "Created by",
        "Sent to the vendors by",
        "Quote recorded: Acme Systems by",
        "Quote link re-issued: Acme Systems by",
        "Cancelled by",
    ):
        assert f"{entry} {buyer.name}" in history, entry
    assert "Bought elsewhere." in history
    assert not re.search(r"\b(Create|Send|Cancel|Quote) by\b", page)
