"""Tests for `sensitivity`: inputs, evaluations on common random numbers, Sobol and Morris
against closed forms, noise, partial results, bad input and the command line."""

from __future__ import annotations

import json
import math
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis import sensitivity as sensitivity_module
from nato_sim.analysis.sensitivity_inputs import Input, uncertain_values
from nato_sim.cli import app
from nato_sim.errors import UsageError, WorkerError

pytest.importorskip("SALib")

DATA = Path(__file__).parent / "data"
ONE = str(DATA / "one-candidate.yaml")
MINIMAL = str(DATA / "minimal.yaml")
# In ONE, P(alpha) = (1 - c) * (1 - (1 - l)^9): the hard veto raised with chance c, the soft
# objection lifting with chance l in each of rounds 2 to 10. Sobol indices in closed form.
VARY = ["objections.deu-alpha.chance=0:1", "objections.tur-alpha.lift=0.05:0.5"]
NATO_2024_INPUTS = [
    "support.candidates.rutte.default",
    "support.candidates.rutte.tags.eastern_flank",
    "support.candidates.von-der-leyen.members.USA",
    "objections.tur-rutte.chance",
    "objections.tur-rutte.lift",
    "objections.hun-rutte.chance",
    "objections.hun-rutte.lift",
    "objections.svk-rutte.chance",
    "objections.svk-rutte.lift",
    "decision.extend_chance",
    "dynamics.bandwagon",
]


