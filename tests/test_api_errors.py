"""The Python API refuses wrong types and values with the tool's own errors and clear words.

A notebook may pass anything: a dict or None as the scenario, a float as the trials, a
string as the workers. Each must come back as a UsageError (or a ScenarioError for a
scenario that cannot be found) whose message says what was expected, never as a TypeError
from deep inside, nor as a silently empty result.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import nato_sim
from nato_sim import ScenarioError, UsageError

MINIMAL = str(Path(__file__).parent / "data" / "minimal.yaml")
SCENARIO_EXPECTED = (
    "a scenario is a bundled scenario name such as 'nato-2024', the path of a scenario file "
    "or a Scenario from nato_sim.load(); got "
)
TRIALS_EXPECTED = "trials must be a whole number from 1 to 1,000,000,000, got "
WORKERS_EXPECTED = (
    "workers must be a whole number of processes, at least 1, or None for all cores; got "
)
RNG_EXPECTED = "rng must be a non-negative int seed, a SeedSequence or a Generator, got "
OVERRIDE = "objections.tur-alpha.lift=0.6"


@pytest.fixture(scope="module")
def scenario():
    return nato_sim.load(MINIMAL)


@pytest.fixture(scope="module")
def results(scenario):
    return nato_sim.simulate(scenario, 1_000, 1)


def message(call) -> str:
    """The message of the UsageError `call()` raises."""
    with pytest.raises(UsageError) as caught:
        call()
    return str(caught.value)


BAD_SCENARIOS = [({}, "dict {}"), (None, "None"), (42, "int 42"), (b"x.yaml", "bytes b'x.yaml'")]


@pytest.mark.parametrize("source, shown", BAD_SCENARIOS)
@pytest.mark.parametrize(
    "function",
    [
        lambda s: nato_sim.load(s),
        lambda s: nato_sim.simulate(s, 100, 1),
        lambda s: nato_sim.compare(s, trials=100, rng=1),
        lambda s: nato_sim.explain(s, trials=100, rng=1),
        lambda s: nato_sim.sweep(s, "decision.rounds=2:3:2", trials=100, rng=1),
        lambda s: nato_sim.iter_blocks(s, 100),
    ],
    ids=["load", "simulate", "compare", "explain", "sweep", "iter_blocks"],
)
def test_a_scenario_that_is_no_name_path_or_scenario_is_refused(function, source, shown):
    assert message(lambda: function(source)) == SCENARIO_EXPECTED + shown


@pytest.mark.parametrize("against, shown", [s for s in BAD_SCENARIOS if s[0] is not None])
def test_compare_against_what_is_no_scenario_is_refused(against, shown):
    assert message(lambda: nato_sim.compare(MINIMAL, against=against, trials=100)) == (
        SCENARIO_EXPECTED + shown
    )


def test_simulate_takes_a_bundled_name_or_a_path_as_compare_does(scenario):
    by_object = nato_sim.simulate(scenario, 2_000, 7).to_dict()
    assert nato_sim.simulate(MINIMAL, 2_000, 7).to_dict() == by_object
    assert nato_sim.simulate(Path(MINIMAL), 2_000, 7).to_dict() == by_object
    bundled = nato_sim.simulate("nato-2024", 1_000, 7)
    assert bundled.provenance["scenario"] == "nato-2024"
    assert bundled.to_dict() == nato_sim.simulate(nato_sim.load("nato-2024"), 1_000, 7).to_dict()


def test_simulate_names_a_missing_scenario_as_load_does():
    with pytest.raises(ScenarioError) as caught:
        nato_sim.simulate("nato-2042", 100, 1)
    assert [str(p) for p in caught.value.problems] == [
        "nato-2042: is neither a file nor a bundled scenario (did you mean 'nato-2024'?)"
    ]


@pytest.mark.parametrize(
    "trials, shown",
    [
        (1.5, "1.5"),
        (math.nan, "nan"),
        (True, "True"),
        ("1000", "'1000'"),
        (None, "None"),
        (0, "0"),
        (10**10, "10000000000"),
        (1e5, "100000.0 (write it as an int: 100_000, not 100000.0)"),
    ],
)
@pytest.mark.parametrize(
    "function",
    [
        lambda s, t: nato_sim.simulate(s, t, 1),
        lambda s, t: nato_sim.compare(s, trials=t, rng=1),
        lambda s, t: nato_sim.explain(s, trials=t, rng=1),
        lambda s, t: nato_sim.sweep(s, "decision.rounds=2:3:2", trials=t, rng=1),
    ],
    ids=["simulate", "compare", "explain", "sweep"],
)
def test_trials_must_be_a_whole_number_in_range(scenario, function, trials, shown):
    assert message(lambda: function(scenario, trials)) == TRIALS_EXPECTED + shown


def test_iter_blocks_takes_none_trials_for_no_end_and_no_other_odd_value(scenario):
    assert message(lambda: nato_sim.iter_blocks(scenario, 10.5)) == TRIALS_EXPECTED + "10.5"
    assert message(lambda: nato_sim.iter_blocks(scenario, "10")) == TRIALS_EXPECTED + "'10'"
    first = next(nato_sim.iter_blocks(scenario, None, rng=1, block_size=100))
    assert (first.index, first.trials) == (0, 100)


@pytest.mark.parametrize(
    "workers, shown",
    [
        ("2", "'2'"),
        (0, "0"),
        (-1, "-1"),
        (True, "True"),
        (2.0, "2.0 (write it as an int: 2, not 2.0)"),
    ],
)
@pytest.mark.parametrize(
    "function",
    [
        lambda s, w: nato_sim.simulate(s, 100, 1, workers=w),
        lambda s, w: nato_sim.compare(s, trials=100, rng=1, workers=w),
        lambda s, w: nato_sim.explain(s, trials=100, rng=1, workers=w),
        lambda s, w: nato_sim.sweep(s, "decision.rounds=2:3:2", trials=100, rng=1, workers=w),
        lambda s, w: nato_sim.iter_blocks(s, 100, workers=w),
    ],
    ids=["simulate", "compare", "explain", "sweep", "iter_blocks"],
)
def test_workers_must_be_a_whole_number_of_processes(scenario, function, workers, shown):
    assert message(lambda: function(scenario, workers)) == WORKERS_EXPECTED + shown


def test_workers_may_be_a_numpy_integer_or_none(scenario):
    one = nato_sim.simulate(scenario, 1_000, 3, workers=np.int64(1)).to_dict()
    assert nato_sim.simulate(scenario, 1_000, 3, workers=None).to_dict() == one


@pytest.mark.parametrize("rng, shown", [("x", "'x'"), (-1, "-1"), (2.5, "2.5"), (True, "True")])
@pytest.mark.parametrize(
    "function",
    [
        lambda s, r: nato_sim.simulate(s, 100, r),
        lambda s, r: nato_sim.compare(s, trials=100, rng=r),
        lambda s, r: nato_sim.explain(s, trials=100, rng=r),
        lambda s, r: nato_sim.sweep(s, "decision.rounds=2:3:2", trials=100, rng=r),
    ],
    ids=["simulate", "compare", "explain", "sweep"],
)
def test_rng_must_be_a_seed_a_seed_sequence_or_a_generator(scenario, function, rng, shown):
    assert message(lambda: function(scenario, rng)) == RNG_EXPECTED + shown


@pytest.mark.parametrize(
    "options, expected",
    [
        ({"precision": "0.01"}, "precision must be a number between 0 and 0.5, got '0.01'"),
        ({"precision": math.nan}, "precision must be a number between 0 and 0.5, got nan"),
        ({"precision": 0.5}, "precision must be a number between 0 and 0.5, got 0.5"),
        ({"block_size": 0.5}, "block_size must be a whole number at least 1, got 0.5"),
        ({"min_trials": "x"}, "min_trials must be a whole number at least 1, got 'x'"),
        ({"on_block": 3}, "on_block must be a function or None, got 3"),
    ],
)
def test_simulate_checks_its_other_options(scenario, options, expected):
    assert message(lambda: nato_sim.simulate(scenario, 100, 1, **options)) == expected


def test_sweep_checks_its_own_arguments(scenario):
    expected_vary = (
        "vary must be one or two 'PATH=START:STOP:STEPS' strings, e.g. "
        "['objections.tur-rutte.lift=0:1:11']; got "
    )
    for vary, shown in ((None, "None"), (42, "42"), ([1], "[1]")):
        assert message(lambda v=vary: nato_sim.sweep(scenario, v, trials=100)) == (
            expected_vary + shown
        )
    assert message(
        lambda: nato_sim.sweep(scenario, "decision.rounds=2:3:2", max_total_trials="x")
    ) == ("max_total_trials must be a whole number at least 1, got 'x'")


def test_one_override_string_is_one_override_everywhere(scenario):
    loaded = nato_sim.load(MINIMAL, OVERRIDE)
    assert loaded.objections[0].lift == 0.6
    assert loaded.overrides == (OVERRIDE,)
    assert nato_sim.with_overrides(scenario, OVERRIDE).overrides == (OVERRIDE,)
    one = nato_sim.compare(MINIMAL, OVERRIDE, trials=800, rng=4)
    listed = nato_sim.compare(MINIMAL, [OVERRIDE], trials=800, rng=4)
    assert one.to_dict() == listed.to_dict()
    assert one.provenance["variant"]["overrides"] == [OVERRIDE]
    explained = nato_sim.explain(MINIMAL, "decision.rounds=12", trials=400, rng=4)
    assert explained.provenance["overrides"] == ["decision.rounds=12"]
    swept = nato_sim.sweep(MINIMAL, "decision.rounds=2:3:2", "decision.rounds=12", trials=200)
    assert swept.provenance["overrides"] == ["decision.rounds=12"]


def test_no_overrides_may_be_given_as_none():
    assert nato_sim.load(MINIMAL, None).overrides == ()


@pytest.mark.parametrize(
    "overrides, expected",
    [
        (
            42,
            "overrides must be a list of 'path=value' strings, e.g. "
            "['objections.tur-rutte.lift=0.6']; got int 42",
        ),
        (
            {"decision.rounds": 12},
            "overrides must be a list of 'path=value' strings, e.g. "
            "['objections.tur-rutte.lift=0.6']; got dict {'decision.rounds': 12}",
        ),
        ([1], "each override must be a 'path=value' string, got int 1"),
        ("", "--set '': expected PATH=VALUE, e.g. decision.min_support=0.6"),
    ],
)
def test_overrides_of_the_wrong_shape_are_refused(overrides, expected):
    assert message(lambda: nato_sim.load(MINIMAL, overrides)) == expected
    assert message(lambda: nato_sim.compare(MINIMAL, overrides, trials=100)) == expected


def test_with_overrides_takes_a_scenario():
    assert message(lambda: nato_sim.with_overrides({}, [])) == (
        "with_overrides takes a Scenario, got dict {}"
    )


def test_load_takes_a_loaded_scenario_as_it_is(scenario):
    assert nato_sim.load(scenario) is scenario
    assert nato_sim.load(scenario, OVERRIDE).objections[0].lift == 0.6


@pytest.mark.parametrize(
    "outcome, expected",
    [
        ("nobody", "no outcome 'nobody'; the outcomes are alpha, beta, extension, no-decision"),
        (
            "alpah",
            "no outcome 'alpah'; the outcomes are alpha, beta, extension, no-decision "
            "(did you mean 'alpha'?)",
        ),
        (
            42,
            "no outcome 42; the outcomes are alpha, beta, extension, no-decision "
            "(outcomes are named by strings, got int)",
        ),
        (None, "no outcome None; the outcomes are alpha, beta, extension, no-decision"),
    ],
)
def test_an_unknown_outcome_is_a_usage_error_with_the_closest_name(results, outcome, expected):
    assert message(lambda: results.probability(outcome)) == expected
    assert message(lambda: results.outcome(outcome)) == expected


def test_an_outcome_row_is_found_by_its_name(results):
    row = results.outcome("alpha")
    assert row.outcome == "alpha" and row.probability == results.probability("alpha")


def test_comparison_rows_are_found_or_refused_by_name():
    comparison = nato_sim.compare(MINIMAL, OVERRIDE, trials=800, rng=4)
    assert comparison.row("alpha").key == "alpha"
    assert message(lambda: comparison.row("alpah")) == (
        "no outcome 'alpah'; the outcomes are alpha, beta, extension, no-decision "
        "(did you mean 'alpha'?)"
    )
    assert message(lambda: comparison.row("x", section="milestones")) == (
        "no section 'milestones'; the sections are outcome, milestone, timing "
        "(did you mean 'milestone'?)"
    )
    assert message(lambda: comparison.row("x", section="milestone")) == (
        "no milestone 'x'; the milestones are summit"
    )
