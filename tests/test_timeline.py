"""Tests for nato_sim.analysis.timeline and `nato-sim timeline`: a race's snapshots in as-of
order, the bundled 2024 timeline, its tables at 60/80/120 columns, JSON and CSV, errors,
Ctrl-C and dead workers, the figure and the notebook API."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import nato_sim
from nato_sim.analysis.timeline import CSV_COLUMNS, bundled_timelines, load_snapshots
from nato_sim.cli import app
from nato_sim.cli.render import interval, pct
from nato_sim.errors import ScenarioError, UsageError, WorkerError
from nato_sim.running.runner import BLOCK_SIZE
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.loader import claims_for, load, scenario_hash

CASE = "history/nato-2024"
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
SNAPSHOTS = sorted(name for name in bundled_scenarios() if name.startswith(f"{CASE}/"))
REPLAY_PREFIXES = ("replay: ", "one snapshot: ")  # kept on one line by design, as in `run`


def invoke(*args: str, columns: int = 100):
    """Run the CLI in-process with a pinned width and no colour."""
    return CliRunner().invoke(app, list(args), env={**ENV, "COLUMNS": str(columns)})


def timeline_json(*args: str) -> dict[str, Any]:
    result = invoke("timeline", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def race(as_of: str, *, lift: float = 0.3, winner: str = "alpha", date: str = "2024-06-01") -> str:
    """A snapshot of a small race: alpha is blocked by Turkey until it lifts (no bandwagon),
    beta lacks the backing, so P(alpha by round r) = 1 - (1 - lift)^(r - 1)."""
    return f"""title: Test race as of {as_of}
description: Alpha waits for Turkey; beta lacks backing.
as_of: {as_of}
members:
  - {{id: USA, name: United States, weight: 3}}
  - {{id: TUR, name: Turkey}}
candidates:
  - {{id: alpha, name: Alpha, country: NLD}}
  - {{id: beta, name: Beta, country: DEU}}
support:
  candidates:
    alpha: {{default: 0.8}}
    beta: {{default: 0.4}}
objections:
  - {{id: tur-alpha, members: TUR, candidates: alpha, lift: {lift}}}
decision:
  rounds: 10
  calendar: {{start: {as_of}, round_days: 14}}
  on_deadline: no_decision
