"""RCS (+message) content: the guide's samples accepted, every limit, enum and unknown field
refused with the field's path, and nothing but the catalog's error on any JSON value."""

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smsgate.domain import rcs
from smsgate.domain.errors import GatewayError
from smsgate.domain.rcs import limits
from tests.fixtures.kddi_samples import Sample, sample, samples
from tests.smpp.strategies import property_settings

ROOT = "RCSMessage"
CARD = f"{ROOT}.richcardMessage.message.generalPurposeCard"
CAROUSEL = f"{ROOT}.richcardMessage.message.generalPurposeCardCarousel"
FILE = f"{ROOT}.fileMessage"
LOCATION = f"{ROOT}.geolocationPushMessage"
CHIPS = f"{ROOT}.suggestedChipList.suggestions"
# the kind each of the guide's +message samples is
GUIDE_KINDS = {
    "3.1": "text",
    "3.2": "text",
    "3.3": "text",
    "3.4": "file",
    "3.5": "location",
    "3.6": "richcard",
    "3.7": "carousel",
}
WITH_RCS = [found for found in samples() if found.rcs_message is not None]


def refusal(content: object) -> str:
    with pytest.raises(GatewayError) as raised:
        rcs.validate(content)
    assert raised.value.code == "invalid_rcs_content"
    return raised.value.detail


def rcs_of(section: str) -> dict[str, Any]:
    found = sample(section).rcs_message
    assert found is not None
    return copy.deepcopy(found)


def text(content: str = "hello") -> dict[str, Any]:
    return {"textMessage": content}


def suggestion_action(**action: Any) -> dict[str, Any]:
    return {"action": {"displayText": "Open", **action}}


def with_chips(*suggestions: dict[str, Any]) -> dict[str, Any]:
    return {**text(), "suggestedChipList": {"suggestions": list(suggestions)}}


# ---- the guide's samples


@pytest.mark.parametrize("found", WITH_RCS, ids=lambda found: found.section)
def test_every_sample_of_the_guide_is_accepted_as_written(found: Sample) -> None:
    assert found.rcs_message is not None
    checked = rcs.validate(found.rcs_message)
    assert checked == found.rcs_message
    assert rcs.kind(checked) == GUIDE_KINDS[found.section]


def test_the_sms_only_samples_carry_no_rcs_or_one_the_dialect_ignores() -> None:
    assert sample("postman").rcs_message is None
    assert (sample("postman").fallback, sample("3.1").fallback) == ("2", "2")
    # 3.1's RCSMessage says itself that it is not read; it is still well formed
    assert rcs.kind(rcs.validate(rcs_of("3.1"))) == "text"


def test_summaries_of_the_samples_say_what_each_message_shows() -> None:
    assert rcs.summary(rcs.validate(rcs_of("3.2"))) == rcs_of("3.2")["textMessage"]
    assert rcs.summary(rcs.validate(rcs_of("3.4"))) == rcs_of("3.4")["fileMessage"]["fileName"]
    push = rcs_of("3.5")["geolocationPushMessage"]
    assert rcs.summary(rcs.validate(rcs_of("3.5"))) == f"{push['label']}\n{push['pos']}"
    card = rcs_of("3.6")["richcardMessage"]["message"]["generalPurposeCard"]["content"]
    assert rcs.summary(rcs.validate(rcs_of("3.6"))) == f"{card['title']}\n{card['description']}"
    cards = rcs_of("3.7")["richcardMessage"]["message"]["generalPurposeCardCarousel"]["content"]
    assert rcs.summary(rcs.validate(rcs_of("3.7"))).split("\n") == [c["title"] for c in cards]


# ---- limits and enums, refused with the field's path

LONG_URL = "https://example.com/" + "a" * (limits.MAX_URL_CHARS - len("https://example.com/") + 1)


def card_with(**content: Any) -> dict[str, Any]:
    base = rcs_of("3.6")
    base["richcardMessage"]["message"]["generalPurposeCard"]["content"].update(content)
    return base


def carousel_card_with(index: int, **fields: Any) -> dict[str, Any]:
    base = rcs_of("3.7")
    base["richcardMessage"]["message"]["generalPurposeCardCarousel"]["content"][index].update(
        fields
    )
    return base


