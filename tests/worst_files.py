"""Scenario files within the size cap that cost validation the most.

Used by the tests (they are refused for what they hold, read to the end) and by
benchmarks/bench.py (how long validating each takes).
"""

from __future__ import annotations

import itertools
import string

from nato_sim.scenario.yamlsource import MAX_VALUES

CODES = ["".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3)]


def worst_files() -> dict[str, str]:
    """Files within the size cap that cost validation the most, each just within MAX_VALUES:
    past the limits, full of wrong names, of waiting rules, of nesting."""
    head = "title: t\ndescription: d\n"
    few = "members:\n  - {id: AAA, name: A}\ncandidates:\n  - {id: a, name: A, country: AAA}\n"
    end = "decision: {rounds: 5}\n"
    rules = "".join(
        f"  - {{id: r{i}, members: AAA, candidates: a, until: [{{lifted: r{(i * 7 + 1) % 9000}}}, "
        f"{{lifted: r{(i + 1) % 9000}}}]}}\n"
        for i in range(MAX_VALUES // 11)
    )
    many_members = "".join(
        f"  - {{id: {CODES[i % len(CODES)]}, name: n, weight: {{uniform: [1, 2]}}}}\n"
        for i in range(MAX_VALUES // 7 - 10)
    )
    return {
        "members": head
        + "members:\n"
        + many_members
        + "candidates:\n  - {id: a, name: A, country: AAA}\n"
        + end,
        "rules": head + few + "objections:\n" + rules + end,
        "names": head
        + few
        + "objections:\n  - members: ["
        + ", ".join(f"Q{CODES[i % len(CODES)][1:]}" for i in range(MAX_VALUES - 20))
        + "]\n    candidates: a\n"
        + end,
        "nesting": head + few + end + "notes:\n" + ("  - " + "[" * 90 + "]" * 90 + "\n") * 1090,
    }
