"""Tests for the size limits of scenarios (nato_sim.scenario.limits and the schema's bounds):
a scenario at every limit validates and runs, one past any limit is refused with its path,
the Beta bounds sample fast, and validation stays fast for any file within the size cap."""

from __future__ import annotations

import itertools
import string
import time

import numpy as np
import pytest
from typer.testing import CliRunner
from worst_files import worst_files

from nato_sim.cli import app
from nato_sim.engine.beta_sampler import beta_variates
from nato_sim.engine.compiled import compile_scenario
from nato_sim.engine.rounds import run_block
from nato_sim.errors import ScenarioError
from nato_sim.scenario import limits, schema
from nato_sim.scenario.loader import validate
from nato_sim.scenario.yamlsource import MAX_BYTES, parse_yaml

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
CODES = ["".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3)]
MEMBERS = CODES[: limits.MAX_MEMBERS]
CANDIDATES = [f"c{i}" for i in range(limits.MAX_CANDIDATES)]
TAGS = [f"g{i}" for i in range(schema.MAX_TAGS)]
SINGLE = 150  # rules of one pair each; the others are blocs of BLOC pairs
BLOC = (limits.MAX_PAIRS - SINGLE) // (limits.MAX_RULES - SINGLE)
LIMITS = "(see 'Limits' in docs/format.md)"


def at_limits() -> str:
    """A scenario with every count at its limit and every value uncertain."""
    uncertain = "{uniform: [0.2, 0.45]}"
    lines = ["title: At the limits", "description: Every count at its limit.", "members:"]
    for code in MEMBERS:
        tags = ", ".join([code.lower(), *TAGS[1:]])
        lines.append(
            f"  - {{id: {code}, name: M {code}, weight: {{uniform: [1, 3]}}, tags: [{tags}]}}"
        )
    lines.append("candidates:")
    for cand in CANDIDATES:
        lines.append(
            f"  - {{id: {cand}, name: C {cand}, country: AAA, withdraw: "
            f"{{beta: [2, 5]}}, tags: [{', '.join(TAGS)}]}}"
        )
    lines += ["support:", f"  default: {uncertain}", "  candidates:"]
    entries = limits.MAX_SUPPORT_ENTRIES - 1 - len(CANDIDATES)
    for i, cand in enumerate(CANDIDATES):
        share = entries // len(CANDIDATES) + (i < entries % len(CANDIDATES))
        values = ", ".join(f"{m}: {uncertain}" for m in MEMBERS[:share])
        lines.append(f"    {cand}: {{default: {uncertain}, members: {{{values}}}}}")
    lines.append("objections:")
    pairs = ((m, c) for c in CANDIDATES for m in MEMBERS)
    for i in range(SINGLE):
        member, cand = next(pairs)
        until = ", ".join(
            [f"{{withdrawn: c{(i + j) % len(CANDIDATES)}}}" for j in range(4)]
            + [f"{{lifted: s{i + j}}}" for j in range(1, 4) if i + j < SINGLE]
            + [f"{{round: {2 + j}}}" for j in range(3)]
        )
        lines.append(
            f"  - {{id: s{i}, members: {member}, candidates: {cand}, chance: "
            f"{uncertain}, lift: {uncertain}, until: [{until}]}}"
        )
    for i in range(limits.MAX_RULES - SINGLE):
        bloc = [next(pairs) for _ in range(BLOC)]
        assert len({c for _, c in bloc}) == 1
        lines.append(
            f"  - {{id: b{i}, members: [{', '.join(m for m, _ in bloc)}], "
            f"candidates: {bloc[0][1]}, lift: {uncertain}, together: true}}"
        )
    lines += ["decision:", f"  rounds: {schema.MAX_ROUNDS}", "  min_support: 0.55"]
    lines += ["dynamics: {bandwagon: {uniform: [0, 2]}}", "milestones:"]
    lines += [f"  - {{name: m{i}, round: {i + 1}}}" for i in range(schema.MAX_MILESTONES)]
    return "\n".join(lines) + "\n"


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as err:
        validate(parse_yaml(text, "t.yaml"), [], None)
    return [str(p) for p in err.value.problems]


def test_a_scenario_at_every_limit_validates_and_runs():
    text = at_limits()
    assert len(text) < MAX_BYTES / 5
    scenario = validate(parse_yaml(text, "t.yaml"), [], None)
    compiled = compile_scenario(scenario)
    assert len(compiled.member_ids) == limits.MAX_MEMBERS
    assert len(compiled.candidate_ids) == limits.MAX_CANDIDATES
    assert len(compiled.rule_ids) == limits.MAX_RULES
    assert len(compiled.pair_member) == limits.MAX_PAIRS
    assert len(compiled.unit_rule) == limits.MAX_UNITS
    # Every candidate has a default of its own: the global default covers no pair.
    assert len(compiled.support_params) == limits.MAX_SUPPORT_ENTRIES - 1
    assert compiled.rounds == schema.MAX_ROUNDS
    counts = run_block(compiled, 8, np.random.default_rng(1))
    assert counts.trials == 8 and counts.outcomes.sum() == 8


def _more_pairs(text: str) -> str:
    """One member more in the first bloc: one pair more, no unit more."""
    return text.replace("members: [", "members: [ZZZ, ", 1).replace(
        "\ncandidates:", "\n  - {id: ZZZ, name: Z}\ncandidates:", 1
    )


def _more_units(text: str) -> str:
    """The first bloc no longer `together`: as many units as it has pairs."""
    return text.replace(", together: true}", "}", 1)


