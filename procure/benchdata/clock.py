"""Time in the generated history: working hours, delays, and when requests are filed.

People act on weekdays between 08:00 and 18:00 (UTC, as everything is stored); the
volume of requests grows by a steady rate a year, so recent years are busier."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random

from .draw import lognormal

DAY_START = 8  # hours
DAY_HOURS = 10
DAY_SECONDS = DAY_HOURS * 3600
GROWTH_PER_YEAR = 1.12


class Clock:
    def __init__(self, now: dt.datetime, years: float, rng: random.Random) -> None:
        self.now = now
        self.today = now.date()
        self.start = now - dt.timedelta(days=round(365.25 * years))
        self.rng = rng
        # Working days of the history, each with the working seconds it offers (today
        # only up to now), for spreading requests over working time.
        self._days: list[dt.datetime] = []
        self._cumulative: list[float] = []
        total = 0.0
        day = self.start.date()
        while day <= self.today:
            if day.weekday() < 5:
                opens = dt.datetime.combine(day, dt.time(DAY_START))
                seconds = min(DAY_SECONDS, (now - opens).total_seconds())
                if seconds > 0:
                    self._days.append(opens)
                    total += seconds
                    self._cumulative.append(total)
            day += dt.timedelta(days=1)
        self.working_seconds = total
        self._growth = years * math.log(GROWTH_PER_YEAR)

    def share_before(self, moment: dt.datetime) -> float:
        """The expected share of all requests filed before ``moment`` (0..1)."""
        span = (self.now - self.start).total_seconds()
        x = min(1.0, max(0.0, (moment - self.start).total_seconds() / span))
        k = self._growth
        return math.expm1(k * x) / math.expm1(k) if k else x

    def filed_at(self, fraction: float) -> dt.datetime:
        """When the request at ``fraction`` (0..1) of the history was filed: growth in
        volume, spread over working time. Increasing in ``fraction``."""
        k = self._growth
        share = math.log1p(fraction * math.expm1(k)) / k if k else fraction
        offset = share * self.working_seconds
        index = min(bisect.bisect_right(self._cumulative, offset), len(self._days) - 1)
        before = self._cumulative[index - 1] if index else 0.0
        return self._days[index] + dt.timedelta(seconds=max(0.0, offset - before))

    def working(self, moment: dt.datetime) -> dt.datetime:
        """``moment``, or the next working morning when it falls outside working hours."""
        weekday = moment.weekday()
        if weekday < 5 and DAY_START <= moment.hour < DAY_START + DAY_HOURS:
            return moment
        day = moment.date()
        if moment.hour >= DAY_START or weekday >= 5:
            day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        minutes = self.rng.random() * 90
        return dt.datetime.combine(day, dt.time(DAY_START)) + dt.timedelta(minutes=minutes)

    def after(self, moment: dt.datetime, median_hours: float, spread: float = 1.0) -> dt.datetime:
        """A person's reaction some time after ``moment`` (log-normal), in working hours."""
        hours = lognormal(self.rng, median_hours, spread)
        return self.working(moment + dt.timedelta(hours=hours))

    def soon(self, moment: dt.datetime, max_minutes: float = 30) -> dt.datetime:
        """A follow-up in the same sitting."""
        return moment + dt.timedelta(seconds=30 + self.rng.random() * 60 * max_minutes)

    def on_day(self, day: dt.date) -> dt.datetime:
        """Some working time on ``day``."""
        return dt.datetime.combine(day, dt.time(DAY_START)) + dt.timedelta(
            seconds=self.rng.random() * DAY_SECONDS
        )
