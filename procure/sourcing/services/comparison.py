"""The explained comparison: the current quotes side by side, line by line, the best
value of each row marked, and the weighted ranking (``scoring``) with its reasons.

Quotes may be in different currencies: the ranking, the lowest total and the best
total compare base amounts at one rate date (``conversion``); a quote without a rate
then is shown, not ranked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from ...models import Quote, Rfq, utcnow
from ...money import format_date
from .. import scoring
from .conversion import Converted, both_amounts, convert, no_rate_note, rate_date
from .eligibility import vendor_problems
from .quotes import current_quotes
from .rfqs import weights_of
from .sealing import require_unsealed


@dataclasses.dataclass
class Comparison:
    rfq: Rfq
    quotes: list[Quote]
    ranking: list[scoring.Ranked]
    lowest_total_quote_id: int | None
    # Side by side: for each request line, the quote line of every quote (or None).
    rows: list[dict[str, Any]]
    best: dict[str, set[int]]
    # Every quote converted at the one rate date; those without a rate are not ranked.
    rate_date: dt.date
    converted: dict[int, Converted]

    def quote(self, quote_id: int | None) -> Quote:
        return next(q for q in self.quotes if q.id == quote_id)

    @property
    def unranked(self) -> list[Quote]:
        """The quotes in a currency with no rate on or before the rate date."""
        return [q for q in self.quotes if not self.converted[q.id].rated]

    def amounts(self, quote_id: int) -> str:
        """The quote's total in its currency and, if another, in the base currency."""
        return both_amounts(self.converted[quote_id])

    def no_rate(self, quote_id: int) -> str:
        return no_rate_note(self.converted[quote_id].currency, self.rate_date)


def _candidate(quote: Quote, converted: Converted, today: dt.date) -> scoring.Candidate:
    """The quote as the ranking sees it: its total in the base currency."""
    reasons = []
    if quote.valid_until < today:
        reasons.append(f"expired on {format_date(quote.valid_until)}")
    reasons.extend(vendor_problems(quote.vendor))
    return scoring.Candidate(
        quote_id=quote.id,
        vendor_id=quote.vendor_id,
        total=converted.total_base if converted.total_base is not None else quote.total,
        lead_time_days=quote.lead_time_days,
        warranty_months=quote.warranty_months,
        rating=quote.vendor.rating,
        eligible=not reasons,
        why_not="; ".join(reasons),
    )


def compare(rfq: Rfq) -> Comparison:
    """The comparison; ``Sealed`` while a sealed RFQ's bids are not opened."""
    require_unsealed(rfq)
    quotes = current_quotes(rfq)
    today = utcnow().date()
    day = rate_date(rfq, today)
    converted = {q.id: convert(q, day) for q in quotes}
    candidates = [_candidate(q, converted[q.id], today) for q in quotes if converted[q.id].rated]
    ranking = scoring.rank(candidates, weights_of(rfq))
    rows = []
    for line in rfq.request.lines:
        cells = {
            q.id: next((ql for ql in q.lines if ql.request_line_id == line.id), None)
            for q in quotes
        }
        rows.append({"line": line, "cells": cells})
    # Lines a vendor added that match no request line, listed after the others.
    extra = [(q, ql) for q in quotes for ql in q.lines if ql.request_line_id is None]
    for quote, quote_line in extra:
        rows.append(
            {
                "line": None,
                "description": quote_line.description,
                "cells": {q.id: (quote_line if q.id == quote.id else None) for q in quotes},
            }
        )

    def best_of(values: dict[int, Any], lowest: bool = True) -> set[int]:
        present = {k: v for k, v in values.items() if v is not None}
        if not present:
            return set()
        target = min(present.values()) if lowest else max(present.values())
        best = {k for k, v in present.items() if v == target}
        # Where every quote is the same (the same shipping, say), none stands out.
        return best if len(best) < len(quotes) else set()

    def in_base(quote_id: int, value: Any) -> Any:
        """An amount comparable across currencies (unrounded); None without a rate."""
        rate = converted[quote_id].rate
        return None if rate is None or value is None else value * rate.rate

    best = {
        "total": best_of({q.id: converted[q.id].total_base for q in quotes}),
        "shipping": best_of({q.id: in_base(q.id, q.shipping) for q in quotes}),
        "tax": best_of({q.id: in_base(q.id, q.tax) for q in quotes}),
        "lead_time": best_of({q.id: q.lead_time_days for q in quotes}),
        "warranty": best_of({q.id: q.warranty_months for q in quotes}, lowest=False),
        "rating": best_of({q.id: q.vendor.rating for q in quotes}, lowest=False),
        "valid_until": best_of({q.id: q.valid_until for q in quotes}, lowest=False),
    }
    for index, row in enumerate(rows):
        best[f"line{index}"] = best_of(
            {k: (in_base(k, v.unit_price) if v else None) for k, v in row["cells"].items()}
        )
    return Comparison(
        rfq,
        quotes,
        ranking,
        scoring.lowest_total_quote_id(candidates),
        rows,
        best,
        rate_date=day,
        converted=converted,
    )


def comparison_snapshot(comparison: Comparison) -> list[dict[str, Any]]:
    """The ranking as it stood, with the rates it compared at, for the award's audit
    event."""
    entries = []
    for r in comparison.ranking:
        converted = comparison.converted[r.candidate.quote_id]
        entries.append(
            {
                "quote": r.candidate.quote_id,
                "vendor": r.candidate.vendor_id,
                "currency": converted.currency,
                "total": str(converted.total),
                "total_base": str(r.candidate.total),
                "rate": str(converted.rate.rate) if converted.rate else None,
                "rate_date": converted.rate.date.isoformat() if converted.rate else None,
                "score": str(r.score),
                "criteria": {k: str(v) for k, v in r.criteria.items()},
                "eligible": r.candidate.eligible,
            }
        )
    return entries
