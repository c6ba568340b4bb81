"""SMPP 3.4 / 5.0 protocol core: codec, session state machine, receipts. No I/O."""
