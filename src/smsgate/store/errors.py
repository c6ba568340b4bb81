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
