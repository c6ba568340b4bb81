"""What an operator changes from the console over real HTTP against a whole gateway (SQLite
file, simulated carrier): a connector stopped and started (nothing lost or sent twice), the
routing tables imported from CSV (the router takes them at once, a bad file changes nothing),
the account's SMPP options, the dashboard's channels and its sampler's end, and a replay that
wakes the outbox."""

import asyncio
from pathlib import Path
from typing import Any

from smsgate.api.console.traffic import TASK_NAME
from smsgate.app import SIMULATOR_ID
from smsgate.bench.receiver import CallbackReceiver
from smsgate.callbacks.channel import CallbackConfig
from smsgate.domain.status import Status
from smsgate.engine.router import EngineRouter
from smsgate.engine.stopped_connector import StoppedConnector
from tests.api.console.session import ConsoleClient, account_id, run_console
from tests.api.harness import Running


def test_a_connector_stopped_from_the_console_sends_what_waited_once_started(
    tmp_path: Path,
) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        gateway, simulator = gw.app.gateway, gw.app.simulator
        assert gateway is not None and simulator is not None
        sent = [(await gw.send(text=f"before {i}")).json()["id"] for i in range(3)]
        await gw.wait_final(sent)
        page = await console.get("/console/connectors")
        assert f'aria-label="Stop {SIMULATOR_ID}"' in page.text
        stopped = await console.post(f"/console/connectors/{SIMULATOR_ID}", action="stop")
        assert stopped.status_code == 303
        page = await console.http.get(stopped.headers["location"])
        assert "stopped; 0 parts it held are queued again" in page.text
        assert '<td class="state">stopped</td>' in page.text
        assert f'aria-label="Start {SIMULATOR_ID}"' in page.text
        assert isinstance(gateway.connectors[SIMULATOR_ID], StoppedConnector)
        waiting = [(await gw.send(text=f"while stopped {i}")).json()["id"] for i in range(5)]
        for message_id in waiting:  # accepted and kept, not refused
            answer = await gw.client.get(f"/v1/messages/{message_id}", headers=gw.headers())
            assert answer.json()["status"] == "queued"
        started = await console.post(f"/console/connectors/{SIMULATOR_ID}", action="start")
        assert started.status_code == 303
        assert set((await gw.wait_final(waiting)).values()) == {Status.DELIVERED}
        assert simulator.counters["submitted"] == 8 and simulator.counters["duplicates"] == 0
        page = await console.get("/console/connectors")
        assert '<td class="state">up</td>' in page.text
        refused = await console.post(f"/console/connectors/{SIMULATOR_ID}", action="pause")
        assert refused.status_code == 400
        unknown = await console.post("/console/connectors/nowhere", action="stop")
        assert unknown.status_code == 404 and "no running connector" in unknown.text

    run_console(tmp_path, body, "op")


ROUTES_CSV = """\ufeffid,prefixes,connectors,mode
# the rest goes to the simulated carrier too, by a route of its own
tokyo,8190 8180,simulator*2,weighted
rest,,simulator,
"""


