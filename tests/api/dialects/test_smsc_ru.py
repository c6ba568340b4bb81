"""The SMSC.ru HTTP API against a whole gateway over real HTTP, on both store backends: the
documented requests (send, cost, status, balance) in every answer format, the charsets,
translit, the send time formats, and errors 1 to 9 in every format."""

import asyncio
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes
from xml.etree import ElementTree

import httpx
import orjson
import pytest

from smsgate.domain.account import Account, hash_api_key, hash_password
from smsgate.domain.pricing import to_micros
from smsgate.domain.status import Status
from smsgate.engine.clock import ManualClock
from tests.api.harness import Running, add_account, running_gateway
from tests.store.backends import BACKENDS, StoreBackend, store_backend

LOGIN, PASSWORD = "smsclogin", "s3cret"
MOSCOW = timezone(timedelta(hours=3))
RUSSIAN = "Привет! Ваш код подтверждения: 1234"
PRICE = [{"per_segment": "1.40", "currency": "EUR"}]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreBackend]:
    with store_backend(request.param, tmp_path) as item:
        yield item


def run(
    backend: StoreBackend,
    scenario: Callable[[Running, ManualClock, Account], Awaitable[None]],
    **settings: Any,
) -> None:
    async def main() -> None:
        clock = ManualClock()
        async with running_gateway(backend.url, clock, **settings) as gw:
            store = gw.app.store
            assert store is not None
            found = await store.account_by_api_key_hash(hash_api_key(gw.keys["a"]))
            assert found is not None
            account = replace(
                found, smpp_system_id=LOGIN, smpp_password_hash=hash_password(PASSWORD)
            )
            await store.update_account(account)
            await scenario(gw, clock, account)

    asyncio.run(main())


def encoded(params: dict[str, str], charset: str = "cp1251") -> str:
    """A query string with the values' bytes in `charset`, percent-encoded."""
    return "&".join(
        f"{name}={quote_from_bytes(value.encode(charset), safe='')}"
        for name, value in params.items()
    )


