"""The vendor's quote page, reached through the private link: it says who is buying
(the organisation's name, address, phone and e-mail), where and when the goods are
wanted, and adds up the quote before "Send" -- computed by the server, so that the
total stands without JavaScript, after a refused attempt too."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from procure import organisation

from .pages import text

LATER = dt.date.today() + dt.timedelta(days=10)
NEEDED = dt.date.today() + dt.timedelta(days=40)
BUYER = {
    "name": "Northwind <Traders> Ltd",
    "address": "12 Harbour Road\nPortsmouth PO1 3AX",
    "phone": "+44 23 9200 1234",
    "email": "buying@northwind.example",
    "tax_id": "",
    "bill_to": "",
    "terms": "",
}


@pytest.fixture
def quote_page(app, make, db, monkeypatch):
    from procure.sourcing import services as sourcing

    requester = make.user(["requester"], department="IT")
    approver = make.user(["approver"], department="IT")
    buyer = make.user(["procurement"], department="PROC")
    organisation.update(BUYER, actor=make.user(["admin"], department="IT"))
    pr = make.approved_request(
        requester, approver, lines=(("Laptop", "2", "1000.00"), ("Dock", "3", "200.00"))
    )
    pr.needed_by = NEEDED
    vendor = make.vendor("Acme Systems")
    rfq = sourcing.create_rfq(
        sourcing.RfqData(request_id=pr.id, vendor_ids=[vendor.id], due_date=LATER), actor=buyer
    )
    link = sourcing.send(rfq, actor=buyer)[vendor.id]
    db.session.commit()
    monkeypatch.setitem(app.config, "PROCURE_DELIVERY_ADDRESS", "Goods in, Dock 4\nPortsmouth")
    return {"path": "/quote/" + link.rsplit("/", 1)[1], "pr": pr, "client": app.test_client()}


def form(pr, prices=("990.00", "150.00"), shipping="25.00", tax="10.00") -> dict:
    return {
        "shipping": shipping,
        "tax": tax,
        "lead_time_days": "7",
        "warranty_months": "12",
        "payment_terms": "30 days",
        "valid_until": LATER.isoformat(),
        "lines-0-request_line_id": str(pr.lines[0].id),
        "lines-0-unit_price": prices[0],
        "lines-1-request_line_id": str(pr.lines[1].id),
        "lines-1-unit_price": prices[1],
    }


def total_shown(response) -> str:
    match = re.search(r"<strong data-quote-total[^>]*>([^<]*)</strong>", response.get_data(True))
    assert match is not None, "the page shows no total"
    return match.group(1)


def line_totals(response) -> list[str]:
    return re.findall(r"<td class=\"num\" data-line-total>([^<]*)</td>", response.get_data(True))


def test_the_page_says_who_is_buying_and_where_and_when_to_deliver(quote_page):
    page = quote_page["client"].get(quote_page["path"])
    assert page.status_code == 200
    body = text(page)
    assert "Buyer Northwind <Traders> Ltd 12 Harbour Road Portsmouth PO1 3AX" in body
    assert "Phone: +44 23 9200 1234" in body and "E-mail: buying@northwind.example" in body
    assert "Deliver to Goods in, Dock 4 Portsmouth" in body
    assert f"Needed by {NEEDED.strftime('%b')}" in body and str(NEEDED.year) in body
    # Escaped like every other value.
    assert "Northwind &lt;Traders&gt; Ltd" in page.get_data(as_text=True)


def test_without_a_delivery_address_the_organisations_address_stands(quote_page, app):
    app.config["PROCURE_DELIVERY_ADDRESS"] = ""
    body = text(quote_page["client"].get(quote_page["path"]))
    assert "Deliver to 12 Harbour Road Portsmouth PO1 3AX" in body


def test_the_running_total_is_the_servers_before_and_after_a_refusal(quote_page):
    client, pr = quote_page["client"], quote_page["pr"]
    empty = client.get(quote_page["path"])
    assert total_shown(empty) == "$0.00"
    assert "not counted yet" in text(empty)

    # One price is wrong: refused beside its field, and the total of what can be read
    # (2 × 990.00 + shipping 25.00 + tax 10.00) stands without any script.
    refused = client.post(
        quote_page["path"],
        data=form(pr, prices=("990.00", "abc")),
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert 'id="lines-1-unit_price-errors"' in refused.get_data(as_text=True)
    assert "The unit price must be a number." in text(refused)
    assert line_totals(refused) == ["$1,980.00", "—"]
    assert total_shown(refused) == "$2,015.00"
    assert "data-quote-total-note hidden" not in refused.get_data(as_text=True)

    fixed = form(pr, prices=("990.00", "150.004"))
    refused_again = client.post(quote_page["path"], data=fixed, content_type="multipart/form-data")
    assert refused_again.status_code == 422  # more decimals than the currency has

    # All valid, but the lead time missing: the complete total is shown, no note.
    complete = form(pr)
    complete["lead_time_days"] = ""
    missing = client.post(quote_page["path"], data=complete, content_type="multipart/form-data")
    assert missing.status_code == 422
    assert line_totals(missing) == ["$1,980.00", "$450.00"]
    assert total_shown(missing) == "$2,465.00"
    assert "data-quote-total-note hidden" in missing.get_data(as_text=True)

    sent = client.post(quote_page["path"], data=form(pr), content_type="multipart/form-data")
    assert sent.status_code == 200
    assert "quotes $2,465.00" in text(sent)


def test_the_page_loads_its_script_from_the_app_only(quote_page):
    page = quote_page["client"].get(quote_page["path"])
    body = page.get_data(as_text=True)
    assert '<script src="/static/js/quote-total.js" defer></script>' in body
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    script = quote_page["client"].get("/static/js/quote-total.js")
    assert script.status_code == 200 and b"data-quote-total" in script.data
    script.close()


def test_every_problem_is_said_at_once(quote_page):
    pr = quote_page["pr"]
    data = form(pr, prices=("990.00", "abc"))
    data["lead_time_days"] = ""
    refused = quote_page["client"].post(
        quote_page["path"], data=data, content_type="multipart/form-data"
    )
    assert refused.status_code == 422
    body = refused.get_data(as_text=True)
    # The form's own check (the lead time) and the prices' check, together.
    assert 'id="lead_time_days-errors"' in body and 'id="lines-1-unit_price-errors"' in body
    assert total_shown(refused) == "$2,015.00"
    # Nothing was recorded: the link still opens the form.
    assert quote_page["client"].get(quote_page["path"]).status_code == 200
