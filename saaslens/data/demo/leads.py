"""The sales pipeline: leads, their stage changes, and the deals they win.

Whether a lead is won follows a known logistic model of its attributes (the
effects below, added on the log-odds scale), so a model trained on the
leads can recover it. Won leads become customers at the moment they close.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from saaslens.data.demo import markets
from saaslens.data.demo.tables import Table, id_pattern, optional
from saaslens.data.demo.timeline import DAY, Bools, Floats, Ints, Timeline

# source: (share of leads, effect); campaigns: (source, effect)
SOURCES = {
    "website": (0.24, 0.0),
    "paid_search": (0.2, -0.75),
    "linkedin": (0.14, -0.45),
    "webinar": (0.12, 0.75),
    "referral": (0.1, 1.95),
    "event": (0.08, 0.6),
    "outbound": (0.12, -1.5),
}
CAMPAIGNS = {
    "homepage": ("website", 0.0),
    "pricing_page": ("website", 0.9),
    "brand_search": ("paid_search", 0.75),
    "competitor_search": ("paid_search", -0.3),
    "generic_search": ("paid_search", -0.75),
    "cfo_ads": ("linkedin", 0.15),
    "retargeting": ("linkedin", 0.0),
    "metrics_masterclass": ("webinar", 0.3),
    "board_reporting": ("webinar", -0.15),
    "customer_referral": ("referral", 0.45),
    "partner_referral": ("referral", -0.3),
    "saas_summit": ("event", 0.0),
    "finance_forum": ("event", 0.3),
    "cold_sequence": ("outbound", 0.0),
}
INDUSTRY_EFFECT = np.array([0.9, 0.3, 0.45, -0.45, -1.05, 0.0, -0.6, 0.15])
COUNTRY_EFFECT = {"US": 0.4, "GB": 0.15, "JP": -0.75, "IN": -0.9, "BR": -0.6}
JOB_TITLES = {
    "founder": (0.12, 1.05),
    "cfo": (0.14, 0.9),
    "head_of_finance": (0.18, 0.45),
    "revops_manager": (0.16, 0.15),
    "analyst": (0.22, -0.6),
    "marketing_manager": (0.18, -0.9),
}
# effects per unit of log(company_size / 60) and of log1p(pages_viewed) - 1.6
SIZE_EFFECT = 0.45
PAGES_EFFECT = 1.3
INTERCEPT = -2.3

STAGES = np.array(["qualified", "demo", "proposal", "won", "lost"])
QUALIFIED, DEMO, PROPOSAL, WON, LOST = range(5)
# mean days from each stage to the next: new, qualified, demo, proposal, closed
STAGE_DAYS = np.array([4.0, 7.0, 10.0, 14.0])
# Of the leads not won, this share is closed as lost; the others go quiet.
LOST_SHARE = 0.7

SOURCE_NAMES = np.array(list(SOURCES))
CAMPAIGN_NAMES = np.array(list(CAMPAIGNS))
CAMPAIGN_SOURCE = np.array([list(SOURCES).index(s) for s, _ in CAMPAIGNS.values()])
TITLE_NAMES = np.array(list(JOB_TITLES))
SOURCE_SHARE = np.array([share for share, _ in SOURCES.values()])
SOURCE_EFFECT = np.array([effect for _, effect in SOURCES.values()])
CAMPAIGN_EFFECT = np.array([effect for _, effect in CAMPAIGNS.values()])
COUNTRY_EFFECTS = np.array([COUNTRY_EFFECT.get(str(code), 0.0) for code in markets.CODES])
TITLE_SHARE = np.array([share for share, _ in JOB_TITLES.values()])
TITLE_EFFECT = np.array([effect for _, effect in JOB_TITLES.values()])


@dataclass(frozen=True)
class Pipeline:
    """Every lead's attributes and the path it takes through the stages.

    `times` and `reached` have a column per stage change: qualified, demo,
    proposal, and the close (won or lost, as `closing` says); a change
    happens when it is reached and falls inside the span.
    """

    created: Ints
    source: Ints
    campaign: Ints
    country: Ints
    industry: Ints
    company_size: Ints
    title: Ints
    pages: Ints
    times: Ints
    reached: Bools
    closing: Ints

    def winners(self, timeline: Timeline) -> Ints:
        """Indexes of the leads won inside the span, in lead order."""
        closed = self.reached[:, 3] & (self.times[:, 3] < timeline.end_second)
        return np.flatnonzero(closed & (self.closing == WON))

    def leads(self, customers: Ints, values: Ints, currencies: Ints, count: int) -> Table:
        """The lead records; `customers` (-1 for none) numbers each won customer."""
        return Table(
            {
                "id": np.arange(1, len(self.created) + 1),
                "source": SOURCE_NAMES[self.source],
                "campaign": CAMPAIGN_NAMES[self.campaign],
                "country": markets.CODES[self.country],
                "company_size": self.company_size,
                "industry": markets.INDUSTRIES[self.industry],
                "job_title": TITLE_NAMES[self.title],
                "pages_viewed": self.pages,
                "created_at": self.created.astype("datetime64[s]"),
                "converted_customer_id": optional(
                    np.array([id_pattern("cus", count) % n for n in customers.tolist()]),
                    customers >= 0,
                ),
                "value": optional(values, values >= 0),
                "currency": optional(np.array(markets.CURRENCIES)[currencies], values >= 0),
            },
            ids={"id": id_pattern("lead", len(self.created))},
            documents={"attributes": ("job_title", "pages_viewed")},
        )

    def stage_changes(self, timeline: Timeline) -> Table:
        """Each stage change inside the span, in the order they happened."""
        stages = np.tile([QUALIFIED, DEMO, PROPOSAL, WON], (len(self.created), 1))
        stages[:, 3] = self.closing
        happened = self.reached & (self.times < timeline.end_second)
        lead = np.nonzero(happened)[0]
        times, stages = self.times[happened], stages[happened]
        order = np.lexsort((stages, times))
        return Table(
            {
                "id": np.arange(1, len(order) + 1),
                "lead_id": lead[order] + 1,
                "stage": STAGES[stages[order]],
                "occurred_at": times[order].astype("datetime64[s]"),
            },
            ids={
                "id": id_pattern("lsc", len(order), 7),
                "lead_id": id_pattern("lead", len(self.created)),
            },
        )


def win_log_odds(pipeline: Pipeline) -> Floats:
    """The known model: how each attribute moves a lead's log-odds of winning."""
    return (  # type: ignore[no-any-return]
        INTERCEPT
        + SOURCE_EFFECT[pipeline.source]
        + CAMPAIGN_EFFECT[pipeline.campaign]
        + INDUSTRY_EFFECT[pipeline.industry]
        + COUNTRY_EFFECTS[pipeline.country]
        + TITLE_EFFECT[pipeline.title]
        + SIZE_EFFECT * np.log(pipeline.company_size / 60)
        + PAGES_EFFECT * (np.log1p(pipeline.pages) - 1.6)
    )