dynamics: {{bandwagon: 0}}
outcome: {{winner: {winner}, date: {date}}}
"""


def folder(tmp_path: Path, files: dict[str, str]) -> Path:
    case = tmp_path / "case"
    case.mkdir()
    for name, text in files.items():
        (case / name).write_text(text, encoding="utf-8")
    return case


# The bundled timeline and its scenarios.


def test_the_bundled_2024_timeline_has_at_least_four_snapshots_named_by_date():
    assert CASE in bundled_timelines()
    assert len(SNAPSHOTS) >= 4
    for name in SNAPSHOTS:
        scenario = load(name)
        assert name.rsplit("/", 1)[1] == scenario.as_of.isoformat()
        assert scenario.outcome is not None
        assert (scenario.outcome.winner, scenario.outcome.date) == ("rutte", dt.date(2024, 6, 26))


def _citations(value: Any, path: tuple = ()):
    """(key path, claim id) of every citation outside the top-level `outcome:` block."""
    if isinstance(value, dict):
        for key, item in value.items():
            if path == () and key == "outcome":
                continue
            if key == "source":
                for claim in [item] if isinstance(item, str) else item:
                    yield path, claim
            else:
                yield from _citations(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _citations(item, (*path, i))


@pytest.mark.parametrize("name", [*SNAPSHOTS, "nato-2024", "nato-2024-spring"])
def test_a_snapshot_cites_only_documents_dated_by_its_as_of(name):
    scenario = load(name)
    claims = claims_for(bundled_scenarios()[name])
    cited = list(_citations(scenario.model_dump(mode="python")))
    assert cited
    later = [
        (path, claim, claims[claim].document.date)
        for path, claim in cited
        if claims[claim].document.date > scenario.as_of
    ]
    assert later == [], f"{name} (as of {scenario.as_of}) cites later documents"


def test_the_hindsight_check_finds_a_later_document():
    # The check above can fail: the outcome's own claims come from after every as_of.
    scenario = load(SNAPSHOTS[0])
    claims = claims_for(bundled_scenarios()[SNAPSHOTS[0]])
    assert scenario.outcome is not None
    assert all(claims[c].document.date > scenario.as_of for c in scenario.outcome.source)


@pytest.mark.parametrize(
    ("name", "snapshot"),
    [("nato-2024", f"{CASE}/2024-02-22"), ("nato-2024-spring", f"{CASE}/2024-04-30")],
)
def test_the_top_level_2024_scenarios_are_snapshots_of_the_timeline(name, snapshot):
    assert scenario_hash(load(name)) == scenario_hash(load(snapshot))


# The command on the bundled timeline.


def test_the_bundled_timeline_runs_in_as_of_order_and_marks_rutte():
    data = timeline_json(CASE, "--trials", "2000", "--seed", "3", "--workers", "1")
    dates = [s["as_of"] for s in data["snapshots"]]
    assert dates == sorted(dates) and len(dates) == len(SNAPSHOTS)
    assert [s["file"] for s in data["snapshots"]] == [f"{d}.yaml" for d in dates]
    assert data["actual"]["outcome"] == "rutte" and data["actual"]["date"] == "2024-06-26"
    for snap in data["snapshots"]:
        rutte = next(o for o in snap["outcomes"] if o["outcome"] == "rutte")
        assert snap["p_actual"] == rutte["probability"]
        assert sum(o["probability"] for o in snap["outcomes"]) == pytest.approx(1.0, abs=1e-12)
    # What the news did: Hungary's refusal and Iohannis's entry lowered Rutte's chances in
    # March; with only Romania left in June they are near certain (2,000 trials each).
    p = [s["p_actual"] for s in data["snapshots"]]
    assert p[1] < p[0] and p[-1] > 0.99


def test_json_has_the_documented_structure():
    data = timeline_json(CASE, "--trials", "1000", "--seed", "4", "--workers", "1")
    assert set(data) == {
        "schema_version",
        "provenance",
        "case",
        "actual",
        "outcomes",
        "snapshots",
        "not_run",
    }
    assert data["schema_version"] == 1 and data["case"] == CASE and data["not_run"] == []
    prov = data["provenance"]
    assert {"version", "numpy", "python", "bit_generator", "seed", "trials", "case"} <= set(prov)
    assert (prov["seed"], prov["trials"], prov["stopped_by"]) == (4, 1000, "trials")
    assert prov["snapshots"] == prov["snapshots_finished"] == len(SNAPSHOTS)
    assert set(data["actual"]) == {"outcome", "name", "date", "note"}
    labels = [o["outcome"] for o in data["outcomes"]]
    assert labels[:3] == ["rutte", "von-der-leyen", "iohannis"]  # in order of appearance
    assert labels[-2:] == ["extension", "no-decision"]
    for snap in data["snapshots"]:
        assert set(snap) == {
            "as_of",
            "file",
            "scenario",
            "title",
            "scenario_hash",
            "trials",
            "stopped_by",
            "outcomes",
            "p_actual",
            "p_appointed",
            "mean_round",
            "median_round",
            "mean_date",
            "median_date",
        }
        assert snap["scenario"] == f"{CASE}/{snap['as_of']}"
        assert all(o["outcome"] in labels for o in snap["outcomes"])
        assert snap["mean_date"] >= snap["as_of"] and snap["median_date"] >= snap["as_of"]


def test_each_snapshot_is_what_run_gives_with_the_same_seed():
    data = timeline_json(CASE, "--trials", "1500", "--seed", "8", "--workers", "1")
    for snap in data["snapshots"]:
        result = invoke("run", snap["scenario"], "-n", "1500", "--seed", "8", "-f", "json")
        assert result.exit_code == 0, result.output
        alone = json.loads(result.stdout)
        assert alone["outcomes"] == snap["outcomes"]
        assert alone["provenance"]["scenario_hash"] == snap["scenario_hash"]
        assert alone["timing"]["mean_round"] == snap["mean_round"]


@pytest.mark.parametrize("columns", [60, 80, 120])
def test_the_table_fits_60_80_120_columns_and_cuts_no_number_or_id(columns):
    args = ("timeline", CASE, "--trials", "1000", "--seed", "6", "--workers", "1")
    result = invoke(*args, columns=columns)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for line in out.splitlines():
        if not line.startswith(REPLAY_PREFIXES):
            assert len(line) <= columns, line
    data = timeline_json(*args[1:])
    for snap in data["snapshots"]:
        assert snap["as_of"] in out and snap["scenario_hash"] in out and snap["file"] in out
        assert snap["mean_date"] in out and snap["median_date"] in out
        assert pct(snap["p_appointed"]) in out
        for o in snap["outcomes"]:
            p, bounds = pct(o["probability"]), interval(o["low"], o["high"])
            assert re.search(rf"{re.escape(p)} │ +{re.escape(bounds)} │", out), (p, bounds)
    assert out.count("✔ Mark") == len(data["snapshots"])  # the actual outcome, in each
    assert "actual decision: 2024-06-26" in " ".join(out.split())
    assert f"replay: nato-sim timeline {CASE} --trials 1000 --seed 6\n" in out


def test_the_replay_line_runs_the_same_timeline():
    result = invoke("timeline", CASE, "-n", "800", "--seed", "2", "--workers", "1")
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.stdout.splitlines() if x.startswith("replay: ")]
    words = shlex.split(line.removeprefix("replay: "))
    assert words[:2] == ["nato-sim", "timeline"]
    again = invoke(*words[1:], "--workers", "1")
    assert again.stdout == result.stdout
    [one] = [x for x in result.stdout.splitlines() if x.startswith("one snapshot: ")]
    assert shlex.split(one.removeprefix("one snapshot: "))[1:3] == ["run", f"{CASE}/FILE"]


def test_csv_has_one_row_per_snapshot_and_outcome_with_provenance():
    result = invoke("timeline", CASE, "-n", "1000", "--seed", "5", "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    data = timeline_json(CASE, "-n", "1000", "--seed", "5")
    assert len(rows) == sum(len(s["outcomes"]) for s in data["snapshots"])
    assert {r["outcome"] for r in rows if r["actual"] == "True"} == {"rutte"}
    assert {(r["seed"], r["trials"], r["stopped_by"]) for r in rows} == {("5", "1000", "trials")}


def test_table_output_to_a_file_is_plain_text(tmp_path):
    out = tmp_path / "timeline.txt"
    result = invoke("timeline", CASE, "-n", "500", "--seed", "1", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "P(outcome) by as-of date" in text and "\x1b[" not in text


def test_without_a_seed_one_is_drawn_printed_and_recorded():
    result = invoke("timeline", CASE, "-n", "300", "-f", "json")
    assert result.exit_code == 0, result.output
    seed = json.loads(result.stdout)["provenance"]["seed"]
    assert result.stderr == f"seed {seed} (pass --seed {seed} to replay)\n"


# A folder of one's own: ordering, the numbers, errors.


def test_snapshots_are_ordered_by_as_of_not_by_file_name(tmp_path):
    case = folder(
        tmp_path,
        {"z-first.yaml": race("2024-01-10"), "a-last.yaml": race("2024-03-01", lift=0.6)},
    )
    data = timeline_json(str(case), "-n", "500", "--seed", "1")
    assert [s["file"] for s in data["snapshots"]] == ["z-first.yaml", "a-last.yaml"]
    assert [s["as_of"] for s in data["snapshots"]] == ["2024-01-10", "2024-03-01"]


def test_probabilities_and_dates_agree_with_the_model_and_the_calendar(tmp_path):
    # P(alpha) = 1 - 0.7^9 = 0.95965 over 10 rounds; 20,000 trials give a standard error of
    # 0.0014, so 0.007 is five of them (seed fixed).
    case = folder(tmp_path, {"one.yaml": race("2024-01-10", lift=0.3)})
    result = nato_sim.timeline(case, trials=20_000, rng=11)
    (point,) = result.points
    assert result.probability("alpha")[0] == pytest.approx(1 - 0.7**9, abs=0.007)
    assert point.p_appointed == point.results.probability("alpha")
    start = dt.date(2024, 1, 10)
    assert point.mean_round is not None and point.median_round is not None
    expected = start + dt.timedelta(days=round(14 * (point.mean_round - 1)))
    assert point.mean_date == expected
    assert point.median_date == start + dt.timedelta(days=14 * (int(point.median_round) - 1))


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, r"no \*.yaml scenario in this folder"),
        (
            {"a.yaml": race("2024-01-10").replace("as_of: 2024-01-10\n", "")},
            r"a.yaml: has no 'as_of' date; a timeline orders its snapshots by as_of",
        ),
        (
            {"a.yaml": race("2024-01-10"), "b.yaml": race("2024-01-10")},
            r"b.yaml: as_of: as_of 2024-01-10 is also that of a.yaml",
        ),
        (
            {"a.yaml": race("2024-01-10"), "b.yaml": race("2024-02-10", winner="beta")},
            r"b.yaml: outcome: outcome beta on 2024-06-01 differs from a.yaml's",
        ),
        (
            {"a.yaml": race("2024-07-10")},
            r"a.yaml: as_of: as_of 2024-07-10 is not before the decision of 2024-06-01",
        ),
        (
            {"a.yaml": race("2024-01-10").replace("lift: 0.3", "lift: 1.3")},
            r"a.yaml:\d+:\d+: objections\[0\].lift: expected a probability",
        ),
    ],
    ids=["empty", "no-as-of", "same-as-of", "outcomes-differ", "after-decision", "invalid"],
)
def test_a_bad_folder_exits_3_with_a_clear_message(tmp_path, files, message):
    case = folder(tmp_path, files)
    result = invoke("timeline", str(case), "-n", "100", "--seed", "1")
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.output


def test_a_missing_case_or_a_file_exits_3_and_names_the_bundled_timelines():
    result = invoke("timeline", "history/nato-2042")
    assert result.exit_code == 3
    assert "is neither a folder nor a bundled timeline (did you mean 'history/nato-2024'?)" in (
        result.stderr
    )
    result = invoke("timeline", str(bundled_scenarios()["nato-2024"]))
    assert result.exit_code == 3
    assert "is a file; a timeline is a folder of snapshot scenarios" in result.stderr


def test_set_applies_to_every_snapshot_and_names_those_it_does_not_fit():
    data = timeline_json(CASE, "-n", "500", "--seed", "1", "--set", "decision.extend_chance=1")
    assert data["provenance"]["overrides"] == ["decision.extend_chance=1"]
    result = invoke("timeline", CASE, "--set", "objections.rou-rutte.lift=0.5")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: 2024-02-22.yaml: --set 'objections.rou-rutte.lift")
    result = invoke("timeline", CASE, "--set", "decision.extend_chance=1.5")
    assert result.exit_code == 3
    assert result.stderr.count("expected a probability in [0, 1], got 1.5 (in every snapshot)")


# Ctrl-C and dead workers keep what was done.


def test_ctrl_c_between_snapshots_keeps_those_finished_and_exits_130(monkeypatch):
    from nato_sim.analysis import timeline as module

    real, calls = module.simulate, []

    def interrupted_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "simulate", interrupted_third)
    result = invoke("timeline", CASE, "-n", "500", "--seed", "3", "-f", "json")
    assert result.exit_code == 130
    data = json.loads(result.stdout)
    assert len(data["snapshots"]) == 2 and len(data["not_run"]) == len(SNAPSHOTS) - 2
    assert data["provenance"]["stopped_by"] == "interrupted"
    assert data["provenance"]["snapshots_finished"] == 2
    assert result.stderr == (
        f"interrupted with 2 of {len(SNAPSHOTS)} snapshots finished; the results are "
        "partial (marked as such)\n"
    )


def test_ctrl_c_inside_a_snapshot_keeps_its_finished_blocks_marked_partial(monkeypatch, tmp_path):
    from nato_sim.running import runner

    real, calls = runner.run_block, []

    def interrupted_fourth(*args, **kwargs):
        calls.append(1)
        if len(calls) == 4:  # the second block of the second snapshot
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    case = folder(
        tmp_path,
        {
            n: race(d)
            for n, d in [
                ("a.yaml", "2024-01-10"),
                ("b.yaml", "2024-02-10"),
                ("c.yaml", "2024-03-10"),
            ]
        },
    )
    monkeypatch.setattr("nato_sim.running.runner.run_block", interrupted_fourth)
    args = ("timeline", str(case), "-n", str(2 * BLOCK_SIZE), "--seed", "3", "--workers", "1")
    result = invoke(*args)
    assert result.exit_code == 130
    assert "PARTIAL: interrupted; 1 of 3 snapshots finished; the snapshot of 2024-02-10" in (
        " ".join(result.stdout.split())
    )
    assert "2024-02-10*" in result.stdout
    assert re.search(r"│ 2024-03-10 │ c.yaml +│ not run +│", result.stdout)
    calls.clear()
    data = json.loads(invoke(*args, "-f", "json").stdout)
    assert [s["trials"] for s in data["snapshots"]] == [2 * BLOCK_SIZE, BLOCK_SIZE]
    assert [s["stopped_by"] for s in data["snapshots"]] == ["trials", "interrupted"]
    assert data["not_run"] == [{"as_of": "2024-03-10", "file": "c.yaml"}]


DIED = "a worker process died unexpectedly (pid 4242, killed by SIGKILL)"


def _dies_on(monkeypatch, call: int, trials_done: int) -> None:
    """Make the `call`-th snapshot's run lose a worker after `trials_done` trials."""
    from nato_sim.analysis import timeline as module

    real, calls = module.simulate, []

    def dies(scenario, trials, rng, **kwargs):
        calls.append(1)
        if len(calls) < call:
            return real(scenario, trials, rng, **kwargs)
        if trials_done == 0:
            raise WorkerError(DIED)
        done = real(scenario, trials_done, rng, workers=1)
        provenance = {**done.provenance, "stopped_by": "worker-died"}
        raise WorkerError(DIED, dataclasses.replace(done, provenance=provenance))

    monkeypatch.setattr(module, "simulate", dies)


