"""Benchmarks behind `smsgate bench`: JSON plus a table, never timed unit tests."""
