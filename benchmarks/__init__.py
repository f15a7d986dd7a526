"""Benchmarks of the dobo engine against the same computation in plain Polars."""
