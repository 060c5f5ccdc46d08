"""The span the demo business lives through, and the rhythms of its calendar.

Moments are int64 seconds since the Unix epoch in UTC; days are whole days
since the epoch, so `seconds // DAY` is a UTC day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from saaslens.data.buckets import day_number, first_day_of_month, month_number

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

DAY = 86_400
HOUR = 3_600
# A billing month: subscriptions renew every 30.4375 days on average, so a
# charge keeps the time of day of the subscription's start.
BILLING_MONTH_DAYS = 30.4375

# How busy each weekday is (Monday first): people work on weekdays.
WEEKDAY_ACTIVITY = np.array([1.0, 1.06, 1.05, 1.0, 0.86, 0.3, 0.24])
# How many sign-ups each calendar month brings, January first: the new year
# and the autumn are busy, the summer holidays and December quiet.
SEASON = np.array([1.2, 1.05, 1.1, 1.0, 0.95, 0.9, 0.75, 0.7, 1.15, 1.1, 1.0, 0.7])
# Monthly growth of the business's sign-up rate.
GROWTH = 1.035


@dataclass(frozen=True)
class Timeline:
    """Whole months from `start` up to `end` (exclusive), both first days of months."""

    start: date
    end: date

    @classmethod
    def ending(cls, end: date, months: int) -> Timeline:
        """`months` whole months ending at the first day of `end`'s month."""
        end_month = month_number(end)
        return cls(first_day_of_month(end_month - months), first_day_of_month(end_month))

    @property
    def first_day(self) -> int:
        return day_number(self.start)

    @property
    def last_day(self) -> int:
        """The day after the last one, as a day number."""
        return day_number(self.end)

    @property
    def start_second(self) -> int:
        return self.first_day * DAY

    @property
    def end_second(self) -> int:
        return self.last_day * DAY

    @property
    def days(self) -> Ints:
        return np.arange(self.first_day, self.last_day, dtype=np.int64)

    def month_starts(self) -> Ints:
        """Day numbers of each month's first day, and of `end` last."""
        first, last = month_number(self.start), month_number(self.end)
        return np.array(
            [day_number(first_day_of_month(m)) for m in range(first, last + 1)], dtype=np.int64
        )

    def arrival_weights(self) -> Floats:
        """The share of the span's sign-ups (or leads) arriving on each day."""
        days = self.days
        dates = days.astype("datetime64[D]")
        months = dates.astype("datetime64[M]")
        elapsed = (months - months[0]).astype(np.int64)
        calendar_month = months.astype(np.int64) % 12
        weights = GROWTH**elapsed * SEASON[calendar_month] * weekday_activity(days)
        return weights / weights.sum()  # type: ignore[no-any-return]

    def arrivals(self, rng: np.random.Generator, count: int, utc_offsets: Ints) -> Ints:
        """`count` moments spread by the arrival weights, in working hours."""
        days = rng.choice(self.days, size=count, p=self.arrival_weights())
        moments = days * DAY + working_time(rng, count) - utc_offsets
        # Local office hours on the span's first or last day may fall outside it in UTC.
        inside: Ints = np.clip(moments, self.start_second, self.end_second - 1)
        return inside


def weekday_activity(days: Ints) -> Floats:
    # Day 0, 1970-01-01, was a Thursday: index 3 with Monday first.
    return WEEKDAY_ACTIVITY[(days + 3) % 7]


def working_time(rng: np.random.Generator, count: int) -> Ints:
    """Local seconds into the day: mostly office hours, a few late ones."""
    hours = rng.normal(13.5, 2.6, size=count)
    late = rng.random(count) < 0.08
    hours[late] = rng.uniform(0.0, 24.0, size=int(late.sum()))
    return (np.clip(hours, 0.0, 23.999) * HOUR).astype(np.int64)


def renewal(anchor: Ints, period: Ints) -> Ints:
    """The moment of the `period`-th billing month after `anchor`."""
    return anchor + np.round(period * BILLING_MONTH_DAYS).astype(np.int64) * DAY


def seconds_as_times(seconds: Ints) -> npt.NDArray[np.datetime64]:
    return seconds.astype("datetime64[s]")
