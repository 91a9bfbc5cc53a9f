"""The contract as a document: the fees schedule, the renewal clause in words and
the PDF (rendered through ``procure.pdf`` and its static-only fetcher), which reads as
an agreement to sign: the parties as admin set the organisation, the contract's own
facts, and the standard clauses admin keeps (``organisation.agreement_clauses``)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_DOWN, Decimal

from .. import organisation, pdf
from ..models import BillingPeriod, Contract, ContractStatus, utcnow
from ..money import base_currency, minor_units
from ..templating import date_filter
from . import dates

PERIOD_MONTHS = {
    BillingPeriod.MONTHLY: 1,
    BillingPeriod.QUARTERLY: 3,
    BillingPeriod.YEARLY: 12,
}


@dataclasses.dataclass(frozen=True)
class Instalment:
    number: int
    due: dt.date
    amount: Decimal


def _minor_unit(currency: str | None) -> Decimal:
    """The smallest amount of ``currency``: 0.01 USD, 1 JPY, 0.001 BHD."""
    return Decimal(1).scaleb(-minor_units(currency or base_currency()))


def fees_schedule(
    value: Decimal,
    billing_period: BillingPeriod | str,
    start: dt.date,
    end: dt.date,
    currency: str | None = None,
) -> list[Instalment]:
    """The instalments of one term: one per billing period that begins within the
    term (from ``start``), the value split evenly to the currency's minor unit (the
    cent, the yen, the fils), any remainder on the last instalment. One-time billing
    is one instalment on the start date."""
    unit = _minor_unit(currency)
    period = BillingPeriod(billing_period)
    if period == BillingPeriod.ONE_TIME or end < start:
        return [Instalment(1, start, Decimal(value).quantize(unit))]
    months = PERIOD_MONTHS[period]
    due_dates = []
    step = 0
    while True:
        due = dates.add_months(start, months * step)
        if due > end:
            break
        due_dates.append(due)
        step += 1
    count = len(due_dates)
    share = (Decimal(value) / count).quantize(unit, rounding=ROUND_DOWN)
    last = Decimal(value).quantize(unit) - share * (count - 1)
    return [
        Instalment(i + 1, due, last if i == count - 1 else share)
        for i, due in enumerate(due_dates)
    ]


def schedule(contract: Contract) -> list[Instalment]:
    """The current term's instalments, in the contract's currency."""
    return fees_schedule(
        contract.value,
        contract.billing_period,
        contract.start_date,
        contract.end_date,
        contract.currency,
    )


def _months(count: int) -> str:
    return "1 month" if count == 1 else f"{count} months"


def renewal_clause(contract: Contract) -> str:
    """The renewal clause in words."""
    end = date_filter(contract.end_date, "long")
    if contract.status == ContractStatus.TERMINATED and contract.terminated_on:
        return f"This contract was terminated on {date_filter(contract.terminated_on, 'long')}."
    if not contract.auto_renew:
        return f"This contract ends on {end} and does not renew automatically."
    deadline = dates.notice_deadline(contract.end_date, contract.notice_days)
    if contract.notice_days:
        notice = (
            f"unless notice is given {contract.notice_days} "
            f"day{'s' if contract.notice_days != 1 else ''} before the end date, "
            f"i.e. by {date_filter(deadline, 'long')}"
        )
    else:
        notice = f"unless notice is given by the end date, {end}"
    return (
        f"This contract renews automatically on {end} for "
        f"{_months(contract.renewal_term_months)} {notice}."
    )


def context(contract: Contract) -> dict:
    buyer = organisation.current()
    kind = f"{contract.kind.value.capitalize()} agreement"
    return {
        "document": pdf.DocumentInfo(
            title=f"{kind} {contract.number}",
            author=buyer.name,
            subject=f"{kind} between {buyer.name} and {contract.vendor.name}: {contract.title}",
            created=utcnow(),
        ),
        "contract": contract,
        "kind": kind,
        "buyer": buyer,
        "clauses": {clause.key: clause for clause in organisation.agreement_clauses()},
        "draft": contract.status == ContractStatus.DRAFT,
        "clause": renewal_clause(contract),
        "deadline": dates.notice_deadline(contract.end_date, contract.notice_days),
        "schedule": schedule(contract),
    }


def render(contract: Contract) -> tuple[bytes, str]:
    """The PDF and its file name."""
    data = pdf.render_pdf("contract.html", **context(contract))
    return data, f"{contract.number}.pdf"
