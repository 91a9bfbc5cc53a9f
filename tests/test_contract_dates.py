"""Contract date arithmetic: month ends, leap years, notice across the year end."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from procure.contracts import dates

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),
        (D(2028, 1, 31), 1, D(2028, 2, 29)),
        (D(2028, 2, 29), 12, D(2029, 2, 28)),
        (D(2028, 2, 29), 48, D(2032, 2, 29)),
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 12, 15), 1, D(2027, 1, 15)),
        (D(2026, 8, 31), 6, D(2027, 2, 28)),
    ],
)
def test_add_months_lands_on_the_last_valid_day(day, months, expected):
    assert dates.add_months(day, months) == expected


def test_notice_deadline_across_the_year_end():
    assert dates.notice_deadline(D(2027, 1, 15), 30) == D(2026, 12, 16)
    assert dates.notice_deadline(D(2027, 3, 1), 1) == D(2027, 2, 28)


def test_next_term_keeps_month_ends():
    assert dates.next_term(D(2026, 3, 1), D(2027, 2, 28), 12) == (D(2027, 3, 1), D(2028, 2, 29))
    assert dates.next_term(D(2026, 1, 1), D(2026, 6, 30), 12) == (D(2026, 7, 1), D(2027, 6, 30))
    assert dates.next_term(D(2026, 1, 1), D(2026, 6, 15), 1) == (D(2026, 6, 16), D(2026, 7, 15))
    with pytest.raises(ValueError):
        dates.next_term(D(2026, 1, 1), D(2026, 6, 15), 0)


def test_roll_forward_by_whole_terms():
    terms = dates.roll_forward(D(2024, 1, 1), D(2024, 12, 31), 12, today=D(2026, 3, 1))
    assert terms == [(D(2025, 1, 1), D(2025, 12, 31)), (D(2026, 1, 1), D(2026, 12, 31))]
    assert dates.roll_forward(D(2026, 1, 1), D(2026, 12, 31), 12, today=D(2026, 12, 31)) == []


def test_reminders_before_the_deadline():
    assert dates.reminder_dates(D(2027, 3, 14)) == {
        60: D(2027, 1, 13),
        30: D(2027, 2, 12),
        7: D(2027, 3, 7),
    }


days = st.dates(min_value=D(2000, 1, 1), max_value=D(2100, 12, 31))


@given(days, st.integers(min_value=-120, max_value=120))
def test_add_months_properties(day, months):
    moved = dates.add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    # only ever clamped to a month's end
    assert moved.day == day.day or (moved + dt.timedelta(days=1)).month != moved.month


@given(days, st.integers(min_value=1, max_value=60))
def test_terms_follow_each_other(end, months):
    start, new_end = dates.next_term(end - dt.timedelta(days=30), end, months)
    assert start == end + dt.timedelta(days=1)
    assert new_end > end
    assert (new_end.year * 12 + new_end.month) - (end.year * 12 + end.month) == months


@given(days, st.integers(min_value=0, max_value=365))
def test_notice_deadline_is_before_the_end(end, notice):
    assert (end - dates.notice_deadline(end, notice)).days == notice
