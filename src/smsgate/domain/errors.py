"""The one catalog of smsgate's errors.

Each entry gives the message, the HTTP status and the SMPP command_status for one internal code;
the dialect modules add their own codes as columns of the same table (`dialect_codes`), so every
mapping lives here and a test can read them all.
"""

from dataclasses import dataclass, field
from typing import Final

from smsgate.smpp.constants import CommandStatus

S = CommandStatus


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    code: str
    message: str
    http_status: int
    smpp_status: int
    dialect_codes: dict[str, str] = field(default_factory=dict)


_ENTRIES: Final = (
    # requests refused
    CatalogEntry("invalid_request", "The request is malformed", 400, S.ESME_RSYSERR),
    CatalogEntry(
        "unknown_field",
        "The request has a field this API does not know",
        400,
        S.ESME_RINVOPTPARAMVAL,
    ),
    CatalogEntry("missing_parameter", "A required parameter is missing", 400, S.ESME_RINVPARLEN),
    CatalogEntry(
        "parameter_too_long", "A parameter is longer than allowed", 400, S.ESME_RINVPARLEN
    ),
    CatalogEntry("unauthorized", "Missing or wrong credentials", 401, S.ESME_RBINDFAIL),
    # for dialects whose platforms tell missing credentials from wrong ones
    CatalogEntry("missing_credentials", "No credentials were given", 401, S.ESME_RBINDFAIL),
    CatalogEntry("forbidden", "The account may not do this", 403, S.ESME_RBINDFAIL),
    CatalogEntry("not_found", "No such message", 404, S.ESME_RINVMSGID),
    CatalogEntry("duplicate", "The same message was already accepted", 409, S.ESME_RSUBMITFAIL),
    CatalogEntry(
        "identical",
        "The same source, destination and text were accepted moments ago",
        409,
        S.ESME_RSUBMITFAIL,
    ),
    CatalogEntry(
        "idempotency_key_in_use",
        "A request with this Idempotency-Key is still being processed",
        409,
        S.ESME_RSYSERR,
    ),
    CatalogEntry(
        "idempotency_key_reused",
        "This Idempotency-Key was used for a different request",
        422,
        S.ESME_RSYSERR,
    ),
    CatalogEntry(
        "insufficient_balance",
        "The account's balance does not cover the price",
        402,
        S.ESME_RPROHIBITED,
    ),
    CatalogEntry("no_price", "No price is set for this destination", 422, S.ESME_RINVDSTADR),
    CatalogEntry("request_too_large", "The request body is too large", 413, S.ESME_RINVMSGLEN),
    CatalogEntry(
        "invalid_destination", "The destination is not a valid phone number", 422, S.ESME_RINVDSTADR
    ),
    CatalogEntry(
        "invalid_source",
        "The sender is not a valid number or alphanumeric name",
        422,
        S.ESME_RINVSRCADR,
    ),
    CatalogEntry(
        "invalid_text", "The text cannot be sent in the requested encoding", 422, S.ESME_RINVDCS
    ),
    CatalogEntry(
        "invalid_character",
        "A field holds a character that cannot be stored (NUL, or half of a surrogate pair)",
        422,
        S.ESME_RSUBMITFAIL,
    ),
    CatalogEntry(
        "invalid_filter_character",
        "A filter or id holds a character no message can have (NUL, or half of a surrogate pair)",
        400,
        S.ESME_RINVMSGID,
    ),
    CatalogEntry(
        "message_too_long", "The text needs more segments than allowed", 422, S.ESME_RINVMSGLEN
    ),
    CatalogEntry(
        "text_too_long", "The text has more characters than allowed", 422, S.ESME_RINVMSGLEN
    ),
    CatalogEntry("invalid_schedule", "The scheduled time is not acceptable", 422, S.ESME_RINVSCHED),
    CatalogEntry("schedule_in_past", "The scheduled time has passed", 422, S.ESME_RINVSCHED),
    CatalogEntry(
        "invalid_validity", "The validity period is not acceptable", 422, S.ESME_RINVEXPIRY
    ),
    CatalogEntry("invalid_priority", "The priority is not acceptable", 422, S.ESME_RINVPRTFLG),
    CatalogEntry(
        "invalid_max_price", "The maximum price is not acceptable", 422, S.ESME_RINVOPTPARAMVAL
    ),
    CatalogEntry("invalid_page_size", "The page size is not acceptable", 400, S.ESME_RSYSERR),
    CatalogEntry("invalid_page", "The page number is not acceptable", 400, S.ESME_RSYSERR),
    CatalogEntry(
        "invalid_callback_url", "The callback URL is not acceptable", 422, S.ESME_RINVOPTPARAMVAL
    ),
    CatalogEntry("no_route", "No route leads to this destination", 422, S.ESME_RINVDSTADR),
    CatalogEntry(
        "channel_unavailable",
        "The message asks for a channel no connector carries (__MAIL__, __VIBER__, ...)",
        422,
        S.ESME_RINVSERTYP,
    ),
    CatalogEntry(
        "invalid_rcs_content",
        "The RCS content is not acceptable (the detail names the field)",
        400,
        S.ESME_RINVOPTPARAMVAL,
    ),
    CatalogEntry(
        "invalid_channel_content",
        "A channel's own fields are not acceptable (a code, a voice, a bot's name)",
        422,
        S.ESME_RINVOPTPARAMVAL,
    ),
    CatalogEntry(
        "rcs_unavailable",
        "RCS (+message) is not available: no RCS connector is configured or up",
        503,
        S.ESME_RINVSERTYP,
    ),
    CatalogEntry(
        "rcs_not_capable", "The recipient cannot receive RCS (+message)", 422, S.ESME_RINVDSTADR
    ),
    CatalogEntry(
        "opted_out",
        "The recipient opted out of this account's messages (it may send START to opt in)",
        422,
        S.ESME_RX_P_APPN,
    ),
    CatalogEntry(
        "not_cancelable", "The message is already at the carrier", 409, S.ESME_RCANCELFAIL
    ),
    CatalogEntry("not_deletable", "The message is not in a final status yet", 409, S.ESME_RSYSERR),
    # an operator's deletion of an account (console): no dialect deletes accounts, their tables
    # map it as they map not_deletable
    CatalogEntry(
        "account_not_deletable",
        "The account has messages and cannot be deleted",
        409,
        S.ESME_RSYSERR,
    ),
    CatalogEntry(
        "throttled", "Too many messages per second for this account", 429, S.ESME_RTHROTTLED
    ),
    CatalogEntry("queue_full", "The gateway's queue is full; retry later", 503, S.ESME_RMSGQFUL),
    CatalogEntry(
        "unavailable", "The gateway is not ready or is shutting down", 503, S.ESME_RSYSERR
    ),
    CatalogEntry(
        "address_blocked",
        "Too many refused requests from this address; retry in a minute",
        429,
        S.ESME_RTHROTTLED,
    ),
    CatalogEntry(
        "headers_too_large",
        "The request line and headers are larger than allowed",
        431,
        S.ESME_RINVPARLEN,
    ),
    CatalogEntry(
        "too_many_connections",
        "The gateway has too many open HTTP connections; retry later",
        503,
        S.ESME_RTHROTTLED,
    ),
    CatalogEntry("internal", "Internal error", 500, S.ESME_RSYSERR),
    # outcomes of accepted messages (in message records and callbacks)
    CatalogEntry("carrier_rejected", "The carrier refused the message", 502, S.ESME_RSUBMITFAIL),
    CatalogEntry(
        "carrier_unavailable", "No carrier connection could take the message", 503, S.ESME_RSYSERR
    ),
    CatalogEntry(
        "undeliverable", "The carrier could not deliver the message", 200, S.ESME_RDELIVERYFAILURE
    ),
    CatalogEntry(
        "expired", "The validity period ran out before delivery", 200, S.ESME_RDELIVERYFAILURE
    ),
    CatalogEntry("canceled", "The message was canceled", 200, S.ESME_ROK),
    CatalogEntry(
        "price_exceeded",
        "The price is higher than the message's max_price",
        200,
        S.ESME_RSUBMITFAIL,
    ),
)

