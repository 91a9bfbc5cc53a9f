"""Contract date arithmetic, in one place.

- The notice deadline is the end date less the notice period: the last day on which
  notice can still be given.
- A renewal term of N months from an end date lands on the same day of the month, or
  on the last valid day when that month is shorter (31 January + 1 month = 28 or 29
  February; 29 February + 12 months = 28 February).
- An auto-renewing contract whose end date has passed rolls forward by whole terms
  until its end date is in the future again.
"""

from __future__ import annotations

import calendar
import datetime as dt

from ..reference import add_months  # noqa: F401 -- contract terms move by months

REMINDER_DAYS = (60, 30, 7)


def notice_deadline(end: dt.date, notice_days: int) -> dt.date:
    """The last day to give notice: ``notice_days`` before the end date."""
    return end - dt.timedelta(days=notice_days)


def next_term(start: dt.date, end: dt.date, term_months: int) -> tuple[dt.date, dt.date]:
    """The term that follows one ending on ``end``: from the day after, for
    ``term_months`` months counted from the end date (month ends stay month ends)."""
    if term_months <= 0:
        raise ValueError("a renewal term is at least one month")
    new_end = add_months(end, term_months)
    if _is_month_end(end) and not _is_month_end(new_end):
        new_end = _month_end(new_end)
    return end + dt.timedelta(days=1), new_end


def roll_forward(
    start: dt.date, end: dt.date, term_months: int, today: dt.date
) -> list[tuple[dt.date, dt.date]]:
    """The terms an auto-renewing contract has entered since its end date passed
    (empty while ``end`` is today or later)."""
    terms = []
    while end < today:
        start, end = next_term(start, end, term_months)
        terms.append((start, end))
    return terms


def reminder_dates(deadline: dt.date) -> dict[int, dt.date]:
    """When each reminder is due: 60, 30 and 7 days before the notice deadline."""
    return {days: deadline - dt.timedelta(days=days) for days in REMINDER_DAYS}


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _is_month_end(day: dt.date) -> bool:
    return day == _month_end(day)
