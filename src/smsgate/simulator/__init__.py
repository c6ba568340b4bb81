"""The built-in simulated carrier: a real SMPP server that plays an operator's SMSC."""
