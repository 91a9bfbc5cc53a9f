"""Sourcing in the generated history: an RFQ to vendors approved at the time, their
quotes, the award by the comparison's ranking, and the purchase order made of it, then
issued, received and closed or cancelled (``ordering.py``); or, for a request filed
from the catalogue, a call-off (``calloffs.py``); each move an audit event as the
services write it, and each stopping where today is."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from json.encoder import encode_basestring  # type: ignore[attr-defined]

from ..sourcing import scoring
from . import catalog
from .calloffs import CallOffs
from .chain import Ref
from .documents import (
    Invitation,
    Order,
    OrderLine,
    Quote,
    QuoteLine,
    Request,
    Rfq,
    line_total,
)
from .draw import between, pick, uniform
from .exchange import rate_text, to_base
from .ordering import Ordering
from .organisation import Person, VendorEntry, money, token_hash


class Sourcing(CallOffs, Ordering):
    """The sourcing part of :class:`~procure.benchdata.history.History`, which it is
    mixed into: it uses the history's generator, clock, organisation and stream. A
    request filed from the catalogue is called off its agreement instead, when it can
    be (:class:`~procure.benchdata.calloffs.CallOffs`)."""

    def _source(
        self, pr: Request, approved_at: dt.datetime, outcome: str, attempt: int = 1
    ) -> None:
        if pr.lines[0].catalogue_item_id is not None and self._call_off(
            pr, approved_at, outcome, attempt
        ):
            return
        rng, now = self.rng, self.now
        moment = self.later(approved_at, 40)
        if moment > now:
            return
        buyer = self.org.buyer()
        # Small purchases mostly go to one usual supplier; larger ones are put to
        # competition (from the quote threshold, three quotes or a justification).
        if pr.total_base >= self.quote_threshold:
            wanted = pick(rng, (2, 3, 3, 3, 4))
        else:
            wanted = 1 if rng.random() < 0.55 else pick(rng, (2, 2, 3))
        if self.squeeze:
            wanted = 3
        open_now = outcome in ("rfq_open", "rfq_draft")
        vendors = self.org.invitable(
            [line.category for line in pr.lines],
            moment,
            wanted,
            still_approved=open_now or self.squeeze,
        )
        if not vendors:
            return  # nobody can supply it: it waits, approved
        rfq = Rfq()
        rfq.id = rfq.number = None
        rfq.award_rate = rfq.award_rate_date = rfq.award_total_base = None
        rfq.request = pr
        rfq.status = "draft"
        rfq.due_date = (moment + dt.timedelta(days=between(rng, 7, 14))).date()
        if self.squeeze:
            rfq.due_date = max(self.clock.today, moment.date())
        rfq.notes = pick(rng, catalog.RFQ_NOTES)
        rfq.created_by = buyer
        rfq.created_at = moment
        rfq.sent_at = rfq.awarded_at = rfq.awarded_quote = None
        rfq.justification = ""
        rfq.version = 1
        rfq.quotes = []
        rfq.invitations = []
        for vendor in vendors:
            invitation = Invitation()
            invitation.vendor = vendor
            invitation.token_hash = invitation.expires_on = invitation.used_at = None
            invitation.emailed_to = ""
            invitation.created_at = moment
            rfq.invitations.append(invitation)
        self.chunk.rfqs.append(rfq)
        self._rfq_event(
            rfq,
            moment,
            "create",
            buyer,
            {
                "request": pr.number,
                "vendors": [v.name for v in vendors],
                "due_date": rfq.due_date.isoformat(),
                "weights": {"lead_time": "0.2", "price": "0.6", "rating": "0.2", "warranty": "0"},
            },
        )
        if outcome == "rfq_draft":
            return
        sent = self.soon(moment, 60) if rng.random() < 0.7 else self.later(moment, 20)
        if sent > now or sent.date() > rfq.due_date:
            return
        rfq.sent_at = sent
        for invitation in rfq.invitations:
            self._tokens += 1
            invitation.token_hash = token_hash(self.seed, self._tokens)
            invitation.expires_on = rfq.due_date
            invitation.emailed_to = invitation.vendor.address
        self._rfq_move(rfq, sent, "send", "open", buyer, {"invited": [v.name for v in vendors]})
        self._quotes(rfq, sent)
        cancel_first = outcome == "rfq_cancelled" or (
            attempt == 1 and outcome == "closed" and rng.random() < 0.02
        )
        last_quote = max((q.created_at for q in rfq.quotes), default=sent)
        if cancel_first:
            when = self.later(max(last_quote, sent), 24 * 3)
            if when > now:
                return
            self._cancel_rfq(rfq, when, buyer, pick(rng, catalog.RFQ_CANCEL_COMMENTS))
            if outcome == "closed":
                self._source(pr, when, outcome, attempt + 1)
            return
        if outcome == "rfq_open":
            return
        # Awarded after the due date, or a few days after the last quote.
        due = dt.datetime.combine(rfq.due_date, dt.time(17))
        ready = last_quote if self.squeeze else min(due, last_quote + dt.timedelta(days=3))
        when = self.later(max(last_quote, ready), 24)
        if when > now:
            return
        if not rfq.quotes:
            self._cancel_rfq(rfq, when, buyer, "No acceptable quotes.")
            return
        order = self._award(rfq, when, buyer)
        if outcome == "order_draft":
            return
        issued = self.later(when, 5)
        if issued > now:
            return
        self._issue(order, issued, buyer)
        if outcome == "reopened" or (attempt == 1 and outcome == "closed" and rng.random() < 0.01):
            when = self.later(issued, 24 * 4)
            if when > now:
                return
            self._cancel_order(
                order, when, self.org.buyer(), pick(rng, catalog.ORDER_CANCEL_COMMENTS)
            )
            if outcome == "closed":
                self._source(pr, when, outcome, attempt + 1)
            return
        self._deliver(order, outcome)

    def _rfq_event(
        self,
        rfq: Rfq,
        moment: dt.datetime,
        action: str,
        actor: Person | None,
        changes: dict,
        comment: str = "",
        remote: str | None = None,
    ) -> None:
        self.stream.add(
            moment,
            "rfq",
            rfq,
            action,
            actor=actor,
            changes=changes,
            comment=comment,
            remote_addr=actor.ip if actor is not None else remote,
        )

    def _rfq_move(
        self,
        rfq: Rfq,
        moment: dt.datetime,
        action: str,
        new: str,
        actor: Person,
        extra: dict | None = None,
        comment: str = "",
    ) -> None:
        changes = self.changes(rfq.status, new, extra)
        self._rfq_event(rfq, moment, action, actor, changes, comment)
        rfq.status = new
        rfq.version += 1

    def _cancel_rfq(self, rfq: Rfq, moment: dt.datetime, actor: Person, comment: str) -> None:
        self._rfq_move(rfq, moment, "cancel", "cancelled", actor, comment=comment)
        for invitation in rfq.invitations:
            invitation.token_hash = None

    def _quotes(self, rfq: Rfq, sent: dt.datetime) -> None:
        rng, now = self.rng, self.now
        due = dt.datetime.combine(rfq.due_date, dt.time(17))
        answering = [inv for inv in rfq.invitations if self.squeeze or rng.random() < 0.85]
        if len(answering) < min(2, len(rfq.invitations)):
            answering = rfq.invitations[:2]
        for invitation in answering:
            if self.squeeze:
                moment = sent + (now - sent) * (0.1 + 0.8 * rng.random())
            else:
                moment = self.clock.working(sent + (due - sent) * (0.1 + 0.9 * rng.random()))
            if moment > now:
                continue
            vendor: VendorEntry = invitation.vendor
            quote = Quote()
            quote.id = None
            quote.currency = rfq.request.currency
            quote.vendor = vendor
            quote.valid_until = moment.date() + dt.timedelta(days=pick(rng, [30, 45, 60, 90]))
            quote.lead_time_days = max(1, int(vendor.lead_days * uniform(rng, 0.7, 1.4)))
            quote.warranty_months = pick(rng, [0, 12, 12, 24, 36])
            quote.payment_terms = pick(rng, catalog.PAYMENT_TERMS)
            quote.notes = ""
            by_link = bool(invitation.emailed_to) and rng.random() < 0.6
            quote.entered_by = None if by_link else self.org.buyer()
            quote.created_at = moment
            factor = vendor.price_factor
            quote.lines = []
            physical = False
            for line in rfq.request.lines:
                quoted = QuoteLine()
                quoted.position = line.position
                quoted.request_line = line
                quoted.description = line.description
                quoted.quantity = line.quantity
                quoted.unit = line.unit
                quoted.price = max(1, int(line.price * factor * uniform(rng, 0.96, 1.04)))
                quoted.total = line_total(quoted.quantity, quoted.price)
                quote.lines.append(quoted)
                physical = physical or line.category in ("hardware", "peripherals", "other")
            quote.subtotal = sum(q.total for q in quote.lines)
            quote.shipping = pick(rng, [0, 1500, 2500, 3500, 5000, 9500]) if physical else 0
            quote.tax = 0 if rng.random() < 0.65 else (quote.subtotal * 8 + 50) // 100
            quote.total = quote.subtotal + quote.shipping + quote.tax
            rfq.quotes.append(quote)
            if by_link:
                invitation.used_at = moment
            source = "vendor link" if by_link else "entered by procurement"
            self._rfq_event(
                rfq,
                moment,
                "quote",
                quote.entered_by,
                # {"vendor", "quote", "revision": 1, "total", "replaces": None, "source"}
                lambda q=quote, s=source: (
                    f'{{"quote":{q.id},"replaces":null,"revision":1,"source":"{s}",'
                    f'"total":"{money(q.total)}","vendor":{encode_basestring(q.vendor.name)}}}'
                ),
                remote=vendor.ip,
            )

    def _award(self, rfq: Rfq, moment: dt.datetime, buyer: Person) -> Order:
        rng = self.rng
        # Quote ids are given out later, in time order; the ranking's ties go to the
        # earlier quote, which its position stands for until then.
        quotes = sorted(rfq.quotes, key=lambda q: q.created_at)
        candidates = [
            scoring.Candidate(
                quote_id=index,
                vendor_id=quote.vendor.id,
                total=Decimal(quote.total).scaleb(-2),
                lead_time_days=quote.lead_time_days,
                warranty_months=quote.warranty_months,
                rating=quote.vendor.rating,
            )
            for index, quote in enumerate(quotes)
        ]
        ranking = self._rank(candidates)
        chosen = ranking[1] if len(ranking) > 1 and rng.random() < 0.12 else ranking[0]
        quote = quotes[chosen.candidate.quote_id]
        justification = ""
        if not scoring.is_cheapest(chosen.candidate, candidates):
            justification = pick(rng, catalog.AWARD_JUSTIFICATIONS)
        elif rfq.request.total_base >= self.quote_threshold and len(quotes) < self.min_quotes:
            justification = catalog.SINGLE_SOURCE
        rfq.awarded_quote = quote
        rfq.awarded_at = moment
        rfq.justification = justification
        # The comparison converts at one day's rate, the due date's or today's if
        # earlier; the award freezes it (``sourcing.award``).
        rate, rate_date = self.exchange.on(quote.currency, min(moment.date(), rfq.due_date))
        rfq.award_rate, rfq.award_rate_date = rate, rate_date
        rfq.award_total_base = to_base(quote.total, rate)
        self._rfq_move(
            rfq,
            moment,
            "award",
            "awarded",
            buyer,
            {
                "quote": Ref(quote, "id"),
                "vendor": quote.vendor.name,
                "currency": quote.currency,
                "total": money(quote.total),
                "rate": rate_text(rate),
                "rate_date": rate_date.isoformat(),
                "total_base": money(rfq.award_total_base),
                "comparison": [
                    {
                        "quote": Ref(quotes[r.candidate.quote_id], "id"),
                        "vendor": quotes[r.candidate.quote_id].vendor.id,
                        "total": money(quotes[r.candidate.quote_id].total),
                        "score": str(r.score),
                        "criteria": {k: str(v) for k, v in r.criteria.items()},
                        "eligible": r.candidate.eligible,
                    }
                    for r in ranking
                ],
            },
            comment=justification,
        )
        order = Order()
        order.id = order.number = order.issued_at = order.issued_by = order.attachment_id = None
        order.link_nonce = order.link_hash = None
        order.closed_at = order.cancelled_at = None
        order.reason = ""
        order.request = rfq.request
        order.rfq = rfq
        order.quote = quote
        order.agreement = None
        order.terms = ""
        order.vendor = quote.vendor
        order.status = "draft"
        order.subtotal, order.shipping, order.tax, order.total = (
            quote.subtotal,
            quote.shipping,
            quote.tax,
            quote.total,
        )
        order.needed_by = rfq.request.needed_by
        order.payment_terms = quote.payment_terms
        order.lead_time_days = quote.lead_time_days
        order.created_by = buyer
        order.created_at = moment + dt.timedelta(milliseconds=3)
        order.version = 1
        order.currency = quote.currency
        order.rate = order.rate_date = order.total_base = None
        order.receipts = []
        order.invoices = []
        order.lines = []
        for quoted in quote.lines:
            line = OrderLine()
            line.position = quoted.position
            line.request_line = quoted.request_line
            line.description = quoted.description
            line.quantity = quoted.quantity
            line.unit = quoted.unit
            line.price = quoted.price
            line.total = quoted.total
            line.received = 0
            order.lines.append(line)
        self.chunk.orders.append(order)
        self.stream.add(
            order.created_at,
            "order",
            order,
            "create",
            actor=buyer,
            remote_addr=buyer.ip,
            # {"request", "rfq", "vendor", "total"}
            changes=lambda: (
                f'{{"request":"{order.request.number}","rfq":"{order.rfq.number}",'
                f'"total":"{money(order.total)}","vendor":{encode_basestring(order.vendor.name)}}}'
            ),
        )
        return order

    def _rank(self, candidates: list[scoring.Candidate]) -> list[scoring.Ranked]:
        """``scoring.rank``; alone, a quote's score depends only on its vendor's rating
        and whether it offers a warranty, so those rankings are made once."""
        if len(candidates) > 1:
            return scoring.rank(candidates)
        candidate = candidates[0]
        key = (candidate.rating, candidate.warranty_months > 0, candidate.total == 0)
        ranked = self._single_rankings.get(key)
        if ranked is None:
            ranked = scoring.rank(candidates)[0]
            self._single_rankings[key] = ranked
        return [dataclasses.replace(ranked, candidate=candidate)]
