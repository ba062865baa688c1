"""Every table of every command fits 60, 80 and 120 columns and cuts no number or id.

Each command runs on bundled scenarios (named, not by path, so the output is the same
wherever the repository lies) at three widths. Every line must fit, except the replay lines
(one shell command each, to copy whole); and every number and id that the JSON output
reports must appear whole in the table: not cut, not folded, not wrapped across lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache

import pytest
from typer.testing import CliRunner

from nato_sim.cli import app
from nato_sim.results.formats import interval, pct, pp, pp_interval, rounds_interval, signed
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.loader import claims_for, load, resolve
from nato_sim.scenario.sources import sourced_parameters

WIDTHS = (60, 80, 120)
REPLAY = ("replay: ", "replay a case: ", "one snapshot: ")
SEED = ("--seed", "3", "--workers", "1")


def invoke(args: Iterable[str], columns: int | None = None):
    env = {"NO_COLOR": "1", "NATO_SIM_DEBUG": None, "COLUMNS": str(columns or 200)}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


@cache
def table(args: tuple[str, ...], columns: int) -> str:
    return invoke(args, columns).stdout


@cache
def as_json(args: tuple[str, ...]) -> dict:
    return json.loads(invoke((*args, "--format", "json")).stdout)


def fits(out: str, columns: int) -> None:
    for line in out.splitlines():
        if not line.startswith(REPLAY):
            assert len(line) <= columns, f"{len(line)} > {columns}: {line!r}"


def whole(token: str, out: str) -> None:
    """`token` appears on one line, not as part of a longer number or id."""
    pattern = rf"(?<![\w.%–+-]){re.escape(token)}(?![\w%–]|\.\d)"
    assert re.search(pattern, out), f"{token!r} is not whole in the output"


def words(text: str, out: str) -> None:
    """Free text (a name, a note) may wrap, but only between its words: each word whole."""
    for word in text.split():
        pattern = rf"(?<!\S){re.escape(word)}(?!\S)"
        assert re.search(pattern, out.replace("│", " ")), f"{word!r} of {text!r} is cut"


RUN = ("run", "nato-2024", "--trials", "3000", *SEED)
VACANT = ("run", "history/nato-1995", "--trials", "3000", *SEED)


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args", [RUN, VACANT], ids=["nato-2024", "nato-1995"])
def test_run(args, columns):
    out = table(args, columns)
    fits(out, columns)
    data = as_json(args)
    for o in data["outcomes"]:
        if o["outcome"] in ("extension", "no-decision") and o["count"] == 0:
            continue  # not shown where the scenario rules it out (no incumbent, acting)
        words(o["name"], out)
        for token in (pct(o["probability"]), interval(o["low"], o["high"]), f"{o['count']:,}"):
            whole(token, out)
    for r in data["timing"]["rounds"][:3]:
        whole(pct(r["probability_by"]), out)
        whole(interval(r["low"], r["high"]), out)
        if r["date"]:
            whole(r["date"], out)
    for m in data["timing"]["milestones"]:
        words(m["milestone"], out)
        whole(pct(m["probability"]), out)
        whole(interval(m["low"], m["high"]), out)
    for b in data["blockers"]:
        if b["share"] > 0:
            whole(pct(b["share"]), out)
            whole(pct(b["pivotal_share"]), out)
    for rule in data["rules"]:
        whole(rule["rule"], out)
        whole(pct(rule["probability_raised"]), out)
    prov = data["provenance"]
    whole(prov["scenario_hash"], out)
    whole(f"{prov['trials']:,}", out)
    assert f"replay: nato-sim run {prov['scenario']} --trials 3000 --seed 3\n" in out


def diff_tokens(row: dict) -> list[str]:
    if row["section"] == "timing":
        values = [f"{row['baseline']:.2f}", f"{row['variant']:.2f}"]
        return [*values, signed(row["difference"]), rounds_interval(row["low"], row["high"])]
    values = [pct(row["baseline"]), pct(row["variant"])]
    return [*values, pp(row["difference"]), pp_interval(row["low"], row["high"])]


COMPARES = [
    ("compare", "nato-2024", "--set", "objections.tur-rutte.lift=0.6", "-n", "2000", *SEED),
    ("compare", "nato-2024", "--against", "nato-2024-spring", "-n", "2000", *SEED),
]


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args", COMPARES, ids=["set", "against"])
def test_compare(args, columns):
    out = table(args, columns)
    fits(out, columns)
    data = as_json(args)
    for row in data["rows"]:
        words(row["name"], out)
        for token in diff_tokens(row):
            whole(token, out)
    for u in data["unmatched"]:
        words(u["name"], out)
        for value in (u["baseline"], u["variant"]):
            if value is not None and u["section"] != "timing":
                whole(pct(value), out)
    assert "replay: nato-sim compare nato-2024" in out


EXPLAIN = ("explain", "nato-2024", "-n", "2000", *SEED)


@pytest.mark.parametrize("columns", WIDTHS)
def test_explain(columns):
    out = table(EXPLAIN, columns)
    fits(out, columns)
    data = as_json(EXPLAIN)
    for r in data["rules"]:
        whole(r["rule"], out)
        whole(pct(r["impact"]), out)
        whole(pct(r["sole_blocker"]), out)
        change = r["candidate_change"]
        whole(f"{pct(change['baseline'])} → {pct(change['variant'])}", out)
        whole(pp(change["difference"]), out)
        whole(signed(r["round_change"]["difference"]), out)
    for p in data["pivotal"]:
        for key in ("still_objecting", "sole_blocker", "sole_blocker_trials"):
            whole(pct(p[key]), out)


SWEEPS = [
    ("sweep", "nato-2024", "--vary", "objections.hun-rutte.lift=0:0.5:3", "-n", "1000", *SEED),
    (
        "sweep",
        "nato-2024",
        "--vary",
        "objections.hun-rutte.lift=0:0.5:3",
        "--vary",
        "objections.tur-rutte.lift=0:1:4",
        "-n",
        "500",
        *SEED,
    ),
]


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("args", SWEEPS, ids=["one", "two"])
def test_sweep(args, columns):
    out = table(args, columns)
    fits(out, columns)
    data = as_json(args)
    whole(data["axes"][0]["path"], out)
    for value in data["axes"][-1]["values"]:
        whole(f"{value:g}", out)
    for point in data["points"]:
        for o in point["outcomes"]:
            if len(data["axes"]) == 2:
                if o["outcome"] == "rutte":
                    whole(f"{100 * o['probability']:.1f}", out)
            elif o["probability"] > 0:
                whole(pct(o["probability"]), out)
                whole(interval(o["low"], o["high"]), out)


BACKTEST = ("backtest", "--trials", "300", "--workers", "1")


@pytest.mark.parametrize("columns", WIDTHS)
def test_backtest(columns):
    out = table(BACKTEST, columns)
    fits(out, columns)
    data = as_json(BACKTEST)
    for case in data["cases"]:
        whole(case["file"], out)  # relative to the bundled scenarios: the same on any clone
        whole(case["as_of"], out)
        whole(pct(case["model"]["p_actual"]), out)
    for name in ("best-backed", "base rates"):
        words(name, out)


TIMELINE = ("timeline", "history/nato-2024", "--trials", "500", "--seed", "3", "--workers", "1")


@pytest.mark.parametrize("columns", WIDTHS)
def test_timeline(columns):
    out = table(TIMELINE, columns)
    fits(out, columns)
    data = as_json(TIMELINE)
    for snap in data["snapshots"]:
        whole(snap["as_of"], out)
        whole(snap["scenario_hash"], out)
        whole(snap["file"], out)
        for o in snap["outcomes"]:
            whole(pct(o["probability"]), out)
            whole(interval(o["low"], o["high"]), out)


@pytest.mark.parametrize("columns", WIDTHS)
def test_sources(columns):
    out = table(("sources", "nato-2024"), columns)
    fits(out, columns)
    scenario = load("nato-2024")
    for row in sourced_parameters(scenario, claims_for(resolve("nato-2024"))):
        whole(row.parameter, out)
        whole(row.claim, out)


@pytest.mark.parametrize("columns", WIDTHS)
def test_scenarios(columns):
    out = table(("scenarios",), columns)
    fits(out, columns)
    for name, path in bundled_scenarios().items():
        whole(name, out)
        words(load(path).description, out)


def test_a_table_too_wide_to_fit_is_stacked_with_every_figure_whole():
    """At 40 columns the comparison cannot stand side by side: one block per row."""
    args = COMPARES[0]
    out = table(args, 40)
    fits(out, 40)
    assert "┃" not in out  # no table frame: stacked
    data = as_json(args)
    rutte = next(r for r in data["rows"] if r["key"] == "rutte")
    block = out.split("\nMark Rutte\n")[1].split("\n")[:4]
    assert [line.split(": ", 1)[0].strip() for line in block] == [
        "baseline",
        "variant",
        "difference",
        "95% interval",
    ]
    assert block[0].endswith(pct(rutte["baseline"]))
    assert block[3].endswith(pp_interval(rutte["low"], rutte["high"]))
