import pytest

from smsgate.text import DATA_CODING, DataCoding, DecodeError, Encoding, interpret_data_coding

GSM7, IA5, LATIN1, UCS2, BINARY = (
    Encoding.GSM7,
    Encoding.IA5,
    Encoding.LATIN1,
    Encoding.UCS2,
    Encoding.BINARY,
)


@pytest.mark.parametrize(
    ("data_coding", "expected"),
    [
        # SMPP 3.4 table
        (0x00, DataCoding(GSM7)),
        (0x01, DataCoding(IA5)),
        (0x02, DataCoding(BINARY)),
        (0x03, DataCoding(LATIN1)),
        (0x04, DataCoding(BINARY)),
        (0x08, DataCoding(UCS2)),
        # 23.038 general data coding group, bits 3-2 alphabet, bit 4 class present
        (0x10, DataCoding(GSM7, 0)),
        (0x11, DataCoding(GSM7, 1)),
        (0x14, DataCoding(BINARY, 0)),
        (0x16, DataCoding(BINARY, 2)),
        (0x18, DataCoding(UCS2, 0)),
        (0x19, DataCoding(UCS2, 1)),
        # automatic deletion group
        (0x40, DataCoding(GSM7)),
        (0x48, DataCoding(UCS2)),
        (0x53, DataCoding(GSM7, 3)),
        # message waiting indication groups
        (0xC0, DataCoding(GSM7)),
        (0xC8, DataCoding(GSM7)),
        (0xD9, DataCoding(GSM7)),
        (0xE0, DataCoding(UCS2)),
        (0xEB, DataCoding(UCS2)),
        # data coding / message class group
        (0xF0, DataCoding(GSM7, 0)),
        (0xF1, DataCoding(GSM7, 1)),
        (0xF4, DataCoding(BINARY, 0)),
        (0xF6, DataCoding(BINARY, 2)),
        (0xF7, DataCoding(BINARY, 3)),
    ],
)
def test_interpret(data_coding: int, expected: DataCoding) -> None:
    assert interpret_data_coding(data_coding) == expected


def test_smsc_default_only_changes_zero() -> None:
    assert interpret_data_coding(0x00, smsc_default=LATIN1) == DataCoding(LATIN1)
    assert interpret_data_coding(0xF0, smsc_default=LATIN1) == DataCoding(GSM7, 0)
    assert interpret_data_coding(0x10, smsc_default=LATIN1) == DataCoding(GSM7, 0)


@pytest.mark.parametrize(
    ("data_coding", "fragment"),
    [
        (0x05, "JIS"),
        (0x06, "Cyrillic"),
        (0x0B, "reserved value"),
        (0x0F, "reserved value"),
        (0x20, "compressed"),
        (0x3A, "compressed"),
        (0x1C, "reserved character set"),
        (0x80, "reserved coding group"),
        (0xBF, "reserved coding group"),
    ],
)
def test_unsupported(data_coding: int, fragment: str) -> None:
    with pytest.raises(DecodeError, match=fragment) as info:
        interpret_data_coding(data_coding)
    assert f"0x{data_coding:02X}" in str(info.value)


def test_out_of_range() -> None:
    with pytest.raises(ValueError, match="one octet"):
        interpret_data_coding(0x100)


def test_outbound_values_read_back_as_themselves() -> None:
    assert DATA_CODING == {GSM7: 0, IA5: 1, LATIN1: 3, BINARY: 4, UCS2: 8}
    for encoding, value in DATA_CODING.items():
        assert interpret_data_coding(value).encoding is encoding