def pipeline(rng: np.random.Generator, timeline: Timeline, count: int) -> Pipeline:
    """`count` leads arriving over the span, each with its path through the stages."""
    country = markets.countries(rng, count)
    source = rng.choice(len(SOURCE_NAMES), size=count, p=SOURCE_SHARE / SOURCE_SHARE.sum())
    attributes = Pipeline(
        # Attributes are drawn independently of arrival, so sorting keeps them valid.
        created=np.sort(timeline.arrivals(rng, count, markets.UTC_OFFSET[country])),
        source=source,
        campaign=_campaigns(rng, source),
        country=country,
        industry=markets.industries(rng, count),
        company_size=np.clip(rng.lognormal(np.log(60), 1.3, size=count), 2, 20_000).astype(
            np.int64
        ),
        title=rng.choice(len(TITLE_NAMES), size=count, p=TITLE_SHARE / TITLE_SHARE.sum()),
        pages=rng.poisson(np.exp(rng.normal(1.5, 0.8, size=count))),
        times=np.zeros((count, 4), dtype=np.int64),
        reached=np.zeros((count, 4), dtype=bool),
        closing=np.zeros(count, dtype=np.int64),
    )
    return _paths(rng, attributes)


def _campaigns(rng: np.random.Generator, source: Ints) -> Ints:
    """A campaign of each lead's source, each equally likely."""
    per_source = np.bincount(CAMPAIGN_SOURCE, minlength=len(SOURCE_NAMES))
    first = np.concatenate([[0], per_source.cumsum()[:-1]])
    return first[source] + (rng.random(len(source)) * per_source[source]).astype(np.int64)


def _paths(rng: np.random.Generator, leads: Pipeline) -> Pipeline:
    """Draw the outcome from the model, then how far and how fast each lead goes."""
    count = len(leads.created)
    chance = 1 / (1 + np.exp(-win_log_odds(leads)))
    won = rng.random(count) < chance
    # Leads that will not be won still go further the better they look.
    passes = rng.random((count, 3)) < np.array([0.6, 0.5, 0.45]) + 0.3 * chance[:, None]
    stages_passed = np.where(won, 3, np.cumprod(passes, axis=1).sum(axis=1))
    closes = won | (rng.random(count) < LOST_SHARE)
    gaps = (rng.exponential(STAGE_DAYS, size=(count, 4)) * DAY + DAY // 4).astype(np.int64)
    times = leads.created[:, None] + gaps.cumsum(axis=1)
    last = np.where(
        stages_passed > 0,
        times[np.arange(count), np.maximum(stages_passed - 1, 0)],
        leads.created,
    )
    times[:, 3] = last + gaps[:, 3]
    reached = np.arange(4)[None, :] < stages_passed[:, None]
    reached[:, 3] = closes
    closing = np.where(won, WON, LOST)
    return replace(leads, times=times, reached=reached, closing=closing)
