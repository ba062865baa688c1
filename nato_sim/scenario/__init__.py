"""The scenario: its file format, safe YAML with positions, loading and validation, references
between ids, `--set` overrides, the claims parameters cite, and the JSON Schema."""
