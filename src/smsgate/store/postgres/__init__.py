"""The PostgreSQL backend (several nodes on one database): `PostgresStore`, on asyncpg."""

from smsgate.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
