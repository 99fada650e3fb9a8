"""Benchmarks and fault drills (see bench/README.md). Never imported by the product."""
