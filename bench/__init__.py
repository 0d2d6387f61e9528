"""Benchmarks and fault-injection scripts (run as ``python -m bench.<name>``)."""
