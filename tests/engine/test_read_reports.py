"""A rich channel's read report, which follows its delivery report: matched in memory while
the message is there, from the store once it left; the index of channel ids no larger than
the messages in memory."""

from pathlib import Path

from smsgate.domain.status import Status
from smsgate.engine.ports import DeliveryReport
from tests.engine.channel_rig import in_loop, rig


def read(carrier_id: str) -> DeliveryReport:
    return DeliveryReport((carrier_id,), Status.DISPLAYED, "displayed")


@in_loop
async def test_a_read_after_delivery_is_matched_in_memory(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        message = await r.send(("rcs",))
        await r.wait(message.id, Status.DELIVERED)
        live = r.gateway.live
        assert ("rcs", "rcs-1") in live.by_carrier_id  # delivered, and the read may follow
        pending = r.gateway.outcomes.receipt("rcs", read("rcs-1"))
        # applied at once to the copy in memory, before any store read could have answered
        in_memory = live.get(message.id)
        assert in_memory is not None and in_memory.status is Status.DISPLAYED
        await pending
        assert ("rcs", "rcs-1") not in live.by_carrier_id  # nothing more to come
        stored = await r.store.get_message(message.id)
        assert stored is not None and stored.status is Status.DISPLAYED


@in_loop
async def test_a_channel_without_read_reports_leaves_the_index_when_delivered(
    tmp_path: Path,
) -> None:
    async with rig(tmp_path) as r:
        message = await r.send(("sms",))
        await r.wait(message.id, Status.DELIVERED)
        assert message.id in r.gateway.live
        assert not any(
            key.message_id == message.id for key in r.gateway.live.by_carrier_id.values()
        )


@in_loop
async def test_index_entries_leave_with_their_message(tmp_path: Path) -> None:
    async with rig(tmp_path, live_limit=2) as r:
        sent = []
        for i in range(6):
            message = await r.send(("rcs",), to=f"81901234{i:04d}")
            await r.wait(message.id, Status.DELIVERED)
            sent.append(message)
        live = r.gateway.live
        # each message delivered keeps its entry only while it is in memory
        assert len(live) <= 3
        assert {key.message_id for key in live.by_carrier_id.values()} == set(live.messages)
        assert len(live.by_carrier_id) == len(live)
        first = sent[0]
        assert first.id not in live
        # its read report still applies: the part is found in the store
        await r.gateway.outcomes.receipt("rcs", read("rcs-1"))
        stored = await r.store.get_message(first.id)
        assert stored is not None and stored.status is Status.DISPLAYED
