"""Time the prediction models against baselines measured in the same run.

    .venv/bin/python bench/predict.py [--customers 100000] [--runs 5]

Lifetime value: fitting BG/NBD and Gamma-Gamma to simulated customers
(target at most 10 s for 100,000), next to one evaluation of both
log-likelihoods as the fit evaluates them, so the ratio reads as "the fit
costs this many likelihood evaluations". Forecast: 60 monthly points with
model selection (target at most 1 s), next to a plain seasonal naive
forecast and one exponential smoothing fit. Lead conversion: training on
200,000 simulated leads (target at most 30 s) next to a single logistic
regression fit on the same leads, and a small store query's latency while
that training runs in the process pool (target at most 100 ms) next to
the same query on an idle process. Every figure is the median of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sqlalchemy import text
from threadpoolctl import threadpool_limits

from saaslens.analytics.forecasting import forecast_series
from saaslens.analytics.forecasting.naive import SeasonalNaive
from saaslens.analytics.forecasting.smoothing import Smoothing
from saaslens.analytics.lead_scoring import train
from saaslens.analytics.lead_scoring.design import Design
from saaslens.analytics.lifetime_value import fit_purchases, fit_spend, value_customers
from saaslens.analytics.lifetime_value.bgnbd import Histories, histories_log_likelihood
from saaslens.analytics.lifetime_value.gamma_gamma import log_likelihood as spend_likelihood
from saaslens.data.demo import leads as demo_leads
from saaslens.data.demo import markets
from saaslens.data.demo.timeline import DAY, Timeline
from saaslens.data.engine import create_engine, create_session_factory
from saaslens.data.migrate import upgrade
from saaslens.services.pool import in_pool, shutdown

PURCHASES = np.array([0.8, 6.0, 0.9, 3.5])
SPEND = np.array([4.0, 5.0, 40.0])


def median_seconds(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def simulated_customers(count: int, seed: int = 1) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma customers, drawn without a per-purchase loop.

    A customer's purchases while alive are a Poisson count over their age
    with uniform times, so the last of x kept purchases is age times a
    Beta(x, n - x + 1) order statistic; they leave after a geometric number
    of repeat purchases.
    """
    rng = np.random.default_rng(seed)
    r, alpha, a, b = PURCHASES
    rates = rng.gamma(r, 1 / alpha, count)
    leave = rng.beta(a, b, count)
    age = rng.uniform(20, 80, count)
    arrivals = rng.poisson(rates * age)
    frequency = np.minimum(arrivals, rng.geometric(leave))
    repeat = frequency > 0
    recency = np.zeros(count)
    kept = frequency[repeat]
    recency[repeat] = age[repeat] * rng.beta(kept, arrivals[repeat] - kept + 1)
    p, q, v = SPEND
    spend_rates = rng.gamma(q, 1 / v, count)
    shape = np.maximum(frequency, 1) * p
    mean_spend = rng.gamma(shape, 1 / (spend_rates * np.maximum(frequency, 1)))
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "age": age,
            "monetary_value": np.where(repeat, mean_spend, 0.0),
        }
    )


def bench_lifetime_value(customers: int, runs: int) -> None:
    summary = simulated_customers(customers)
    x, t_x, age, m = (summary[c].to_numpy(dtype=float) for c in summary.columns)
    repeat = x > 0
    histories = Histories.of(x, t_x, age)

    def likelihoods() -> None:
        histories_log_likelihood(PURCHASES, histories).sum()
        spend_likelihood(SPEND, x[repeat], m[repeat]).sum()

    def fit() -> None:
        fit_purchases(summary)
        fit_spend(summary)

    with threadpool_limits(limits=1, user_api="blas"):
        evaluation = median_seconds(likelihoods, max(runs, 5))
    fitting = median_seconds(fit, runs)
    valuing = median_seconds(lambda: value_customers(summary), runs)
    print(f"lifetime value, {customers:,} customers ({int(repeat.sum()):,} with repeats)")
    print(f"  both log-likelihoods once  {evaluation * 1000:9.1f} ms   (baseline)")
    print(
        f"  BG/NBD + Gamma-Gamma fit   {fitting * 1000:9.1f} ms   "
        f"x{fitting / evaluation:.0f} the baseline   target <= 10 s"
    )
    print(
        f"  fit + 12-month values      {valuing * 1000:9.1f} ms   "
        f"x{valuing / evaluation:.0f} the baseline"
    )


def monthly_series(length: int = 60) -> pd.Series:
    t = np.arange(length)
    noise = np.random.default_rng(2).normal(0, 15, length)
    values = 1000 + 8 * t + 80 * np.sin(2 * np.pi * t / 12) + noise
    return pd.Series(values, index=pd.period_range("2021-01", periods=length, freq="M"))


