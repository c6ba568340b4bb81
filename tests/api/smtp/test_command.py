"""The command in an e-mail's body: its fields, its strictness, and the SendCommands it makes."""

import pytest

from smsgate.api.smtp.command import parse, send_commands
from smsgate.domain.errors import GatewayError

NOW = 1_800_000_000.0


def test_every_field_is_read() -> None:
    command = parse("shop:s3cret:order-42:+10:1:0:ShopName:+79991234567, 8 999 765-43-21:Hi", 10)
    assert (command.login, command.secret, command.send_id) == ("shop", "s3cret", "order-42")
    assert (command.time, command.translit, command.sender) == ("+10", "1", "ShopName")
    assert command.phones == ("+79991234567", "+79997654321")
    assert command.message == "Hi"


def test_the_message_keeps_its_colons_and_lines_but_not_the_signature() -> None:
    body = (
        "\r\n\r\nshop:key::::::79991234567;79990000000:Time: 10:30\r\nRoom: 4\r\n\r\n-- \r\nBob\r\n"
    )
    command = parse(body, 10)
    assert command.message == "Time: 10:30\nRoom: 4"
    assert command.phones == ("+79991234567", "+79990000000")
    assert (command.send_id, command.time, command.sender) == (None, "", None)


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ("shop:s3cret:1:0:0:0:Shop:79991234567", "expected login:password"),
        (":s3cret:1:0:0:0:Shop:79991234567:Hi", "login and password"),
        ("shop::1:0:0:0:Shop:79991234567:Hi", "login and password"),
        ("shop:s3cret:1:0:7:0:Shop:79991234567:Hi", "translit"),
        ("shop:s3cret:1:0:0:1:Shop:79991234567:Hi", "format"),
        ("shop:s3cret:1:0:0:0:Shop::Hi", "phones: no number"),
        ("shop:s3cret:1:0:0:0:Shop:79991234567:  ", "message: no text"),
        ("shop:s3cret:bad id!:0:0:0:Shop:79991234567:Hi", "id:"),
        ("shop\nx:s3cret:1:0:0:0:Shop:79991234567:Hi", "one line"),
        ("shop:s3cret:1:0:0:0:Shop:" + ",".join(["79991234567"] * 11) + ":Hi", "at most 10"),
        ("shop:" + "x" * 300 + ":1:0:0:0:Shop:79991234567:Hi", "at most 256"),
    ],
)
def test_a_field_out_of_form_is_named(body: str, complaint: str) -> None:
    with pytest.raises(GatewayError) as refused:
        parse(body, 10)
    assert complaint in refused.value.detail


def test_one_send_command_per_phone() -> None:
    command = parse("shop:s3cret:batch7:0101301200:1:0:Shop:79991234567,79990000000:Привет", 10)
    first, second = send_commands(command, NOW)
    assert (first.to, second.to) == ("+79991234567", "+79990000000")
    assert first.text == second.text == "Privet"  # translit 1
    assert first.tag == "batch7" and first.sender == "Shop" and first.origin == "email"
    assert first.scheduled_at == 1_893_488_400.0  # 01.01.2030 12:00 Moscow time


def test_a_time_out_of_form_is_refused() -> None:
    command = parse("shop:s3cret::tomorrow:0:0::79991234567:Hi", 10)
    with pytest.raises(GatewayError) as refused:
        send_commands(command, NOW)
    assert refused.value.code == "invalid_schedule"
