"""The domain: messages, parts and their statuses, accounts, errors, routing. Pure code, no I/O."""
