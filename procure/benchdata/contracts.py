"""Contracts in the generated history: filed, activated, renewed by hand or rolled
forward by the daily job, terminated or expired, with their term history; some made
from a purchase order of their vendor."""

from __future__ import annotations

import datetime as dt
import math

from ..contracts.dates import add_months, next_term
from . import catalog
from .chain import Ref
from .documents import Contract
from .draw import between, pick, uniform
from .exchange import from_base
from .organisation import Person, money


class Contracts:
    """The contracts part of :class:`~procure.benchdata.history.History`, which it is
    mixed into."""

    KINDS = {
        "maintenance": ["maintenance", "hardware"],
        "support": ["maintenance", "services"],
        "licence": ["licence", "software"],
        "subscription": ["cloud", "software"],
        "service": ["services"],
    }

    def plan_contract(self, index: int, count: int, created_at: dt.datetime) -> Contract | None:
        rng, clock, now = self.rng, self.clock, self.now
        forced = {0: "expired", 1: "terminated", 2: "active"}.get(index) if count > 4 else None
        if count - 1 - index == 0:
            forced = "draft"
        kind = pick(rng, list(self.KINDS))
        order = None
        if kind in ("maintenance", "support", "licence") and rng.random() < 0.35:
            candidates = [
                o
                for o in self._recent_orders
                if o.issued_at < created_at and o.vendor.approved_at(created_at)
            ]
            if candidates:
                order = pick(rng, candidates[-50:])
        vendor = order.vendor if order is not None else None
        if vendor is None:
            found = self.org.invitable(
                self.KINDS[kind], created_at, 1, still_approved=forced in ("draft", "active")
            )
            if not found:
                return None
            vendor = found[0]
        buyer = self.org.buyer()
        contract = Contract()
        contract.id = contract.number = None
        contract.vendor = vendor
        contract.owner = pick(rng, self.org.owners)
        contract.kind = kind
        contract.title = f"{pick(rng, catalog.CONTRACT_TITLES[kind])} - {vendor.name}"[:200]
        contract.status = "draft"
        start = created_at.date() + dt.timedelta(days=between(rng, 0, 20))
        months = pick(rng, [12, 12, 12, 24, 36])
        contract.start_date = start
        contract.end_date = add_months(start, months) - dt.timedelta(days=1)
        contract.value = max(50000, int(rng.lognormvariate(math.log(1200000), 1.0)) // 100 * 100)
        # In the vendor's currency now and then: the value in whole units of it.
        contract.currency = self.exchange.pick_for_contract()
        if contract.currency != self.currency:
            rate, _day = self.exchange.on(contract.currency, start)
            contract.value = max(100, from_base(contract.value, rate) // 100 * 100)
        contract.billing_period = (
            "monthly"
            if kind == "subscription"
            else pick(
                rng,
                ["yearly", "yearly", "quarterly", "one_time" if kind == "licence" else "yearly"],
            )
        )
        contract.auto_renew = rng.random() < 0.45 if forced is None else forced == "active"
        contract.notice_days = pick(rng, [30, 30, 60, 90])
        contract.renewal_term_months = 12
        support = kind in ("support", "maintenance")
        contract.sla_response_hours = pick(rng, [4, 8, 24]) if support else None
        contract.sla_resolution_hours = pick(rng, [24, 48, 72]) if support else None
        if order is not None:
            contract.covered_items = [line.description for line in order.lines]
        else:
            contract.covered_items = [f"{contract.title}: all covered equipment"]
        contract.terms = pick(rng, catalog.CONTRACT_TERMS_TEXT)
        contract.order = order
        contract.terminated_on = None
        contract.termination_reason = ""
        contract.created_at = contract.updated_at = created_at
        contract.version = 1
        contract.term_history = []
        self.chunk.contracts.append(contract)
        self._contract_event(
            contract,
            created_at,
            "create",
            buyer,
            {
                "vendor": vendor.name,
                "title": contract.title,
                "kind": kind,
                "start_date": contract.start_date.isoformat(),
                "end_date": contract.end_date.isoformat(),
                "value": money(contract.value),
                "currency": contract.currency,
                "billing_period": contract.billing_period,
                "auto_renew": contract.auto_renew,
                "notice_days": contract.notice_days,
                "renewal_term_months": contract.renewal_term_months,
                "sla_response_hours": contract.sla_response_hours,
                "sla_resolution_hours": contract.sla_resolution_hours,
                "covered_items": list(contract.covered_items),
                "terms": contract.terms,
                "order": Ref(order, "id") if order is not None else None,
                "owner": contract.owner.email,
            },
        )
        age = (now - created_at).days
        if forced == "draft" or (
            forced is None and rng.random() < 0.03 + 0.5 * math.exp(-age / 20)
        ):
            return contract
        activated = self.later(created_at, 48)
        if activated > now or contract.end_date < activated.date():
            return contract
        self._add_term(contract, "initial", activated)
        self._contract_move(
            contract,
            activated,
            "activate",
            "active",
            self.org.buyer(),
            {
                "term": [contract.start_date.isoformat(), contract.end_date.isoformat()],
            },
        )
        renew_manually = rng.random() < 0.6
        while True:
            # Terminated during this term?
            if forced == "terminated" or (forced is None and rng.random() < 0.07):
                term_days = (contract.end_date - contract.start_date).days
                moment = clock.on_day(
                    contract.start_date
                    + dt.timedelta(days=int(term_days * uniform(rng, 0.2, 0.9)))
                )
                moment = max(moment, activated + dt.timedelta(hours=1))
                if moment <= now:
                    reason = pick(rng, catalog.TERMINATION_REASONS)
                    contract.terminated_on = moment.date()
                    contract.termination_reason = reason
                    self._contract_move(
                        contract,
                        moment,
                        "terminate",
                        "terminated",
                        self.org.buyer(),
                        comment=reason,
                    )
                return contract
            if contract.end_date >= clock.today:
                return contract
            if contract.auto_renew:
                # The daily job, the night after the end date.
                moment = dt.datetime.combine(
                    contract.end_date + dt.timedelta(days=1), dt.time(2)
                ) + dt.timedelta(seconds=rng.random() * 3600)
                if moment > now:
                    return contract
                before = [contract.start_date.isoformat(), contract.end_date.isoformat()]
                contract.start_date, contract.end_date = next_term(
                    contract.start_date, contract.end_date, contract.renewal_term_months
                )
                self._add_term(contract, "auto_renewed", moment)
                self._contract_move(
                    contract,
                    moment,
                    "auto_renew",
                    "active",
                    None,
                    {
                        "term": [
                            before,
                            [contract.start_date.isoformat(), contract.end_date.isoformat()],
                        ],
                        "terms_added": 1,
                    },
                )
                continue
            if renew_manually and forced != "expired":
                deadline = contract.end_date - dt.timedelta(days=contract.notice_days)
                moment = clock.on_day(deadline - dt.timedelta(days=between(rng, 0, 20)))
                moment = max(moment, activated + dt.timedelta(hours=1))
                if moment > now:
                    return contract
                before = [contract.start_date.isoformat(), contract.end_date.isoformat()]
                contract.start_date, contract.end_date = next_term(
                    contract.start_date, contract.end_date, contract.renewal_term_months
                )
                self._add_term(contract, "renewed", moment)
                self._contract_move(
                    contract,
                    moment,
                    "renew",
                    "active",
                    self.org.buyer(),
                    {
                        "term": [
                            before,
                            [contract.start_date.isoformat(), contract.end_date.isoformat()],
                        ],
                    },
                )
                renew_manually = rng.random() < 0.7
                continue
            moment = dt.datetime.combine(
                contract.end_date + dt.timedelta(days=1), dt.time(2)
            ) + dt.timedelta(seconds=rng.random() * 3600)
            if moment > now:
                return contract
            self._contract_move(
                contract,
                moment,
                "expire",
                "expired",
                None,
                {"ended": contract.end_date.isoformat()},
            )
            return contract

    def _add_term(self, contract: Contract, how: str, moment: dt.datetime) -> None:
        contract.term_history.append(
            (
                len(contract.term_history) + 1,
                contract.start_date,
                contract.end_date,
                contract.value,
                how,
                moment,
            )
        )

    def _contract_event(
        self,
        contract: Contract,
        moment: dt.datetime,
        action: str,
        actor: Person | None,
        changes: dict,
        comment: str = "",
    ) -> None:
        self.stream.add(
            moment,
            "contract",
            contract,
            action,
            actor=actor,
            changes=changes,
            comment=comment,
            remote_addr=actor.ip if actor is not None else None,
        )

    def _contract_move(
        self,
        contract: Contract,
        moment: dt.datetime,
        action: str,
        new: str,
        actor: Person | None,
        extra: dict | None = None,
        comment: str = "",
    ) -> None:
        changes = self.changes(contract.status, new, extra)
        self._contract_event(contract, moment, action, actor, changes, comment)
        contract.status = new
        contract.updated_at = moment
        contract.version += 1
