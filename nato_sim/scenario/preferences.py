"""Support by criteria: `support.preferences` resolved into one support value per member and
candidate.

Allies state criteria as well as names (a national of an EU member, a former head of
government): a preference gives the members it selects a support value for every candidate
who carries a tag (`for`) or lacks it (`without`). For member m and candidate c:

1. m's own entry, `support.candidates.c.members.m`, is final: no preference changes it;
2. else the last `set` preference, in the order listed, that selects m and c;
3. else what applies without preferences: the last tag entry of `support.candidates.c.tags`
   that m carries, else c's `default`, else `support.default`;

and, unless 1 applies, the `add` preferences that select m and c are summed in the order
listed, added to the value of 2 or 3, and the result is clipped to [0, 1]. That value must be a
number: a draw of {uniform} or {beta} shifted and clipped is neither, so validation refuses an
`add` on an uncertain value (a `set` states such a value directly).

The same resolution serves the engine (:func:`support_values`, on a validated scenario) and
validation (:func:`preference_problems`, on raw data, so that its problems are reported with
the file's other problems).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nato_sim.scenario.limits import (
    HINT,
    MAX_CANDIDATES,
    MAX_MEMBERS,
    MAX_SUPPORT_ENTRIES,
    support_entries,
)
from nato_sim.scenario.schema import (
    MAX_PREFERENCES,
    Beta,
    Scenario,
    TagSelector,
    Uniform,
)

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Shifted:
    """A support value that `add` preferences made: a number, the clipped sum."""

    value: float


@dataclass(frozen=True)
class _Value:
    """A support value as written, and where."""

    value: Any
    path: Path


@dataclass(frozen=True)
class _Spec:
    """One candidate's own support entries, with members as indexes."""

    default: _Value | None
    tags: list[tuple[str, _Value]]
    members: list[tuple[int, _Value]]


@dataclass(frozen=True)
class _Preference:
    """A preference with its members and candidates as indexes."""

    index: int  # position in `support.preferences`
    rows: np.ndarray  # members it selects
    cols: np.ndarray  # candidates it selects
    set: _Value | None
    add: float | None


def select(selector: Any, ids: Sequence[str | None], tags: Sequence[Collection[str]]) -> list[int]:
    """Indexes a selector picks: 'all', an id, a list of ids, {tag: t} or {without: t}.

    Takes the validated form or raw data; names that are not there, and malformed
    selectors, pick nobody (validation reports them).
    """
    if selector == "all":
        return list(range(len(ids)))
    tag, wanted = _tag_of(selector)
    if tag is not None:
        return [i for i, own in enumerate(tags) if (tag in own) == wanted]
    names = [selector] if isinstance(selector, str) else selector
    if not isinstance(names, list):
        return []
    position: dict[str | None, int] = {}
    for i, entity_id in enumerate(ids):
        position.setdefault(entity_id, i)
    picked = {position[n] for n in names if isinstance(n, str) and n in position}
    return sorted(picked)


def _tag_of(selector: Any) -> tuple[str | None, bool]:
    """The tag of {tag: t} (True: carriers) or {without: t} (False: those who lack it)."""
    if isinstance(selector, TagSelector):
        return (selector.tag, True) if selector.without is None else (selector.without, False)
    if isinstance(selector, dict):
        given = [(key, tag) for key, tag in selector.items() if tag is not None]  # null: absent
        if len(given) == 1 and given[0][0] in ("tag", "without") and isinstance(given[0][1], str):
            return given[0][1], given[0][0] == "tag"
    return None, True


