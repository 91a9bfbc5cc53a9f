"""Building the documents the reports read, through the services, with the dates the
figures need (the services stamp "now"; a report's fixture moves the stamps back).

Issuing an order renders its PDF, which is not under test here and costs a second
or two on a loaded machine: ``fast_pdf`` swaps the renderer for fixed bytes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from procure import award_figures, budget_sums
from procure.models import ApprovalStep, PurchaseOrder, PurchaseRequest
from procure.orders import services as orders
from procure.purchasing import services as purchasing
from procure.sourcing import services as sourcing

CATEGORIES = ("hardware", "software", "peripherals", "licence", "services", "other")
LATER = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture
def fast_pdf(monkeypatch):
    monkeypatch.setattr(
        orders, "render_document", lambda order, *, draft: b"%PDF-1.4\n% a stand-in order\n"
    )


def at(text: str) -> dt.datetime:
    """A naive UTC timestamp from ``"2026-03-02 09:00"``."""
    return dt.datetime.fromisoformat(text)


@dataclasses.dataclass
class Shop:
    """People of departments IT and OPS, a buyer, finance and an executive, and
    helpers that file, approve, source, order and receive."""

    make: object
    db: object

    def __post_init__(self) -> None:
        make = self.make
        self.requesters = {d: make.user(["requester"], department=d) for d in ("IT", "OPS")}
        self.approvers = {d: make.user(["approver"], department=d) for d in ("IT", "OPS")}
        self.finance = make.user(["finance"], department="FIN")
        self.executive = make.user(["executive"], department="FIN")
        self.buyer = make.user(["procurement"], department="PROC")
        self.admin = make.user(["admin"], department="ADM")

    def vendor(self, name: str | None = None):
        return self.make.vendor(name, categories=CATEGORIES, email="")

    def filed(self, department: str, lines, title: str = "Report test"):
        """A submitted request; ``lines`` are (description, quantity, price, category)."""
        requester = self.requesters[department]
        pr = purchasing.create_request(
            purchasing.RequestData(
                title=title,
                lines=[
                    purchasing.LineData(
                        description=d, quantity=Decimal(q), unit_price=Decimal(p), category=c
                    )
                    for d, q, p, c in lines
                ],
            ),
            actor=requester,
        )
        purchasing.submit(pr, actor=requester)
        self.db.session.commit()
        return pr

    def decider(self, pr):
        step = pr.pending_step
        return {
            "department": self.approvers[pr.department.code],
            "finance": self.finance,
            "executive": self.executive,
        }[step.name]

    def approved(self, department: str, lines, title: str = "Report test"):
        pr = self.filed(department, lines, title)
        while pr.pending_step is not None:
            purchasing.approve(pr, actor=self.decider(pr))
        self.db.session.commit()
        return pr

    def rfq(self, pr, quotes, *, award, justification: str = "", shipping="0", tax="0"):
        """An RFQ of ``pr`` with a quote per (vendor, unit price factor), awarded to
        ``award``; returns the draft order."""
        vendors = [vendor for vendor, _factor in quotes]
        rfq = sourcing.create_rfq(
            sourcing.RfqData(
                request_id=pr.id,
                vendor_ids=list(dict.fromkeys(v.id for v in vendors)),
                due_date=LATER,
            ),
            actor=self.buyer,
        )
        sourcing.send(rfq, actor=self.buyer)
        for vendor, factor in quotes:
            self.quote(rfq, vendor, factor, shipping=shipping, tax=tax)
        awarded = next(q for q in sourcing.current_quotes(rfq) if q.vendor_id == award.id)
        order = sourcing.award(rfq, awarded.id, actor=self.buyer, justification=justification)
        self.db.session.commit()
        return rfq, order

    def quote(self, rfq, vendor, factor, *, shipping="0", tax="0"):
        return sourcing.record_quote(
            rfq,
            sourcing.QuoteData(
                vendor_id=vendor.id,
                valid_until=LATER,
                lead_time_days=7,
                shipping=Decimal(shipping),
                tax=Decimal(tax),
                lines=[
                    sourcing.QuoteLineData(
                        description=line.description,
                        quantity=line.quantity,
                        unit_price=(line.unit_price * Decimal(factor)).quantize(Decimal("0.01")),
                        request_line_id=line.id,
                    )
                    for line in rfq.request.lines
                ],
            ),
            actor=self.buyer,
        )

    def order(self, department, lines, vendor, *, shipping="0", tax="0", issued=None, receive=()):
        """An approved request ordered from ``vendor`` at its estimate: issued at
        ``issued`` (unless None: a draft), then ``receive`` — quantities per line —
        received today."""
        pr = self.approved(department, lines)
        _rfq, order = self.rfq(pr, [(vendor, "1")], award=vendor, shipping=shipping, tax=tax)
        if issued is not None:
            orders.issue(order, actor=self.buyer)
            if any(receive):
                orders.receive(
                    order,
                    [
                        orders.ReceiptLineData(line_id=line.id, quantity=Decimal(quantity))
                        for line, quantity in zip(order.lines, receive, strict=False)
                        if Decimal(quantity)
                    ],
                    received_on=None,
                    actor=self.buyer,
                )
            self.db.session.commit()
            self.set(PurchaseOrder, order.id, issued_at=at(issued))
        return order

    # Moving the stamps -----------------------------------------------------------------

    def set(self, model, ident: int, **values) -> None:
        """Write ``values`` behind the services' back (history as it would have been),
        and the budget sums and the award figures again from the documents, as
        ``seed-bench`` does after its bulk writes."""
        self.db.session.execute(sa.update(model).where(model.id == ident).values(**values))
        budget_sums.rebuild()
        award_figures.refill()
        self.db.session.commit()
        self.db.session.expire_all()

    def created(self, pr, when: str) -> None:
        self.set(PurchaseRequest, pr.id, created_at=at(when))

    def timed(self, pr, submitted: str, decisions: list[str]) -> None:
        """Submitted at ``submitted``; the latest round's steps decided at
        ``decisions`` in order (the request's decision at the last of them when it is
        decided)."""
        steps = [s for s in pr.steps if s.round == pr.approval_round]
        values = {"submitted_at": at(submitted)}
        if pr.decided_at is not None:
            values["decided_at"] = at(decisions[-1])
        self.set(PurchaseRequest, pr.id, **values)
        for step, when in zip(steps, decisions, strict=False):
            self.set(ApprovalStep, step.id, decided_at=at(when))
