"""Messages and accounts for store tests."""

import itertools
import time

from smsgate.domain.account import Account
from smsgate.domain.ids import id_floor, new_id
from smsgate.domain.message import Message, Part, Priority
from smsgate.domain.status import Status

_numbers = itertools.count(1)


def id_made_at(at: float) -> str:
    """An id as new_id makes it at `at` (a test's clock): MO are purged by the time in their
    id as well as by their received_at."""
    return id_floor(at)[:12] + new_id()[12:]


def new_message(
    account_id: str = "acct-1",
    *,
    parts: int = 1,
    destination: str = "819012345678",
    client_ref: str | None = None,
    status: Status = Status.ACCEPTED,
    created_at: float | None = None,
) -> Message:
    message_id = new_id()
    now = time.time() if created_at is None else created_at
    concatenated = parts > 1
    return Message(
        id=message_id,
        account_id=account_id,
        source="smsgate",
        source_ton=5,
        source_npi=0,
        destination=destination,
        text="hello " * parts,
        encoding="gsm7",
        data_coding=0,
        segments=parts,
        created_at=now,
        updated_at=now,
        valid_until=now + 86_400,
        priority=Priority.HIGH,
        status=status,
        client_ref=client_ref,
        callback_url="https://client.example/cb",
        price="0.0070",
        price_unit="EUR",
        parts=[
            Part(
                message_id=message_id,
                seq=seq,
                short_message=bytes([0x05, 0x00, 0x03, 0x2A, parts, seq]) + b"hello\x00\xff",
                esm_class=0x40 if concatenated else 0,
                sar_ref=0x2A if concatenated else None,
                sar_total=parts if concatenated else None,
                sar_seq=seq if concatenated else None,
                status=status,
            )
            for seq in range(1, parts + 1)
        ],
    )


def new_account(
    name: str = "acme", *, key_hash: str | None = None, system_id: str | None = None
) -> Account:
    return Account(
        id=new_id(),
        name=name,
        api_key_hash=key_hash,
        smpp_system_id=system_id,
        smpp_password_hash="scrypt$00$00" if system_id else None,
        rate_limit=50.0,
        created_at=1_700_000_000.25,
    )


def unique_number() -> str:
    return f"8190{next(_numbers):08d}"
