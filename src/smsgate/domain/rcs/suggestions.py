"""Suggestions: replies and actions, as suggested chips on a message or buttons on a card."""

from typing import Any, Final

from smsgate.domain.rcs import fields, limits
from smsgate.domain.rcs.fields import at, refuse

ACTIONS: Final = (
    "urlAction",
    "dialerAction",
    "mapAction",
    "calendarAction",
    "composeAction",
    "deviceAction",
)
_COORDINATES: Final = ("latitude", "longitude")


def suggestion_list(value: object, path: str, high: int, *, low: int = 0) -> list[dict[str, Any]]:
    return [
        suggestion(item, f"{path}[{index}]")
        for index, item in enumerate(fields.items(value, path, low, high))
    ]


def suggestion(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, (), ("reply", "action"))
    name = fields.exactly_one(found, path, ("reply", "action"))
    check = reply if name == "reply" else action
    return {name: check(found[name], at(path, name))}


def reply(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("displayText",), ("postback",))
    return _labelled(found, path)


def action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("displayText",), ("postback", *ACTIONS))
    name = fields.exactly_one(found, path, ACTIONS)
    checked = _labelled(found, path)
    checked[name] = _ACTION_CHECKS[name](found[name], at(path, name))
    return checked


def _labelled(found: dict[str, Any], path: str) -> dict[str, Any]:
    """The text and postback every suggestion has."""
    checked: dict[str, Any] = {
        "displayText": fields.text(
            found["displayText"], at(path, "displayText"), limits.MAX_DISPLAY_TEXT_CHARS
        )
    }
    if "postback" in found:
        checked["postback"] = postback(found["postback"], at(path, "postback"))
    return checked


def postback(value: object, path: str) -> dict[str, str]:
    # the guide's 3.6 sample sends an empty data string: allowed
    found = fields.fields(value, path, ("data",))
    return {"data": fields.text_bytes(found["data"], at(path, "data"), limits.MAX_POSTBACK_BYTES)}


def _url_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("openUrl",))
    open_url = fields.fields(found["openUrl"], at(path, "openUrl"), ("url",))
    return {"openUrl": {"url": fields.url(open_url["url"], at(at(path, "openUrl"), "url"))}}


def _dialer_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("dialPhoneNumber",))
    dial_path = at(path, "dialPhoneNumber")
    dial = fields.fields(found["dialPhoneNumber"], dial_path, ("phoneNumber",))
    number = fields.phone_number(dial["phoneNumber"], at(dial_path, "phoneNumber"))
    return {"dialPhoneNumber": {"phoneNumber": number}}


def _map_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, (), ("showLocation", "requestLocationPush"))
    name = fields.exactly_one(found, path, ("showLocation", "requestLocationPush"))
    if name == "requestLocationPush":
        fields.fields(found[name], at(path, name), ())
        return {name: {}}
    show_path = at(path, "showLocation")
    show = fields.fields(found[name], show_path, ("location",), ("fallbackUrl",))
    checked: dict[str, Any] = {"location": _location(show["location"], at(show_path, "location"))}
    if "fallbackUrl" in show:
        checked["fallbackUrl"] = fields.url(show["fallbackUrl"], at(show_path, "fallbackUrl"))
    return {name: checked}


def _location(value: object, path: str) -> dict[str, Any]:
    """A point (latitude, longitude, an optional label) or a search query, not both."""
    found = fields.fields(value, path, (), (*_COORDINATES, "label", "query"))
    if "query" in found:
        if any(name in found for name in (*_COORDINATES, "label")):
            refuse(path, "has query and a position: only one is allowed")
        return {"query": fields.text(found["query"], at(path, "query"), limits.MAX_LABEL_CHARS)}
    for name in _COORDINATES:
        if name not in found:
            refuse(at(path, name), "is required (or give a query)")
    checked: dict[str, Any] = {
        "latitude": fields.number(found["latitude"], at(path, "latitude"), -90, 90),
        "longitude": fields.number(found["longitude"], at(path, "longitude"), -180, 180),
    }
    if "label" in found:
        checked["label"] = fields.text(found["label"], at(path, "label"), limits.MAX_LABEL_CHARS)
    return checked


def _calendar_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("createCalendarEvent",))
    event_path = at(path, "createCalendarEvent")
    event = fields.fields(
        found["createCalendarEvent"],
        event_path,
        ("startTime", "endTime", "title"),
        ("description",),
    )
    start = fields.timestamp(event["startTime"], at(event_path, "startTime"))
    end = fields.timestamp(event["endTime"], at(event_path, "endTime"))
    if fields.instant(end) < fields.instant(start):
        refuse(at(event_path, "endTime"), "is before startTime")
    checked: dict[str, Any] = {
        "startTime": start,
        "endTime": end,
        "title": fields.text(event["title"], at(event_path, "title"), limits.MAX_EVENT_TITLE_CHARS),
    }
    if "description" in event:
        checked["description"] = fields.text(
            event["description"],
            at(event_path, "description"),
            limits.MAX_EVENT_DESCRIPTION_CHARS,
        )
    return {"createCalendarEvent": checked}


def _compose_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("composeTextMessage",))
    compose_path = at(path, "composeTextMessage")
    compose = fields.fields(found["composeTextMessage"], compose_path, ("phoneNumber", "text"))
    return {
        "composeTextMessage": {
            "phoneNumber": fields.phone_number(
                compose["phoneNumber"], at(compose_path, "phoneNumber")
            ),
            "text": fields.text(compose["text"], at(compose_path, "text"), limits.MAX_TEXT_CHARS),
        }
    }


def _device_action(value: object, path: str) -> dict[str, Any]:
    found = fields.fields(value, path, ("requestDeviceSpecifics",))
    fields.fields(found["requestDeviceSpecifics"], at(path, "requestDeviceSpecifics"), ())
    return {"requestDeviceSpecifics": {}}


_ACTION_CHECKS: Final = {
    "urlAction": _url_action,
    "dialerAction": _dialer_action,
    "mapAction": _map_action,
    "calendarAction": _calendar_action,
    "composeAction": _compose_action,
    "deviceAction": _device_action,
}
