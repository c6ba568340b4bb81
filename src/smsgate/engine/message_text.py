"""A message's text as it goes to the handset: the comment cut off, the rest encoded and split
into parts. Accepting and replacing a message both build their parts here."""

from smsgate.domain.comment import split_comment
from smsgate.domain.errors import GatewayError
from smsgate.domain.message import Part
from smsgate.domain.status import Status
from smsgate.text import (
    EncodedMessage,
    Encoding,
    TextError,
    TooManySegmentsError,
    encode_binary_with_header,
    encode_message,
)


def encode_text(
    text: str,
    encoding: str | None,
    reference: int,
    max_segments: int,
    header: bytes | None = None,
) -> tuple[str, str | None, EncodedMessage]:
    """(the text sent, the comment, its encoding and parts); GatewayError "invalid_text" or
    "message_too_long". header: the sender's own UDH elements, for binary data only."""
    sent, comment = split_comment(text)  # the comment is kept, never sent
    if not sent:
        raise GatewayError("invalid_text", "the text is empty")
    try:
        chosen = Encoding(encoding) if encoding else None
    except ValueError:
        raise GatewayError("invalid_text", f"unknown encoding {encoding!r}") from None
    content: str | bytes = sent
    if chosen is Encoding.BINARY:
        # 8-bit data travels as hex in the text (and is kept so: lower case, no spaces)
        try:
            content = bytes.fromhex(sent)
        except ValueError:
            raise GatewayError("invalid_text", "binary data is given in hex digits") from None
        sent = content.hex()
    try:
        if not header:
            encoded = encode_message(
                content, reference=reference, encoding=chosen, max_segments=max_segments
            )
        elif isinstance(content, bytes):
            encoded = encode_binary_with_header(
                content, header, reference=reference, max_segments=max_segments
            )
        else:
            raise GatewayError("invalid_text", "a user data header goes with binary data only")
    except TooManySegmentsError as exc:
        raise GatewayError("message_too_long", str(exc)) from None
    except TextError as exc:
        raise GatewayError("invalid_text", str(exc)) from None
    return sent, comment, encoded


def data_coding_of(encoded: EncodedMessage, chosen: int | None) -> int:
    """The data_coding sent: for 8-bit data the one its sender chose (a message class, 0xF5,
    ...) when there is one, else the encoding's."""
    if chosen is not None and encoded.encoding is Encoding.BINARY:
        return chosen
    return encoded.data_coding


def parts_of(message_id: str, encoded: EncodedMessage, status: Status) -> list[Part]:
    return [
        Part(
            message_id=message_id,
            seq=seq,
            short_message=part.short_message,
            esm_class=part.esm_class,
            sar_ref=part.sar.msg_ref_num if part.sar else None,
            sar_total=part.sar.total_segments if part.sar else None,
            sar_seq=part.sar.segment_seqnum if part.sar else None,
            status=status,
        )
        for seq, part in enumerate(encoded.parts, 1)
    ]