def carousel_of(count: int) -> dict[str, Any]:
    base = rcs_of("3.7")
    carousel = base["richcardMessage"]["message"]["generalPurposeCardCarousel"]
    carousel["content"] = [{"title": f"card {n}"} for n in range(count)]
    return base


def layout_with(**layout: Any) -> dict[str, Any]:
    base = rcs_of("3.6")
    base["richcardMessage"]["message"]["generalPurposeCard"]["layout"] = layout
    return base


def media_with(**media: Any) -> dict[str, Any]:
    base = rcs_of("3.6")
    base["richcardMessage"]["message"]["generalPurposeCard"]["content"]["media"].update(media)
    return base


def file_with(**fields: Any) -> dict[str, Any]:
    base = rcs_of("3.4")
    base["fileMessage"].update(fields)
    return base


def location_with(**fields: Any) -> dict[str, Any]:
    base = rcs_of("3.5")
    base["geolocationPushMessage"].update(fields)
    return base


def reply(display: str = "Yes", data: str = "yes") -> dict[str, Any]:
    return {"reply": {"displayText": display, "postback": {"data": data}}}


def calendar(start: str, end: str, title: str = "Visit", **more: Any) -> dict[str, Any]:
    event = {"startTime": start, "endTime": end, "title": title, **more}
    return suggestion_action(calendarAction={"createCalendarEvent": event})