def invoke(*args: str, columns: int = 100):
    env = {"COLUMNS": str(columns), "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
    return CliRunner().invoke(app, ["sensitivity", *args], env=env)


def exact_indices() -> dict[str, tuple[float, float]]:
    """(S1, ST) of c and l for P(alpha) = (1 - c) g(l), c ~ U(0, 1), l ~ U(0.05, 0.5)."""
    lift = np.linspace(0.05, 0.5, 400_001)
    g = 1 - (1 - lift) ** 9
    mean, square = g.mean(), (g**2).mean()
    variance = square / 3 - mean**2 / 4
    first_c = mean**2 / 12 / variance
    first_l = (square - mean**2) / 4 / variance
    return {
        "objections.deu-alpha.chance": (first_c, 1 - first_l),
        "objections.tur-alpha.lift": (first_l, 1 - first_c),
    }


@pytest.fixture(scope="module")
def one() -> nato_sim.Sensitivity:
    return nato_sim.sensitivity(ONE, vary=VARY, samples=256, trials=2000, rng=3)


@pytest.fixture(scope="module")
def small_2024() -> nato_sim.Sensitivity:
    return nato_sim.sensitivity("nato-2024", samples=8, trials=500, rng=11)


# -- inputs ------------------------------------------------------------------------------


def test_every_uncertain_value_is_an_input_named_by_its_set_path():
    scenario = nato_sim.load("nato-2024")
    found = uncertain_values(scenario)
    assert [i.path for i in found] == NATO_2024_INPUTS
    assert found[4] == Input("objections.tur-rutte.lift", 0.08, 0.25)
    for item in found:  # each path is a valid --set that fixes the value
        nato_sim.with_overrides(scenario, [f"{item.path}={item.low}"])


def test_vary_adds_a_fixed_value_and_replaces_a_range_named_by_position(small_2024):
    result = nato_sim.sensitivity(
        "nato-2024",
        vary=["objections.1.lift=0:0.5", "objections.tur-rutte.after=2:5"],
        samples=2,
        trials=100,
        rng=1,
    )
    by_path = {i.path: i for i in result.inputs}
    assert list(by_path) == [*NATO_2024_INPUTS, "objections.tur-rutte.after"]
    assert by_path["objections.tur-rutte.lift"] == Input(
        "objections.tur-rutte.lift", 0.0, 0.5, origin="--vary"
    )
    assert by_path["objections.tur-rutte.after"].integer


def test_inputs_take_the_quantiles_of_their_distributions():
    from scipy.stats import beta

    unit = np.linspace(0.01, 0.99, 99)
    assert np.allclose(Input("x", 0.2, 0.6).values(unit), 0.2 + 0.4 * unit)
    assert np.allclose(Input("x", 0, 1, beta=(2.0, 5.0)).values(unit), beta.ppf(unit, 2, 5))
    # The ends of the cube stay inside (0, 1) for a beta: a weight may not be 0.
    ends = Input("x", 0, 1, beta=(1.0, 3.0)).values(np.array([0.0, 1.0]))
    assert np.allclose(ends, beta.ppf([1e-6, 1 - 1e-6], 1, 3), rtol=1e-9)
    assert 0 < ends[0] < 1e-5 and ends[1] < 1
    # Whole numbers 2..5 each take a quarter of the unit interval.
    whole = Input("x", 2, 5, integer=True).values(np.arange(100_000) / 100_000)
    assert np.array_equal(np.unique(whole, return_counts=True)[1], [25_000] * 4)


def test_a_beta_input_runs_at_its_quantiles(tmp_path):
    text = Path(ONE).read_text().replace("lift: 0.3", "lift: {beta: [2, 5]}")
    path = tmp_path / "beta.yaml"
    path.write_text(text)
    result = nato_sim.sensitivity(str(path), samples=4, trials=200, rng=2)
    [item] = result.inputs
    assert item == Input("objections.tur-alpha.lift", 0.0, 1.0, beta=(2.0, 5.0))
    assert item.distribution == "beta [2, 5]"
    assert np.all((result.points > 0) & (result.points < 1))


# -- evaluations --------------------------------------------------------------------------


def test_an_evaluation_is_a_run_with_the_inputs_held_by_overrides(small_2024):
    result = small_2024
    keys = [o.key for o in result.outputs]
    for row in (0, 5, len(result.points) - 1):
        values = result.points[row]
        sets = [f"{i.path}={float(v)!r}" for i, v in zip(result.inputs, values, strict=True)]
        run = nato_sim.simulate(nato_sim.load("nato-2024", sets), 500, 11)
        values = result.evaluations[row]
        for outcome in run.outcomes:
            assert values[keys.index(outcome.outcome)] == outcome.probability
        decided = run.counts.decided_round
        rounds = run.compiled.rounds
        expected = (decided @ np.arange(1, rounds + 1) + (rounds + 1) * (500 - decided.sum())) / 500
        assert values[keys.index("round")] == pytest.approx(expected, rel=1e-12)


def test_same_seed_same_result_on_any_number_of_workers(small_2024):
    again = nato_sim.sensitivity("nato-2024", samples=8, trials=500, rng=11, workers=2)
    assert np.array_equal(again.evaluations, small_2024.evaluations)
    assert again.effects == small_2024.effects
    assert again.outputs == small_2024.outputs


def test_an_input_without_effect_has_indices_of_exactly_zero(small_2024):
    # The extension is drawn only once nobody is appointed: P(Rutte) and the timing do not
    # depend on it, and on common random numbers not even the noise does. The hard German
    # veto makes the US support for von der Leyen irrelevant to everything.
    for effect in small_2024.effects:
        idle = effect.input == "support.candidates.von-der-leyen.members.USA" or (
            effect.input == "decision.extend_chance" and effect.output in ("rutte", "round")
        )
        if idle:
            assert (effect.first, effect.total) == (0.0, 0.0), effect
    assert small_2024.output("von-der-leyen").constant


# -- estimators ---------------------------------------------------------------------------


def test_sobol_indices_match_the_closed_form(one):
    exact = exact_indices()
    for effect in one.ranked("alpha"):
        first, total = exact[effect.input]
        # The reported 95% half-widths are 0.04 to 0.14 here; the estimates are well inside.
        assert abs(effect.first - first) <= max(effect.first_conf, 0.02), effect
        assert abs(effect.total - total) <= max(effect.total_conf, 0.02), effect
        assert abs(effect.total - total) <= 0.02 and abs(effect.first - first) <= 0.02
    assert [e.input for e in one.ranked("alpha")] == [
        "objections.deu-alpha.chance",
        "objections.tur-alpha.lift",
    ]


def test_morris_ranks_and_measures_the_effects():
    result = nato_sim.sensitivity(ONE, vary=VARY, method="morris", samples=40, trials=2000, rng=4)
    alpha = {e.input: e for e in result.ranked("alpha")}
    chance, lift = alpha["objections.deu-alpha.chance"], alpha["objections.tur-alpha.lift"]
    # Both effects have one sign: more veto, less alpha; more lift, more alpha.
    assert chance.mu < 0 < lift.mu
    assert chance.mu_star == pytest.approx(-chance.mu) and lift.mu_star == pytest.approx(lift.mu)
    # A step of 2/3 of the veto's range moves P(alpha) by 2/3 of g(l), whose mean over the
    # levels of l is 0.72; the effect per whole range is about that. Lift: much smaller.
    assert 0.6 < chance.mu_star < 0.85 and 0.05 < lift.mu_star < 0.35
    assert result.provenance["evaluations"] == 40 * 3


# -- noise --------------------------------------------------------------------------------


def test_the_noise_is_the_mean_binomial_variance_over_the_variance_across(one):
    summary = one.output("alpha")
    p = one.evaluations[:, 0]
    assert summary.variance == pytest.approx(np.var(p, ddof=1))
    assert summary.noise == pytest.approx(np.mean(p * (1 - p)) / 2000)
    assert summary.noise_share == pytest.approx(summary.noise / summary.variance)
    assert 0 < summary.noise_share < 0.01 and not summary.noisy


def test_four_times_the_trials_quarter_the_noise():
    shares = [
        nato_sim.sensitivity(ONE, vary=VARY, samples=16, trials=t, rng=5).output("alpha")
        for t in (500, 2000)
    ]
    ratio = shares[1].noise_share / shares[0].noise_share
    assert 0.2 < ratio < 0.3


# -- stopping early -----------------------------------------------------------------------


def test_ctrl_c_keeps_the_groups_finished_and_estimates_from_them():
    def stop_after_four_groups(done, planned):
        if done >= 4 * 4:  # a Sobol group is (2 inputs + 2) evaluations
            raise KeyboardInterrupt

    cut = nato_sim.sensitivity(
        ONE, vary=VARY, samples=8, trials=300, rng=6, on_progress=stop_after_four_groups
    )
    assert cut.partial and cut.provenance["stopped_by"] == "interrupted"
    assert cut.provenance["evaluations_finished"] == 16
    # The first four base samples of an eight-sample design are the four-sample design.
    whole = nato_sim.sensitivity(ONE, vary=VARY, samples=4, trials=300, rng=6)
    assert not whole.partial
    assert np.array_equal(cut.evaluations, whole.evaluations)
    assert cut.effects == whole.effects


def test_ctrl_c_before_two_groups_gives_no_index(monkeypatch):
    def stop(plan, values):
        raise KeyboardInterrupt

    monkeypatch.setattr(sensitivity_module, "evaluate", stop)
    cut = nato_sim.sensitivity(ONE, vary=VARY, samples=8, trials=100, rng=6)
    assert cut.partial and cut.effects == () and cut.provenance["evaluations_finished"] == 0
    assert cut.trials == 0 and len(cut.evaluations) == 0


def _die(*args):
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


def test_a_dead_worker_is_a_worker_error_with_what_finished(monkeypatch):
    # Forked workers inherit the patched module: every task kills its process.
    monkeypatch.setattr(sensitivity_module, "_evaluate_rows", _die)
    monkeypatch.setattr("nato_sim.running.runner.default_workers", lambda: 2)
    with pytest.raises(WorkerError, match="killed by SIGKILL") as caught:
        nato_sim.sensitivity(ONE, vary=VARY, samples=8, trials=100, rng=1, workers=2)
    partial = caught.value.results
    assert isinstance(partial, nato_sim.Sensitivity)
    assert partial.partial and partial.provenance["stopped_by"] == "worker-died"


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"vary": ["objections.tur-alpha.lft=0:1"]}, "names no field.*did you mean 'lift'"),
        ({"vary": ["objections.tur-alpha.lift=0:1.5"]}, "1.5 is outside the allowed values"),
        ({"vary": ["objections.tur-alpha.lift=0:1:5"]}, "not a sweep's START:STOP:STEPS"),
        ({"vary": ["objections.tur-alpha.lift=0.5:0.1"]}, "LO must be below HI"),
        ({"vary": ["members.0.name=0:1"]}, "not a number field"),
        ({"vary": ["objections.tur-alpha.after=1.5:4"]}, "takes whole numbers"),
        ({"vary": []}, "no uncertain value.*--vary PATH=LO:HI"),
        (
            {"vary": ["objections.tur-alpha.lift=0:1", "objections.0.lift=0:0.5"]},
            "already varies",
        ),
        ({"vary": VARY, "samples": 100}, "power of 2.*try 64 or 128"),
        ({"vary": VARY, "method": "fast"}, "method must be one of sobol, morris"),
        ({"vary": VARY, "method": "morris", "levels": 3}, "even number"),
        (
            {"vary": VARY, "samples": 1024, "trials": 10**6},
            r"needs 4,096 evaluations \(1,024 base samples × \(2 inputs \+ 2\)\) of "
            r"1,000,000 trials = 4,096,000,000 trials",
        ),
        ({"vary": VARY, "scheduler": "nonsense"}, "not a scheduler address"),
    ],
)
def test_bad_input_is_refused_before_any_evaluation(monkeypatch, kwargs, message):
    def refuse(*args, **kwargs):
        raise AssertionError("an evaluation ran")

    monkeypatch.setattr(sensitivity_module, "evaluate", refuse)
    with pytest.raises(UsageError, match=message):
        nato_sim.sensitivity(ONE, **{"trials": 100, "rng": 1, **kwargs})