def test_imported_routes_prefixes_and_ported_numbers_are_used_at_once(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        gateway = gw.app.gateway
        assert gateway is not None
        router = gateway.router
        assert isinstance(router, EngineRouter)

        async def upload(table: str, text: str, **fields: str) -> Any:
            files = {"file": (f"{table}.csv", text.encode(), "text/csv")}
            return await console.post("/console/routes/import", table=table, files=files, **fields)

        answer = await upload("routes", ROUTES_CSV)
        assert answer.status_code == 200 and "2 routes imported" in answer.text
        assert [r.id for r in router.routes.routes] == ["tokyo", "rest"]
        message_id = (await gw.send(to="+819012345678")).json()["id"]
        await gw.wait_final([message_id])
        assert gateway.live[message_id].route_id == "tokyo"

        answer = await upload("prefixes", "prefix,carrier\n+81701234,testnet\n")
        assert "1 carrier prefixes imported" in answer.text
        assert router.carrier("817012345678") == "testnet"
        answer = await upload("portability", "number,carrier\n09012345678,testnet\n", country="jp")
        assert "1 ported numbers imported" in answer.text
        assert router.carrier("819012345678") == "testnet"
        assert "ported numbers in the portability table" in answer.text

        # a bad file: every bad line listed, nothing written
        bad = await upload(
            "routes", "id,connectors,mode\nok,simulator,\n,simulator,\nx,sim,sideways\n"
        )
        assert bad.status_code == 422 and "Nothing was imported" in bad.text
        assert "line 3: the route has no id" in bad.text and "line 4:" in bad.text
        assert [r.id for r in router.routes.routes] == ["tokyo", "rest"]
        assert [r.id for r in await gateway.admin.routes()] == ["tokyo", "rest"]
        bad = await upload("prefixes", "prefix,carrier\n81x,testnet\n")
        assert bad.status_code == 422 and "line 2:" in bad.text
        bad = await upload("portability", "number,carrier\nnot a number,testnet\n")
        assert bad.status_code == 422 and "line 2:" in bad.text
        assert (await upload("tables", "x")).status_code == 400
        header = await upload("routes", "route,connectors\nr,simulator\n")
        assert header.status_code == 422 and "the header names columns" in header.text
        await console.login("cust")
        assert (await upload("routes", ROUTES_CSV)).status_code == 403

    run_console(tmp_path, body, "op")


def test_the_account_page_edits_the_smpp_options_and_documents_the_bind_ones(
    tmp_path: Path,
) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        assert gw.app.gateway is not None
        a = await account_id(gw.app, "a")
        page = await console.get("/console/account", account=a)
        assert 'id="bind-options"' in page.text and "MCONn" in page.text
        assert '<option value="gsm" selected>' in page.text
        saved = await console.post(
            f"/console/account/smpp-options?account={a}", data_coding_0="latin1"
        )
        assert saved.status_code == 200 and '<option value="latin1" selected>' in saved.text
        assert (await gw.app.gateway.admin.account(a)).data_coding_0 == "latin1"
        back = await console.post(f"/console/account/smpp-options?account={a}", data_coding_0="gsm")
        assert back.status_code == 200
        assert (await gw.app.gateway.admin.account(a)).data_coding_0 is None
        wrong = await console.post(
            f"/console/account/smpp-options?account={a}", data_coding_0="utf8"
        )
        assert wrong.status_code == 400 and "gsm, ascii, latin1" in wrong.text

    run_console(tmp_path, body, "op")


def test_the_dashboard_counts_messages_by_channel(tmp_path: Path) -> None:
    async def body(gw: Running, console: ConsoleClient) -> None:
        empty = await console.get("/console/dashboard/panel")
        assert "Accepted by channel" in empty.text and "none yet" in empty.text
        await gw.wait_final([(await gw.send()).json()["id"], (await gw.send()).json()["id"]])
        panel = await console.get("/console/dashboard/panel")
        assert "2 since start" in panel.text and "sms 2" in panel.text
        assert "0 fell back to their next channel" in panel.text

    run_console(tmp_path, body, "op")


def test_replayed_dead_letters_go_to_the_receiver_again(tmp_path: Path) -> None:
    """(That the replay wakes the consumer is tested at the engine's level.)"""
    receiver = CallbackReceiver(status=500)
    # one attempt, then a dead letter
    callbacks = CallbackConfig(max_attempts=1, poll_interval=0.2, deny_networks=[])

    async def body(gw: Running, console: ConsoleClient) -> None:
        gateway = gw.app.gateway
        assert gateway is not None
        url = await receiver.start()
        try:
            message_id = (await gw.send(callback_url=f"{url}/status")).json()["id"]
            await gw.wait_final([message_id])
            await receiver.wait_for(1, 30.0)
            for _ in range(500):  # each refusal becomes a dead letter within a few writes
                depth = await gateway.admin.outbox_depth()
                if not depth.get("pending") and depth.get("abandoned") == receiver.count:
                    break
                await asyncio.sleep(0.02)
            dead = await gateway.admin.dead_letters(limit=10)
            assert dead and {item.subject_id for item in dead} == {message_id}
            refused = receiver.count
            receiver.status = 200
            ids = [item.id for item in dead]
            replayed = await console.http.post(
                "/console/dead-letters/replay", data={"csrf": console.csrf, "id": ids}
            )
            assert replayed.status_code == 303
            assert f"replayed={len(ids)}" in replayed.headers["location"]
            await receiver.wait_for(refused + len(ids), 10.0)
            assert await gateway.admin.dead_letters(limit=10) == []
        finally:
            await receiver.stop()

    run_console(tmp_path, body, "op", callbacks=callbacks)


def test_the_dashboard_sampler_is_stopped_with_the_gateway(tmp_path: Path) -> None:
    def sampling() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if t.get_name() == TASK_NAME and not t.done()]

    async def body(gw: Running, console: ConsoleClient) -> None:
        assert gw.app.gateway is not None
        assert (await console.get("/console/dashboard/panel")).status_code == 200
        assert len(sampling()) == 1  # started by the first view
        for stop in gw.app.gateway.on_stop:  # what Gateway.stop awaits first
            await stop()
        assert sampling() == []

    run_console(tmp_path, body, "op")
