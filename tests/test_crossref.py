"""Tests for nato_sim.scenario.crossref: ids that must exist, duplicates, cycles and citations."""

from __future__ import annotations

import copy
import datetime as dt
import time

from nato_sim.scenario.crossref import MAX_FINDINGS, MAX_HINTS, check_references
from nato_sim.scenario.schema import Scenario

BASE = {
    "title": "Cross-reference test",
    "description": "Three members, three candidates.",
    "members": [
        {"id": "USA", "name": "United States", "tags": ["g7"]},
        {"id": "TUR", "name": "Türkiye"},
        {"id": "DEU", "name": "Germany", "tags": ["eu", "g7"]},
    ],
    "candidates": [
        {"id": "alpha", "name": "Alpha", "country": "NLD", "tags": ["pm"]},
        {"id": "beta", "name": "Beta", "country": "DEU"},
        {"id": "gamma", "name": "Gamma", "country": "EST", "tags": ["pm"]},
    ],
    "objections": [
        {"id": "tur-alpha", "members": "TUR", "candidates": "alpha", "lift": 0.3},
        {"id": "deu-beta", "members": "DEU", "candidates": "beta"},
        {"members": {"tag": "g7"}, "candidates": {"tag": "pm"}, "chance": 0.2},
    ],
    "decision": {"rounds": 5},
}


def findings(changes=None, claims=None, **top):
    """The findings (as plain tuples) for BASE with `changes(data)` applied."""
    data = copy.deepcopy(BASE)
    data.update(top)
    if changes is not None:
        changes(data)
    Scenario.model_validate(data)  # each field is valid: only references can be wrong
    return [tuple(f) for f in check_references(data, claims)]


def test_a_consistent_scenario_has_no_findings():
    assert findings() == []
    assert findings(claims=set()) == []


def test_all_selectors_and_tags_that_exist_are_accepted():
    def change(d):
        d["objections"].append({"members": "all", "candidates": "all", "chance": 0.1})
        d["support"] = {"candidates": {"gamma": {"tags": {"eu": 0.9}, "members": {"USA": 0.7}}}}

    assert findings(change) == []


def test_duplicate_ids_point_at_the_repeat_and_name_the_first():
    def change(d):
        d["members"].append({"id": "TUR", "name": "Turkey"})
        d["candidates"].insert(0, {"id": "gamma", "name": "G2", "country": "USA"})
        d["objections"].append({"id": "tur-alpha", "members": "USA", "candidates": "beta"})

    assert findings(change) == [
        (("members", 3, "id"), "duplicate id 'TUR' (also members[1])", None, False),
        (("candidates", 3, "id"), "duplicate id 'gamma' (also candidates[0])", None, False),
        (("objections", 3, "id"), "duplicate id 'tur-alpha' (also objections[0])", None, False),
    ]


def test_unknown_names_in_rules_suggest_a_close_one_or_list_the_few_known():
    def change(d):
        d["objections"][0]["members"] = ["TUR", "DUE"]
        d["objections"][1]["candidates"] = ["omega"]
        d["objections"][2]["members"] = {"tag": "g-7"}
        d["objections"][2]["candidates"] = {"tag": "president"}

    assert findings(change) == [
        (("objections", 0, "members", 1), "unknown member 'DUE'", "did you mean 'DEU'?", False),
        (
            ("objections", 1, "candidates", 0),
            "unknown candidate 'omega'",
            "expected one of: alpha, beta, gamma",
            False,
        ),
        (
            ("objections", 2, "members", "tag"),
            "unknown member tag 'g-7'",
            "did you mean 'g7'?",
            False,
        ),
        (
            ("objections", 2, "candidates", "tag"),
            "unknown candidate tag 'president'",
            "expected one of: pm",
            False,
        ),
    ]


def test_unknown_names_in_support_point_at_the_key():
    def change(d):
        d["support"] = {
            "candidates": {
                "alpah": {"default": 0.6},
                "beta": {"tags": {"nordic": 0.9}, "members": {"NOR": 1}},
            }
        }

    assert findings(change) == [
        (
            ("support", "candidates", "alpah"),
            "unknown candidate 'alpah'",
            "did you mean 'alpha'?",
            True,
        ),
        (
            ("support", "candidates", "beta", "tags", "nordic"),
            "unknown member tag 'nordic'",
            "expected one of: eu, g7",
            True,
        ),
        (
            ("support", "candidates", "beta", "members", "NOR"),
            "unknown member 'NOR'",
            "expected one of: DEU, TUR, USA",
            True,
        ),
    ]


def test_until_conditions_must_name_existing_candidates_and_rules():
    def change(d):
        d["objections"][0]["until"] = [{"withdrawn": "betta"}, {"lifted": "deu-bta"}, {"round": 3}]

    assert findings(change) == [
        (
            ("objections", 0, "until", 0, "withdrawn"),
            "unknown candidate 'betta'",
            "did you mean 'beta'?",
            False,
        ),
        (
            ("objections", 0, "until", 1, "lifted"),
            "unknown rule id 'deu-bta'",
            "did you mean 'deu-beta'?",
            False,
        ),
    ]


