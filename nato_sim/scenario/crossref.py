"""Checks that need the whole scenario: ids that must exist, cycles, citations.

They read the raw data (after overrides, before or beside pydantic's validation) and skip
whatever is malformed, so that a file's reference problems are reported together with its
type and range problems, all at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

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


def _entries(data: dict, key: str) -> list[tuple[int, dict]]:
    """The well-formed (position, mapping) entries of a top-level list."""
    value = data.get(key)
    if not isinstance(value, list):
        return []
    return [(i, e) for i, e in enumerate(value) if isinstance(e, dict)]


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _tags(entry: dict) -> list[str]:
    tags = entry.get("tags")
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def check_references(data: Any, claim_ids: set[str] | None) -> list[Finding]:
    """Every cross-reference problem of a scenario's raw data, in file order.

    Args:
        data: the scenario as read from YAML (with overrides applied).
        claim_ids: the known claim ids; None skips the citation check.
    """
    if not isinstance(data, dict):
        return []
    found: list[Finding] = []
    member_entries = _entries(data, "members")
    cand_entries = _entries(data, "candidates")
    rule_entries = _entries(data, "objections")
    members = [m for _, e in member_entries if (m := _text(e.get("id")))]
    cands = [c for _, e in cand_entries if (c := _text(e.get("id")))]
    rules = [r for _, e in rule_entries if (r := _text(e.get("id")))]
    member_tags = {t for _, e in member_entries for t in _tags(e)}
    cand_tags = {t for _, e in cand_entries for t in _tags(e)}

    def unknown(path: Path, kind: str, name: str, known: Iterable[str], at_key=False) -> None:
        found.append(Finding(path, f"unknown {kind} {name!r}", _did_you_mean(name, known), at_key))

    for key, entries in (
        ("members", member_entries),
        ("candidates", cand_entries),
        ("objections", rule_entries),
    ):
        seen: dict[str, int] = {}
        for i, entry in entries:
            entity_id = _text(entry.get("id"))
            if entity_id is None:
                continue
            if entity_id in seen:
                found.append(
                    Finding(
                        (key, i, "id"),
                        f"duplicate id {entity_id!r} (also {key}[{seen[entity_id]}])",
                        None,
                    )
                )
            seen.setdefault(entity_id, i)

    for cand_id, spec in _mapping(_mapping(data.get("support")).get("candidates")).items():
        path = ("support", "candidates", cand_id)
        if cand_id not in cands:
            unknown(path, "candidate", cand_id, cands, at_key=True)
        spec = _mapping(spec)
        for tag in _mapping(spec.get("tags")):
            if tag not in member_tags:
                unknown((*path, "tags", tag), "member tag", tag, member_tags, at_key=True)
        for member in _mapping(spec.get("members")):
            if member not in members:
                unknown((*path, "members", member), "member", member, members, at_key=True)

    for i, rule in rule_entries:
        for key, ids, tags, kind in (
            ("members", members, member_tags, "member"),
            ("candidates", cands, cand_tags, "candidate"),
        ):
            selector = rule.get(key)
            if isinstance(selector, dict):
                tag = _text(selector.get("tag"))
                if tag is not None and tag not in tags:
                    unknown(("objections", i, key, "tag"), f"{kind} tag", tag, tags)
            elif isinstance(selector, str) and selector != "all":
                if selector not in ids:
                    unknown(("objections", i, key), kind, selector, ids)
            elif isinstance(selector, list):
                for j, name in enumerate(selector):
                    if isinstance(name, str) and name not in ids:
                        unknown(("objections", i, key, j), kind, name, ids)
        for j, cond in _conditions(rule):
            path = ("objections", i, "until", j)
            withdrawn, lifted = _text(cond.get("withdrawn")), _text(cond.get("lifted"))
            if withdrawn is not None and withdrawn not in cands:
                unknown((*path, "withdrawn"), "candidate", withdrawn, cands)
            if lifted is not None and lifted not in rules:
                unknown((*path, "lifted"), "rule id", lifted, rules)
    found.extend(_cycles(rule_entries))

    has_calendar = isinstance(_mapping(data.get("decision")).get("calendar"), dict)
    for i, milestone in _entries(data, "milestones"):
        if milestone.get("date") is not None and not has_calendar:
            found.append(
                Finding(
                    ("milestones", i, "date"),
                    "a milestone date needs decision.calendar",
                    "or give a 'round'",
                )
            )
    winner = _text(_mapping(data.get("outcome")).get("winner"))
    if winner is not None and winner not in (*cands, "extension", "no-decision"):
        unknown(("outcome", "winner"), "candidate", winner, [*cands, "extension", "no-decision"])
    if claim_ids is not None:
        for path, claim in _citations(data, ()):
            if claim not in claim_ids:
                found.append(
                    Finding(
                        path,
                        f"cites claim {claim!r}, which no seeds file has",
                        _did_you_mean(claim, claim_ids),
                    )
                )
    return found


def _conditions(rule: dict) -> list[tuple[int, dict]]:
    until = rule.get("until")
    if not isinstance(until, list):
        return []
    return [(j, c) for j, c in enumerate(until) if isinstance(c, dict)]


def _cycles(rule_entries: list[tuple[int, dict]]) -> list[Finding]:
    """`until: {lifted: X}` conditions that wait on each other in a circle."""
    waits: dict[str, list[str]] = {}
    index: dict[str, int] = {}
    for i, rule in rule_entries:
        rule_id = _text(rule.get("id"))
        if rule_id is not None and rule_id not in index:
            index[rule_id] = i
            waits[rule_id] = [
                lifted for _, c in _conditions(rule) if (lifted := _text(c.get("lifted")))
            ]
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
                        found.append(
                            Finding(
                                ("objections", index[start], "until"),
                                f"'until' conditions wait on each other in a cycle: {loop}",
                                "such rules could never lift",
                            )
                        )
                elif nxt not in trail and nxt in waits:
                    stack.append((nxt, [*trail, nxt]))
    return found


def _citations(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    """Every (path, claim id) the data cites."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "source":
                claims = [item] if isinstance(item, str) else item
                if isinstance(claims, list):
                    for j, claim in enumerate(claims):
                        if isinstance(claim, str):
                            yield (
                                (
                                    (*path, "source")
                                    if isinstance(item, str)
                                    else (*path, "source", j)
                                ),
                                claim,
                            )
            else:
                yield from _citations(item, (*path, key))
    elif isinstance(value, list):
        for j, item in enumerate(value):
            yield from _citations(item, (*path, j))