def test_a_dead_worker_prints_what_was_run_and_exits_1(monkeypatch):
    _dies_on(monkeypatch, call=2, trials_done=300)
    result = invoke("timeline", CASE, "-n", "1000", "--seed", "2")
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert "PARTIAL: a worker process died; 1 of" in out and "2024-03-12*" in result.stdout
    assert result.stderr == (
        f"error: {DIED}; what was run before (1 of {len(SNAPSHOTS)} snapshots finished) is "
        "printed, marked partial\n"
    )


def test_a_worker_dead_before_any_trial_is_one_line_and_exit_1(monkeypatch):
    _dies_on(monkeypatch, call=1, trials_done=0)
    result = invoke("timeline", CASE, "-n", "1000", "--seed", "2", "-f", "json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"error: {DIED}\n"


# The figure and the notebook API.


def test_plot_draws_percent_axes_and_marks_the_actual_outcome(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    out = tmp_path / "timeline.png"
    result = invoke("timeline", CASE, "-n", "500", "--seed", "1", "--plot", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG") and f"wrote {out}" in result.stderr
    figure = nato_sim.timeline(CASE, trials=500, rng=1).plot()
    FigureCanvasAgg(figure).draw()
    top, bottom = figure.axes
    labels = [t.get_text() for t in top.get_yticklabels() if t.get_text()]
    assert labels and all(label.endswith("%") for label in labels)
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert "Mark Rutte (actual outcome)" in legend
    assert "actual: Mark Rutte, decided 2024-06-26" in legend
    as_of = [dt.date.fromisoformat(name.rsplit("/", 1)[1]) for name in SNAPSHOTS]
    ticks = [t.get_text() for t in bottom.get_xticklabels()]
    assert ticks == [d.strftime("%d %b\n%Y") for d in as_of]  # "22 Feb\n2024": whole dates


def test_the_notebook_api(tmp_path):
    result = nato_sim.timeline(CASE, trials=500, rng=1)
    assert isinstance(result, nato_sim.Timeline)
    assert "timeline" in nato_sim.__all__ and "Timeline" in nato_sim.__all__
    rutte = result.probability("rutte")
    assert len(rutte) == len(SNAPSHOTS) and all(isinstance(p, float) for p in rutte)
    assert result.probability("von-der-leyen")[1:] == [None] * (len(SNAPSHOTS) - 1)
    with pytest.raises(UsageError, match="did you mean 'rutte'"):
        result.probability("rute")
    assert "<table>" in result._repr_html_()
    pandas = pytest.importorskip("pandas")
    frame = result.to_pandas()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(CSV_COLUMNS)
    assert frame.loc[frame["actual"], "outcome"].unique().tolist() == ["rutte"]


def test_bad_arguments_from_python_are_usage_errors():
    with pytest.raises(UsageError):
        nato_sim.timeline(CASE, trials=0)
    with pytest.raises(UsageError):
        nato_sim.timeline(CASE, trials=10, workers=0)
    with pytest.raises(ScenarioError):
        load_snapshots("history/no-such-race")
