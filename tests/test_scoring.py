"""The comparison's score, against hand-computed examples."""

from decimal import Decimal

import pytest

from procure.sourcing.scoring import Candidate, is_cheapest, lowest_total_quote_id, rank

D = Decimal


def candidate(quote_id, total, lead, rating=None, warranty=0, eligible=True):
    return Candidate(
        quote_id=quote_id,
        vendor_id=quote_id * 10,
        total=D(total),
        lead_time_days=lead,
        warranty_months=warranty,
        rating=rating,
        eligible=eligible,
    )


def test_hand_computed_three_quotes():
    quotes = [candidate(1, "1000", 10, 4), candidate(2, "800", 20, 3), candidate(3, "1250", 5, 5)]
    ranking = {r.candidate.quote_id: r for r in rank(quotes)}
    # Quote 1: price 800/1000 = 0.8 x 0.6 = 0.48; lead 5/10 = 0.5 x 0.2 = 0.1;
    # rating 4/5 = 0.8 x 0.2 = 0.16; total 0.74.
    assert ranking[1].criteria == {
        "price": D("0.4800"),
        "lead_time": D("0.1000"),
        "rating": D("0.1600"),
        "warranty": D("0.0000"),
    }
    assert ranking[1].score == D("0.7400")
    # Quote 2: 1 x 0.6 + 0.25 x 0.2 + 0.6 x 0.2 = 0.6 + 0.05 + 0.12 = 0.77
    assert ranking[2].score == D("0.7700")
    # Quote 3: 0.64 x 0.6 + 1 x 0.2 + 1 x 0.2 = 0.384 + 0.4 = 0.784
    assert ranking[3].score == D("0.7840")
    assert [r.candidate.quote_id for r in rank(quotes)] == [3, 2, 1]
    assert lowest_total_quote_id(quotes) == 2


def test_contributions_add_up_to_the_score():
    quotes = [candidate(1, "999.99", 7, 2, 12), candidate(2, "1000.01", 3, None, 36)]
    weights = {"price": D("0.5"), "lead_time": D("0.2"), "rating": D("0.1"), "warranty": D("0.2")}
    for ranked in rank(quotes, weights):
        assert sum(ranked.criteria.values()) == ranked.score
        assert D(0) <= ranked.score <= D(1)


def test_ties_go_to_the_lower_total_then_the_earlier_quote():
    same = [candidate(2, "500", 10, 4), candidate(1, "500", 10, 4)]
    assert [r.candidate.quote_id for r in rank(same)] == [1, 2]
    # equal scores with different totals: the cheaper first
    a = candidate(1, "100", 10, 5)  # price 1 x .5 + rating 1 x .5 = 1.0
    b = candidate(2, "200", 10, 5)  # price .5 x .5 + 1 x .5 = .75
    assert [
        r.candidate.quote_id for r in rank([b, a], {"price": D("0.5"), "rating": D("0.5")})
    ] == [1, 2]


def test_a_single_quote_scores_on_its_own():
    only = rank([candidate(7, "1234.56", 14, 5)])
    assert len(only) == 1
    # price and lead time are the best there is: 0.6 + 0.2 + 0.2
    assert only[0].score == D("1.0000")


def test_a_missing_rating_counts_as_three_of_five():
    ranked = rank([candidate(1, "100", 1, None)])[0]
    assert ranked.normalised["rating"] == D("0.6000")
    assert ranked.criteria["rating"] == D("0.1200")


def test_zero_lead_time_and_zero_total_are_best():
    quotes = [candidate(1, "0", 0, 3), candidate(2, "10", 2, 3)]
    ranking = {r.candidate.quote_id: r for r in rank(quotes)}
    assert ranking[1].normalised["price"] == 1 and ranking[1].normalised["lead_time"] == 1
    assert ranking[2].normalised["price"] == 0 and ranking[2].normalised["lead_time"] == 0


def test_ineligible_quotes_are_ranked_last_and_do_not_set_the_references():
    quotes = [candidate(1, "100", 10, 5, eligible=False), candidate(2, "200", 10, 3)]
    ranking = rank(quotes)
    assert [r.candidate.quote_id for r in ranking] == [2, 1]
    # The reference price is the eligible 200: the expired 100 would otherwise halve it.
    assert ranking[0].normalised["price"] == 1
    assert lowest_total_quote_id(quotes) == 2
    assert is_cheapest(quotes[1], quotes)


def test_weights_must_make_sense():
    with pytest.raises(ValueError):
        rank([candidate(1, "1", 1)], {"price": D("-1")})
    with pytest.raises(ValueError):
        rank([candidate(1, "1", 1)], {"price": D("0")})
    assert rank([], None) == []
