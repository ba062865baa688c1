"""Tests for dates known only to the month or the year (`as_of`, `outcome.date`).

tests/data/backtest/month.yaml was decided "in March 2009": rounds on 2, 9, 16, 23 and 30
March and 6 April; P(appointed by round r) = 1 - 0.5^(r - 1) exactly, so P(in March) =
P(by round 5) = 0.9375. Tolerances are about five standard errors at 20,000 trials.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest

from nato_sim.analysis.backtest import load_cases, run_backtest
from nato_sim.errors import ScenarioError
from nato_sim.scenario.dates import PartialDate, first_day, last_day, parse_date
from nato_sim.scenario.loader import load, scenario_hash, with_overrides

DATA = Path(__file__).parent / "data"
MONTH = DATA / "backtest" / "month.yaml"
SOFT_VETO = DATA / "history" / "soft-veto.yaml"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1961-03", PartialDate(1961, 3)),
        ("1961", PartialDate(1961)),
        (1961, PartialDate(1961)),
        ("1961-03-25", dt.date(1961, 3, 25)),
        (dt.date(1961, 3, 25), dt.date(1961, 3, 25)),
    ],
)
def test_parse_date_reads_a_day_a_month_or_a_year(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1961-13", "month 13 is not between 1 and 12"),
        ("March 1961", "expected a date (YYYY-MM-DD), a month (YYYY-MM) or a year (YYYY)"),
        (True, "got bool True"),
        (0, "got int 0"),
        (dt.datetime(1961, 3, 1, 12), "a date with a time"),
    ],
)
def test_parse_date_refuses_anything_else(value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_date(value)


def test_partial_dates_span_their_days():
    march = PartialDate(1961, 3)
    assert (march.first, march.last, march.precision) == (
        dt.date(1961, 3, 1),
        dt.date(1961, 3, 31),
        "month",
    )
    assert PartialDate(2024, 2).last == dt.date(2024, 2, 29)  # a leap year
    assert (PartialDate(1961).first, PartialDate(1961).last) == (
        dt.date(1961, 1, 1),
        dt.date(1961, 12, 31),
    )
    assert str(march) == march.isoformat() == "1961-03" and str(PartialDate(1961)) == "1961"
    assert first_day(dt.date(1961, 3, 5)) == last_day(dt.date(1961, 3, 5)) == dt.date(1961, 3, 5)
    assert {march, PartialDate(1961, 3)} == {march}


def test_partial_dates_compare_only_when_certain():
    march = PartialDate(1961, 3)
    assert march < dt.date(1961, 4, 1) and dt.date(1961, 2, 28) < march
    assert not march < dt.date(1961, 3, 15) and not march > dt.date(1961, 3, 15)
    assert march > dt.date(1961, 2, 28) and march >= dt.date(1961, 2, 28)
    assert march < PartialDate(1961, 4) and not march < PartialDate(1961)
    assert march <= dt.date(1961, 3, 31) and not march <= dt.date(1961, 3, 30)


def test_a_scenario_keeps_a_month_through_json_and_overrides():
    scenario = load(MONTH)
    assert scenario.as_of == PartialDate(2009, 2)
    assert scenario.outcome is not None and scenario.outcome.date == PartialDate(2009, 3)
    dumped = scenario.model_dump(mode="json")
    assert (dumped["as_of"], dumped["outcome"]["date"]) == ("2009-02", "2009-03")
    again = with_overrides(scenario, ["title=Again"])
    assert again.as_of == PartialDate(2009, 2)
    assert scenario_hash(with_overrides(again, ["title=Month-only dates"])) == scenario_hash(
        scenario
    )
    assert load(MONTH, ["as_of=2009"]).as_of == PartialDate(2009)


def test_as_of_must_be_certainly_before_the_outcome(tmp_path):
    # February 2009 is before March 2009; "2009-03" may be before a day in March.
    assert load_cases([MONTH])
    text = MONTH.read_text(encoding="utf-8")
    same = tmp_path / "same.yaml"
    same.write_text(text.replace("as_of: 2009-02", "as_of: 2009-03-31"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="as_of 2009-03-31 is not before the outcome date"):
        load_cases([same])
    inside = tmp_path / "inside.yaml"
    inside.write_text(text.replace("as_of: 2009-02", "as_of: 2009-03-10"), encoding="utf-8")
    assert load_cases([inside])


@pytest.fixture(scope="module")
def month_case():
    (case,) = run_backtest([MONTH], trials=20_000, seed=2024).cases
    return case


def test_a_month_outcome_is_scored_as_the_rounds_of_that_month(month_case):
    timing = month_case.timing
    assert timing is not None
    assert (timing.rounds, timing.lo, timing.hi) == (6, 1, 5)
    assert timing.model.p_actual == pytest.approx(0.9375, abs=0.01)
    # Exact: -ln 0.9375; RPS only over thresholds 5 and 6 (known to be decided), over 6;
    # CRPS only on the days from 30 March, when the decision is known to have been made.
    assert timing.model.log_loss == pytest.approx(-math.log(0.9375), abs=0.012)
    exact_rps = ((1 / 16) ** 2 + (1 / 32) ** 2) / 6
    assert timing.model.rps == pytest.approx(exact_rps, abs=0.0005)
    exact_crps = 7 * (1 / 16) ** 2 + (1 / 32) ** 2  # 30 March to 5 April, then 6 April
    assert timing.model.crps_days == pytest.approx(exact_crps, abs=0.005)
    # P(by the round of the month's last day) is P(by round 5).
    assert month_case.round == 5
    assert month_case.p_decided_by_actual_round == pytest.approx(0.9375, abs=0.01)


def test_a_month_outcome_reads_as_written_in_json(month_case):
    data = month_case.to_dict()
    assert (data["as_of"], data["actual"]["date"]) == ("2009-02", "2009-03")
    assert data["timing"]["actual"] == {"from": 1, "to": 5, "beyond": False}
    json.dumps(data)  # serialisable as it is