def bench_forecast(runs: int) -> None:
    series = monthly_series()
    values = series.to_numpy()

    def naive() -> None:
        SeasonalNaive(12).fit(values).predict(12, (0.8, 0.95))

    def smoothing() -> None:
        with threadpool_limits(limits=1, user_api="blas"):
            Smoothing("add", False, "add", 12).fit(values).predict(12, (0.8, 0.95))

    forecast_series(series, 12, 12)
    plain = median_seconds(naive, max(runs, 20))
    one_fit = median_seconds(smoothing, runs)
    chosen = median_seconds(lambda: forecast_series(series, 12, 12), runs)
    print("forecast, 60 monthly points, 12 ahead, model selection")
    print(f"  seasonal naive forecast    {plain * 1000:9.2f} ms   (baseline)")
    print(f"  one ETS(A,A,A) fit         {one_fit * 1000:9.2f} ms   x{one_fit / plain:.0f}")
    print(
        f"  forecast with selection    {chosen * 1000:9.2f} ms   x{chosen / plain:.0f} naive, "
        f"x{chosen / one_fit:.1f} one ETS fit   target <= 1 s"
    )


def simulated_leads(count: int, seed: int = 3) -> pd.DataFrame:
    """The demo's leads as the lead feature frame describes them, built in memory."""
    rng = np.random.default_rng(seed)
    timeline = Timeline.ending(date(2025, 1, 1), 36)
    leads = demo_leads.pipeline(rng, timeline, count)
    passed = leads.reached[:, :3] & (leads.times[:, :3] < timeline.end_second)
    changes = passed.sum(axis=1)
    last = np.where(changes > 0, leads.times[np.arange(count), np.maximum(changes - 1, 0)], 0)
    closed = leads.reached[:, 3] & (leads.times[:, 3] < timeline.end_second)
    won = closed & (leads.closing == demo_leads.WON)
    return pd.DataFrame(
        {
            "id": np.arange(count).astype(str),
            "source": demo_leads.SOURCE_NAMES[leads.source],
            "campaign": demo_leads.CAMPAIGN_NAMES[leads.campaign],
            "country": markets.CODES[leads.country],
            "company_size": leads.company_size.astype(float),
            "industry": markets.INDUSTRIES[leads.industry],
            "days_in_pipeline": np.where(changes > 0, (last - leads.created) / DAY, 0.0),
            "stage_changes": changes,
            "furthest_stage": np.array(["none", "qualified", "demo", "proposal"])[changes],
            "attr_job_title": demo_leads.TITLE_NAMES[leads.title],
            "attr_pages_viewed": leads.pages,
            "outcome": np.where(won, "won", np.where(closed, "lost", "open")),
        }
    )


def _train_single_threaded(frame: pd.DataFrame) -> float:
    with threadpool_limits(limits=1):
        return float(train(frame).scores["auc"])


def bench_leads(count: int, runs: int) -> None:
    frame = simulated_leads(count)
    closed = frame[frame["outcome"] != "open"]
    design = Design.of(closed)
    numbers = pd.get_dummies(design.matrix(closed), dtype=float)
    won = (closed["outcome"] == "won").to_numpy()

    def one_fit() -> None:
        with threadpool_limits(limits=1):
            LogisticRegression(max_iter=2000).fit(numbers, won)

    single = median_seconds(one_fit, runs)
    training = median_seconds(lambda: _train_single_threaded(frame), max(1, runs // 2))
    print(f"lead conversion, {count:,} leads ({len(closed):,} won or lost)")
    print(f"  one logistic regression    {single * 1000:9.1f} ms   (baseline)")
    print(
        f"  train, choose, calibrate   {training * 1000:9.1f} ms   "
        f"x{training / single:.0f} the baseline   target <= 30 s"
    )
    idle, busy = asyncio.run(_latencies(frame))
    print(f"  small query, idle          {idle * 1000:9.2f} ms   (baseline)")
    print(
        f"  small query while training {busy * 1000:9.2f} ms   "
        f"x{busy / idle:.1f} idle   target <= 100 ms"
    )


async def _latencies(frame: pd.DataFrame) -> tuple[float, float]:
    """A store query's median latency idle, then while the pool trains on `frame`."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        sessions = create_session_factory(engine)

        async def query() -> float:
            start = time.perf_counter()
            async with sessions() as session:
                await session.execute(text("SELECT count(*) FROM leads"))
            return time.perf_counter() - start

        idle = statistics.median([await query() for _ in range(50)])
        training = asyncio.ensure_future(in_pool(_train_single_threaded, frame))
        busy = []
        while not training.done():
            busy.append(await query())
            await asyncio.sleep(0.05)
        await training
        await engine.dispose()
    shutdown()
    return idle, statistics.median(busy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    arguments = parser.parse_args()
    bench_leads(arguments.leads, arguments.runs)
    bench_lifetime_value(arguments.customers, arguments.runs)
    bench_forecast(arguments.runs)


if __name__ == "__main__":
    main()
