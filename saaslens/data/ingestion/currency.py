"""Money in the base currency: minor-unit exponents and the daily rate book.

An amount arrives in minor units of its own currency (cents, yen, fils) and
is stored in minor units of the base currency, converted with the rate of the
UTC day it happened on. A rate says how many base units one unit of the
foreign currency bought that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saaslens.data.models import ExchangeRate

# ISO 4217 currencies whose minor unit is not a hundredth; the rest use 2.
EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        ["BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI"],
        0,
    ),
    **dict.fromkeys(["VND", "VUV", "XAF", "XOF", "XPF"], 0),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has."""
    return EXPONENTS.get(currency, 2)


class MissingRate(LookupError):
    """No exchange rate is stored for a currency on a day."""

    def __init__(self, currency: str, day: date) -> None:
        super().__init__(f"no exchange rate for {currency} on {day.isoformat()}")
        self.currency = currency
        self.day = day


class RateBook:
    """The rates one batch needs, read together, converting into the base currency."""

    def __init__(self, base: str, rates: dict[tuple[date, str], float]) -> None:
        self.base = base
        self._rates = rates

    def rate(self, currency: str, day: date) -> float:
        try:
            return self._rates[day, currency]
        except KeyError:
            raise MissingRate(currency, day) from None

    def to_base(self, amount: int, currency: str, moment: datetime) -> int:
        """Minor units of `currency` at `moment` as minor units of the base currency.

        Decimal arithmetic on the rate's shortest text keeps results exact where
        a person checking by hand expects them to be; halves round to even.
        """
        if currency == self.base:
            return amount
        rate = Decimal(repr(self.rate(currency, moment.date())))
        shift = Decimal(10) ** (exponent(self.base) - exponent(currency))
        converted = Decimal(amount) * rate * shift
        return int(converted.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


async def load_rates(
    session: AsyncSession, base: str, needs: Iterable[tuple[str, date]]
) -> RateBook:
    """Read, in one query, the rates covering every (currency, UTC day) needed."""
    wanted = {(currency, day) for currency, day in needs if currency != base}
    if not wanted:
        return RateBook(base, {})
    currencies = sorted({currency for currency, _ in wanted})
    days = [day for _, day in wanted]
    statement = select(ExchangeRate.day, ExchangeRate.currency, ExchangeRate.rate).where(
        ExchangeRate.currency.in_(currencies),
        ExchangeRate.day.between(min(days), max(days)),
    )
    result = await session.execute(statement)
    return RateBook(base, {(day, currency): rate for day, currency, rate in result})
