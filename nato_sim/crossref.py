"""Checks that need the whole scenario: ids that must exist, cycles, citations."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import NamedTuple

from nato_sim.schema import (
    LiftedCondition,
    Scenario,
    TagSelector,
    WithdrawnCondition,
)

Path = tuple[str | int, ...]


class Finding(NamedTuple):
    """One cross-reference problem: where, what, a hint, and whether the key itself is wrong."""

    path: Path
    message: str
    hint: str | None
    at_key: bool = False  # an unknown name used as a mapping key: point at the key, not its value


def _did_you_mean(name: str, known: Iterable[str]) -> str | None:
    """A close match, else the few known names, else nothing."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    # A short list is worth showing whole; a long one would bury the message.
    if 0 < len(known) <= 8:
        return "expected one of: " + ", ".join(sorted(known))
    return None


def check_references(scenario: Scenario, claim_ids: set[str] | None) -> list[Finding]:
    """Every cross-reference problem of a scenario, in file order.

    Args:
        scenario: a scenario whose fields are each valid on their own.
        claim_ids: the known claim ids; None skips the citation check.
    """
    found: list[Finding] = []
    members = [m.id for m in scenario.members]
    cands = [c.id for c in scenario.candidates]
    rules = [r.id for r in scenario.objections if r.id is not None]
    member_tags = {t for m in scenario.members for t in m.tags}
    cand_tags = {t for c in scenario.candidates for t in c.tags}

    def unknown(path: Path, kind: str, name: str, known: Iterable[str], at_key=False) -> None:
        found.append(Finding(path, f"unknown {kind} {name!r}", _did_you_mean(name, known),
                             at_key))

    for key, ids in (("members", members), ("candidates", cands)):
        seen: dict[str, int] = {}
        for i, entity_id in enumerate(ids):
            if entity_id in seen:
                found.append(Finding((key, i, "id"), f"duplicate id {entity_id!r} "
                                     f"(also {key}[{seen[entity_id]}])", None))
            seen.setdefault(entity_id, i)
    seen_rules: dict[str, int] = {}
    for i, rule in enumerate(scenario.objections):
        if rule.id is not None:
            if rule.id in seen_rules:
                found.append(Finding(("objections", i, "id"), f"duplicate id {rule.id!r} "
                                     f"(also objections[{seen_rules[rule.id]}])", None))
            seen_rules.setdefault(rule.id, i)

    for cand_id, spec in scenario.support.candidates.items():
        path = ("support", "candidates", cand_id)
        if cand_id not in cands:
            unknown(path, "candidate", cand_id, cands, at_key=True)
        for tag in spec.tags:
            if tag not in member_tags:
                unknown((*path, "tags", tag), "member tag", tag, member_tags, at_key=True)
        for member in spec.members:
            if member not in members:
                unknown((*path, "members", member), "member", member, members, at_key=True)

    for i, rule in enumerate(scenario.objections):
        for key, ids, tags, kind in (("members", members, member_tags, "member"),
                                     ("candidates", cands, cand_tags, "candidate")):
            selector = getattr(rule, key)
            if isinstance(selector, TagSelector):
                if selector.tag not in tags:
                    unknown(("objections", i, key, "tag"), f"{kind} tag", selector.tag, tags)
            elif selector != "all":
                for j, name in enumerate(selector):
                    if name not in ids:
                        unknown(("objections", i, key, j), kind, name, ids)
        for j, cond in enumerate(rule.until):
            path = ("objections", i, "until", j)
            if isinstance(cond, WithdrawnCondition) and cond.withdrawn not in cands:
                unknown((*path, "withdrawn"), "candidate", cond.withdrawn, cands)
            if isinstance(cond, LiftedCondition):
                if cond.lifted not in rules:
                    unknown((*path, "lifted"), "rule id", cond.lifted, rules)
    found.extend(_cycles(scenario))

    has_calendar = scenario.decision.calendar is not None
    for i, milestone in enumerate(scenario.milestones):
        if milestone.date is not None and not has_calendar:
            found.append(Finding(("milestones", i, "date"),
                                 "a milestone date needs decision.calendar", "or give a 'round'"))
    if scenario.outcome is not None:
        winner = scenario.outcome.winner
        if winner not in (*cands, "extension", "no-decision"):
            unknown(("outcome", "winner"), "candidate", winner,
                    [*cands, "extension", "no-decision"])
    if claim_ids is not None:
        for path, claim in _citations(scenario):
            if claim not in claim_ids:
                found.append(Finding(path, f"cites claim {claim!r}, which no seeds file has",
                                     _did_you_mean(claim, claim_ids)))
    return found


def _cycles(scenario: Scenario) -> list[Finding]:
    """`until: {lifted: X}` conditions that wait on each other in a circle."""
    waits = {
        rule.id: [c.lifted for c in rule.until if isinstance(c, LiftedCondition)]
        for rule in scenario.objections if rule.id is not None
    }
    index = {rule.id: i for i, rule in enumerate(scenario.objections) if rule.id is not None}
    found: list[Finding] = []
    reported: set[frozenset[str]] = set()
    for start in waits:
        stack = [(start, [start])]
        while stack:
            node, trail = stack.pop()
            for nxt in waits.get(node, []):
                if nxt == start:
                    members = frozenset(trail)
                    if members not in reported:
                        reported.add(members)
                        loop = " -> ".join([*trail, start])
                        found.append(Finding(("objections", index[start], "until"),
                                             "'until' conditions wait on each other in a "
                                             f"cycle: {loop}", "such rules could never lift"))
                elif nxt not in trail and nxt in waits:
                    stack.append((nxt, [*trail, nxt]))
    return found


def _citations(scenario: Scenario):
    """Every (path, claim id) a scenario cites."""

    def walk(value, path):
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "source":
                    for j, claim in enumerate(item):
                        yield (*path, "source", j), claim
                else:
                    yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for j, item in enumerate(value):
                yield from walk(item, (*path, j))

    yield from walk(scenario.model_dump(), ())