REFUSED = [
    # limits
    (text("a" * (limits.MAX_TEXT_CHARS + 1)), f"{ROOT}.textMessage", "3073 characters"),
    (text(""), f"{ROOT}.textMessage", "must not be empty"),
    (with_chips(reply(display="d" * 26)), f"{CHIPS}[0].reply.displayText", "more than 25"),
    (
        with_chips(reply(), reply(data="あ" * 683)),  # 3 bytes each in UTF-8: 2,049
        f"{CHIPS}[1].reply.postback.data",
        "2049 bytes as UTF-8, more than 2048",
    ),
    (card_with(title="t" * 201), f"{CARD}.content.title", "more than 200"),
    (card_with(description="d" * 2001), f"{CARD}.content.description", "more than 2000"),
    (with_chips(*[reply()] * 12), CHIPS, "has 12 items, allowed 1 to 11"),
    (with_chips(), CHIPS, "has 0 items, allowed 1 to 11"),
    (card_with(suggestions=[reply()] * 5), f"{CARD}.content.suggestions", "allowed 0 to 4"),
    (carousel_of(1), f"{CAROUSEL}.content", "has 1 items, allowed 2 to 11"),
    (carousel_of(12), f"{CAROUSEL}.content", "has 12 items, allowed 2 to 11"),
    (
        carousel_card_with(2, title="t" * 201),
        f"{CAROUSEL}.content[2].title",
        "more than 200",
    ),
    (file_with(fileUrl=LONG_URL), f"{FILE}.fileUrl", "2049 characters, more than 2048"),
    (file_with(fileUrl="ftp://example.com/a.jpg"), f"{FILE}.fileUrl", "http or https URL"),
    (media_with(mediaUrl="javascript:alert(1)"), f"{CARD}.content.media.mediaUrl", "http or"),
    (file_with(fileUrl="https://bank.example@evil.example/"), f"{FILE}.fileUrl", "http or"),
    (file_with(fileUrl="https://example.com/a b.jpg"), f"{FILE}.fileUrl", "http or"),
    (file_with(fileUrl="https://example.com/\x00.jpg"), f"{FILE}.fileUrl", "http or"),
    (file_with(fileUrl="https:///a.jpg"), f"{FILE}.fileUrl", "http or"),
    (file_with(fileSize=limits.MAX_FILE_BYTES + 1), f"{FILE}.fileSize", "must be from 1"),
    (file_with(fileSize=0), f"{FILE}.fileSize", "must be from 1"),
    (
        file_with(thumbnailFileSize=limits.MAX_THUMBNAIL_BYTES + 1),
        f"{FILE}.thumbnailFileSize",
        "must be from 1 to 102400",
    ),
    (location_with(pos="91 139.7"), f"{LOCATION}.pos", "latitude must be from -90 to 90"),
    (location_with(pos="35.6 -180.5"), f"{LOCATION}.pos", "longitude must be from -180"),
    (location_with(pos="Tokyo"), f"{LOCATION}.pos", '"latitude longitude"'),
    (location_with(radius=-1), f"{LOCATION}.radius", "must be from 0"),
    (location_with(timeOffset=15), f"{LOCATION}.timeOffset", "must be from -12 to 14"),
    (location_with(expiry="2018-08-03"), f"{LOCATION}.expiry", "ISO 8601"),
    (location_with(timestamp="2018-02-30T10:00:00Z"), f"{LOCATION}.timestamp", "not a real"),
    # enums
    (layout_with(cardOrientation="DIAGONAL"), f"{CARD}.layout.cardOrientation", "HORIZONTAL"),
    (
        layout_with(cardOrientation="HORIZONTAL", imageAlignment="CENTER"),
        f"{CARD}.layout.imageAlignment",
        "must be one of LEFT, RIGHT",
    ),
    (
        layout_with(cardOrientation="VERTICAL", imageAlignment="LEFT"),
        f"{CARD}.layout.imageAlignment",
        "HORIZONTAL card only",
    ),
    (layout_with(cardWidth="LARGE_WIDTH"), f"{CARD}.layout.cardWidth", "SMALL_WIDTH"),
    (media_with(height="HUGE_HEIGHT"), f"{CARD}.content.media.height", "TALL_HEIGHT"),
    (
        {
            "richcardMessage": {
                "message": {
                    "generalPurposeCardCarousel": {
                        "layout": {"cardWidth": "small_width"},
                        "content": [{"title": "a"}, {"title": "b"}],
                    }
                }
            }
        },
        f"{CAROUSEL}.layout.cardWidth",
        "must be one of SMALL_WIDTH, MEDIUM_WIDTH",
    ),
    (file_with(fileMIMEType="text/plain"), f"{FILE}.fileMIMEType", "image/*, video/*, audio/*"),
    (file_with(thumbnailMIMEType="video/mp4"), f"{FILE}.thumbnailMIMEType", "image/*"),
    (
        media_with(mediaContentType="application/pdf"),
        f"{CARD}.content.media.mediaContentType",
        "image/*",
    ),
    # shapes
    ({}, ROOT, "needs one of textMessage, fileMessage"),
    ({**text(), **rcs_of("3.4")}, ROOT, "has textMessage and fileMessage"),
    ([text()], ROOT, "must be an object"),
    (text(42), f"{ROOT}.textMessage", "must be a string"),  # type: ignore[arg-type]
    (file_with(fileSize=True), f"{FILE}.fileSize", "must be an integer"),
    (location_with(radius=float("nan")), f"{LOCATION}.radius", "must be from 0"),
    (text("\ud800"), f"{ROOT}.textMessage", "lone surrogate"),
    (card_with(title=None), f"{CARD}.content.title", "must be a string"),
    (
        {"richcardMessage": {"message": {"generalPurposeCard": {"content": {}}}}},
        f"{CARD}.content",
        "needs a title, a description or a media",
    ),
    (
        {
            "richcardMessage": {
                "message": {
                    "generalPurposeCard": {
                        "layout": {"cardOrientation": "HORIZONTAL"},
                        "content": {"title": "no picture"},
                    }
                }
            }
        },
        f"{CARD}.content.media",
        "required by a HORIZONTAL card",
    ),
    (media_with(thumbnailUrl=None), f"{CARD}.content.media.thumbnailUrl", "must be a string"),
    (
        {
            "fileMessage": {
                "fileMIMEType": "image/png",
                "fileUrl": "https://example.com/a.png",
                "thumbnailFileSize": 10,
            }
        },
        f"{FILE}.thumbnailUrl",
        "required with the other thumbnail fields",
    ),
    ({"fileMessage": {"fileMIMEType": "image/png"}}, f"{FILE}.fileUrl", "is required"),
    # suggestions and actions
    (with_chips({}), f"{CHIPS}[0]", "needs one of reply, action"),
    (with_chips({**reply(), "action": {}}), f"{CHIPS}[0]", "has reply and action"),
    (with_chips(suggestion_action()), f"{CHIPS}[0].action", "needs one of urlAction"),
    (
        with_chips(
            suggestion_action(
                urlAction={"openUrl": {"url": "https://example.com/"}},
                deviceAction={"requestDeviceSpecifics": {}},
            )
        ),
        f"{CHIPS}[0].action",
        "has urlAction and deviceAction",
    ),
    (
        with_chips(suggestion_action(urlAction={"openUrl": {"url": LONG_URL}})),
        f"{CHIPS}[0].action.urlAction.openUrl.url",
        "more than 2048",
    ),
    (
        with_chips(suggestion_action(dialerAction={"dialPhoneNumber": {"phoneNumber": "03-1"}})),
        f"{CHIPS}[0].action.dialerAction.dialPhoneNumber.phoneNumber",
        "3 to 15 digits",
    ),
    (
        with_chips(
            suggestion_action(
                mapAction={
                    "showLocation": {
                        "location": {"latitude": 35.6, "longitude": 139.7, "query": "Shinjuku"}
                    }
                }
            )
        ),
        f"{CHIPS}[0].action.mapAction.showLocation.location",
        "has query and a position",
    ),
    (
        with_chips(suggestion_action(mapAction={"showLocation": {"location": {"latitude": 35.6}}})),
        f"{CHIPS}[0].action.mapAction.showLocation.location.longitude",
        "is required (or give a query)",
    ),
    (
        with_chips(
            suggestion_action(
                mapAction={"showLocation": {"location": {"latitude": 95, "longitude": 0}}}
            )
        ),
        f"{CHIPS}[0].action.mapAction.showLocation.location.latitude",
        "must be from -90 to 90",
    ),
    (
        with_chips(calendar("2024-05-01T10:00:00+09:00", "2024-05-01T00:59:59Z")),
        f"{CHIPS}[0].action.calendarAction.createCalendarEvent.endTime",
        "is before startTime",
    ),
    (
        with_chips(calendar("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", "t" * 101)),
        f"{CHIPS}[0].action.calendarAction.createCalendarEvent.title",
        "more than 100",
    ),
    (
        with_chips(calendar("2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z", description="d" * 501)),
        f"{CHIPS}[0].action.calendarAction.createCalendarEvent.description",
        "more than 500",
    ),
    (
        with_chips(
            suggestion_action(
                composeAction={
                    "composeTextMessage": {"phoneNumber": "+819012345678", "text": "t" * 3073}
                }
            )
        ),
        f"{CHIPS}[0].action.composeAction.composeTextMessage.text",
        "more than 3072",
    ),
    (
        with_chips(suggestion_action(deviceAction={"requestDeviceSpecifics": {"all": True}})),
        f"{CHIPS}[0].action.deviceAction.requestDeviceSpecifics.all",
        "unknown field",
    ),
]


