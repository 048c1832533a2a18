"""The benchmark suite behind benchmarks/run.py (issue 8)."""
