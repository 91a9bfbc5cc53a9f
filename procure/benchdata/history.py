"""Five years of purchasing, planned one request at a time, in the order they were filed.

Each request takes the path the services would take it along — filed, submitted with
the steps the approval policy gives it, decided step by step, sourced through an RFQ
with quotes, ordered, received, invoiced, closed; or rejected, returned, cancelled,
stuck on the way — each move an audit event shaped as the services write it. Where a
move would fall after now, the request stops there: it is still in progress today,
which is why recent requests are pending and drafts while old ones are closed.

Ids, document numbers and rows are given out per chunk, after planning, so that
RFQs, orders, invoices and contracts are numbered in the order they were made.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
import types
from collections import deque
from decimal import Decimal
from typing import Any

from .. import policy
from ..models import Role
from . import catalog
from .chain import AuditStream, Ref, changes_json
from .clock import Clock
from .contracts import Contracts
from .documents import (
    THOUSAND,
    Chunk,
    Line,
    Order,
    Quote,
    Receipt,
    Request,
    Step,
    line_total,
    quantity_text,
)
from .draw import Weighted, between, lognormal, pick
from .exchange import Exchange, from_base, rate_text, to_base
from .invoices import Invoicing
from .organisation import APPROVER, FINANCE, REQUESTER, Ids, Organisation, Person, money
from .sourcing import Sourcing

# What happens to a request, and how often (weights; "closed" takes the rest). The
# "recent" part fades with the request's age (e-folding time in days): recent
# requests are more often still open. Truncation at today adds to that.
OUTCOMES = [
    # outcome, old weight, recent weight
    ("draft", 0.010, 0.10),
    ("cancel_draft", 0.020, 0.0),
    ("returned", 0.006, 0.03),
    ("pending", 0.003, 0.06),
    ("rejected", 0.055, 0.0),
    ("cancel_pending", 0.012, 0.0),
    ("cancel_approved", 0.015, 0.0),
    ("approved", 0.010, 0.08),
    ("rfq_draft", 0.0005, 0.02),
    ("rfq_open", 0.0005, 0.06),
    ("rfq_cancelled", 0.006, 0.0),
    ("order_draft", 0.002, 0.03),
    ("ordered", 0.025, 0.10),
    ("reopened", 0.004, 0.0),
]
RECENT_DAYS = 40
# The first department's approvers have fallen behind: a backlog in their inbox.
BACKLOG_WEIGHT, BACKLOG_DAYS = 0.45, 75
# Outcomes forced on the first requests (old, settled) and on the last ones (recent,
# open), so that even a small history has requests, RFQs and orders in every status,
# an inbox for the bench approver and an open RFQ with quotes to compare.
FORCED_FIRST = ["rejected", "cancel_pending", "rfq_cancelled", "reopened", "closed"]
FORCED_LAST = [
    "draft", "backlog", "rfq_open", "rfq_draft", "order_draft", "ordered:issued",
    "ordered:partial", "ordered:received", "ordered:received:draft", "ordered:received:matched",
]  # fmt: skip


class History(Sourcing, Contracts, Invoicing):
    """Plans the requests one at a time, in the order they were filed, and what
    follows from them; ``settle`` closes each chunk."""

    def __init__(
        self,
        rng: random.Random,
        clock: Clock,
        ids: Ids,
        stream: AuditStream,
        organisation: Organisation,
        *,
        seed: int,
        currency: str,
        exchange: Exchange,
        rules: list[Any],
        quote_rule: tuple[Decimal, int],
        fiscal_year: Any,
        total_requests: int,
        sequences: dict[tuple[str, int], int],
        pdf_sha256: str,
    ) -> None:
        self.rng = rng
        self.clock = clock
        self.now = clock.now
        self.ids = ids
        self.stream = stream
        self.org = organisation
        self.seed = seed
        self.currency = currency
        self.exchange = exchange
        self.rules = rules
        self.quote_threshold = int(quote_rule[0] * 100)
        self.min_quotes = quote_rule[1]
        self.fiscal_year = fiscal_year
        self.total_requests = total_requests
        self.sequences = sequences
        self.pdf_sha256 = pdf_sha256
        self._changes: dict[tuple, str] = {}
        self._step_plans: dict[tuple, list[policy.PlannedStep]] = {}
        minimums = [int(rule.min_total * 100) for rule in rules if rule.min_total is not None]
        self._lowest_minimum = min(minimums, default=2**62)
        self._single_rankings: dict[tuple, Any] = {}
        self.budgets: dict[tuple, list[tuple[str | None, int]]] = {}
        self.used: dict[tuple, int] = {}
        self.squeeze = False
        self._tables: dict[tuple[int, bool], tuple[list[float], list[str]]] = {}
        self._tokens = 0
        self._recent_orders: deque[Order] = deque(maxlen=400)
        # Cheap things are bought more often than dear ones.
        self._items = {
            category: Weighted(items, [10000 / item[2] for item in items])
            for category, items in catalog.ITEMS.items()
        }
        self._category = Weighted(
            list(catalog.CATEGORY_WEIGHTS), list(catalog.CATEGORY_WEIGHTS.values())
        )
        self._line_count = Weighted(range(1, 11), [46, 20, 11, 7, 5, 3.5, 2.5, 2, 1.5, 1.5])
        self.status_counts: dict[str, int] = {}
        self.chunk = Chunk()
        self._init_invoicing(seed)

    # Numbers ------------------------------------------------------------------------

    def number(self, prefix: str, year: int) -> str:
        key = (prefix, year)
        last = self.sequences.get(key, 0) + 1
        self.sequences[key] = last
        return f"{prefix}-{year}-{last:05d}"

    # Time -----------------------------------------------------------------------------

    def later(self, moment: dt.datetime, median_hours: float, spread: float = 1.0) -> dt.datetime:
        result = self.clock.after(moment, median_hours, spread)
        if self.squeeze:
            result = min(result, moment + (self.now - moment) * 0.12)
        return result

    def soon(self, moment: dt.datetime, max_minutes: float = 30) -> dt.datetime:
        result = self.clock.soon(moment, max_minutes)
        if self.squeeze:
            result = min(result, moment + (self.now - moment) * 0.05)
        return result

    # Lines and money ----------------------------------------------------------------

    def sample_lines(self, rng: random.Random | None = None) -> list[Line]:
        rng = rng or self.rng
        lead = self._category.pick(rng)
        count = self._line_count.pick(rng)
        companions = catalog.COMPANIONS[lead]
        # Now and then a project: the same things, in quantity.
        project = rng.random() < 0.03
        lines = []
        used: set[str] = set()
        for position in range(1, count + 1):
            category = lead if position == 1 else pick(rng, companions)
            items = self._items[category]
            for _attempt in range(3):
                description, unit, price, (low, high) = items.pick(rng)
                if description not in used:
                    break
            used.add(description)
            line = Line()
            line.position = position
            line.description = description
            line.category = category
            line.unit = unit
            # Estimates scatter around the typical price, on whole dollars mostly.
            cents = int(price * lognormal(rng, 1.0, 0.18))
            line.price = max(100, cents - cents % 100 if rng.random() < 0.7 else cents)
            if unit == "hour" and rng.random() < 0.3:
                quantity = between(rng, low * 2, high * 2) * 500
            else:
                # Mostly a few units; now and then many.
                spread = 0 if rng.random() < 0.65 else int((high - low + 1) * rng.random() ** 4)
                quantity = (low + spread) * THOUSAND * (between(rng, 4, 20) if project else 1)
            line.quantity = max(THOUSAND, quantity)
            line.total = line_total(line.quantity, line.price)
            line.catalogue_item_id = None
            lines.append(line)
        return lines

    # Outcomes -------------------------------------------------------------------------

    def _outcome(self, age_days: int, first_department: bool) -> str:
        key = (min(age_days, 720), first_department)
        table = self._tables.get(key)
        if table is None:
            fade = math.exp(-key[0] / RECENT_DAYS)
            names, cumulative, total = [], [], 0.0
            for name, old, recent in OUTCOMES:
                weight = old + recent * fade
                if name == "pending" and first_department:
                    weight += BACKLOG_WEIGHT * math.exp(-key[0] / BACKLOG_DAYS)
                total += weight
                names.append(name)
                cumulative.append(total)
            names.append("closed")
            total += max(0.1, 1.0 - total)
            cumulative.append(total)
            table = ([c / total for c in cumulative], names)
            self._tables[key] = table
        cumulative, names = table
        return names[min(bisect.bisect_right(cumulative, self.rng.random()), len(names) - 1)]

    def forced(self, index: int) -> str | None:
        if index < len(FORCED_FIRST) and self.total_requests > len(FORCED_FIRST) + len(
            FORCED_LAST
        ):
            return FORCED_FIRST[index]
        from_end = self.total_requests - 1 - index
        if from_end < len(FORCED_LAST):
            return FORCED_LAST[from_end]
        return None

    # A request --------------------------------------------------------------------------

    def plan_request(self, index: int, created_at: dt.datetime) -> Request:
        rng, org = self.rng, self.org
        forced = self.forced(index)
        self.squeeze = forced in FORCED_LAST
        if forced == "backlog":
            department = org.departments[0]
            requester = org.by_email[REQUESTER]
        else:
            department = org.pick_department()
            requester = org.pick_requester(department)
        age_days = (self.now - created_at).days
        if forced == "backlog":
            outcome = "pending"
        else:
            outcome = forced or self._outcome(age_days, department is org.departments[0])

        pr = Request()
        pr.id = self.ids.next("purchase_requests")
        pr.number = self.number("PR", created_at.year)
        pr.lines = self.sample_lines()
        # Now and then filed from the catalogue instead (``calloffs.py``).
        catalogue = forced is None and self._from_catalogue(pr, created_at)
        if forced == "ordered:partial":
            # Something that can arrive in part.
            pr.lines[0].quantity = max(pr.lines[0].quantity, 2 * THOUSAND)
            pr.lines[0].total = line_total(pr.lines[0].quantity, pr.lines[0].price)
        for line in pr.lines:
            line.id = self.ids.next("request_lines")
        lead = pr.lines[0]
        pr.title = pick(rng, catalog.TITLES[lead.category]) + pick(rng, catalog.TITLE_QUALIFIERS)
        pr.justification = pick(rng, catalog.JUSTIFICATIONS)
        pr.requester = requester
        pr.department = department
        pr.needed_by = (
            (created_at + dt.timedelta(days=between(rng, 14, 75))).date()
            if rng.random() < 0.6
            else None
        )
        pr.status = "draft"
        if not catalogue:
            self._in_currency(pr, created_at)
        pr.total = sum(line.total for line in pr.lines)
        pr.over_budget = False
        pr.approval_round = 0
        pr.fiscal_year = None
        pr.submitted_at = pr.decided_at = None
        pr.created_at = pr.updated_at = created_at
        pr.version = 1
        pr.steps = []
        self.chunk.requests.append(pr)
        self.stream.add(
            created_at,
            "request",
            pr,
            "create",
            actor=requester,
            remote_addr=requester.ip,
            changes={
                "title": pr.title,
                "justification": pr.justification,
                "department": department.code,
                "needed_by": pr.needed_by.isoformat() if pr.needed_by else None,
                "currency": pr.currency,
                "total": money(pr.total),
                "lines": [
                    [
                        line.description,
                        line.category,
                        quantity_text(line.quantity),
                        line.unit,
                        money(line.price),
                    ]
                    + ([line.catalogue_item_id] if line.catalogue_item_id is not None else [])
                    for line in pr.lines
                ],
            },
        )
        self._live(pr, outcome, created_at)
        self.status_counts[pr.status] = self.status_counts.get(pr.status, 0) + 1
        return pr

    def _in_currency(self, pr: Request, created_at: dt.datetime) -> None:
        """The request's currency; a foreign one's estimate is the sampled prices at the
        day's rate (a person estimating in euros thinks in euros). Nothing is frozen
        until it is submitted."""
        pr.currency = self.exchange.pick()
        pr.rate = pr.rate_date = pr.total_base = None
        if pr.currency == self.currency:
            return
        rate, _day = self.exchange.on(pr.currency, created_at.date())
        for line in pr.lines:
            line.price = max(1, from_base(line.price, rate))
            line.total = line_total(line.quantity, line.price)

    def _freeze(self, pr: Request, moment: dt.datetime) -> None:
        """Submitting freezes the rate of the submit date and the base total, which the
        policy's thresholds and the budget check see (``purchasing.submit``)."""
        pr.rate, pr.rate_date = self.exchange.on(pr.currency, moment.date())
        pr.total_base = to_base(pr.total, pr.rate)

    def changes(self, old: str, new: str, extra: dict[str, Any] | None = None) -> dict | str:
        """``{"status": [old, new], **extra}``. Most transitions are alike (the same
        statuses, the same step or steps): those are encoded once."""
        if not extra:
            key: tuple = (old, new)
        elif len(extra) == 1 and "step" in extra:
            key = (old, new, extra["step"])
        elif len(extra) == 1 and "steps" in extra:
            key = (old, new, None, *extra["steps"])
        elif len(extra) == 1 and isinstance(extra.get("order"), Ref):
            order = extra["order"].obj
            return lambda: f'{{"order":"{order.number}","status":["{old}","{new}"]}}'
        else:
            return {"status": [old, new], **extra}
        encoded = self._changes.get(key)
        if encoded is None:
            encoded = changes_json({"status": [old, new], **(extra or {})})
            self._changes[key] = encoded
        return encoded

    def _move(
        self, pr: Request, moment: dt.datetime, action: str, new: str, actor: Person, **extra: Any
    ) -> None:
        changes = self.changes(pr.status, new, extra.pop("changes", None))
        self.stream.add(
            moment,
            "request",
            pr,
            action,
            actor=actor,
            changes=changes,
            remote_addr=actor.ip if actor is not None else None,
            **extra,
        )
        pr.status = new
        pr.updated_at = moment
        pr.version += 1

    def _live(self, pr: Request, outcome: str, created_at: dt.datetime) -> None:
        rng, now = self.rng, self.now
        if outcome == "draft":
            return
        moment = self.soon(created_at) if rng.random() < 0.6 else self.later(created_at, 20)
        if moment > now:
            return
        if outcome == "cancel_draft":
            self._cancel(pr, moment)
            return
        returning = outcome == "returned" or (outcome != "pending" and rng.random() < 0.04)
        while True:
            steps = self._submit(pr, moment)
            if not steps:
                return  # a policy without steps: nothing to decide
            stall = (
                self._pick_step(steps, outcome, pr)
                if outcome in ("pending", "rejected", "cancel_pending")
                else None
            )
            back = (
                self._pick_step(steps, "returned", pr)
                if returning and pr.approval_round == 1
                else None
            )
            decided: set[int] = set()
            resubmit = None
            for step in steps:
                median = {"department": 20.0, "finance": 30.0, "executive": 48.0}.get(
                    step.name, 30.0
                )
                when = self.later(moment, median)
                if step is stall and outcome == "pending":
                    return
                if when > now:
                    return
                if step is stall and outcome == "cancel_pending":
                    self._cancel(pr, when)
                    return
                decider = self._decider(pr, step, decided)
                if decider is None:
                    return  # nobody may decide it: it waits
                decided.add(decider.id)
                if step is back:
                    self._decide(
                        pr,
                        step,
                        steps,
                        when,
                        decider,
                        "return",
                        pick(rng, catalog.RETURN_COMMENTS),
                    )
                    if outcome == "returned":
                        return
                    resubmit = self.later(when, 30)
                    break
                if step is stall and outcome == "rejected":
                    self._decide(
                        pr,
                        step,
                        steps,
                        when,
                        decider,
                        "reject",
                        pick(rng, catalog.REJECT_COMMENTS),
                    )
                    return
                comments = (
                    catalog.FINANCE_COMMENTS
                    if step.role == Role.FINANCE
                    else catalog.APPROVE_COMMENTS
                )
                self._decide(pr, step, steps, when, decider, "approve", pick(rng, comments))
                moment = when
            if resubmit is None:
                break
            if resubmit > now:
                return
            moment = resubmit
        self._consume(pr)
        if outcome == "cancel_approved":
            moment = self.later(moment, 24 * 6)
            if moment <= now:
                self._cancel(pr, moment)
            return
        if outcome == "approved":
            return
        self._source(pr, moment, outcome)

    def _pick_step(self, steps: list[Step], outcome: str, pr: Request) -> Step | None:
        if not steps:
            return None
        if outcome == "pending" and pr.department is self.org.departments[0]:
            return steps[0]
        weights = [
            {"department": 6, "finance": 3, "executive": 1}.get(step.name, 2) for step in steps
        ]
        return self.rng.choices(steps, weights)[0]

    def _budget_message(self, pr: Request, year: int) -> str | None:
        budgets = self.budgets.get((pr.department.id, year))
        if not budgets:
            return None
        format_money = policy.format_money
        per_category: dict[str, int] = {}
        for line in pr.lines:
            per_category[line.category] = per_category.get(line.category, 0) + line.total
        messages = []
        for category, amount in budgets:
            need = pr.total_base if category is None else per_category.get(category)
            if need is not None and category is not None:
                need = to_base(need, pr.rate)
            available = amount - self.used.get((pr.department.id, year, category), 0)
            if need is None or need <= available:
                continue
            scope = (
                f"{pr.department.code}'s {year} budget"
                if category is None
                else f"{pr.department.code}'s {year} {category} budget"
            )
            left = format_money(Decimal(available).scaleb(-2), self.currency)
            wanted = format_money(Decimal(need).scaleb(-2), self.currency)
            messages.append(f"it exceeds {scope}: {left} available, {wanted} requested")
        return "; ".join(messages) or None

    def _consume(self, pr: Request) -> None:
        """An approved request counts against its department's budgets."""
        year = pr.fiscal_year
        used = self.used
        key = (pr.department.id, year, None)
        used[key] = used.get(key, 0) + pr.total_base
        for line in pr.lines:
            key = (pr.department.id, year, line.category)
            used[key] = used.get(key, 0) + to_base(line.total, pr.rate)

    def _submit(self, pr: Request, moment: dt.datetime) -> list[Step]:
        year = self.fiscal_year(moment.date())
        self._freeze(pr, moment)
        message = self._budget_message(pr, year)
        planned = self._plan_steps(pr, message)
        pr.fiscal_year = year
        pr.over_budget = message is not None
        pr.approval_round += 1
        pr.submitted_at = moment
        pr.decided_at = None
        steps = []
        for position, planned_step in enumerate(planned, start=1):
            step = Step()
            step.id = self.ids.next("approval_steps")
            step.round = pr.approval_round
            step.position = position
            step.name = planned_step.name
            step.role = planned_step.role
            step.reason = planned_step.reason
            step.status = "pending" if position == 1 else "waiting"
            step.pending_since = moment if position == 1 else None
            step.decided_by = step.on_behalf_of = step.decided_at = None
            step.comment = ""
            steps.append(step)
        pr.steps.extend(steps)
        self._move(
            pr,
            moment,
            "submit",
            "pending_approval",
            pr.requester,
            changes={
                "steps": [s.name for s in steps],
                "currency": pr.currency,
                "rate": rate_text(pr.rate),
                "rate_date": pr.rate_date.isoformat(),
                "total_base": money(pr.total_base),
            },
        )
        return steps

    def _plan_steps(self, pr: Request, over_budget: str | None) -> list[policy.PlannedStep]:
        """``policy.steps_for`` the request. Below every rule's minimum total and within
        budget, the steps depend only on the department and the categories: those are
        asked once."""
        key = None
        if over_budget is None and pr.total_base < self._lowest_minimum:
            # A catalogue request may skip a rule (``skip_for_catalogue``).
            catalogue = pr.lines[0].catalogue_item_id is not None
            key = (pr.department.id, catalogue, *sorted({line.category for line in pr.lines}))
            planned = self._step_plans.get(key)
            if planned is not None:
                return planned
        view = types.SimpleNamespace(
            total=Decimal(pr.total).scaleb(-2),
            currency=pr.currency,
            lines=pr.lines,
            department_id=pr.department.id,
            department=pr.department,
        )
        planned = policy.steps_for(
            view,  # type: ignore[arg-type]
            self.rules,
            over_budget=over_budget,
            total_base=Decimal(pr.total_base).scaleb(-2),
        )
        if key is not None:
            self._step_plans[key] = planned
        return planned

    def _decider(self, pr: Request, step: Step, decided: set[int]) -> Person | None:
        """Who decides the step: someone holding its role (an approver of the request's
        department for the department step), who neither filed the request nor decided
        another of its steps. The bench logins take their share."""
        people = self.org.deciders(step.role, pr.department)
        eligible = [p for p in people if p is not pr.requester and p.id not in decided]
        if not eligible:
            return None
        if step.role == Role.APPROVER and pr.department is self.org.departments[0]:
            bench = self.org.by_email[APPROVER]
            if bench in eligible and self.rng.random() < 0.5:
                return bench
        if step.role == Role.FINANCE:
            bench = self.org.by_email[FINANCE]
            if bench in eligible and self.rng.random() < 0.3:
                return bench
        return pick(self.rng, eligible)

    def _decide(
        self,
        pr: Request,
        step: Step,
        steps: list[Step],
        moment: dt.datetime,
        decider: Person,
        action: str,
        comment: str,
    ) -> None:
        # History is written in bulk on purpose, bypassing workflow.apply: the statuses of
        # the request and its steps below follow workflow.REQUEST and STEP by hand.
        open_steps = [s for s in steps if s.status in ("pending", "waiting")]
        if action == "approve":
            new = "approved" if len(open_steps) <= 1 else "pending_approval"
        else:
            new = {"reject": "rejected", "return": "draft"}[action]
        self._move(pr, moment, action, new, decider, changes={"step": step.name}, comment=comment)
        step.status = {"approve": "approved", "reject": "rejected", "return": "returned"}[action]
        step.decided_by = decider
        step.decided_at = moment
        step.comment = comment
        step.pending_since = None
        later = [s for s in steps if s.status == "waiting"]
        if action == "approve" and later:
            later[0].status = "pending"
            later[0].pending_since = moment
        elif action != "approve":
            for waiting in later:
                waiting.status = "cancelled"
        if pr.status in ("approved", "rejected"):
            pr.decided_at = moment

    def _cancel(self, pr: Request, moment: dt.datetime) -> None:
        self._move(
            pr,
            moment,
            "cancel",
            "cancelled",
            pr.requester,
            comment=pick(self.rng, catalog.CANCEL_COMMENTS),
        )
        for step in pr.steps:
            if step.round == pr.approval_round and step.status in ("pending", "waiting"):
                step.status = "cancelled"
                step.pending_since = None

    # Closing a chunk ------------------------------------------------------------------

    def settle(self, batch: int) -> Chunk:
        """Give the chunk's RFQs, quotes, orders, receipts and contracts their ids and
        numbers in the order they were made, and queue its events (``batch`` will write
        its rows)."""
        chunk = self.chunk
        ids = self.ids
        chunk.rfqs.sort(key=lambda r: r.created_at)
        quotes: list[Quote] = []
        for rfq in chunk.rfqs:
            rfq.id = ids.next("rfqs")
            rfq.number = self.number("RFQ", rfq.created_at.year)
            for invitation in rfq.invitations:
                invitation.id = ids.next("rfq_invitations")
            quotes.extend(rfq.quotes)
        quotes.sort(key=lambda q: q.created_at)
        for quote in quotes:
            quote.id = ids.next("quotes")
            for line in quote.lines:
                line.id = ids.next("quote_lines")
        chunk.orders.sort(key=lambda o: o.created_at)
        receipts: list[Receipt] = []
        for order in chunk.orders:
            order.id = ids.next("purchase_orders")
            for line in order.lines:
                line.id = ids.next("order_lines")
            receipts.extend(order.receipts)
        for order in sorted(
            (o for o in chunk.orders if o.issued_at is not None), key=lambda o: o.issued_at
        ):
            order.number = self.number("PO", order.issued_at.year)
            order.attachment_id = ids.next("attachments")
            # Revision 0, as first issued: what verify-audit finds each issued PDF through.
            order.revision_id = ids.next("order_revisions")
            order.link_nonce, order.link_hash = self.invoice_link(order)
            if order.status != "cancelled":
                self._recent_orders.append(order)
        receipts.sort(key=lambda r: r.created_at)
        for receipt in receipts:
            receipt.id = ids.next("receipts")
            for entry in receipt.lines:
                entry[0] = ids.next("receipt_lines")
        chunk.invoices.sort(key=lambda i: i.created_at)
        counts = self.invoice_counts
        for invoice in chunk.invoices:
            counts[invoice.status] = counts.get(invoice.status, 0) + 1
            invoice.id = ids.next("invoices")
            invoice.number = self.number("INV", invoice.created_at.year)
            if invoice.record is not None:
                invoice.record.number = invoice.number
            for line in invoice.lines:
                line.id = ids.next("invoice_lines")
            for exception in invoice.exceptions:
                exception.id = ids.next("invoice_exceptions")
        if chunk.requests:
            self.forget_twins(chunk.requests[-1].created_at.date())
        for contract in chunk.contracts:
            contract.id = ids.next("contracts")
            contract.number = self.number("CT", contract.created_at.year)
            contract.term_history = [
                (ids.next("contract_terms"), *term) for term in contract.term_history
            ]
        self.stream.settle(batch)
        self.chunk = Chunk()
        return chunk
