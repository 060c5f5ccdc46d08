"""Fire times: cron across daylight saving changes, intervals, dates, and missed runs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from saaslens.automation.exceptions import InvalidSchedule
from saaslens.automation.schedules import (
    ScheduleKind,
    ScheduleSpec,
    following,
    missed,
    trigger_for,
)

BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2027, 1, 1, tzinfo=UTC)


def cron(expression: str, zone: str = "Europe/Berlin", **dates: datetime) -> ScheduleSpec:
    return ScheduleSpec(1, ScheduleKind.CRON, cron=expression, time_zone=zone, **dates)


def berlin_wall_time(day: int, month: int, hour: int = 2, minute: int = 30) -> datetime:
    """The instant the Berlin clock first shows that time (fold 0), in UTC."""
    return datetime(2027, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def test_a_daily_cron_runs_once_a_day_when_clocks_go_forward() -> None:
    # 2027-03-28 02:00 CET becomes 03:00 CEST: 02:30 never shows on the clock.
    times = following(
        trigger_for(cron("30 2 * * *"), ANCHOR), datetime(2027, 3, 26, tzinfo=UTC), 4
    )

    assert times == [berlin_wall_time(day, 3) for day in (26, 27, 28, 29)]
    assert [time.astimezone(BERLIN).hour for time in times] == [2, 2, 3, 2]
    assert times[2] == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_a_daily_cron_runs_once_a_day_when_clocks_go_back() -> None:
    # 2027-10-31 03:00 CEST becomes 02:00 CET: 02:30 shows twice, an hour apart.
    times = following(
        trigger_for(cron("30 2 * * *"), ANCHOR), datetime(2027, 10, 29, tzinfo=UTC), 4
    )

    assert times == [
        berlin_wall_time(day, month) for day, month in ((29, 10), (30, 10), (31, 10), (1, 11))
    ]
    assert times[2] == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert [b - a for a, b in itertools.pairwise(times)] == [
        timedelta(hours=24),
        timedelta(hours=24),
        timedelta(hours=25),
    ]


def test_an_hourly_cron_runs_in_each_real_hour_of_the_repeated_hour() -> None:
    start = datetime(2027, 10, 30, 23, 0, tzinfo=UTC)

    times = following(trigger_for(cron("30 * * * *"), ANCHOR), start, 4)

    assert times == [start + timedelta(minutes=30) + timedelta(hours=n) for n in range(4)]


def test_an_interval_counts_real_time_across_a_daylight_saving_change() -> None:
    spec = ScheduleSpec(1, ScheduleKind.INTERVAL, interval_seconds=5400, time_zone="Europe/Berlin")
    anchor = datetime(2027, 10, 30, 22, 0, tzinfo=UTC)

    times = following(trigger_for(spec, anchor), anchor + timedelta(seconds=1), 4)

    assert times == [anchor + timedelta(seconds=5400 * n) for n in range(1, 5)]


def test_start_and_end_dates_bound_the_fire_times() -> None:
    start = datetime(2027, 5, 3, tzinfo=UTC)
    end = datetime(2027, 5, 6, tzinfo=UTC)
    trigger = trigger_for(cron("0 12 * * *", "UTC", start_at=start, end_at=end), ANCHOR)

    assert following(trigger, ANCHOR, 10) == [
        datetime(2027, 5, day, 12, tzinfo=UTC) for day in (3, 4, 5)
    ]
    assert following(trigger, end, 10) == []


def test_only_runs_missed_within_the_grace_are_found() -> None:
    spec = ScheduleSpec(1, ScheduleKind.INTERVAL, interval_seconds=60, time_zone="UTC")
    trigger = trigger_for(spec, ANCHOR)
    now = ANCHOR + timedelta(days=3, seconds=30)

    found = missed(trigger, ANCHOR, 300, now)

    latest = ANCHOR + timedelta(days=3)
    assert found == [latest - timedelta(minutes=n) for n in (4, 3, 2, 1, 0)]
    assert missed(trigger, latest, 300, now) == []
    assert missed(trigger, ANCHOR, 20, now) == []


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (cron("30 2 * * *", "Mars/Olympus"), "IANA"),
        (cron("61 * * * *"), "cron"),
        (cron("0 9 * *"), "five fields"),
        (cron("0 9 * * 1-5"), "name the weekdays"),
        (cron("0 9 * * *", start_at=ANCHOR, end_at=ANCHOR), "end after"),
        (ScheduleSpec(1, ScheduleKind.INTERVAL, interval_seconds=0), "seconds"),
    ],
)
def test_a_schedule_that_cannot_run_is_refused(spec: ScheduleSpec, problem: str) -> None:
    with pytest.raises(InvalidSchedule, match=problem):
        trigger_for(spec, ANCHOR)
