"""A backtest as tidy CSV rows: one row per figure, each carrying seed, trials and version."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from nato_sim.scenario.dates import date_text

if TYPE_CHECKING:
    from nato_sim.analysis.backtest import Backtest

CSV_COLUMNS = (
    "section",
    "case",
    "scorer",
    "metric",
    "value",
    "low",
    "high",
    "count",
    "detail",
    "seed",
    "trials",
    "version",
)


def tidy_rows(report: Backtest) -> list[dict[str, Any]]:
    """One row per figure of the report; every row carries seed, trials and version."""
    prov = report.provenance
    stamp = {"seed": prov["seed"], "trials": prov["trials"], "version": prov["version"]}
    rows: list[dict[str, Any]] = []

    def add(section, case, scorer, metric, value, low="", high="", count="", detail=""):
        rows.append(
            {
                "section": section,
                "case": case,
                "scorer": scorer,
                "metric": metric,
                "value": "" if value is None else value,
                "low": "" if low is None else low,
                "high": "" if high is None else high,
                "count": count,
                "detail": detail,
                **stamp,
            }
        )

    for c in report.cases:
        add("case", c.file, "", "as_of", date_text(c.as_of))
        add("case", c.file, "", "actual", c.outcome, detail=c.kind)
        add("case", c.file, "", "date", date_text(c.date))
        add("case", c.file, "", "round", c.round)
        add("case", c.file, "", "race", c.race)
        add("case", c.file, "", "hindsight_parameters", len(c.hindsight))
        add("case", c.file, "", "favourite", " ".join(c.favourites))
        add("case", c.file, "model", "p_decided_by_actual_round", c.p_decided_by_actual_round)
        for scorer, s in (("model", c.model), *c.baselines.items()):
            for metric, value in asdict(s).items():
                add("case_score", c.file, scorer, metric, value)
        for label, p in c.probabilities.items():
            add("case_forecast", c.file, "model", label, p)
        for scorer, forecast in c.forecasts.items():
            for label, p in forecast.items():
                add("case_forecast", c.file, scorer, label, p)
        if c.timing is not None:
            t = c.timing
            add("case_timing", c.file, "", "actual_from", t.lo, count=t.rounds)
            add("case_timing", c.file, "", "actual_to", t.hi, count=t.rounds)
            add("case_timing", c.file, "model", "median_round", t.median_round)
            add(
                "case_timing",
                c.file,
                "model",
                "median_date",
                None if t.median_date is None else t.median_date.isoformat(),
            )
            for scorer, ts in (("model", t.model), *t.baselines.items()):
                for metric, value in asdict(ts).items():
                    add("case_timing", c.file, scorer, metric, value)
            for r, p in enumerate(t.probabilities, start=1):
                add("case_timing_forecast", c.file, "model", r, p, detail="beyond" * (r > t.rounds))
    for e in report.excluded:
        add("excluded", e.file, "", "hindsight_parameters", len(e.hindsight), detail="hindsight")
    for scorer, values in report.summary().items():
        for metric, value in values.items():
            add("summary", "", scorer, metric, value, count=len(report.cases))
    for scorer, timing_values in report.timing_summary().items():
        for metric, value in timing_values.items():
            add("timing_summary", "", scorer, metric, value)
    for scorer, metrics in report.skill().items():
        for metric, sk in metrics.items():
            add(
                "skill",
                "",
                scorer,
                metric,
                sk.value,
                sk.low,
                sk.high,
                sk.cases,
                f"{sk.races} races",
            )
    for b in report.calibration():
        add(
            "calibration",
            "",
            "model",
            f"{b.low:.1f}-{b.high:.1f}",
            b.observed,
            count=b.count,
            detail="" if b.mean_forecast is None else b.mean_forecast,
        )
    return rows
