"""What a run yields: counts summarised as probabilities with intervals, timing, blockers and
rules, with provenance; statistics; tidy rows, JSON and CSV; tables and figures of a run."""
