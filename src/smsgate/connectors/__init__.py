"""Connectors: smsgate's channels to carriers and providers, each implementing the engine's
`Connector` port (`smsgate.engine.ports`). `smpp` is SMS over SMPP."""
