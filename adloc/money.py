"""Money: an amount in a currency, as a job's placeholder value (`{amount: 4.99, currency: EUR}`),
written the way each market writes it: symbol, its position and spacing, digits and the currency's
number of decimals all come from CLDR through Babel (`4,99 €` in pt-PT, `$89.00` in es-MX)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Money:
    """`amount` in `currency` (an ISO 4217 code such as EUR)."""

    amount: Decimal
    currency: str

    def __str__(self) -> str:  # as digests and logs show it: "4.99 EUR"
        return f"{self.amount} {self.currency}"


def is_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency code CLDR knows (upper case, as the standard writes it)."""
    from babel.numbers import is_currency as known

    return isinstance(code, str) and code.isupper() and known(code)


def format_money(money: Money, tag: str) -> str:
    """The amount as the locale writes money in this currency (Babel's `format_currency`)."""
    from babel.numbers import format_currency

    from adloc import locale as loc

    return format_currency(money.amount, money.currency, locale=loc.parse(tag))
