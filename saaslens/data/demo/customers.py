"""The customers: who they are, when they arrived, and how engaged they are.

Most customers sign up on their own; the rest are the leads sales won, who
arrive when their deal closes and keep the lead's country and industry.
`engagement` is a hidden trait, about standard normal (the acquisition
channel shifts it a little): it drives how much a customer's users do in
the product, whether a trial converts and how likely the customer is to
churn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from saaslens.data.demo import markets
from saaslens.data.demo.leads import Pipeline
from saaslens.data.demo.plans import ENTERPRISE, MID_MARKET, SEGMENTS, SMB
from saaslens.data.demo.tables import Table, id_pattern
from saaslens.data.demo.timeline import Floats, Ints, Timeline

# channel of self-serve sign-ups: (share, effect on engagement)
CHANNELS = {
    "organic": (0.34, 0.1),
    "paid_search": (0.26, -0.25),
    "referral": (0.14, 0.3),
    "partner": (0.1, 0.15),
    "content": (0.16, 0.0),
}
SALES_CHANNEL = "sales"
CHANNEL_NAMES = np.array([*CHANNELS, SALES_CHANNEL])
CHANNEL_SHARE = np.array([share for share, _ in CHANNELS.values()])
CHANNEL_EFFECT = np.array([effect for _, effect in CHANNELS.values()] + [0.2])

SELF_SERVE_SEGMENTS = np.array([0.8, 0.17, 0.03])
# median seats and the spread of their log, per segment
SEATS = np.array([[5.0, 0.6], [30.0, 0.5], [150.0, 0.6]])
# product users: a floor and a Poisson mean above it, per segment
USERS = np.array([[1, 1.5], [2, 4.0], [5, 10.0]])

NAME_STEMS = np.array(
    [
        *("Acme", "Northwind", "Bluebird", "Cobalt", "Juniper", "Meridian", "Quartz"),
        *("Lumen", "Harbor", "Atlas", "Vertex", "Orchard", "Summit", "Copper", "Falcon"),
        *("Birch", "Nimbus", "Granite", "Willow", "Beacon", "Cedar", "Pioneer", "Sable"),
        *("Tidal", "Everest", "Polar", "Crimson", "Saffron", "Kestrel", "Aurora"),
    ]
)
NAME_ENDINGS = np.array(
    [
        *("Labs", "Systems", "Software", "Analytics", "Health", "Logistics", "Studio"),
        *("Partners", "Retail", "Media", "Finance", "Works", "Cloud", "Foods", "Learning"),
        "Robotics",
    ]
)


@dataclass(frozen=True)
class Customers:
    """Customers in order of arrival; customer `i` has id number `i + 1`."""

    created: Ints
    country: Ints
    segment: Ints
    industry: Ints
    channel: Ints
    seats: Ints
    users: Ints
    engagement: Floats
    lead: Ints

    @property
    def currency(self) -> Ints:
        return markets.CURRENCY_OF[self.country]

    def table(self) -> Table:
        number = np.arange(1, len(self.created) + 1)
        stem = NAME_STEMS[number % len(NAME_STEMS)]
        ending = NAME_ENDINGS[(number // len(NAME_STEMS)) % len(NAME_ENDINGS)]
        names = [f"{s} {e}" for s, e in zip(stem.tolist(), ending.tolist(), strict=True)]
        emails = [
            f"billing@{s.lower()}-{e.lower()}-{n}.example"
            for s, e, n in zip(stem.tolist(), ending.tolist(), number.tolist(), strict=True)
        ]
        return Table(
            {
                "id": number,
                "name": np.array(names, dtype=object),
                "email": np.array(emails, dtype=object),
                "country": markets.CODES[self.country],
                "segment": SEGMENTS[self.segment],
                "industry": markets.INDUSTRIES[self.industry],
                "seats": self.seats,
                "acquisition_channel": CHANNEL_NAMES[self.channel],
                "created_at": self.created.astype("datetime64[s]"),
            },
            ids={"id": id_pattern("cus", len(number))},
            documents={"attributes": ("industry", "seats", "acquisition_channel")},
        )


def customers(
    rng: np.random.Generator, timeline: Timeline, count: int, leads: Pipeline, won: Ints
) -> Customers:
    """`count` customers: the leads `won` and self-serve sign-ups for the rest."""
    self_serve = _self_serve(rng, timeline, count - len(won))
    sales = _from_leads(rng, leads, won)
    merged = Customers(
        *(
            np.concatenate([getattr(self_serve, name), getattr(sales, name)])
            for name in Customers.__dataclass_fields__
        )
    )
    order = np.argsort(merged.created, kind="stable")
    return Customers(*(getattr(merged, name)[order] for name in Customers.__dataclass_fields__))


def _self_serve(rng: np.random.Generator, timeline: Timeline, count: int) -> Customers:
    country = markets.countries(rng, count)
    segment = rng.choice(3, size=count, p=SELF_SERVE_SEGMENTS)
    channel = rng.choice(len(CHANNELS), size=count, p=CHANNEL_SHARE / CHANNEL_SHARE.sum())
    median, spread = SEATS[segment].T
    seats = np.maximum(rng.lognormal(np.log(median), spread), 1).astype(np.int64)
    return Customers(
        created=timeline.arrivals(rng, count, markets.UTC_OFFSET[country]),
        country=country,
        segment=segment,
        industry=markets.industries(rng, count),
        channel=channel,
        seats=seats,
        users=_users(rng, segment, seats),
        engagement=rng.normal(size=count) + CHANNEL_EFFECT[channel],
        lead=np.full(count, -1),
    )


def _from_leads(rng: np.random.Generator, leads: Pipeline, won: Ints) -> Customers:
    size = leads.company_size[won]
    segment = np.select([size < 50, size < 500], [SMB, MID_MARKET], ENTERPRISE)
    seats = np.maximum(size * rng.uniform(0.1, 0.4, size=len(won)), 1).astype(np.int64)
    channel = np.full(len(won), len(CHANNEL_NAMES) - 1)
    return Customers(
        created=leads.times[won, 3],
        country=leads.country[won],
        segment=segment,
        industry=leads.industry[won],
        channel=channel,
        seats=seats,
        users=_users(rng, segment, seats),
        engagement=rng.normal(size=len(won)) + CHANNEL_EFFECT[channel],
        lead=won,
    )


def _users(rng: np.random.Generator, segment: Ints, seats: Ints) -> Ints:
    """How many people use the product: at most the seats paid for."""
    floor, mean = USERS[segment].T
    users: Ints = np.minimum(floor.astype(np.int64) + rng.poisson(mean), seats).clip(min=1)
    return users
