"""Integer day and month buckets in the reporting time zone.

A day bucket counts days since 1970-01-01 on the local calendar; a month
bucket is year * 12 + month - 1. Weeks start on Monday: 1970-01-01 was a
Thursday, so the week of day `d` is (d + 3) // 7. Quarters and years follow
from months. Every SQL query groups by these integers, which is why the same
statement runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

EPOCH = date(1970, 1, 1)


def local_date(moment: datetime, zone: tzinfo) -> date:
    return moment.astimezone(zone).date()


def day_of(moment: datetime, zone: tzinfo) -> int:
    return (local_date(moment, zone) - EPOCH).days


def month_of(moment: datetime, zone: tzinfo) -> int:
    local = local_date(moment, zone)
    return local.year * 12 + local.month - 1


def day_number(day: date) -> int:
    return (day - EPOCH).days


def date_of_day(day: int) -> date:
    return EPOCH + timedelta(days=day)


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def first_day_of_month(month: int) -> date:
    return date(month // 12, month % 12 + 1, 1)


def week_of_day(day: int) -> int:
    """The Monday-based week holding `day`, as a count of weeks since 1969-12-29."""
    return (day + 3) // 7


def first_day_of_week(week: int) -> int:
    return week * 7 - 3
