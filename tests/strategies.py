"""Hypothesis strategies for scenarios that use every feature of the format.

Shared by the engine-against-reference tests, the engine's properties, the checks of its
shortcuts and the long fuzz run (benchmarks/fuzz.py). Each feature the engine treats
specially is drawn often enough to meet the others: late entrants with and without
objections, withdrawals with and without objections, every kind of `until` (also on late
entrants and on rules against them), blocs over several members and candidates, uncertain
values in every place that takes one, deadlines with and without extension, ties of backing,
`min_support` at 0, at 1 and exactly at a backing; floated names and unnamed compromises that
must declare, declines of front-runners, meeting calendars with weights (0 among them), early
extensions, acting Secretaries General, and members who join during the race.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import assume
from hypothesis import strategies as st
from reference import make_scenario

from nato_sim.scenario.crossref import check_references
from nato_sim.scenario.schema import Scenario

MEMBER_IDS = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"]

# Probabilities: the constants the engine treats specially (0, 1), ordinary ones, and both
# kinds of uncertain value.
PROBABILITY = st.sampled_from(
    [0.0, 0.3, 0.6, 1.0, {"uniform": [0.2, 0.8]}, {"uniform": [0.0, 1.0]}, {"beta": [2, 3]}]
)
SMALL_PROBABILITY = st.sampled_from(
    [0.0, 0.05, 0.3, 1.0, {"uniform": [0.0, 0.4]}, {"beta": [1, 4]}]
)
# Support values; 0.5 often, so that backings tie with each other and with min_support 0.5.
SUPPORT = st.sampled_from([0.3, 0.5, 0.5, 0.6, 0.8, 1.0, {"uniform": [0.4, 0.9]}, {"beta": [5, 3]}])
WEIGHT = st.sampled_from([1, 1, 1, 2, 3, 0.5, {"uniform": [0.5, 2]}, {"beta": [2, 2]}])
MIN_SUPPORT = st.sampled_from([0.0, 0.3, 0.5, 0.5, 0.6, 1.0, {"uniform": [0.4, 0.6]}])
BANDWAGON = st.sampled_from([0, 1, 3, {"uniform": [0, 3]}, {"beta": [2, 2]}])


def _count(most: int) -> st.SearchStrategy[int]:
    """How many members or candidates: often one, where a single event decides a trial and
    every open trial of a block can end in the same round."""
    return st.one_of(st.just(1), st.integers(1, most))


def _selector(draw, ids: list[str], tag: str):
    """A rule's members or candidates: every kind of selector."""
    return draw(
        st.one_of(
            st.just("all"),
            st.just({"tag": tag}),
            st.just({"without": tag}),
            st.sampled_from(ids),
            st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True),
        )
    )


def _first_date(decision: dict) -> dt.date | None:
    """The date of round 1 of a generated calendar, None without one."""
    calendar = decision.get("calendar")
    if calendar is None:
        return None
    if "start" in calendar:
        return dt.date.fromisoformat(calendar["start"])
    return dt.date.fromisoformat(calendar["meetings"][0]["date"])