def test_a_rule_without_an_id_cannot_be_waited_on():
    def change(d):
        d["objections"][0]["until"] = [{"lifted": "third"}]

    assert findings(change) == [
        (
            ("objections", 0, "until", 0, "lifted"),
            "unknown rule id 'third'",
            "expected one of: deu-beta, tur-alpha",
            False,
        ),
    ]


def test_a_chain_of_conditions_is_not_a_cycle():
    def change(d):
        d["objections"][0]["until"] = [{"lifted": "deu-beta"}]
        d["objections"][2]["id"] = "bloc"
        d["objections"][2]["until"] = [{"lifted": "tur-alpha"}, {"lifted": "deu-beta"}]

    assert findings(change) == []


def test_a_two_rule_cycle_is_reported_once():
    def change(d):
        d["objections"][0]["until"] = [{"lifted": "deu-beta"}]
        d["objections"][1]["until"] = [{"round": 4}, {"lifted": "tur-alpha"}]

    assert findings(change) == [
        (
            ("objections", 0, "until"),
            "'until' conditions wait on each other in a cycle: tur-alpha -> deu-beta -> tur-alpha",
            "such rules could never lift",
            False,
        ),
    ]


def test_a_rule_waiting_on_itself_is_a_cycle():
    def change(d):
        d["objections"][1]["until"] = [{"lifted": "deu-beta"}]

    assert findings(change) == [
        (
            ("objections", 1, "until"),
            "'until' conditions wait on each other in a cycle: deu-beta -> deu-beta",
            "such rules could never lift",
            False,
        ),
    ]


def test_a_three_rule_cycle_is_reported_once_with_its_whole_loop():
    def change(d):
        d["objections"][2]["id"] = "bloc"
        d["objections"][0]["until"] = [{"lifted": "deu-beta"}]
        d["objections"][1]["until"] = [{"lifted": "bloc"}]
        d["objections"][2]["until"] = [{"lifted": "tur-alpha"}]

    assert findings(change) == [
        (
            ("objections", 0, "until"),
            "'until' conditions wait on each other in a cycle: "
            "tur-alpha -> deu-beta -> bloc -> tur-alpha",
            "such rules could never lift",
            False,
        ),
    ]


def test_milestone_dates_need_a_calendar():
    found = findings(
        milestones=[
            {"name": "summit", "date": dt.date(2024, 7, 9)},
            {"name": "round six", "round": 6},
        ]
    )
    assert found == [
        (
            ("milestones", 0, "date"),
            "a milestone date needs decision.calendar",
            "or give a 'round'",
            False,
        )
    ]


def test_the_recorded_outcome_must_be_a_candidate_or_a_known_end():
    assert findings(outcome={"winner": "extension", "date": dt.date(2023, 7, 4)}) == []
    assert findings(outcome={"winner": "gama", "date": dt.date(2023, 7, 4)}) == [
        (("outcome", "winner"), "unknown candidate 'gama'", "did you mean 'gamma'?", False)
    ]


def test_citations_are_checked_only_against_given_claims():
    def change(d):
        d["objections"][0]["source"] = ["brief.turkey", "brief.turky"]
        d["decision"]["source"] = "brief.horizon"

    assert findings(change) == []  # claims=None: not checked
    assert findings(change, claims={"brief.turkey", "brief.horizon"}) == [
        (
            ("objections", 0, "source", 1),
            "cites claim 'brief.turky', which no seeds file has",
            "did you mean 'brief.turkey'?",
            False,
        ),
    ]
    assert findings(change, claims=set()) == [
        (
            ("objections", 0, "source", 0),
            "cites claim 'brief.turkey', which no seeds file has",
            None,
            False,
        ),
        (
            ("objections", 0, "source", 1),
            "cites claim 'brief.turky', which no seeds file has",
            None,
            False,
        ),
        (
            ("decision", "source"),
            "cites claim 'brief.horizon', which no seeds file has",
            None,
            False,
        ),
    ]


def test_every_finding_of_a_scenario_is_reported_at_once():
    def change(d):
        d["members"].append({"id": "USA", "name": "Again"})
        d["objections"][0]["candidates"] = ["alfa"]
        d["objections"][1]["until"] = [{"lifted": "deu-beta"}]

    found = findings(change)
    assert [f[1] for f in found] == [
        "duplicate id 'USA' (also members[0])",
        "unknown candidate 'alfa'",
        "'until' conditions wait on each other in a cycle: deu-beta -> deu-beta",
    ]