class _Table:
    """Which written value applies to each (member, candidate), and the `add`s on it."""

    def __init__(
        self,
        n_members: int,
        n_cands: int,
        member_tags: Sequence[Collection[str]],
        default: _Value,
        specs: dict[int, _Spec],
        preferences: list[_Preference],
    ) -> None:
        self.values = [default]
        self.index = np.zeros((n_members, n_cands), dtype=np.intp)
        carriers: dict[str, list[int]] = {}
        for m, own in enumerate(member_tags):
            for tag in own:
                carriers.setdefault(tag, []).append(m)

        def written(value: _Value) -> int:
            self.values.append(value)
            return len(self.values) - 1

        for c, spec in specs.items():
            if spec.default is not None:
                self.index[:, c] = written(spec.default)
            for tag, value in spec.tags:  # the last tag listed wins
                self.index[carriers.get(tag, []), c] = written(value)
        for pref in preferences:  # the last `set` listed wins
            if pref.set is not None:
                self.index[np.ix_(pref.rows, pref.cols)] = written(pref.set)
        self.own = np.zeros((n_members, n_cands), dtype=bool)
        for c, spec in specs.items():
            for m, value in spec.members:
                self.index[m, c] = written(value)
                self.own[m, c] = True
        self.shift = np.zeros((n_members, n_cands))
        self.shifted = np.zeros((n_members, n_cands), dtype=bool)
        self.adds = [p for p in preferences if p.add is not None]
        for pref in self.adds:
            self.shift[np.ix_(pref.rows, pref.cols)] += pref.add
            self.shifted[np.ix_(pref.rows, pref.cols)] = True
        self.shifted &= ~self.own

    def added(self, m: int, c: int) -> float:
        """The clipped sum of the value that applies to (m, c) and its `add`s; it is a number."""
        total = float(self.values[self.index[m, c]].value) + float(self.shift[m, c])
        return min(1.0, max(0.0, total))


def support_values(scenario: Scenario) -> list[list[float | Uniform | Beta | Shifted]]:
    """The support value that applies to each member (rows) and candidate (columns).

    A value written in the file is returned as that very object, so that the engine draws an
    uncertain entry once per trial however many members and candidates it covers; a value
    that `add` preferences made is a :class:`Shifted`.

    Raises:
        ValueError: an `add` on an uncertain value (validation refuses such a file).
    """
    members, cands, support = scenario.members, scenario.candidates, scenario.support
    member_ids, member_tags = [m.id for m in members], [m.tags for m in members]
    cand_ids, cand_tags = [c.id for c in cands], [c.tags for c in cands]
    member_at = {member: m for m, member in enumerate(member_ids)}
    specs: dict[int, _Spec] = {}
    for c, cand in enumerate(cand_ids):
        spec = support.candidates.get(cand)
        if spec is not None:
            at: Path = ("support", "candidates", cand)
            specs[c] = _Spec(
                None if spec.default is None else _Value(spec.default, (*at, "default")),
                [(tag, _Value(v, (*at, "tags", tag))) for tag, v in spec.tags.items()],
                [(member_at[k], _Value(v, (*at, "members", k))) for k, v in spec.members.items()],
            )
    preferences = [
        _Preference(
            k,
            _indexes(select(pref.members, member_ids, member_tags)),
            _indexes(select({"tag" if pref.wanted else "without": pref.tag}, cand_ids, cand_tags)),
            None if pref.set is None else _Value(pref.set, ("support", "preferences", k, "set")),
            pref.add,
        )
        for k, pref in enumerate(support.preferences)
    ]
    default = _Value(support.default, ("support", "default"))
    table = _Table(len(members), len(cands), member_tags, default, specs, preferences)
    rows: list[list[float | Uniform | Beta | Shifted]] = []
    for m in range(len(members)):
        row: list[float | Uniform | Beta | Shifted] = []
        for c in range(len(cands)):
            written = table.values[table.index[m, c]]
            if not table.shifted[m, c]:
                row.append(written.value)
            elif isinstance(written.value, (Uniform, Beta)):
                raise ValueError(
                    f"'add' on the uncertain value {path_text(written.path)} "
                    f"({member_ids[m]}, {cand_ids[c]}); use 'set'"
                )
            else:
                row.append(Shifted(table.added(m, c)))
        rows.append(row)
    return rows


def _indexes(picked: list[int]) -> np.ndarray:
    return np.asarray(picked, dtype=np.intp)


