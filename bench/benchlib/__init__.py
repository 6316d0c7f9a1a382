"""The sections of make bench; bench/bench.py runs them in order."""
