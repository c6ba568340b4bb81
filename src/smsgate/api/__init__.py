"""Interfaces: HTTP (native v1 and dialects) and, later, the SMPP server."""