def preference_problems(data: Any) -> list[tuple[Path, str, str | None]]:
    """Problems of `support.preferences` in raw data that need the whole scenario.

    An `add` on an uncertain value, at the `add`; and, at `support.preferences`, more support
    values than the limit once the preferences are counted (each `set`, and each distinct
    number that `add`s make). Files that pass another size limit, or whose preferences are
    malformed, are left to the checks that report those.

    Returns:
        (key path, message, hint) for each problem.
    """
    support = _mapping(data.get("support")) if isinstance(data, dict) else {}
    raw = support.get("preferences")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_PREFERENCES:
        return []
    members, cands = _dicts(data.get("members")), _dicts(data.get("candidates"))
    written_count = support_entries(data)
    if len(members) > MAX_MEMBERS or len(cands) > MAX_CANDIDATES:
        return []
    if written_count > MAX_SUPPORT_ENTRIES:
        return []
    member_ids, member_tags = [_text(m.get("id")) for m in members], [_tags(m) for m in members]
    cand_ids, cand_tags = [_text(c.get("id")) for c in cands], [_tags(c) for c in cands]
    member_at: dict[str, int] = {}
    for m, member in enumerate(member_ids):
        if member is not None:
            member_at.setdefault(member, m)
    specs: dict[int, _Spec] = {}
    candidate_specs = support.get("candidates")
    for c, cand in enumerate(cand_ids):
        spec = candidate_specs.get(cand) if isinstance(candidate_specs, dict) else None
        if cand is None or not isinstance(spec, dict) or c != cand_ids.index(cand):
            continue
        at: Path = ("support", "candidates", cand)
        specs[c] = _Spec(
            _Value(spec["default"], (*at, "default")) if "default" in spec else None,
            [(t, _Value(v, (*at, "tags", t))) for t, v in _mapping(spec.get("tags")).items()],
            [
                (member_at[k], _Value(v, (*at, "members", k)))
                for k, v in _mapping(spec.get("members")).items()
                if k in member_at
            ],
        )
    preferences = []
    for k, pref in enumerate(raw):
        if not isinstance(pref, dict) or pref.get("members") is None:
            continue
        tag, wanted = _tag_of(_criterion(pref))
        set_given, add_given = pref.get("set") is not None, pref.get("add") is not None
        shift = float(pref["add"]) if add_given and _number(pref["add"]) else None
        # Entries that other checks refuse (no such tag, no single kind, no number in
        # [-1, 1] to add) are left out, so as not to report them twice.
        if tag is None or not any(tag in own for own in cand_tags):
            continue
        if set_given == add_given or not (set_given or shift is not None and -1 <= shift <= 1):
            continue
        preferences.append(
            _Preference(
                k,
                _indexes(select(pref["members"], member_ids, member_tags)),
                _indexes([c for c, own in enumerate(cand_tags) if (tag in own) == wanted]),
                _Value(pref["set"], ("support", "preferences", k, "set")) if set_given else None,
                None if set_given else shift,
            )
        )
    default = _Value(support.get("default", 0.5), ("support", "default"))
    table = _Table(len(members), len(cands), member_tags, default, specs, preferences)

    found: list[tuple[Path, str, str | None]] = []
    for pref in table.adds:
        pairs = np.zeros_like(table.shifted)
        pairs[np.ix_(pref.rows, pref.cols)] = True
        pairs &= ~table.own
        for m, c in zip(*np.nonzero(pairs.T)[::-1], strict=True):  # candidate by candidate
            written = table.values[table.index[m, c]]
            if isinstance(written.value, dict):
                found.append(
                    (
                        ("support", "preferences", pref.index, "add"),
                        f"'add' needs a number to add to, but the support of {member_ids[m]} "
                        f"for {cand_ids[c]} is otherwise uncertain: "
                        f"{path_text(written.path)} is {_shown(written.value)}",
                        "a draw shifted by a number is none of the format's distributions: "
                        "state these members' support with 'set' instead",
                    )
                )
                break
    made = {
        table.added(m, c)
        for m, c in zip(*np.nonzero(table.shifted), strict=True)
        if _number(table.values[table.index[m, c]].value)
    }
    sets = sum(1 for p in preferences if p.set is not None)
    total = written_count + sets + len(made)
    if total > MAX_SUPPORT_ENTRIES:
        found.append(
            (
                ("support", "preferences"),
                f"expected at most {MAX_SUPPORT_ENTRIES:,} support values, got {total:,}: "
                f"{written_count:,} written under support, {sets:,} preferences' 'set' and "
                f"{len(made):,} distinct values made by 'add'",
                HINT,
            )
        )
    return found


def _criterion(pref: dict) -> Any:
    """A raw preference's `for` or `without` as a selector, None unless exactly one is given."""
    given = [key for key in ("for", "without") if pref.get(key) is not None]
    if len(given) != 1:
        return None
    return {"tag" if given[0] == "for" else "without": pref[given[0]]}


def _dicts(value: Any) -> list[dict]:
    return [e for e in value if isinstance(e, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _tags(entry: dict) -> set[str]:
    tags = entry.get("tags")
    return {t for t in tags if isinstance(t, str)} if isinstance(tags, list) else set()


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def path_text(path: Path) -> str:
    """`support.preferences[2].set` for ("support", "preferences", 2, "set")."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + part
    return text


def _shown(value: Any) -> str:
    """A raw value as written in YAML's flow style: {uniform: [0.6, 0.8]}."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)
