"""Customer accounts with SMPP credentials on a running gateway, and the server's address."""

from smsgate.app import App
from smsgate.domain.account import Account, hash_password
from smsgate.domain.ids import new_id


async def add_smpp_account(
    app: App, system_id: str, password: str = "secret", rate: float = 10_000.0
) -> Account:
    assert app.store is not None
    account = Account(
        id=new_id(),
        name=system_id,
        smpp_system_id=system_id,
        smpp_password_hash=hash_password(password),
        rate_limit=rate,
    )
    await app.store.create_account(account)
    return account


def smpp_port(app: App) -> int:
    assert app.smpp is not None and app.smpp.port is not None
    return app.smpp.port
