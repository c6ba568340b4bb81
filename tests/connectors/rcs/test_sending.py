"""The RCS connector against the simulated platform over loopback HTTP: sending, reports,
refusals, revokes and users' events."""

from typing import Any

from smsgate.connectors.rcs import message_id
from smsgate.domain.status import Status
from smsgate.engine.ports import Revoked
from tests.connectors.rcs.harness import BOT, CONNECTOR_ID, rcs_part, rig, run, simulator_config

CARD = {
    "richcardMessage": {
        "message": {
            "generalPurposeCard": {
                "layout": {"cardOrientation": "VERTICAL"},
                "content": {"title": "Your parcel", "description": "Arrives tomorrow"},
            }
        }
    },
    "suggestedChipList": {
        "suggestions": [
            {"reply": {"displayText": "Reschedule", "postback": {"data": "reschedule:42"}}},
            {"reply": {"displayText": "OK", "postback": {"data": "ok:42"}}},
        ]
    },
}


def test_a_part_is_accepted_then_delivered_then_displayed() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = rcs_part(1)
            assert r.connector.submit(part)
            msg_id = message_id(part.key)
            await r.events.wait_until(lambda: len(r.events.statuses(msg_id)) == 3)
            assert r.events.accepted_parts == [(part.key, msg_id, CONNECTOR_ID)]
            assert r.events.statuses(msg_id) == ["sent", "delivered", "displayed"]
            assert [x.status for x in r.events.receipts] == [
                Status.SENT,
                Status.DELIVERED,
                Status.DISPLAYED,
            ]
            assert not r.events.failures
            (received,) = r.simulator.handset("+819012345678")
            assert (received.bot, received.msg_id) == (BOT, msg_id)
            assert received.content["textMessage"] == "message 1"
            assert r.connector.stats.receipts == 3

    run(scenario)


def test_the_handset_receives_each_content_in_order() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(read_share=0.0)) as r:
            contents: list[dict[str, Any]] = [
                {"textMessage": "first"},
                CARD,
                {"textMessage": "third"},
            ]
            for n, content in enumerate(contents):
                assert r.connector.submit(rcs_part(n, "819011112222", content))
                # one at a time: the platform's order is the order of the sends
                msg_id = message_id(rcs_part(n).key)
                await r.events.wait_for_status(msg_id, "delivered")
            received = r.simulator.handset("819011112222")
            assert [item.content for item in received] == [
                {**content, "msgId": message_id(rcs_part(n).key)}
                for n, content in enumerate(contents)
            ]
            assert r.simulator.handset("819099999999") == []

    run(scenario)


def test_a_user_who_cannot_receive_rcs_fails_the_part_for_good() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = rcs_part(1, destination="817012345678")
            assert r.connector.submit(part)
            await r.events.wait_until(lambda: bool(r.events.failures))
            ((key, error, detail, permanent),) = r.events.failures
            assert (key, error, permanent) == (part.key, "rcs_not_capable", True)
            assert "404" in detail
            assert not r.events.accepted_parts
            # the refusal is remembered: the next question is answered without the platform
            queries = r.simulator.counters["capability_queries"]
            assert await r.connector.capable("817012345678", BOT) is False
            assert r.simulator.counters["capability_queries"] == queries

    run(scenario)


def test_other_refusals_fail_the_part_as_carrier_rejected() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = rcs_part(1, content={"unknownMessage": "x"})  # the platform answers 400
            assert r.connector.submit(part)
            no_content = rcs_part(2, content={})
            assert r.connector.submit(no_content)
            await r.events.wait_until(lambda: len(r.events.failures) == 2)
            by_key = {key: (error, permanent) for key, error, _, permanent in r.events.failures}
            assert by_key[part.key] == ("carrier_rejected", True)
            assert by_key[no_content.key] == ("invalid_rcs_content", True)

    run(scenario)


def test_revoke_before_delivery_takes_the_message_back() -> None:
    async def scenario() -> None:
        async with rig() as r:
            part = rcs_part(1, destination="818091234567")  # the app was removed
            assert r.connector.submit(part)
            msg_id = message_id(part.key)
            await r.events.wait_until(lambda: r.events.statuses(msg_id) == ["sent"])
            assert await r.connector.revoke(msg_id, BOT) == Revoked(True)
            assert r.simulator.message_state(msg_id) == "cancelled"
            assert r.simulator.handset("818091234567") == []
            # revoking again is still a revoked message
            assert await r.connector.revoke(msg_id, BOT) == Revoked(True)
            assert await r.connector.revoke("no-such-id", BOT) == Revoked(False, "unknown message")

    run(scenario)


def test_revoke_after_delivery_says_it_was_delivered() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(read_share=0.0)) as r:
            part = rcs_part(1)
            assert r.connector.submit(part)
            msg_id = message_id(part.key)
            await r.events.wait_until(lambda: "delivered" in r.events.statuses(msg_id))
            assert await r.connector.revoke(msg_id, BOT) == Revoked(
                False, "delivered", delivered=True
            )
            assert r.simulator.message_state(msg_id) == "delivered"

    run(scenario)


def test_a_tapped_suggestion_and_a_text_reply_arrive_as_user_events() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(tap_share=1.0, reply_share=1.0)) as r:
            card = rcs_part(1, content=CARD)
            text = rcs_part(2, destination="819055556666")
            assert r.connector.submit(card)
            assert r.connector.submit(text)
            kinds = {"response", "message"}
            await r.events.wait_until(
                lambda: kinds <= {event.kind for event in r.events.user_events}
            )
            by_kind = {event.kind: event for event in r.events.user_events}
            tap = by_kind["response"]
            assert (tap.bot, tap.user, tap.text) == (BOT, "819012345678", "Reschedule")
            response = tap.payload["suggestedResponse"]["response"]["reply"]
            assert response["postback"] == {"data": "reschedule:42"}
            assert tap.message_id and tap.message_id != message_id(card.key)
            reply = by_kind["message"]
            assert (reply.bot, reply.user) == (BOT, "819055556666")
            assert reply.text in simulator_config().reply_texts
            assert reply.payload["textMessage"] == reply.text
            assert r.connector.stats.user_events >= 2

    run(scenario)


def test_a_new_user_is_announced_once_per_bot() -> None:
    async def scenario() -> None:
        async with rig(simulator_config(read_share=0.0)) as r:
            first, second = rcs_part(1), rcs_part(2)
            assert r.connector.submit(first)
            await r.events.wait_until(
                lambda: "delivered" in r.events.statuses(message_id(first.key))
            )
            assert r.connector.submit(second)
            await r.events.wait_until(
                lambda: "delivered" in r.events.statuses(message_id(second.key))
            )
            new_users = [e for e in r.events.user_events if e.kind == "newUser"]
            assert [(e.bot, e.user) for e in new_users] == [(BOT, "819012345678")]

    run(scenario)