def test_a_name_listed_twice_in_a_rule_is_reported_at_the_repeat():
    def change(d):
        d["objections"][0]["members"] = ["TUR", "USA", "TUR"]
        d["objections"][1]["candidates"] = ["beta", "beta"]

    assert findings(change) == [
        (
            ("objections", 0, "members", 2),
            "member 'TUR' is listed twice (also objections[0].members[0])",
            None,
            False,
        ),
        (
            ("objections", 1, "candidates", 1),
            "candidate 'beta' is listed twice (also objections[1].candidates[0])",
            None,
            False,
        ),
    ]


def test_a_candidate_must_enter_by_the_last_round():
    def change(d):
        d["candidates"][1]["enters"] = 6
        d["candidates"][2]["enters"] = 5

    late = (
        ("candidates", 1, "enters"),
        "expected a round up to 5, the last one, got 6",
        "entering later, the candidate could never be appointed",
        False,
    )
    assert findings(change) == [late]

    def by_deadline(d):
        change(d)
        # Rounds start on days 0, 14, 28, 42: four of them.
        d["decision"] = {
            "deadline": dt.date(2024, 2, 12),
            "calendar": {"start": dt.date(2024, 1, 1), "round_days": 14},
        }

    assert findings(by_deadline) == [
        (("candidates", 1, "enters"), "expected a round up to 4, the last one, got 6", *late[2:]),
        (("candidates", 2, "enters"), "expected a round up to 4, the last one, got 5", *late[2:]),
    ]


def test_rules_waiting_on_each_other_in_several_circles_are_one_finding():
    def change(d):
        d["objections"][2]["id"] = "bloc"
        d["objections"][0]["until"] = [{"lifted": "deu-beta"}, {"lifted": "bloc"}]
        d["objections"][1]["until"] = [{"lifted": "tur-alpha"}]
        d["objections"][2]["until"] = [{"lifted": "tur-alpha"}]

    assert findings(change) == [
        (
            ("objections", 0, "until"),
            "'until' conditions wait on each other in a cycle: tur-alpha -> deu-beta -> tur-alpha",
            "such rules could never lift",
            False,
        ),
    ]


def test_separate_circles_are_separate_findings_in_file_order():
    data = copy.deepcopy(BASE)
    data["objections"] = [
        {"id": f"r{i}", "members": "USA", "candidates": "alpha", "until": [{"lifted": f"r{j}"}]}
        for i, j in ((0, 3), (1, 2), (2, 1), (3, 0))
    ]
    assert [f.message for f in check_references(data, None)] == [
        "'until' conditions wait on each other in a cycle: r0 -> r3 -> r0",
        "'until' conditions wait on each other in a cycle: r1 -> r2 -> r1",
    ]


def test_cycle_finding_takes_no_longer_than_the_rules_are_many():
    # Every rule waits on every other: the circles among 200 rules are past counting.
    data = copy.deepcopy(BASE)
    ids = [f"r{i}" for i in range(200)]
    data["objections"] = [
        {"id": r, "members": "USA", "candidates": "alpha", "until": [{"lifted": o} for o in ids]}
        for r in ids
    ]
    start = time.perf_counter()
    found = check_references(data, None)
    # A search of every path would not end in a lifetime; per group it is instant.
    assert time.perf_counter() - start < 5.0
    assert [f.message for f in found if "cycle" in f.message] == [
        "'until' conditions wait on each other in a cycle: r0 -> r0"
    ]


def test_ids_that_are_no_slugs_stay_out_of_cycle_messages():
    def change(d):
        d["objections"][1]["until"] = [{"lifted": "deu-beta"}]

    data = copy.deepcopy(BASE)
    change(data)
    data["objections"][1]["id"] = "deu-beta\x1b[2J"
    data["objections"][1]["until"] = [{"lifted": "deu-beta\x1b[2J"}]
    assert [f.message for f in check_references(data, None)] == []


def test_suggestions_and_findings_are_capped_for_files_full_of_wrong_names():
    data = copy.deepcopy(BASE)
    data["members"] = [{"id": f"M{c}{c}", "name": c} for c in "ABCDEFGHIJKLMNOP"]
    data["objections"] = [
        {
            "members": [f"M{c}{d}" for c in "ABCDEFGHIJKLMNOP" for d in "XYZ"] * 3,
            "candidates": "all",
        }
    ]
    found = check_references(data, None)
    unknown = [f for f in found if f.message.startswith("unknown member")]
    assert len(unknown) == MAX_FINDINGS
    # Each name is looked up once: the first MAX_HINTS get a suggestion, wherever they are.
    hinted = {f.message for f in unknown if f.hint is not None}
    names = list(dict.fromkeys(f.message for f in unknown))
    assert hinted == set(names[:MAX_HINTS])
    assert found[-1] == (
        ("objections", 0, "members", MAX_FINDINGS - 1),
        "44 more problems with names and references not shown",
        None,
        False,
    )
