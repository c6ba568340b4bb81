"""NUL in each dialect's fields, on both store backends: refused with the dialect's code for
the catalog's invalid_character (a message's field) or invalid_filter_character (a lookup),
never a 500 or an answer the store failed to give."""

import asyncio

import orjson

from smsgate.engine.clock import ManualClock
from tests.api.dialects import test_kddi as kddi
from tests.api.dialects import test_p5 as p5
from tests.api.dialects import test_reach as reach
from tests.api.dialects import test_smsc_ru as smsc_ru
from tests.api.dialects.clocked import run_clocked
from tests.api.harness import Running, running_gateway
from tests.store.backends import StoreBackend

NUL = "\x00"


def test_reach_and_p5(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock) -> None:
        answer = await reach.create(gw, body=f"a{NUL}b")
        reach.assert_error(answer, 422, 400)
        assert "U+0000" in answer.json()["errorDetails"]["detail"]
        reach.assert_error(await reach.create(gw, src=f"a{NUL}b"), 422, 20102)  # invalid_source
        fetched = await reach.fetch(gw, f"a{NUL}b")
        reach.assert_error(fetched, 400, 400)
        sent = await reach.create(gw)
        assert sent.status_code == 201, sent.text
        redacted = await gw.client.post(
            f"{reach.BASE}/update",
            data={"messageId": sent.json()["messageId"], "body": f"x{NUL}"},
            headers=reach.headers(gw),
        )
        reach.assert_error(redacted, 422, 400)
        for field in ("message", "clientTag"):
            sent = await p5.mt(gw, **{field: f"a{NUL}b"})
            assert sent["responseCode"] == 110, (field, sent)
        status = await p5.call(gw, "status.json", clientTag=f"a{NUL}b")
        assert status["responseCode"] == 110, status
        assert (await p5.mt(gw))["responseCode"] == 0  # nothing else was refused

    run_clocked(backend, scenario)


def test_kddi(backend: StoreBackend) -> None:
    async def scenario(gw: Running) -> None:
        account = await kddi.setup(gw)
        document = {**kddi.SAMPLE_SMS, "smsmessage": {"smsText": f"a{NUL}b"}}
        answer = await kddi.post(gw, account, document)
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"]["code"] == 400
        assert (await kddi.post(gw, account, kddi.SAMPLE_SMS)).status_code == 202

    async def main() -> None:
        async with running_gateway(backend.url) as gw:
            await scenario(gw)

    asyncio.run(main())


def test_smsc_ru(backend: StoreBackend) -> None:
    async def scenario(gw: Running, clock: ManualClock, account: object) -> None:
        sent = await smsc_ru.call(
            gw, "send", "utf-8", phones="79991234567", mes=f"a{NUL}b", fmt="3"
        )
        assert orjson.loads(sent.content)["error_code"] == 1, sent.text
        status = await smsc_ru.call(
            gw, "status", "utf-8", phone="79991234567", id=f"1{NUL}", fmt="3"
        )
        assert status.status_code == 200 and "error_code" in orjson.loads(status.content)
        # a login no account can have is wrong credentials, not a failed read
        intruder = await gw.client.get("/sys/send.php?login=a%00&psw=x&phones=7999&mes=x&fmt=3")
        assert orjson.loads(intruder.content)["error_code"] == 2, intruder.text

    smsc_ru.run(backend, scenario)
