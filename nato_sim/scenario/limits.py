"""The size limits of a scenario, and the check of those that need the whole scenario.

The engine runs blocks of 65,536 trials, with one row of numbers per trial (512 kB) for every
member, candidate, support entry, objection pair and unit whose values may vary between
trials, and several for some. Without limits, a file within the size cap could ask one worker
process for many gigabytes. With every count at its limit and every value uncertain, a worker
peaks at about 1.4 GB (docs/format.md gives the measurements). Real selections are far below:
32 members, a handful of candidates and rules.

The lengths of `members`, `candidates`, `objections` and the other limited lists are field
rules of :mod:`nato_sim.scenario.schema`, so that the JSON Schema shows them; the counts that
need the whole scenario are checked here, on the raw data (see
:mod:`nato_sim.scenario.crossref`), so that they are reported together with everything else.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

MAX_MEMBERS = 100
MAX_CANDIDATES = 50
MAX_RULES = 200
# Member-candidate pairs summed over the objection rules, each rule counted on its own (a pair
# that two rules name counts twice): what the engine expands the rules into.
MAX_PAIRS = 400
# Objection units, raised and lifted as one: one per pair, or one per rule that is `together`.
MAX_UNITS = 200
# Values under `support`: the default, and each candidate's default, tag and member entries.
MAX_SUPPORT_ENTRIES = 500

HINT = "see 'Limits' in docs/format.md"

Path = tuple[str | int, ...]


def _entries(value: Any) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _tag_counts(entries: list[dict]) -> Counter:
    """How many entries carry each tag."""
    counts: Counter = Counter()
    for entry in entries:
        tags = entry.get("tags")
        if isinstance(tags, list):
            counts.update({t for t in tags if isinstance(t, str)})
    return counts


def _selected(selector: Any, everyone: int, tags: Counter) -> int:
    """How many members (or candidates) a rule's selector names; 0 for a malformed one."""
    if selector == "all":
        return everyone
    if isinstance(selector, str):
        return 1
    if isinstance(selector, list):
        return len({name for name in selector if isinstance(name, str)})
    if isinstance(selector, dict) and isinstance(selector.get("tag"), str):
        return tags[selector["tag"]]
    return 0


def objection_counts(data: dict) -> tuple[int, int]:
    """The member-candidate pairs and the units the objection rules of raw data expand to."""
    members, candidates = _entries(data.get("members")), _entries(data.get("candidates"))
    member_tags, candidate_tags = _tag_counts(members), _tag_counts(candidates)
    pairs = units = 0
    for rule in _entries(data.get("objections")):
        count = _selected(rule.get("members"), len(members), member_tags) * _selected(
            rule.get("candidates"), len(candidates), candidate_tags
        )
        pairs += count
        units += min(count, 1) if rule.get("together") is True else count
    return pairs, units


def support_entries(data: dict) -> int:
    """The values under `support` in raw data; the default counts whether given or not."""
    count = 1
    for spec in _mapping(_mapping(data.get("support")).get("candidates")).values():
        spec = _mapping(spec)
        count += ("default" in spec) + len(_mapping(spec.get("tags")))
        count += len(_mapping(spec.get("members")))
    return count


def size_problems(data: Any) -> list[tuple[Path, str, str]]:
    """The counts of a scenario's raw data that pass their limit: (path, message, hint)."""
    if not isinstance(data, dict):
        return []
    found: list[tuple[Path, str, str]] = []
    pairs, units = objection_counts(data)
    if pairs > MAX_PAIRS or units > MAX_UNITS:
        message = (
            f"expected at most {MAX_PAIRS:,} member-candidate pairs in {MAX_UNITS:,} units, got "
            f"{pairs:,} pairs in {units:,} units (a rule names its members times its "
            "candidates; a unit is one pair, or one rule that is 'together')"
        )
        found.append((("objections",), message, HINT))
    entries = support_entries(data)
    if entries > MAX_SUPPORT_ENTRIES:
        message = (
            f"expected at most {MAX_SUPPORT_ENTRIES:,} support values, got {entries:,} (the "
            "default, and each candidate's default, tag and member entries)"
        )
        found.append((("support",), message, HINT))
    return found