def test_the_cli_exits_2_on_bad_input_and_3_on_a_bad_scenario():
    result = invoke(ONE, "--vary", "objections.tur-alpha.lift=0:2", "--seed", "1")
    assert result.exit_code == 2
    assert "2 is outside the allowed values of objections.tur-alpha.lift" in result.stderr
    assert "Traceback" not in result.output
    result = invoke(ONE, "--seed", "1")
    assert result.exit_code == 2 and "no uncertain value" in result.stderr
    result = invoke("no-such-scenario", "--seed", "1")
    assert result.exit_code == 3


# -- the command line ---------------------------------------------------------------------


CLI_ARGS = ("nato-2024", "--samples", "4", "--trials", "300", "--seed", "3", "--workers", "1")


@pytest.fixture(scope="module")
def cli_json() -> dict:
    result = invoke(*CLI_ARGS, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_table_fits_and_cuts_no_number_or_path(cli_json, columns):
    result = invoke(*CLI_ARGS, columns=columns)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in out.splitlines():
        if not line.startswith("replay: "):
            assert len(line) <= columns, line
    for item in cli_json["inputs"]:
        assert re.search(rf"(?<![\w.-]){re.escape(item['path'])}(?![\w.-])", out)
    for output in cli_json["outputs"]:
        if output["constant"]:
            continue
        for effect in output["effects"]:
            first = f"{effect['first']:.2f} ±{effect['first_conf']:.2f}".replace("-0.00", "0.00")
            assert first in out
    assert "replay: nato-sim sensitivity nato-2024 --method sobol --samples 4" in out


def test_the_table_is_sorted_by_total_effect(cli_json):
    for output in cli_json["outputs"]:
        totals = [e["total"] for e in output["effects"]]
        assert totals == sorted(totals, reverse=True)


def test_json_has_provenance_inputs_outputs_and_noise(cli_json):
    prov = cli_json["provenance"]
    assert prov["seed"] == 3 and prov["trials"] == 300 and prov["method"] == "sobol"
    assert prov["evaluations"] == prov["evaluations_finished"] == 4 * 13
    assert prov["stopped_by"] == "evaluations" and prov["salib"]
    assert [i["path"] for i in cli_json["inputs"]] == NATO_2024_INPUTS
    keys = [o["key"] for o in cli_json["outputs"]]
    assert keys == ["rutte", "von-der-leyen", "extension", "no-decision", "round", "date"]
    date = cli_json["outputs"][-1]
    assert date["mean_date"].startswith("2024-") and 0 < date["noise_share"] < 1


def test_the_replay_line_gives_the_same_json(cli_json):
    table = invoke(*CLI_ARGS).stdout
    [line] = [line for line in table.splitlines() if line.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    again = invoke(*words[2:], "--format", "json")
    assert json.loads(again.stdout) == cli_json


def test_csv_has_one_row_per_output_and_input_with_provenance():
    result = invoke(*CLI_ARGS, "--format", "csv")
    lines = result.stdout.splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["method", "output", "output_name", "input", "distribution"]
    assert {"first", "first_conf", "total", "total_conf", "noise_share", "seed"} <= set(header)
    # Five outputs vary (von der Leyen never wins), eleven inputs each.
    assert len(lines) == 1 + 5 * 11


@pytest.mark.parametrize("columns", [60, 120])
def test_morris_on_the_command_line(columns):
    args = ("nato-2024", "--method", "morris", "--samples", "4", "-n", "300", "--seed", "2")
    data = json.loads(invoke(*args, "-w", "1", "--format", "json").stdout)
    assert data["provenance"]["levels"] == 4 and data["provenance"]["evaluations"] == 4 * 12
    effects = data["outputs"][0]["effects"]
    assert [e["mu_star"] for e in effects] == sorted((e["mu_star"] for e in effects), reverse=True)
    out = invoke(*args, "-w", "1", columns=columns).stdout
    assert all(len(line) <= columns for line in out.splitlines() if not line.startswith("replay"))
    top = effects[0]
    assert f"{100 * top['mu_star']:.1f} pp ±{100 * top['mu_star_conf']:.1f}" in out
    assert "+0.0 pp" not in out and "-0.0 pp" not in out
    header = invoke(*args, "-w", "1", "--format", "csv").stdout.splitlines()[0].split(",")
    assert {"mu_star", "mu_star_conf", "mu", "sigma"} <= set(header)


def test_plot_writes_a_png(tmp_path):
    path = tmp_path / "sens.png"
    result = invoke(*CLI_ARGS, "--plot", str(path), "-f", "json")
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_ctrl_c_prints_the_partial_indices_and_exits_130(monkeypatch):
    calls = []
    real = sensitivity_module.evaluate

    def interrupted(plan, values):
        calls.append(1)
        if len(calls) > 5 * 13:  # tasks of two base samples: the first four are kept
            raise KeyboardInterrupt
        return real(plan, values)

    monkeypatch.setattr(sensitivity_module, "evaluate", interrupted)
    result = invoke("nato-2024", "--samples", "8", "--trials", "200", "--seed", "1", "-w", "1")
    assert result.exit_code == 130
    assert "interrupted after 52 of 104 evaluations" in result.stderr
    assert "PARTIAL: interrupted after 52 of 104 evaluations" in result.stdout


def test_the_notebook_api(one):
    frame = one.to_pandas()
    assert list(frame["input"][:2]) == ["objections.deu-alpha.chance", "objections.tur-alpha.lift"]
    assert {"first", "total_conf", "seed", "scenario_hash"} <= set(frame.columns)
    figure = one.plot()
    assert len([ax for ax in figure.axes if ax.get_visible()]) == 3  # alpha, extension, round
    assert "<table>" in one._repr_html_()
    assert "sensitivity" in nato_sim.__all__ and "Sensitivity" in nato_sim.__all__
    assert math.isclose(sum(o.mean for o in one.outputs if o.kind == "probability"), 1)
