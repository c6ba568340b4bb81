"""What a message costs and who pays: its price fixed at acceptance from the price list, the
prepaid balance it reserves, `max_price`, and the reservation given back when the message fails
before reaching a carrier.
"""

from decimal import Decimal
from typing import Final

from smsgate.domain.account import Account
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Message
from smsgate.domain.pricing import PriceList, from_micros, to_micros
from smsgate.domain.status import Status
from smsgate.engine.balances import Balances
from smsgate.store.changes import BalanceChange

# final statuses of a message that never reached a carrier: its price is given back
_UNSENT_OUTCOMES: Final = frozenset(
    {Status.REJECTED, Status.EXPIRED, Status.CANCELED, Status.FAILED}
)


class Billing:
    def __init__(self, currency: str = "EUR", prices: PriceList | None = None) -> None:
        self.currency = currency  # of accounts that name none
        self.prices = prices or PriceList()
        self.balances = Balances()

    def currency_of(self, account: Account) -> str:
        return account.currency or self.currency

    def quote(
        self,
        account: Account,
        route_id: str,
        country: str | None,
        carrier: str | None,
        segments: int,
    ) -> tuple[str, str] | None:
        """(price, currency) of a message of `segments` on this route, or None if unpriced."""
        if not self.prices:
            return None
        currency = self.currency_of(account)
        rule = self.prices.find(currency, route_id, country, carrier)
        if rule is None:
            return None
        return str(rule.per_segment * segments), currency

    def reserve(self, account: Account, message: Message, max_price: Decimal | None) -> int:
        """Reserve the message's price on a prepaid balance; the micros taken (settle them with
        `balances.settled(account.id, -micros, committed)`). A price above `max_price` fails
        the message instead (nothing reserved); GatewayError("no_price") for a prepaid
        account's unpriced message, ("insufficient_balance") when the balance is short."""
        if message.price is None:
            if self.balances.prepaid(account.id):
                raise GatewayError("no_price", f"no price to +{message.destination}")
            return 0
        price = Decimal(message.price)
        if max_price is not None and price > max_price:
            detail = f"{message.price} {message.price_unit} is above max_price {max_price}"
            message.status = Status.FAILED
            message.error_code, message.error_detail = "price_exceeded", detail
            for part in message.parts:
                part.status = Status.FAILED
                part.error_code = "price_exceeded"
                part.done_at = message.created_at
            return 0
        if not self.balances.prepaid(account.id):
            return 0
        micros = to_micros(price)
        if not self.balances.take(account.id, micros):
            left = self.balances.available(account.id) or 0
            raise GatewayError(
                "insufficient_balance",
                f"the price is {message.price}, the balance {from_micros(left)}"
                f" {self.currency_of(account)}",
            )
        return micros

    def release(self, message: Message, status: Status, at: float) -> BalanceChange | None:
        """The change giving a message's price back when it ends without reaching a carrier
        (settle it with `balances.settled(account_id, delta, committed)`), else None."""
        if (
            message.price is None
            or status not in _UNSENT_OUTCOMES
            or message.error_code == "price_exceeded"  # nothing was reserved
            or not self.balances.prepaid(message.account_id)
            or any(p.upstream_id is not None for p in message.parts)
        ):
            return None
        micros = to_micros(Decimal(message.price))
        self.balances.give_back(message.account_id, micros)
        return BalanceChange(message.account_id, micros, at)