@pytest.mark.parametrize(
    ("content", "path", "reason"), REFUSED, ids=[f"{case[1]}:{case[2]}" for case in REFUSED]
)
def test_a_limit_an_enum_or_a_shape_broken_is_refused_at_its_path(
    content: object, path: str, reason: str
) -> None:
    detail = refusal(content)
    assert detail.startswith(f"{path}: "), detail
    assert reason in detail, detail


@pytest.mark.parametrize(
    "content",
    [
        text("a" * limits.MAX_TEXT_CHARS),
        with_chips(reply(display="d" * 25, data="あ" * 682), *[reply()] * 10),
        card_with(title="t" * 200, description="d" * 2000, suggestions=[reply()] * 4),
        carousel_of(2),
        carousel_of(11),
        file_with(fileUrl="https://example.com/" + "a" * (2048 - 20)),
        file_with(fileUrl="HTTPS://example.com?name=写真.jpg", fileMIMEType="video/mp4"),
        location_with(pos="-90 180", radius=0, timeOffset=-12),
    ],
    ids=["text", "chips", "card", "carousel-2", "carousel-11", "url", "query-url", "location"],
)
def test_content_at_each_limit_is_accepted(content: dict[str, Any]) -> None:
    assert rcs.validate(content) == content


def test_the_whole_payload_is_bounded_in_bytes() -> None:
    # every field within its own limit, 11 cards of 4 suggestions each too large together
    compose = {"phoneNumber": "+819012345678", "text": "あ" * limits.MAX_TEXT_CHARS}
    button = suggestion_action(
        postback={"data": "x" * limits.MAX_POSTBACK_BYTES},
        composeAction={"composeTextMessage": compose},
    )
    card = {"title": "t", "suggestions": [button] * limits.MAX_CARD_SUGGESTIONS}
    content = carousel_of(2)
    carousel = content["richcardMessage"]["message"]["generalPurposeCardCarousel"]
    carousel["content"] = [card] * limits.MAX_CAROUSEL_CARDS
    assert refusal(content).startswith(f"{ROOT}: ")
    assert "bytes as JSON, more than 250000" in refusal(content)
    # the same with fewer cards fits
    carousel["content"] = [card] * 4
    assert rcs.validate(content) == content


