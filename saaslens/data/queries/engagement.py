"""Active users and accounts from product events, computed in SQL.

Rolling windows (PostHog's WAU and MAU: distinct users active in the 7 or 30
days ending on a day) cannot be a window function over distinct users, so
each user's active days become spans: a user active on day a counts on days
a .. a + window - 1, cut short where their next active day starts a new
span. The statement returns, per day, how many spans start and how many end;
a running sum of starts less ends is the count of active users that day. So
the rows returned grow with days, never with users or events.
"""

from __future__ import annotations

from sqlalchemy import (
    ColumnElement,
    FromClause,
    String,
    case,
    distinct,
    exists,
    func,
    literal,
    select,
    union_all,
)

from saaslens.data.models import Event, Subscription
from saaslens.data.queries.frames import Statement
from saaslens.data.queries.periods import PeriodGrid, constant
from saaslens.data.queries.segments import (
    NO_GROUP,
    Breakdown,
    Dimension,
    Segment,
    customers,
    grouping,
)

events = Event.__table__
subscriptions = Subscription.__table__
WINDOWS = (7, 30)
LOOKBACK = max(WINDOWS) - 1


def _events(
    segment: Segment, breakdown: Breakdown | None, names: tuple[str, ...]
) -> tuple[FromClause, list[ColumnElement[bool]], ColumnElement[str]]:
    """The event source, its conditions and the group column for a segment.

    A plan is a property of subscriptions, so a plan filter or breakdown goes
    through each customer's live (not cancelled) subscriptions as they stand
    now: a customer on two plans counts under both, one on none under neither.
    """
    source: FromClause = events
    live = (
        select(subscriptions.c.customer_id, subscriptions.c.plan)
        .where(subscriptions.c.status != "canceled")
        .subquery("live")
    )
    conditions: list[ColumnElement[bool]] = []
    group: ColumnElement[str] = NO_GROUP
    if names:
        conditions.append(events.c.name.in_(names))
    if segment.filters_customers or (
        breakdown is not None and breakdown.dimension is not Dimension.PLAN
    ):
        source = source.join(customers, customers.c.id == events.c.customer_id)
        conditions.extend(segment.customer_conditions())
    if segment.plan is not None:
        on_plan = select(live.c.customer_id).where(live.c.plan == segment.plan)
        conditions.append(events.c.customer_id.in_(on_plan))
    if breakdown is not None and breakdown.dimension is Dimension.PLAN:
        plans = select(live.c.customer_id, live.c.plan).distinct().subquery()
        source = source.join(plans, plans.c.customer_id == events.c.customer_id)
        group = plans.c.plan
    elif breakdown is not None:
        group = breakdown.customer_column()
    return source, conditions, group


def active_user_spans(
    grid: PeriodGrid,
    segment: Segment,
    breakdown: Breakdown | None,
    names: tuple[str, ...],
) -> Statement:
    """Per group and day: users active (`window` 1), and spans ending per window.

    Rows with `window` 1 count the users active on `day`; rows with window w
    count users whose w-day span ends (stops counting) on `day`, in up to two
    rows per day, to be summed.
    """
    source, conditions, group = _events(segment, breakdown, names)
    first_day = grid.first_day - LOOKBACK
    # A constant group in DISTINCT and PARTITION BY doubles SQLite's work.
    keys = [group.label("grp") for _ in grouping(group)]
    user_days = (
        select(*keys, events.c.user_id, events.c.day)
        .select_from(source)
        .where(events.c.day.between(first_day, grid.last_day), *conditions)
        .distinct()
        .subquery("user_days")
    )
    grp = user_days.c.grp if keys else NO_GROUP
    next_day = func.lead(user_days.c.day).over(
        partition_by=(*grouping(grp), user_days.c.user_id), order_by=user_days.c.day
    )
    spans = select(grp.label("grp"), user_days.c.day, next_day.label("next_day")).cte("spans")
    # A span is cut short by the user's next active day when that comes within the
    # window, and ends on that day; otherwise it runs its length. Counting the first
    # kind by the next day and the second by the span's own needs two sorts of the
    # spans, where grouping by each end day would need one per window.
    runs_out = {
        window: spans.c.next_day.is_(None) | (spans.c.next_day >= spans.c.day + constant(window))
        for window in WINDOWS
    }
    by_day = (
        select(
            spans.c.grp,
            spans.c.day,
            func.count().label("users"),
            *(func.count(case((runs_out[w], 1))).label(f"runs_out_{w}") for w in WINDOWS),
        )
        .group_by(spans.c.grp, spans.c.day)
        .cte("by_day")
    )
    by_next = (
        select(
            spans.c.grp,
            spans.c.next_day.label("day"),
            *(func.count(case((~runs_out[w], 1))).label(f"cut_{w}") for w in WINDOWS),
        )
        .where(~runs_out[max(WINDOWS)])
        .group_by(spans.c.grp, spans.c.next_day)
        .cte("by_next")
    )
    parts = [select(by_day.c.grp, constant(1).label("window"), by_day.c.day, by_day.c.users)]
    for window in WINDOWS:
        ends = by_day.c.day + constant(window)
        parts += [
            select(by_day.c.grp, constant(window), ends, by_day.c[f"runs_out_{window}"]).where(
                ends <= grid.last_day
            ),
            select(by_next.c.grp, constant(window), by_next.c.day, by_next.c[f"cut_{window}"]),
        ]
    return select(union_all(*parts).subquery("active"))


def active_day_distribution(
    grid: PeriodGrid,
    segment: Segment,
    breakdown: Breakdown | None,
    names: tuple[str, ...],
) -> Statement:
    """Per period and group: how many users were active on exactly n days of it."""
    source, conditions, group = _events(segment, breakdown, names)
    period = grid.granularity.sql_key_of_day(events.c.day)
    per_user = (
        select(
            period.label("period"),
            group.label("grp"),
            func.count(distinct(events.c.day)).label("active_days"),
        )
        .select_from(source)
        .where(events.c.day.between(grid.first_day, grid.last_day), *conditions)
        .group_by(period, *grouping(group), events.c.user_id)
        .subquery("per_user")
    )
    return select(
        per_user.c.period,
        per_user.c.grp,
        per_user.c.active_days,
        func.count().label("users"),
    ).group_by(per_user.c.period, per_user.c.grp, per_user.c.active_days)


def active_accounts(
    grid: PeriodGrid,
    segment: Segment,
    breakdown: Breakdown | None,
    names: tuple[str, ...],
) -> Statement:
    """Per period and group: distinct customers with at least one event."""
    source, conditions, group = _events(segment, breakdown, names)
    period = grid.granularity.sql_key_of_day(events.c.day)
    return (
        select(
            period.label("period"),
            group.label("grp"),
            func.count(distinct(events.c.customer_id)).label("accounts"),
        )
        .select_from(source)
        .where(events.c.day.between(grid.first_day, grid.last_day), *conditions)
        .group_by(period, *grouping(group))
    )


def known_event_names(names: tuple[str, ...]) -> Statement:
    """Which of `names` some event bears: one index probe per name.

    Asked before most engagement and cohort questions; collecting the distinct
    names of every matching event would read all of them.
    """
    probes = [
        select(literal(name, String).label("name")).where(exists().where(events.c.name == name))
        for name in names
    ]
    return select(union_all(*probes).subquery("known"))
