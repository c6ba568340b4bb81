"""Errors the store raises; the engine maps them onto the error catalog."""


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StoreClosedError(StoreError):
    """The store is not open, or is closing and takes no more writes."""


class StoreFencedError(StoreError):
    """This node was cut off from the database long enough that other nodes may have taken its
    work: it writes nothing until it has registered again."""


class StoreBusyError(StoreError):
    """The write queue stayed full for longer than the store's queue_wait (back-pressure)."""


class StoreFullError(StoreError):
    """The database has no room left (its size limit or its disk): nothing was written."""


class StoreCorruptError(StoreError):
    """The database file is damaged: the store refuses to open it rather than write over it."""


class IntegrityError(StoreError):
    """A change broke a constraint (for example it refers to a message that does not exist)."""


class DuplicateError(IntegrityError):
    """A unique key is taken: a message id, a client_ref of the same account, an API key hash or
    an SMPP system_id."""


class IdenticalRequestError(DuplicateError):
    """The same request (account, source, destination, text) was accepted within its window,
    on this node or another sharing the store."""


class SegmentsGoneError(IntegrityError):
    """The stored parts of a concatenated MO message were taken meanwhile: another node
    assembled the message from them."""


class BalanceError(IntegrityError):
    """A change would take a prepaid balance below zero."""


class InvalidCursorError(StoreError, ValueError):
    """A pagination cursor that this store did not hand out."""


def unreachable(error: BaseException) -> bool:
    """The database could not be reached or went away under a request (a restart, a network
    cut): nothing the request asked for was done, and it may be sent again. asyncpg's errors
    are told by their SQLSTATE (08: connection, 57P: the server shutting down or starting)
    and its closed-connection error by name, so SQLite-only use needs no driver."""
    if isinstance(error, OSError | StoreClosedError | StoreBusyError | StoreFencedError):
        return True  # ConnectionError and TimeoutError included
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and state.startswith(("08", "57P")):
        return True
    kind = type(error)
    return kind.__module__.startswith("asyncpg") and kind.__name__ == "InterfaceError"