# ---- unknown fields: refused, never dropped


@pytest.mark.parametrize(
    ("content", "path"),
    [
        ({**text(), "trafficType": "advertisement"}, f"{ROOT}.trafficType"),
        ({"message": text()}, f"{ROOT}.message"),
        (file_with(fileValidity="2030-01-01T00:00:00Z"), f"{FILE}.fileValidity"),
        (location_with(altitude=12), f"{LOCATION}.altitude"),
        (layout_with(style="dark"), f"{CARD}.layout.style"),
        (media_with(autoplay=True), f"{CARD}.content.media.autoplay"),
        (carousel_card_with(0, subtitle="s"), f"{CAROUSEL}.content[0].subtitle"),
        (
            with_chips({"reply": {"displayText": "Yes", "postback": {"data": "", "x": 1}}}),
            f"{CHIPS}[0].reply.postback.x",
        ),
        (
            with_chips(
                suggestion_action(urlAction={"openUrl": {"url": "https://a.example", "v": 1}})
            ),
            f"{CHIPS}[0].action.urlAction.openUrl.v",
        ),
        ({"richcardMessage": {"message": {"card": {}}}}, f"{ROOT}.richcardMessage.message.card"),
        ({1: "x", "textMessage": "hi"}, f"{ROOT}.1"),
    ],
)
def test_an_unknown_field_is_refused_by_its_path(content: object, path: str) -> None:
    assert refusal(content) == f"{path}: unknown field"


def test_every_action_kind_is_accepted() -> None:
    actions = [
        suggestion_action(urlAction={"openUrl": {"url": "http://www.kddi.com/"}}),
        suggestion_action(dialerAction={"dialPhoneNumber": {"phoneNumber": "+819012345678"}}),
        suggestion_action(
            mapAction={
                "showLocation": {
                    "location": {"latitude": 35.69, "longitude": 139.70, "label": "Shinjuku"},
                    "fallbackUrl": "https://example.com/map",
                }
            }
        ),
        suggestion_action(mapAction={"showLocation": {"location": {"query": "Shinjuku"}}}),
        suggestion_action(mapAction={"requestLocationPush": {}}),
        calendar("2024-05-01T10:00:00+09:00", "2024-05-01T11:00:00+09:00", description="d"),
        suggestion_action(
            postback={"data": "compose"},
            composeAction={"composeTextMessage": {"phoneNumber": "0120444444", "text": "Hi"}},
        ),
        suggestion_action(deviceAction={"requestDeviceSpecifics": {}}),
    ]
    for start in range(0, len(actions), limits.MAX_CARD_SUGGESTIONS):
        content = card_with(suggestions=actions[start : start + limits.MAX_CARD_SUGGESTIONS])
        assert rcs.validate(content) == content
    content = with_chips(*actions)
    assert rcs.validate(content) == content


def test_validation_normalises_without_touching_its_input() -> None:
    given_content = file_with(fileMIMEType="IMAGE/JPEG", fileSize=81280.0)
    before = copy.deepcopy(given_content)
    checked = rcs.validate(given_content)
    assert (checked["fileMessage"]["fileMIMEType"], checked["fileMessage"]["fileSize"]) == (
        "image/jpeg",
        81280,
    )
    assert type(checked["fileMessage"]["fileSize"]) is int
    assert given_content == before
    spaced = rcs.validate(location_with(pos=" 35.69  139.70 "))
    assert spaced["geolocationPushMessage"]["pos"] == "35.69 139.70"


# ---- kind and summary


