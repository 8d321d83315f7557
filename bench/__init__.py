"""newsdesk benchmarks: run with `python -m bench` (see bench/results.md)."""