PAIRS_AND_UNITS = (
    "objections: expected at most 400 member-candidate pairs in 200 units, got {} pairs in {} "
    "units (a rule names its members times its candidates; a unit is one pair, or one rule "
    f"that is 'together') {LIMITS}"
)


@pytest.mark.parametrize(
    "change, where, problems_past",
    [
        (
            lambda t: t.replace("\ncandidates:", "\n  - {id: ZZZ, name: Z}\ncandidates:", 1),
            "members:",
            [f"members: expected at most 100 items, got 101 {LIMITS}"],
        ),
        (
            lambda t: t.replace("\nsupport:", "\n  - {id: z, name: Z, country: AAA}\nsupport:"),
            "candidates:",
            [f"candidates: expected at most 50 items, got 51 {LIMITS}"],
        ),
        (
            lambda t: t.replace("\ndecision:", "\n  - {members: AAA, candidates: []}\ndecision:"),
            "objections:",
            [f"objections: expected at most 200 items, got 201 {LIMITS}"],
        ),
        (
            lambda t: _more_pairs(t),
            "objections:",
            [
                f"members: expected at most 100 items, got 101 {LIMITS}",
                PAIRS_AND_UNITS.format(401, 200),
            ],
        ),
        (_more_units, "objections:", [PAIRS_AND_UNITS.format(400, 204)]),
        (
            lambda t: t.replace("members: {AAA:", "members: {ZZA: 0.3, AAA:", 1),
            "support:",
            [
                "support: expected at most 500 support values, got 501 (the default, and each "
                f"candidate's default, tag and member entries) {LIMITS}"
            ],
        ),
    ],
)
def test_one_past_a_limit_is_refused_with_its_path(change, where, problems_past):
    text = change(at_limits())
    found = problems(text)
    line = text.splitlines().index(where) + 2
    assert f"t.yaml:{line}:3: {problems_past[-1]}" in found
    assert [p.split(": ", 1)[1] for p in found if "unknown" not in p] == problems_past


def test_selectors_count_what_they_select():
    data = {
        "members": [{"id": "A", "tags": ["x", "x"]}, {"id": "B", "tags": ["x"]}, {"id": "C"}],
        "candidates": [{"id": "a"}, {"id": "b", "tags": ["y"]}],
        "objections": [
            {"members": "all", "candidates": "all"},  # 3 * 2, six units
            {"members": {"tag": "x"}, "candidates": {"tag": "y"}, "together": True},  # 2 * 1
            {"members": ["A", "A", "B"], "candidates": "b"},  # 2 * 1 (a repeat counts once)
            {"members": "A", "candidates": []},  # none
            {"members": 3, "candidates": "a"},  # malformed: none
        ],
    }
    assert limits.objection_counts(data) == (10, 9)


def test_the_limits_leave_every_bundled_scenario_far_below_them():
    from nato_sim.scenario.bundled import bundled_scenarios
    from nato_sim.scenario.loader import load

    for name in bundled_scenarios():
        data = load(name).model_dump(mode="python")
        pairs, units = limits.objection_counts(data)
        assert pairs <= limits.MAX_PAIRS / 10 and units <= limits.MAX_UNITS / 10
        assert limits.support_entries(data) <= limits.MAX_SUPPORT_ENTRIES / 10
        assert len(data["members"]) <= limits.MAX_MEMBERS / 2


@pytest.mark.parametrize(
    "a, b",
    [
        (schema.MAX_BETA, schema.MAX_BETA),
        (schema.MAX_BETA, schema.MIN_BETA),
        (schema.MIN_BETA, schema.MAX_BETA),
        (schema.MIN_BETA, schema.MIN_BETA),
        (schema.MAX_BETA, 1 + schema.BETA_GAP),
        (1 + schema.BETA_GAP, schema.MAX_BETA),
        (schema.MAX_BETA, 1.0),
        (1 + schema.BETA_GAP, 1 + schema.BETA_GAP),
    ],
)
def test_the_beta_bounds_sample_the_right_mean_and_end(a, b):
    rng = np.random.default_rng(3)
    start = time.perf_counter()
    values = beta_variates(a, b, 65_536, rng)
    # Under 0.1 s when measured; the bound is only there to catch a sampler that never ends.
    assert time.perf_counter() - start < 2.0
    assert np.all((values >= 0) & (values <= 1))
    assert abs(values.mean() - a / (a + b)) < 0.01


def test_cli_refuses_a_file_past_the_limits(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(
        at_limits().replace("\ncandidates:", "\n  - {id: ZZZ, name: Z}\ncandidates:", 1),
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["run", str(path), "-n", "10", "--seed", "1"], env=ENV)
    assert result.exit_code == 3
    assert result.stderr == (
        "error: 1 problem found:\n"
        f"  {path}:4:3: members: expected at most 100 items, got 101 {LIMITS}\n"
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", ["members", "rules", "names", "nesting"])
def test_the_costliest_files_within_the_size_cap_are_read_to_the_end_and_refused(name):
    # How long they take is measured by benchmarks/bench.py (target: under a second each);
    # here, that validation ends, with no search that grows exponentially.
    text = worst_files()[name]
    assert len(text.encode()) < MAX_BYTES
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as err:
        validate(parse_yaml(text, "big.yaml"), [], set())
    assert time.perf_counter() - start < 10.0
    # Read to the end: refused for what it holds, not for holding too many values.
    assert not any("values;" in p.message for p in err.value.problems)