@st.composite
def scenarios(draw, max_members: int = 5, max_candidates: int = 4, max_rounds: int = 6) -> Scenario:
    """Small valid scenarios using every feature of the format."""
    n_members = draw(_count(max_members))
    member_ids = MEMBER_IDS[:n_members]
    members = [
        {
            "id": m,
            "name": m,
            "weight": draw(WEIGHT),
            "tags": draw(st.sampled_from([[], [], ["x"], ["y"], ["x", "y"]])),
        }
        for m in member_ids
    ]

    on_deadline = draw(st.sampled_from(["extend", "extend", "no_decision", "acting", None]))
    with_incumbent = on_deadline == "extend" or (on_deadline is None and draw(st.booleans()))
    decision: dict = {
        "min_support": draw(MIN_SUPPORT),
        "extend_chance": draw(st.sampled_from([1, 1, 0.5, 0.0, {"uniform": [0.2, 0.9]}])),
    }
    if on_deadline is not None:
        decision["on_deadline"] = on_deadline
    n_rounds = draw(st.integers(1, max_rounds))
    if with_incumbent and on_deadline != "no_decision" and draw(st.integers(0, 2)) == 0:
        decision["early_extension"] = {
            "chance": draw(st.one_of(SMALL_PROBABILITY, PROBABILITY)),
            "after": draw(st.integers(1, n_rounds + 1)),
        }
    calendar = draw(st.sampled_from(["none", "none", "spaced", "meetings"]))
    if calendar == "spaced":
        # A deadline and a calendar: the rounds up to the deadline.
        start = dt.date(2024, 1, 1)
        days = draw(st.sampled_from([1, 7, 14]))
        decision["calendar"] = {"start": start.isoformat(), "round_days": days}
        decision["deadline"] = (start + dt.timedelta(days=days * (n_rounds - 1))).isoformat()
    elif calendar == "meetings":
        # Meetings of several weights, some past the horizon; a deadline or a count of rounds.
        dates = [dt.date(2024, 1, 1) + dt.timedelta(days=3 * i) for i in range(n_rounds + 2)]
        decision["calendar"] = {
            "meetings": [
                {"date": d.isoformat(), "weight": draw(st.sampled_from([1, 1, 0, 0.5, 2, 3]))}
                for d in dates
            ]
        }
        if draw(st.booleans()):
            decision["deadline"] = dates[n_rounds - 1].isoformat()
        else:
            decision["rounds"] = n_rounds
    else:
        decision["rounds"] = n_rounds

    # Members who join during the race (never the first, so that someone counts from the
    # start): by round, or by a date that may fall between rounds.
    for member in members[1:]:
        if draw(st.integers(0, 3)) == 0:
            member["joins"] = draw(st.integers(2, n_rounds + 1))
            first = _first_date(decision)
            if first is not None and draw(st.booleans()):
                member["joins"] = (first + dt.timedelta(days=member["joins"] * 3 - 4)).isoformat()

    n_cands = draw(_count(max_candidates))
    cand_ids = [f"c{i + 1}" for i in range(n_cands)]
    candidates = [
        {
            "id": c,
            "name": c,
            "country": "AAA",
            # Late entrants, up to the last round itself.
            "enters": draw(st.one_of(st.just(1), st.just(1), st.integers(1, n_rounds))),
            "withdraw": draw(st.one_of(st.just(0.0), SMALL_PROBABILITY, PROBABILITY)),
            "tags": draw(st.sampled_from([[], ["p"], ["p", "q"]])),
        }
        for c in cand_ids
    ]
    for cand in candidates:
        if draw(st.integers(0, 3)) == 0:
            cand["decline"] = draw(st.one_of(SMALL_PROBABILITY, PROBABILITY))
        kind = draw(st.sampled_from(["declared", "declared", "floated", "unnamed"]))
        if kind == "floated" or (kind == "unnamed" and draw(st.booleans())):
            cand["declare"] = {
                "chance": draw(st.one_of(SMALL_PROBABILITY, PROBABILITY)),
                "after": draw(st.integers(1, n_rounds + 1)),
            }
        if kind == "unnamed":
            cand["unnamed"] = True
            del cand["country"]

    support: dict = {"default": draw(SUPPORT), "candidates": {}}
    for c in cand_ids:
        spec: dict = {}
        if draw(st.booleans()):
            spec["default"] = draw(SUPPORT)
        if draw(st.booleans()):
            spec["tags"] = {t: draw(SUPPORT) for t in draw(st.sampled_from([["x"], ["y", "x"]]))}
        if draw(st.booleans()):
            spec["members"] = {draw(st.sampled_from(member_ids)): draw(SUPPORT)}
        if spec:
            support["candidates"][c] = spec
    # Preferences by candidate tag: `set` any support value, or `add` a shift.
    preferences = []
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        entry: dict = {
            "members": draw(
                st.sampled_from(["all", {"tag": "x"}, {"without": "y"}, member_ids[:1]])
            ),
            draw(st.sampled_from(["for", "without"])): draw(st.sampled_from(["p", "q"])),
        }
        if draw(st.booleans()):
            entry["set"] = draw(SUPPORT)
        else:
            entry["add"] = draw(st.sampled_from([-0.3, -0.1, 0.1, 0.25, 0.6]))
        preferences.append(entry)
    if preferences:
        support["preferences"] = preferences

    n_rules = draw(st.one_of(st.just(1), st.integers(0, 4)))
    rules = []
    for k in range(n_rules):
        until = []
        for _ in range(draw(st.integers(0, 2))):
            kind = draw(st.sampled_from(["withdrawn", "lifted", "round"]))
            if kind == "withdrawn":
                until.append({"withdrawn": draw(st.sampled_from(cand_ids))})
            elif kind == "lifted" and k + 1 < n_rules:
                # Only later rules, so conditions never form a cycle.
                until.append({"lifted": f"r{draw(st.integers(k + 2, n_rules))}"})
            elif kind == "round":
                until.append({"round": draw(st.integers(2, n_rounds + 1))})
        rules.append(
            {
                "id": f"r{k + 1}",
                "members": _selector(draw, member_ids, "x"),
                "candidates": _selector(draw, cand_ids, "p"),
                "chance": draw(st.sampled_from([1, 1, 0.5, 0.0, {"uniform": [0.3, 0.9]}])),
                "lift": draw(st.one_of(PROBABILITY, SMALL_PROBABILITY)),
                "after": draw(st.integers(1, n_rounds + 1)),
                "together": draw(st.booleans()),
                "until": until,
            }
        )
    scenario = make_scenario(
        members,
        candidates,
        support=support,
        objections=rules,
        decision=decision,
        dynamics={"bandwagon": draw(BANDWAGON)},
        incumbent={"name": "Incumbent", "country": "AAA"} if with_incumbent else None,
    )
    # What the loader checks on the file beside the schema: tags that exist, an `add` on a
    # number. Anything it would refuse is drawn again.
    assume(not check_references(scenario.model_dump(by_alias=True, exclude_none=True), None))
    return scenario


# Block sizes: tiny ones (a single trial, a handful, where every open trial may end in the
# same round) as well as ones large enough to compact and to pick trials out.
BLOCK_SIZES = st.one_of(st.integers(1, 10), st.sampled_from([17, 64, 333, 2_000]))


def zeros_made_tiny(scenario: Scenario) -> st.SearchStrategy[list[str]]:
    """For each rule, which of its values a check of `check_skipped_units` (engine_checks)
    sets to 0 and to a tiny number: "chance", "lift" or "none"."""
    n = len(scenario.objections)
    return st.lists(st.sampled_from(["none", "chance", "lift"]), min_size=n, max_size=n)
