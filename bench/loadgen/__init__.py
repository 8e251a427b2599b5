"""The load benchmark: load generator, targets, statistics and reports (see bench/README.md)."""