def test_summary_is_bounded_and_never_empty() -> None:
    long_text = rcs.summary(rcs.validate(text("字" * limits.MAX_TEXT_CHARS)))
    assert len(long_text) == limits.MAX_SUMMARY_CHARS and long_text.endswith("…")
    media_only = {
        "richcardMessage": {
            "message": {
                "generalPurposeCard": {
                    "content": {
                        "media": {
                            "mediaUrl": "https://example.com/photos/shop.png?size=2",
                            "mediaContentType": "image/png",
                        }
                    }
                }
            }
        }
    }
    assert rcs.summary(rcs.validate(media_only)) == "shop.png"
    unnamed_file = {"fileMessage": {"fileMIMEType": "audio/mp4", "fileUrl": "https://e.jp/v.m4a"}}
    assert rcs.summary(rcs.validate(unnamed_file)) == "v.m4a"
    untitled = carousel_of(2)
    cards = untitled["richcardMessage"]["message"]["generalPurposeCardCarousel"]["content"]
    cards[1] = {"description": "only a description"}
    assert rcs.summary(rcs.validate(untitled)) == "card 0\nonly a description"
    assert rcs.summary(rcs.validate(location_with(pos="1 2"))).endswith("\n1 2")


def test_kind_of_content_never_validated_is_the_catalog_error() -> None:
    with pytest.raises(GatewayError) as raised:
        rcs.kind({"richcardMessage": {"message": {}}})
    assert raised.value.code == "invalid_rcs_content"
    with pytest.raises(GatewayError):
        rcs.kind({"richcardMessage": ["not", "a", "card"]})
    assert set(GUIDE_KINDS.values()) == set(rcs.KIND_NAMES)


# ---- any JSON value: accepted or the catalog's error, nothing else

FIELD_NAMES = sorted(
    {
        "textMessage",
        "fileMessage",
        "geolocationPushMessage",
        "richcardMessage",
        "suggestedChipList",
        "suggestions",
        "message",
        "generalPurposeCard",
        "generalPurposeCardCarousel",
        "layout",
        "content",
        "title",
        "description",
        "media",
        "mediaUrl",
        "mediaContentType",
        "mediaFileSize",
        "height",
        "reply",
        "action",
        "displayText",
        "postback",
        "data",
        "urlAction",
        "openUrl",
        "url",
        "mapAction",
        "showLocation",
        "location",
        "latitude",
        "longitude",
        "query",
        "deviceAction",
        "requestDeviceSpecifics",
        "pos",
        "radius",
        "timeOffset",
        "fileUrl",
        "fileMIMEType",
        "thumbnailUrl",
        "cardOrientation",
        "imageAlignment",
        "cardWidth",
    }
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(st.characters(codec=None), max_size=40)  # lone surrogates included
    | st.sampled_from(["HORIZONTAL", "LEFT", "image/png", "https://example.com/a", "35 139"])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=40,
)


def check_any(value: object) -> None:
    try:
        checked = rcs.validate(value)
    except GatewayError as error:
        assert error.code == "invalid_rcs_content" and error.detail.startswith(ROOT)
        return
    # what is accepted is stable, has a kind and a bounded, non-empty summary
    assert rcs.validate(checked) == checked
    assert rcs.kind(checked) in rcs.KIND_NAMES
    assert 0 < len(rcs.summary(checked)) <= limits.MAX_SUMMARY_CHARS
    json.dumps(checked, allow_nan=False)


@property_settings(300)
@given(json_values)
def test_any_json_value_is_accepted_or_refused_with_the_catalog_error(value: object) -> None:
    check_any(value)


def replaced(node: Any, data: st.DataObject) -> Any:
    """The node with one value somewhere inside it (or itself) replaced by any JSON value."""
    if not isinstance(node, dict | list) or not node or data.draw(st.booleans()):
        return data.draw(json_values)
    children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
    key, child = data.draw(st.sampled_from(children))
    copied = copy.copy(node)
    copied[key] = replaced(child, data)
    return copied


@property_settings(300)
@given(st.sampled_from(WITH_RCS), st.data())
def test_a_sample_with_any_part_replaced_is_accepted_or_refused_cleanly(
    found: Sample, data: st.DataObject
) -> None:
    check_any(replaced(found.rcs_message, data))
