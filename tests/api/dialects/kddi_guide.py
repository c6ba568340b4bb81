"""The KDDI Message Cast API guide's sample requests (version 1.2, sections 3.1 to 3.7 and the
Postman walk-through). Their bodies are in kddi_guide_samples/, as the guide writes them. The
guide is a conversion from PDF: where it damaged a sample, the repair made is listed with the
sample, and nothing else is changed. Placeholders (`+81*0*****`, `<auトークン>`) stay as
written, except in the samples sent as SMS, where they are filled in and said so."""

from dataclasses import dataclass, field
from pathlib import Path

SAMPLES = Path(__file__).with_name("kddi_guide_samples")
# POST: https://{弊社より指定したHOST}/{弊社より指定した値}/v1/fallback/rcs/bot/v1/{botId}/messages
GUIDE_PATH = "/{aggregator}/v1/fallback/rcs/bot/v1/{botId}/messages"
JSON = ("Content-Type", '"application/json"')  # the samples quote it so
RCS_TOKENS = [
    ("X-Plusmsg-mkn-Authorization", "<auトークン>"),
    ("X-Plusmsg-tmt-Authorization", "<docomoトークン>"),
    ("X-Plusmsg-gmp-Authorization", "<SoftBankトークン>"),
]
# 3.1's "固定値 (※)": the fixed value section 1.1 gives for SMS
SMS_TOKENS = [(name, "Bearer smsonly") for name, _ in RCS_TOKENS]
UNWRAPPED = "lines the conversion broke (or ended with two spaces) joined"


@dataclass(frozen=True)
class Sample:
    section: str
    file: str
    headers: list[tuple[str, str]]
    repairs: list[str] = field(default_factory=list)
    path: str = GUIDE_PATH

    @property
    def body(self) -> bytes:
        return (SAMPLES / self.file).read_bytes()


SMS_31 = Sample(
    "3.1 SMS",
    "3.1-sms.json",
    [JSON, *SMS_TOKENS, ("X-Fallback", "2")],
    [
        f"{UNWRAPPED}: the path, the headers, textMessage and smsTextEnc",
        "smsTextEnc 'MMGw' read for 'MMgw' (the ト of テスト, U+30C8): the case restored",
        "userContact '+81*0*****' is masked: filled with +819012345678 to be sent",
    ],
)
TEXT_32 = Sample("3.2 +message text", "3.2-text.json", [JSON, *RCS_TOKENS, ("X-Fallback", "1")])
FALLBACK_33 = Sample(
    "3.3 SMS fallback",
    "3.3-fallback.json",
    [JSON, *RCS_TOKENS, ("X-Fallback", "0")],
    [
        "the figure's label 発信元表示番号 after smsNumber's line: removed",
        "smsTextEnc 'MFjwDBv' lost characters of 'MFMwjDBv' (これ): restored",
    ],
)
MEDIA_34 = Sample("3.4 +message media", "3.4-media.json", [JSON, *RCS_TOKENS, ("X-Fallback", "1")])
MAP_35 = Sample(
    "3.5 +message map",
    "3.5-map.json",
    [JSON, *RCS_TOKENS, ("X-Fallback", "1")],
    ["a stray '}' closed the document before \"dst\" (not JSON): removed"],
)
RICH_CARD_36 = Sample(
    "3.6 +message rich card", "3.6-rich-card.json", [JSON, *RCS_TOKENS, ("X-Fallback", "1")]
)
# POST: https://api.biz-message.kddi.com/v1/rcs/messages: the RCS API, not the fallback one
CAROUSEL_371 = Sample(
    "3.7 (1) +message carousel",
    "3.7-1-carousel.json",
    [JSON, ("X-Auth-Token", "<API Key>"), ("X-Fallback", "1")],
    path="/v1/rcs/messages",
)
# the page that continues 3.7 (1): a card and closing fields, not a request of its own
CAROUSEL_372 = Sample(
    "3.7 (2) +message carousel, continued",
    "3.7-2-carousel.json",
    CAROUSEL_371.headers,
    path=CAROUSEL_371.path,
)
# the +message samples (X-Fallback 0 or 1), sent to the fallback API
RCS_SAMPLES = [TEXT_32, FALLBACK_33, MEDIA_34, MAP_35, RICH_CARD_36, CAROUSEL_371, CAROUSEL_372]

# 参考資料: POST https://api.msg-gw.kddi.com/au/v1/fallback/rcs/bot/v1/botId_dummy/messages,
# Basic auth user testUser, the headers table, and the Body tab
POSTMAN_BOT = "botId_dummy"
POSTMAN_USER = "testUser"
POSTMAN = Sample(
    "Postman",
    "postman.json",
    [("Content-Type", "application/json"), *SMS_TOKENS, ("X-Fallback", "2")],
    [
        "the body editor's line numbers: left out",
        "userContact '+8170xxxxxxx' and smsNumber '03xxxxxxx' are masked: filled in",
        "smsTextEnc: 'tD8M' lost the T of 'tTD8M', 'C1AL' and '591v' read 'l' as '1', "
        "'LTp6' lost the r of 'LTrp6', 'c1rM' gained a 1: restored to the base64 of the "
        "UTF-16BE text (its line break is LF; smsText writes it CR LF, left as written)",
    ],
    path=f"/au/v1/fallback/rcs/bot/v1/{POSTMAN_BOT}/messages",
)
# the answer the guide shows for it, with HTTP 202 Accepted
POSTMAN_ANSWER = {
    "smsmessage": {
        "orderId": "05840e5f-fbe3-41c3-8af9-a3e363d5a678",
        "status": "pending",
        "msgId": "05840e5f-fbe3-41c3-8af9-a3e363d5a678",
        "timestamp": "2022-03-22T11:44:30.231Z",
    },
    "Destination": "sms",
}
