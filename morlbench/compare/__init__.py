"""What the leaderboard and the comparison report share: runs as records, grouped by comparability key into
entries, valued by the registered metrics, aggregated over seeds, rendered as tables."""