CATALOG: Final[dict[str, CatalogEntry]] = {entry.code: entry for entry in _ENTRIES}

# Each dialect's codes for the entries above, one table per dialect (its page under
# docs/dialects publishes it); merged into the entries' dialect_codes below.
_DIALECT_CODES: Final[dict[str, dict[str, str]]] = {
    # Reach (TalkyLabs): `errorCode` of error answers and of failed messages (the documented
    # codes where Reach's table has one; 400, 403, 429 and 503 are its generic ones)
    "reach": {
        "headers_too_large": "400",
        "too_many_connections": "503",
        "invalid_character": "400",
        "invalid_filter_character": "400",
        "channel_unavailable": "20107",
        "invalid_channel_content": "20107",
        "invalid_rcs_content": "20107",
        "rcs_unavailable": "20107",
        "rcs_not_capable": "20107",
        "invalid_request": "400",
        "unknown_field": "400",
        "invalid_priority": "400",
        "parameter_too_long": "400",
        "request_too_large": "400",
        "duplicate": "400",
        "identical": "400",
        "idempotency_key_in_use": "400",
        "idempotency_key_reused": "400",
        "not_cancelable": "400",
        "not_deletable": "400",
        "account_not_deletable": "400",
        "opted_out": "403",
        "not_found": "404",
        "throttled": "429",
        "address_blocked": "429",
        "queue_full": "503",
        "internal": "503",
        "unavailable": "503",
        "missing_parameter": "10002",
        "missing_credentials": "20002",
        "unauthorized": "20003",
        "forbidden": "20005",
        "invalid_page_size": "20006",
        "invalid_page": "20007",
        "invalid_destination": "20101",
        "no_route": "20101",
        "no_price": "20101",
        "invalid_source": "20102",
        "invalid_schedule": "20104",
        "schedule_in_past": "20104",
        "invalid_validity": "20105",
        "invalid_callback_url": "20106",
        "invalid_text": "20107",
        "text_too_long": "20103",
        "message_too_long": "20108",
        "invalid_max_price": "20109",
        "price_exceeded": "20201",
        "insufficient_balance": "20202",
        "expired": "30001",
        "undeliverable": "30003",
        "carrier_rejected": "30007",
        "carrier_unavailable": "30008",
        "canceled": "30010",
    },
    # Zettai Reach! SMS p5: `responseCode` of a refused request (the specification's 100 to 500)
    "p5": {
        "headers_too_large": "120",
        "too_many_connections": "500",
        "invalid_character": "110",
        "invalid_filter_character": "110",
        "channel_unavailable": "110",
        "invalid_channel_content": "110",
        "invalid_rcs_content": "110",
        "rcs_unavailable": "110",
        "rcs_not_capable": "110",
        "missing_parameter": "100",
        "missing_credentials": "100",
        "invalid_request": "110",
        "unknown_field": "110",
        "invalid_priority": "110",
        "invalid_max_price": "110",
        "invalid_page_size": "110",
        "invalid_page": "110",
        "invalid_validity": "110",
        "invalid_callback_url": "110",
        "invalid_destination": "110",
        "invalid_source": "110",
        "invalid_text": "110",
        "invalid_schedule": "110",
        "no_route": "110",
        "no_price": "110",
        "opted_out": "110",
        "not_found": "110",
        "unauthorized": "110",
        "forbidden": "110",
        "parameter_too_long": "120",
        "text_too_long": "120",
        "message_too_long": "120",
        "request_too_large": "120",
        "not_cancelable": "130",
        "not_deletable": "130",
        "account_not_deletable": "130",
        "schedule_in_past": "140",
        "insufficient_balance": "300",
        "duplicate": "400",
        "identical": "400",
        "idempotency_key_in_use": "400",
        "idempotency_key_reused": "400",
        "throttled": "500",
        "address_blocked": "500",
        "queue_full": "500",
        "unavailable": "500",
        "internal": "500",
    },
    # Zettai Reach! SMS p5: the last three digits (classification) of a failed send's
    # detailedStatusId; the first two name the carrier (p5_view)
    "p5_detail": {
        "carrier_unavailable": "721",
        "carrier_rejected": "732",
        "undeliverable": "823",
        "expired": "824",
        "opted_out": "834",
        "no_route": "901",
        "price_exceeded": "902",
        "insufficient_balance": "903",
        "canceled": "904",
        "internal": "999",
    },
    # KDDI Message Cast: the HTTP status of a refused request (the guide's 400 to 504)
    "kddi": {
        "headers_too_large": "400",
        "too_many_connections": "503",
        "invalid_character": "400",
        "invalid_filter_character": "400",
        "channel_unavailable": "400",
        "invalid_channel_content": "400",
        "invalid_rcs_content": "400",
        "rcs_unavailable": "503",
        "rcs_not_capable": "400",
        "invalid_request": "400",
        "unknown_field": "400",
        "missing_parameter": "400",
        "parameter_too_long": "400",
        "request_too_large": "400",
        "invalid_destination": "400",
        "invalid_source": "400",
        "invalid_text": "400",
        "text_too_long": "400",
        "message_too_long": "400",
        "invalid_schedule": "400",
        "schedule_in_past": "400",
        "invalid_validity": "400",
        "invalid_priority": "400",
        "invalid_max_price": "400",
        "invalid_page_size": "400",
        "invalid_page": "400",
        "invalid_callback_url": "400",
        "no_route": "400",
        "no_price": "400",
        "opted_out": "400",
        "duplicate": "400",
        "identical": "400",
        "idempotency_key_in_use": "400",
        "idempotency_key_reused": "400",
        "not_cancelable": "400",
        "not_deletable": "400",
        "account_not_deletable": "400",
        "unauthorized": "401",
        "missing_credentials": "401",
        "forbidden": "403",
        "insufficient_balance": "403",
        "not_found": "404",
        "internal": "500",
        "unavailable": "502",
        "throttled": "503",
        "address_blocked": "503",
        "queue_full": "504",
    },
    # SMSC.ru HTTP API: the `error_code` of a refused request (1 to 9)
    "smsc_ru": {
        "headers_too_large": "1",
        "too_many_connections": "9",
        "invalid_character": "1",
        "invalid_filter_character": "1",
        "channel_unavailable": "1",
        "invalid_channel_content": "1",
        "invalid_rcs_content": "1",
        "rcs_unavailable": "1",
        "rcs_not_capable": "7",
        "invalid_request": "1",
        "unknown_field": "1",
        "missing_parameter": "1",
        "parameter_too_long": "1",
        "request_too_large": "1",
        "invalid_text": "1",
        "text_too_long": "1",
        "message_too_long": "1",
        "invalid_validity": "1",
        "invalid_priority": "1",
        "invalid_max_price": "1",
        "invalid_page_size": "1",
        "invalid_page": "1",
        "invalid_callback_url": "1",
        "not_found": "1",
        "not_cancelable": "1",
        "not_deletable": "1",
        "account_not_deletable": "1",
        "idempotency_key_in_use": "1",
        "idempotency_key_reused": "1",
        "internal": "1",
        "unauthorized": "2",
        "missing_credentials": "2",
        "forbidden": "2",
        "insufficient_balance": "3",
        "address_blocked": "4",
        "invalid_schedule": "5",
        "schedule_in_past": "5",
        "invalid_source": "6",
        "opted_out": "6",
        "invalid_destination": "7",
        "no_route": "8",
        "no_price": "8",
        "duplicate": "9",
        "identical": "9",
        "throttled": "9",
        "queue_full": "9",
        "unavailable": "9",
    },
    # SMSC.ru HTTP API: the status (status.php) of a message that failed for this reason
    "smsc_ru_status": {
        "canceled": "-2",
        "expired": "3",
        "undeliverable": "20",
        "carrier_rejected": "20",
        "carrier_unavailable": "20",
        "internal": "20",
        "invalid_destination": "22",
        "opted_out": "23",
        "price_exceeded": "23",
        "insufficient_balance": "24",
        "no_route": "25",
        "no_price": "25",
    },
}
for _dialect, _codes in _DIALECT_CODES.items():
    for _code, _value in _codes.items():
        CATALOG[_code].dialect_codes[_dialect] = _value


def dialect_code(code: str, dialect: str) -> str | None:
    """`dialect`'s code for the catalog's `code`, or None where it has none."""
    entry = CATALOG.get(code)
    return None if entry is None else entry.dialect_codes.get(dialect)


class GatewayError(Exception):
    """An error from the catalog, with an optional detail for the caller."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.entry = CATALOG[code]
        self.detail = detail
        super().__init__(f"{code}: {detail or self.entry.message}")

    @property
    def code(self) -> str:
        return self.entry.code

    @property
    def http_status(self) -> int:
        return self.entry.http_status

    @property
    def smpp_status(self) -> int:
        return self.entry.smpp_status