async def call(
    gw: Running, page: str, codec: str = "cp1251", post: bool = False, **params: str
) -> httpx.Response:
    params = {"login": LOGIN, "psw": PASSWORD, **params}
    query = encoded(params, codec)
    if post:
        return await gw.client.post(
            f"/sys/{page}.php",
            content=query.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    return await gw.client.get(f"/sys/{page}.php?{query}")


def parse(answer: httpx.Response, fmt: str, charset: str = "windows-1251") -> Any:
    """The answer's content: fmt 0 text, 1 the list of values, 2 a dict of the XML
    elements, 3 the JSON object."""
    assert answer.status_code == 200
    assert answer.headers["content-type"].endswith(f"charset={charset}")
    text = answer.content.decode({"windows-1251": "cp1251"}.get(charset, charset))
    if fmt == "1":
        return text.split(",")
    if fmt == "2":
        root = ElementTree.fromstring(answer.content)
        assert root.tag == "result"
        return {child.tag: child.text for child in root}
    if fmt == "3":
        return orjson.loads(answer.content)
    return text


# the descriptions of SMSC.ru's answers, as clients' code and recorded answers show them
DESCRIPTIONS = {
    1: "parameters error",
    2: "authorise error",
    3: "no money",
    4: "IP is blocked",
    5: "invalid date format",
    6: "message is denied",
    7: "invalid number",
    8: "can't to deliver",
    9: "duplicate request, wait a minute",
}


def check_error(
    answer: httpx.Response,
    fmt: str,
    code: int,
    message_id: str | None,
    charset: str = "windows-1251",
) -> None:
    """The documented error shapes (with the id for errors 3, 6, 7 and 8)."""
    content = parse(answer, fmt, charset)
    with_id = message_id if code in (3, 6, 7, 8) else None
    text = DESCRIPTIONS[code]
    if fmt == "0":
        assert content == f"ERROR = {code} ({text})" + (f", ID - {with_id}" if with_id else "")
    elif fmt == "1":
        assert content == [with_id or "0", f"-{code}"]
    elif fmt == "2":
        assert content["error_code"] == str(code) and content["error"] == text
        assert content.get("id") == with_id
    else:
        assert content["error_code"] == code and content["error"] == text
        assert ("id" in content) is (with_id is not None)
        if with_id:
            assert str(content["id"]) == with_id


def test_documented_send_status_and_balance_in_every_format(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: Account) -> None:
        shapes = {
            "0": lambda c, i: c == f"OK - 1 SMS, ID - {i}",
            "1": lambda c, i: c == [i, "1"],
            "2": lambda c, i: c == {"id": i, "cnt": "1"},
            "3": lambda c, i: c == {"id": int(i), "cnt": 1},
        }
        sent = {}
        for fmt, shape in shapes.items():
            message_id = f"10{fmt}"
            answer = await call(
                gw, "send", phones="79991234567", mes=f"Code {fmt}", id=message_id, fmt=fmt
            )
            assert shape(parse(answer, fmt), message_id), answer.text
            sent[fmt] = message_id
        # several phones, comma and semicolon separated, one id: one message per phone
        answer = await call(
            gw, "send", phones="+79991234560, 89991234561;79991234562", mes="Hi all", fmt="3"
        )
        group = parse(answer, "3")
        assert group["cnt"] == 3 and isinstance(group["id"], int)
        assert gw.app.gateway is not None
        messages, _ = await gw.app.store.list_messages(account.id, tag=str(group["id"]))  # type: ignore[union-attr]
        assert sorted(m.destination for m in messages) == [
            "79991234560",
            "79991234561",
            "79991234562",
        ]
        await gw.wait_final([m.id for m in messages])
        # status.php, each format; a delivered message is status 1
        await gw.wait_final(
            [m.id for m in (await gw.app.store.list_messages(account.id))[0]]  # type: ignore[union-attr]
        )
        for fmt in "0123":
            answer = await call(gw, "status", phone="79991234567", id=sent["3"], fmt=fmt)
            content = parse(answer, fmt)
            if fmt == "0":
                assert re.fullmatch(
                    r"Status = 1, check_time = \d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d, err = 0", content
                ), content
            elif fmt == "1":
                assert content[0] == "1" and content[1].isdigit() and content[2] == "0"
            else:
                status = content["status"]
                assert str(status) == "1"
                assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d", content["last_date"])
        detail = parse(
            await call(gw, "status", phone="79991234567", id=sent["3"], fmt="3", all="1"), "3"
        )
        assert detail["phone"] == "79991234567"
        assert detail["message"] == "Code 3"
        assert detail["status_name"] == "Delivered"
        assert detail["cost"] == "0" and detail["sms_cnt"] == 1
        unknown = parse(await call(gw, "status", phone="79991234567", id="nope", fmt="3"), "3")
        assert unknown["status"] == -3
        # balance.php: a postpaid account (no balance) answers 0
        assert parse(await call(gw, "balance"), "0") == "0"
        assert parse(await call(gw, "balance", fmt="3", cur="1"), "3") == {
            "balance": "0",
            "currency": "EUR",
        }
        # the API key instead of login and psw
        by_key = await gw.client.get(
            "/sys/balance.php", params={"apikey": gw.keys["a"], "fmt": "2"}
        )
        assert parse(by_key, "2") == {"balance": "0"}

    run(backend, scenario)


def test_charsets_and_translit(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: Account) -> None:
        cases = [
            ("windows-1251", "cp1251", None),
            ("utf-8", "utf-8", "utf-8"),
            ("koi8-r", "koi8_r", "koi8-r"),
        ]
        for number, (charset, codec, named) in enumerate(cases):
            params = {"phones": f"7999123450{number}", "mes": RUSSIAN, "id": f"cs{number}"}
            if named:
                params["charset"] = named
            answer = await call(gw, "send", codec, post=number == 1, fmt="3", **params)
            assert parse(answer, "3", charset) == {"id": f"cs{number}", "cnt": 1}
            detail = await call(
                gw,
                "status",
                codec,
                phone=params["phones"],
                id=f"cs{number}",
                all="1",
                fmt="0",
                **({"charset": named} if named else {}),
            )
            assert f"message = {RUSSIAN}" in parse(detail, "0", charset)
        for style, expected in (("1", "Privet! Vash kod podtverzhdeniya: 1234"), ("2", None)):
            answer = await call(
                gw,
                "send",
                phones="79991234599",
                mes=RUSSIAN,
                translit=style,
                id=f"t{style}",
                fmt="3",
            )
            assert parse(answer, "3")["cnt"] == 1  # 7-bit now: one part
            found, _ = await gw.app.store.list_messages(account.id, tag=f"t{style}")  # type: ignore[union-attr]
            text = found[0].text
            assert text.isascii()
            if expected:
                assert text == expected
            else:
                assert text.startswith("npuBeT! BaLLI Ko")
        # maxsms cuts the text to fit
        long = "Long message " * 40
        answer = await call(
            gw, "send", phones="79991234598", mes=long, maxsms="2", fmt="3", id="m2"
        )
        assert parse(answer, "3")["cnt"] == 2
        # a value that is not in the named charset is a parameters error
        bad = await gw.client.get("/sys/send.php?login=x&psw=y&charset=utf-8&mes=%FF&fmt=3")
        check_error(bad, "3", 1, None, "utf-8")
        unknown = await call(gw, "send", charset="latin-9", phones="79991234597", mes="x")
        check_error(unknown, "0", 1, None)

    run(backend, scenario)


def test_send_time_formats_validity_and_cost(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: Account) -> None:
        now = clock.time()
        local = datetime.fromtimestamp(now, MOSCOW)
        later = (local + timedelta(days=1)).replace(second=0, microsecond=0)
        outside = (local.hour + 2) % 24, (local.hour + 3) % 24 or 24
        cases = {
            "date": (later.strftime("%d%m%y%H%M"), None, later.timestamp()),
            "date in tz": (
                later.strftime("%d%m%y%H%M"),
                "-3",
                later.replace(tzinfo=UTC).timestamp(),
            ),
            "unix": ("0" + str(int(now) + 7200), None, float(int(now) + 7200)),
            "minutes": ("+90", None, now + 5400),
        }
        store, gateway = gw.app.store, gw.app.gateway
        assert store is not None and gateway is not None
        for number, (name, (value, tz, expected)) in enumerate(cases.items()):
            params = {
                "phones": f"7999000000{number}",
                "mes": name,
                "time": value,
                "id": f"tm{number}",
            }
            if tz:
                params["tz"] = tz
            answer = await call(gw, "send", fmt="3", **params)
            assert parse(answer, "3")["cnt"] == 1, (name, answer.text)
            (message,), _ = await store.list_messages(account.id, tag=f"tm{number}")
            assert message.status is Status.SCHEDULED, name
            assert message.scheduled_at == pytest.approx(expected), name
        waiting = await call(gw, "status", fmt="1", phone="79990000000", id="tm0")
        assert parse(waiting, "1")[0] == "-1"  # waiting to be sent
        if outside[0] < outside[1]:
            answer = await call(
                gw,
                "send",
                fmt="3",
                phones="79990000009",
                mes="window",
                id="win",
                time=f"{outside[0]}-{outside[1]}",
            )
            assert parse(answer, "3")["cnt"] == 1
            (message,), _ = await store.list_messages(account.id, tag="win")
            assert message.status is Status.SCHEDULED
            start = datetime.fromtimestamp(message.scheduled_at or 0, MOSCOW)
            assert (start.hour, start.minute) == (outside[0], 0)
        # valid (hours, or hh:mm) is the message's lifetime, cut to the gateway's longest
        answer = await call(
            gw, "send", fmt="3", phones="79990000010", mes="v", id="v1", valid="01:30"
        )
        assert parse(answer, "3")["cnt"] == 1
        (message,), _ = await store.list_messages(account.id, tag="v1")
        assert message.valid_until == pytest.approx(now + 5400)
        # cost=1 prices without sending; 2 sends and prices; 3 adds the balance
        quote = await call(gw, "send", fmt="0", phones="79990000011", mes="q", id="q1", cost="1")
        assert parse(quote, "0") == "1.4 (1 SMS)"
        assert (await store.list_messages(account.id, tag="q1"))[0] == []
        await store.set_balance(account.id, to_micros(Decimal("10")), now)
        await gateway.reload_balances()
        priced = await call(gw, "send", fmt="3", phones="79990000012", mes="p", id="p2", cost="2")
        assert parse(priced, "3") == {"id": "p2", "cnt": 1, "cost": "1.4"}
        with_balance = await call(
            gw, "send", fmt="0", phones="79990000013", mes="b", id="p3", cost="3"
        )
        assert parse(with_balance, "0") == "OK - 1 SMS, ID - p3, COST - 1.4, BALANCE - 7.20"

    run(backend, scenario, prices=PRICE)


def test_errors_1_to_9_in_every_format(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: Account) -> None:
        store = gw.app.store
        assert store is not None
        requests: dict[int, list[dict[str, str]]] = {
            1: [{"mes": "no phones"}, {"phones": "79991112233", "mes": "x", "valid": "25"}],
            2: [{"psw": "wrong", "phones": "79991112233", "mes": "x"}],
            5: [{"phones": "79991112233", "mes": "x", "time": "31139912"}],
            6: [{"phones": "79991112233", "mes": "x", "sender": "a sender name far too long"}],
            7: [{"phones": "12", "mes": "x"}],
        }
        for code, variants in requests.items():
            for number, params in enumerate(variants):
                for fmt in "0123":
                    message_id = f"e{code}{number}{fmt}"
                    answer = await call(gw, "send", fmt=fmt, id=message_id, **params)
                    check_error(answer, fmt, code, message_id)
            clock.advance(61)  # out of the refused-requests window (error 4)
        # 9: the same message again within a minute
        for fmt in "0123":
            first = await call(gw, "send", fmt=fmt, phones="79991112244", mes=f"again {fmt}")
            assert "ERROR" not in first.text and "error" not in first.text
            again = await call(
                gw, "send", fmt=fmt, phones="79991112244", mes=f"again {fmt}", id="d9"
            )
            check_error(again, fmt, 9, "d9")
        # 2: a source address outside the account's allow-list
        fenced_key = await _fenced_account(gw)
        for fmt in "0123":
            fenced = await gw.client.get(
                "/sys/send.php",
                params={"apikey": fenced_key, "phones": "79991112255", "mes": "x", "fmt": fmt},
            )
            check_error(fenced, fmt, 2, None)
        clock.advance(61)
        # 3 and 8: a prepaid account short of funds; an unpriced destination when prepaid
        await store.set_balance(account.id, to_micros(Decimal("1")), clock.time())
        assert gw.app.gateway is not None
        await gw.app.gateway.reload_balances()
        for fmt in "0123":
            short = await call(
                gw, "send", fmt=fmt, id=f"f3{fmt}", phones="79991112266", mes=f"funds {fmt}"
            )
            check_error(short, fmt, 3, f"f3{fmt}")
        clock.advance(61)
        for fmt in "0123":
            unpriced = await call(
                gw, "send", fmt=fmt, id=f"n8{fmt}", phones="+12025550123", mes=f"us {fmt}"
            )
            check_error(unpriced, fmt, 8, f"n8{fmt}")
        clock.advance(61)
        # 4: an address with too many refused requests is refused for a minute
        for _ in range(30):
            await call(gw, "send", fmt="3", psw="wrong")
        for fmt in "0123":
            check_error(await call(gw, "balance", fmt=fmt), fmt, 4, None)
        clock.advance(61)
        assert parse(await call(gw, "balance", fmt="3"), "3") == {"balance": "1.00"}

    run(
        backend,
        scenario,
        prices=[{"per_segment": "1.40", "currency": "EUR", "country": "RU"}],
        identical_window=60.0,
    )


async def _fenced_account(gw: Running) -> str:
    """A new account (accounts are cached a while) that allows 192.0.2.0/24 only."""
    key = await add_account(gw.app, "fenced")
    store = gw.app.store
    assert store is not None
    found = await store.account_by_api_key_hash(hash_api_key(key))
    assert found is not None
    await store.update_account(replace(found, ip_allow="192.0.2.0/24"))
    return key
