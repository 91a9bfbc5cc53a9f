"""The quote comparison's score, explained.

Each criterion is normalised to 0..1 — price: lowest total / this total; lead time:
shortest / this; rating: rating / 5; warranty: this / longest — and weighted. The
ranking keeps each criterion's contribution, so the choice explains itself. A vendor
without a rating counts as 3 of 5 (neither rewarded nor punished for being new).

Pure functions on plain data: no database, no Flask.
"""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal

CRITERIA = ("price", "lead_time", "rating", "warranty")
DEFAULT_WEIGHTS = {
    "price": Decimal("0.6"),
    "lead_time": Decimal("0.2"),
    "rating": Decimal("0.2"),
    "warranty": Decimal("0"),
}
NEUTRAL_RATING = 3
PLACES = Decimal("0.0001")
ONE = Decimal(1)
ZERO = Decimal(0)


@dataclasses.dataclass(frozen=True)
class Candidate:
    quote_id: int
    vendor_id: int
    total: Decimal
    lead_time_days: int
    warranty_months: int
    rating: int | None
    # Expired, or its vendor is no longer approved or is flagged: shown, cannot win.
    eligible: bool = True
    why_not: str = ""


@dataclasses.dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: Decimal
    # The weighted contribution of each criterion; they add up to the score.
    criteria: dict[str, Decimal]
    # The normalised value (0..1) of each criterion before weighting.
    normalised: dict[str, Decimal]
    rank: int


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    """numerator / denominator for "best / this" ratios, where 0 / 0 is a perfect 1."""
    if denominator == 0:
        return ONE if numerator == 0 else ZERO
    return min(ONE, numerator / denominator)


def normalise(candidate: Candidate, pool: list[Candidate]) -> dict[str, Decimal]:
    lowest = min(c.total for c in pool)
    shortest = min(c.lead_time_days for c in pool)
    longest = max(c.warranty_months for c in pool)
    rating = candidate.rating if candidate.rating is not None else NEUTRAL_RATING
    return {
        "price": _ratio(lowest, candidate.total),
        "lead_time": _ratio(Decimal(shortest), Decimal(candidate.lead_time_days)),
        "rating": Decimal(rating) / Decimal(5),
        "warranty": Decimal(candidate.warranty_months) / Decimal(longest) if longest else ZERO,
    }


def rank(candidates: list[Candidate], weights: dict[str, Decimal] | None = None) -> list[Ranked]:
    """Score every candidate; eligible ones first, best score first.

    Ties go to the lower total, then to the earlier quote. Weights need not add up
    to 1: each is divided by their sum."""
    if not candidates:
        return []
    weights = {
        name: Decimal(weights.get(name, 0)) if weights else DEFAULT_WEIGHTS[name]
        for name in CRITERIA
    }
    if any(value < 0 for value in weights.values()):
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        raise ValueError("at least one weight must be above zero")
    # The references (lowest total, shortest lead time, longest warranty) come from the
    # quotes that can win; when none can, from all of them.
    pool = [c for c in candidates if c.eligible] or candidates
    scored = []
    for candidate in candidates:
        values = normalise(candidate, pool)
        contributions = {
            name: (weights[name] * values[name] / weight_sum).quantize(PLACES, ROUND_HALF_UP)
            for name in CRITERIA
        }
        score = sum(contributions.values(), ZERO)
        scored.append(
            (
                candidate,
                score,
                contributions,
                {k: v.quantize(PLACES, ROUND_HALF_UP) for k, v in values.items()},
            )
        )
    scored.sort(key=lambda item: (not item[0].eligible, -item[1], item[0].total, item[0].quote_id))
    return [
        Ranked(candidate, score, contributions, values, position)
        for position, (candidate, score, contributions, values) in enumerate(scored, 1)
    ]


def lowest_total_quote_id(candidates: list[Candidate]) -> int | None:
    """The cheapest quote that can be awarded (the earliest among equals)."""
    eligible = [c for c in candidates if c.eligible]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (c.total, c.quote_id)).quote_id


def is_cheapest(candidate: Candidate, candidates: list[Candidate]) -> bool:
    """Whether nothing that can be awarded is cheaper (ties count as cheapest)."""
    eligible = [c for c in candidates if c.eligible]
    return bool(eligible) and candidate.total <= min(c.total for c in eligible)
