"""Checks that need the whole scenario: ids that must exist, cycles, citations, size limits.

They read the raw data (after overrides, before or beside pydantic's validation) and skip
whatever is malformed, so that a file's reference problems are reported together with its
type and range problems, all at once. Their work grows in step with the file, however many
names it gets wrong: a file at the size cap is checked in a fraction of a second.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from pydantic import ValidationError

from nato_sim.scenario.limits import MAX_CANDIDATES, MAX_MEMBERS, MAX_RULES, size_problems
from nato_sim.scenario.preferences import path_text, preference_problems
from nato_sim.scenario.schema import MAX_ROUNDS, SLUG, Decision

Path = tuple[str | int, ...]

# Suggestions cost a fuzzy comparison with every known name: only so many are looked for,
# and none among a list far beyond the size limits.
MAX_HINTS = 20
MAX_HINT_NAMES = 1000
# Past this many findings the rest are only counted: a file of thousands of wrong names
# gains nothing from a message for each, and they cost time.
MAX_FINDINGS = 100
# `source` sits at most this many keys deep (support.candidates.<id>.source): citations are
# looked for no deeper, so that deep values elsewhere cost nothing.
SOURCE_DEPTH = 3


class Finding(NamedTuple):
    """One cross-reference problem: where, what, a hint, and whether the key itself is wrong."""

    path: Path
    message: str
    hint: str | None
    at_key: bool = False  # an unknown name used as a mapping key: point at the key, not its value


class _Findings(list):
    """The findings, the first MAX_FINDINGS of them kept; `more` counts the others."""

    more = 0

    @property
    def full(self) -> bool:
        return len(self) >= MAX_FINDINGS

    def append(self, finding: Finding) -> None:
        if self.full:
            self.more += 1
        else:
            super().append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def closed(self) -> list[Finding]:
        """The findings kept, and one that counts the others after the last one."""
        kept = list(self)
        if self.more:
            message = f"{self.more:,} more problems with names and references not shown"
            kept.append(Finding(kept[-1].path, message, None))
        return kept


class _Hints:
    """'did you mean' for unknown names: a close match, else the few known names."""

    def __init__(self) -> None:
        self.left = MAX_HINTS
        self.lists: dict[int, tuple[Iterable[str], tuple[str, ...]]] = {}
        self.found: dict[tuple[str, int], str | None] = {}

    def __call__(self, name: str, known: Iterable[str]) -> str | None:
        # The same few collections of names come again and again: sorted once each.
        if id(known) not in self.lists:
            # Names that are not printable are invalid anyway, and must not reach a terminal.
            shown = tuple(sorted(k for k in known if k.isprintable()))
            self.lists[id(known)] = (known, shown)  # kept, so that the id stays its own
        key = (name, id(known))
        if key not in self.found:
            self.found[key] = self._hint(name, self.lists[id(known)][1])
        return self.found[key]

    def _hint(self, name: str, known: tuple[str, ...]) -> str | None:
        if self.left > 0 and len(known) <= MAX_HINT_NAMES:
            self.left -= 1
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
            if close:
                return f"did you mean {close[0]!r}?"
        # A short list is worth showing whole; a long one would bury the message.
        if 0 < len(known) <= 8:
            return "expected one of: " + ", ".join(known)
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


def _round_count(data: dict) -> int | None:
    """The number of rounds of raw data, None when its decision is malformed."""
    decision = data.get("decision")
    if not isinstance(decision, dict):
        return None
    try:
        return Decision.model_validate(decision).round_count
    except ValidationError:
        return None


def check_references(data: Any, claim_ids: set[str] | None) -> list[Finding]:
    """Every cross-reference problem of a scenario's raw data, in file order.

    Args:
        data: the scenario as read from YAML (with overrides applied).
        claim_ids: the known claim ids; None skips the citation check.
    """
    if not isinstance(data, dict):
        return []
    found = _Findings()
    sized = [Finding(*problem) for problem in size_problems(data)]
    if all(finding.path != ("objections",) for finding in sized):
        sized += _pairs_without(data)
    found.extend(sized)
    hint = _Hints()
    member_entries = _entries(data, "members")
    cand_entries = _entries(data, "candidates")
    rule_entries = _entries(data, "objections")
    members = [m for _, e in member_entries if (m := _text(e.get("id")))]
    cands = [c for _, e in cand_entries if (c := _text(e.get("id")))]
    rules = [r for _, e in rule_entries if (r := _text(e.get("id")))]
    member_tags = {t for _, e in member_entries for t in _tags(e)}
    cand_tags = {t for _, e in cand_entries for t in _tags(e)}
    known_members, known_cands, known_rules = set(members), set(cands), set(rules)

    def unknown(path: Path, kind: str, name: str, known: Iterable[str], at_key=False) -> None:
        if found.full:
            found.more += 1
        else:
            found.append(Finding(path, f"unknown {kind} {name!r}", hint(name, known), at_key))

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

    rounds = _round_count(data)
    for i, cand in cand_entries:
        enters = cand.get("enters")
        # Past MAX_ROUNDS it is a field problem already.
        if rounds is not None and type(enters) is int and rounds < enters <= MAX_ROUNDS:
            found.append(
                Finding(
                    ("candidates", i, "enters"),
                    f"expected a round up to {rounds}, the last one, got {enters}",
                    "entering later, the candidate could never be appointed",
                )
            )

    for cand_id, spec in _mapping(_mapping(data.get("support")).get("candidates")).items():
        path = ("support", "candidates", cand_id)
        if cand_id not in known_cands:
            unknown(path, "candidate", cand_id, cands, at_key=True)
        spec = _mapping(spec)
        for tag in _mapping(spec.get("tags")):
            if tag not in member_tags:
                unknown((*path, "tags", tag), "member tag", tag, member_tags, at_key=True)
        for member in _mapping(spec.get("members")):
            if member not in known_members:
                unknown((*path, "members", member), "member", member, members, at_key=True)

    def check_selector(at: Path, selector: Any, kind: str) -> None:
        """Unknown names and tags in a selector of members or candidates; names listed twice."""
        ids, known, tags = (
            (members, known_members, member_tags)
            if kind == "member"
            else (cands, known_cands, cand_tags)
        )
        if isinstance(selector, dict):
            for key in ("tag", "without"):
                tag = _text(selector.get(key))
                if tag is not None and tag not in tags:
                    unknown((*at, key), f"{kind} tag", tag, tags)
        elif isinstance(selector, str) and selector != "all":
            if selector not in known:
                unknown(at, kind, selector, ids)
        elif isinstance(selector, list):
            listed: dict[str, int] = {}
            for j, name in enumerate(selector):
                if not isinstance(name, str):
                    continue
                if name not in known:
                    unknown((*at, j), kind, name, ids)
                elif name in listed:
                    # In a rule, the engine would raise the objection of that pair twice.
                    found.append(
                        Finding(
                            (*at, j),
                            f"{kind} {name!r} is listed twice "
                            f"(also {path_text((*at, listed[name]))})",
                            None,
                        )
                    )
                listed.setdefault(name, j)

    for i, rule in rule_entries:
        check_selector(("objections", i, "members"), rule.get("members"), "member")
        check_selector(("objections", i, "candidates"), rule.get("candidates"), "candidate")
        for j, cond in _conditions(rule):
            at: Path = ("objections", i, "until", j)
            withdrawn, lifted = _text(cond.get("withdrawn")), _text(cond.get("lifted"))
            if withdrawn is not None and withdrawn not in known_cands:
                unknown((*at, "withdrawn"), "candidate", withdrawn, cands)
            if lifted is not None and lifted not in known_rules:
                unknown((*at, "lifted"), "rule id", lifted, rules)
    found.extend(_cycles(rule_entries))

    for k, preference in _entries(_mapping(data.get("support")), "preferences"):
        at = ("support", "preferences", k)
        check_selector((*at, "members"), preference.get("members"), "member")
        for key in ("for", "without"):
            tag = _text(preference.get(key))
            if tag is not None and tag not in cand_tags:
                unknown((*at, key), "candidate tag", tag, cand_tags)
    found.extend(Finding(*problem) for problem in preference_problems(data))

    found.extend(_fallback_problems(data))
    found.extend(_join_problems(data, member_entries, rule_entries))
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
    # An `unnamed` candidate's id is a candidate id: the actual winner was not among the named.
    ends = ("extension", "acting", "no-decision")
    if winner is not None and winner not in (*known_cands, *ends):
        unknown(("outcome", "winner"), "candidate", winner, [*cands, *ends])
    if claim_ids is not None:
        for cited_at, claim in _citations(data, ()):
            if claim not in claim_ids:
                if found.full:
                    found.more += 1
                    continue
                found.append(
                    Finding(
                        cited_at,
                        f"cites claim {claim!r}, which no seeds file has",
                        hint(claim, claim_ids),
                    )
                )
    return found.closed()


def _join_problems(
    data: dict, member_entries: list[tuple[int, dict]], rule_entries: list[tuple[int, dict]]
) -> list[Finding]:
    """Members who join during the race: a date needs a calendar, someone must count from
    the start, and a bloc acts only once all its members count, so they join together."""
    problems = []
    has_calendar = isinstance(_mapping(data.get("decision")).get("calendar"), dict)
    joins: dict[str, Any] = {}
    for i, member in member_entries:
        when = member.get("joins")
        member_id = _text(member.get("id"))
        if member_id is not None:
            joins[member_id] = 1 if when is None else when
        if isinstance(when, dt.date) and not has_calendar:
            problems.append(
                Finding(("members", i, "joins"), "a joining date needs decision.calendar", None)
            )
    if joins and all(when not in (1, None) for when in joins.values()):
        problems.append(
            Finding(
                ("members",),
                "every member joins after round 1, so nobody counts at the start",
                "leave out 'joins' for the members in from the start",
            )
        )
    tags = {_text(m.get("id")): _tags(m) for _, m in member_entries}
    for i, rule in rule_entries:
        if rule.get("together") is not True or all(when == 1 for when in joins.values()):
            continue
        named = rule.get("members")
        if named == "all":
            named = list(joins)
        elif isinstance(named, str):
            named = [named]
        elif isinstance(named, dict):
            tag, without = named.get("tag"), named.get("without")
            named = [
                m
                for m, own in tags.items()
                if (tag is not None and tag in own) or (without is not None and without not in own)
            ]
        if not isinstance(named, list):
            continue
        rounds = {str(joins.get(m, 1)) for m in named if isinstance(m, str)}
        if len(rounds) > 1:
            problems.append(
                Finding(
                    ("objections", i, "members"),
                    "a 'together' bloc acts as one, so its members must join in the same round",
                    "split the rule, or give the members the same 'joins'",
                )
            )
    return problems


def _fallback_problems(data: dict) -> list[Finding]:
    """What happens at the deadline must fit the post: an extension needs an incumbent whose
    term has not ended by `as_of`; an acting Secretary General stands in for a vacancy."""
    decision = _mapping(data.get("decision"))
    incumbent = data.get("incumbent")
    on_deadline = decision.get("on_deadline")
    problems = []
    if on_deadline == "extend" and incumbent is None:
        problems.append(
            Finding(
                ("decision", "on_deadline"),
                "'extend' needs an incumbent to extend, and the scenario has none",
                "add 'incumbent', or for a vacant post use 'on_deadline: acting'",
            )
        )
    if on_deadline == "acting" and incumbent is not None:
        problems.append(
            Finding(
                ("decision", "on_deadline"),
                "'acting' is for a vacant post, and the scenario has an incumbent",
                "use 'extend', or remove 'incumbent'",
            )
        )
    fallback = (
        on_deadline
        if on_deadline is not None
        else ("extend" if incumbent is not None else "no_decision")
    )
    if decision.get("early_extension") is not None and fallback != "extend":
        problems.append(
            Finding(
                ("decision", "early_extension"),
                "an early extension needs 'on_deadline: extend' and an incumbent",
                None,
            )
        )
    term_ends, as_of = _mapping(incumbent).get("term_ends"), data.get("as_of")
    if isinstance(term_ends, dt.date) and isinstance(as_of, dt.date) and term_ends < as_of:
        problems.append(
            Finding(
                ("incumbent", "term_ends"),
                f"the incumbent's term ended on {term_ends}, before the scenario's as_of {as_of}",
                "the post is then vacant: remove 'incumbent' and use 'on_deadline: acting'",
            )
        )
    return problems


_SIDES = ("members", "candidates")


def _lacking(selector: Any) -> bool:
    """Whether a selector is `{without: tag}`."""
    return isinstance(selector, dict) and isinstance(selector.get("without"), str)


def _pairs_without(data: dict) -> list[Finding]:
    """The limit of objection pairs and units, with `{without: tag}` selectors counted.

    `size_problems` counts such a selector as naming nobody; here it is written out as the
    list of ids lacking the tag, and the limit is checked again. Files past another size
    limit are left to the checks that report it.
    """
    rules = data.get("objections")
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        return []
    if not any(_lacking(r.get(k)) for _, r in _entries(data, "objections") for k in _SIDES):
        return []
    sides = {key: _entries(data, key) for key in _SIDES}
    if len(sides["members"]) > MAX_MEMBERS or len(sides["candidates"]) > MAX_CANDIDATES:
        return []

    def written_out(key: str, selector: Any) -> Any:
        if not _lacking(selector):
            return selector
        return [e.get("id") for _, e in sides[key] if selector["without"] not in _tags(e)]

    patched = dict(data)
    patched["objections"] = [
        {**rule, **{k: written_out(k, rule[k]) for k in _SIDES if k in rule}}
        if isinstance(rule, dict)
        else rule
        for rule in rules
    ]
    return [Finding(*p) for p in size_problems(patched) if p[0] == ("objections",)]


def _conditions(rule: dict) -> list[tuple[int, dict]]:
    until = rule.get("until")
    if not isinstance(until, list):
        return []
    return [(j, c) for j, c in enumerate(until) if isinstance(c, dict)]


def _cycles(rule_entries: list[tuple[int, dict]]) -> list[Finding]:
    """`until: {lifted: X}` conditions that wait on each other in a circle.

    One finding per group of rules that all wait on each other (a strongly connected
    component of the waiting graph), at its first rule, with the shortest circle through it.
    Looking for every circle instead could take time exponential in the number of rules.
    """
    waits: dict[str, list[str]] = {}
    index: dict[str, int] = {}
    for i, rule in rule_entries:
        rule_id = _text(rule.get("id"))
        # An id that is no slug is reported as such; it must not reach a message raw.
        if rule_id is not None and re.fullmatch(SLUG, rule_id) and rule_id not in index:
            index[rule_id] = i
            waits[rule_id] = [
                lifted for _, c in _conditions(rule) if (lifted := _text(c.get("lifted")))
            ]
    waits = {rule: [r for r in targets if r in waits] for rule, targets in waits.items()}
    found: list[Finding] = []
    for group in _components(waits):
        start = min(group, key=index.__getitem__)
        loop = _shortest_loop(start, group, waits)
        if loop is not None:
            found.append(
                Finding(
                    ("objections", index[start], "until"),
                    f"'until' conditions wait on each other in a cycle: {' -> '.join(loop)}",
                    "such rules could never lift",
                )
            )
    found.sort(key=lambda finding: finding.path[1])
    return found


def _components(graph: dict[str, list[str]]) -> list[set[str]]:
    """The strongly connected components of a graph (Tarjan's algorithm, without recursion:
    a file may hold thousands of rules)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []
    for root in graph:
        if root in order:
            continue
        work = [(root, iter(graph[root]))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in order:
                    order[target] = low[target] = len(order)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph[target])))
                    break
                if target in on_stack:
                    low[node] = min(low[node], order[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == order[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
    return components


def _shortest_loop(start: str, group: set[str], graph: dict[str, list[str]]) -> list[str] | None:
    """The shortest walk from `start` back to it within `group` (breadth first), or None."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in graph[node]:
                if target == start:
                    loop = [start, node]
                    while loop[-1] != start:
                        loop.append(previous[loop[-1]])
                    return [*reversed(loop[1:]), start]
                if target in group and target not in previous:
                    previous[target] = node
                    following.append(target)
        frontier = following
    return None


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
            elif len(path) < SOURCE_DEPTH:
                yield from _citations(item, (*path, key))
    elif isinstance(value, list) and len(path) < SOURCE_DEPTH:
        for j, item in enumerate(value):
            yield from _citations(item, (*path, j))
