"""smsgate: an SMS gateway platform."""

__version__ = "0.1.0"
