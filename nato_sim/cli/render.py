"""A run for the terminal: the answer in one sentence, the assumptions, then the tables.

Every table is a :class:`nato_sim.cli.layout.Grid`, which fits the width it is printed at
(60, 80 or 120 columns, or 80 in a pipe) or stacks its rows; figures are written by
:mod:`nato_sim.results.formats`, the same as in every other table and sentence.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.text import Text

from nato_sim.cli.layout import BAR_WIDTH, Col, Fields, Grid, Paragraph, bar, one_line, wrap_words
from nato_sim.output.tables import counted
from nato_sim.results.formats import interval, long_date, param_text, pct
from nato_sim.results.headline import headline
from nato_sim.results.stats import half_width
from nato_sim.results.summary import Results

__all__ = [
    "BAR_WIDTH",
    "Paragraph",
    "Pairs",
    "bar",
    "interval",
    "param_text",
    "pct",
    "print_results",
    "replay_command",
    "results_view",
]

MAX_TIMING_ROWS = 30


class Pairs:
    """`label: value` lines under a title; a value too long for its line wraps between words,
    indented under its label."""

    def __init__(self, title: str, pairs: Iterable[tuple[str, str]]) -> None:
        self.title = title
        self.pairs = list(pairs)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(1, options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(self.title, style="table.title")
        width = options.max_width
        for label, value in self.pairs:
            first = f"  {label}: "
            lines = wrap_words(value, max(1, width - len(first))).split("\n")
            if len(lines) == 1:
                yield Text(first + lines[0], no_wrap=True, overflow="ignore")
                continue
            yield Text(first.rstrip(), no_wrap=True, overflow="ignore")
            yield from Paragraph(value, indent=4).__rich_console__(console, options)


def add_columns(table: Any, columns: Iterable[tuple[str, Any]], **options: Any) -> None:
    """Add columns, each a (header, justification), with the same further options."""
    for name, justify in columns:
        table.add_column(name, justify=justify, **options)


def replay_command(provenance: dict) -> str:
    """The command that runs the same trials again, quoted for a POSIX shell."""
    words = [
        "nato-sim",
        "run",
        provenance["scenario"],
        "--trials",
        str(provenance["trials"]),
        "--seed",
        str(provenance["seed"]),
    ]
    for override in provenance["overrides"]:
        words += ["--set", override]
    return shlex.join(words)


def identity(provenance: dict) -> Fields:
    """Version, scenario, hash, trials, seed and generator, wrapped between fields only."""
    p = provenance
    return Fields(
        [
            f"nato-sim {p['version']}",
            p["scenario"],  # a path may be wider than the line: a field of its own
            f"hash {p['scenario_hash']}",
            counted(p["trials"], "trial"),
            f"seed {p['seed']}",
            p["bit_generator"],
            f"numpy {p['numpy']}",
        ],
        style="dim",
    )


def replay_line(command: str) -> Text:
    """`replay: COMMAND` on one line, however long: it is one shell command to copy."""
    return one_line(f"replay: {command}")


def stop_notes(results: Results) -> list[Paragraph]:
    """Whether the run stopped early: interrupted, a dead worker, or by --precision (reached
    or not)."""
    p = results.provenance
    if p["stopped_by"] == "interrupted":
        return [
            Paragraph("PARTIAL: interrupted; figures cover the trials finished so far", "bold red")
        ]
    if p["stopped_by"] == "worker-died":
        return [
            Paragraph(
                "PARTIAL: a worker process died; figures cover the trials finished before",
                "bold red",
            )
        ]
    if p["precision"] is None:
        return []
    if p["stopped_by"] == "precision":
        return [
            Paragraph(
                f"stopped when every interval half-width was at most {p['precision']:g}, "
                f"after {counted(results.trials, 'trial')}",
                style="dim",
            )
        ]
    return [
        Paragraph(
            f"precision target NOT reached: the widest interval half-width is "
            f"{widest_half_width(results):.4f}, above {p['precision']:g}, when the "
            f"{counted(results.trials, 'trial')} of --trials ran out",
            style="bold yellow",
        )
    ]


def widest_half_width(results: Results) -> float:
    """The widest 95% half-width among the outcomes and P(decided by round r), as
    --precision measures it."""
    n = results.trials
    counts = [row.count for row in results.outcomes]
    counts += [round(row.probability_by * n) for row in results.rounds]
    return max((half_width(k, n) for k in counts), default=0.0)


def assumptions(results: Results) -> Pairs | None:
    """The settings that drive the model most: min_support, bandwagon, what happens at the
    deadline, and the horizon."""
    scenario = results.scenario
    if scenario is None:
        return None
    d = scenario.decision
    pairs = [
        ("min_support", f"{param_text(d.min_support)} (the backing a candidate needs)"),
        (
            "bandwagon",
            f"{param_text(scenario.dynamics.bandwagon)} (how fast holdouts give way as "
            "backing grows; 0: not at all)",
        ),
    ]
    fallback = scenario.fallback
    if fallback == "extend":
        who = scenario.incumbent.name if scenario.incumbent is not None else "the incumbent"
        text = f"{who}'s term is extended, chance {param_text(d.extend_chance)}; else no decision"
        if d.early_extension is not None:
            e = d.early_extension
            text += (
                f"; extended early with chance {param_text(e.chance)} a round from round {e.after}"
            )
    elif fallback == "acting":
        text = "an acting Secretary General stands in"
    else:
        text = "no decision (nobody to extend)"
    pairs.append(("if nobody is agreed", text))
    pairs.append(("horizon", horizon_text(results)))
    return Pairs("Assumptions", pairs)


def horizon_text(results: Results) -> str:
    """`16 rounds, 22 February 2024 to 19 September 2024 (deadline 1 October 2024)`."""
    compiled = results.compiled
    n = compiled.rounds
    text = f"{n} round{'s' if n != 1 else ''}"
    dates = compiled.round_dates
    if not dates:
        return text + " (no calendar)"
    decision = results.scenario.decision if results.scenario is not None else None
    calendar = decision.calendar if decision is not None else None
    if calendar is not None and calendar.round_days is not None:
        text += f" every {calendar.round_days} days"
    elif calendar is not None and calendar.meetings is not None:
        text += " at the calendar's meetings"
    text += f", {long_date(dates[0])} to {long_date(dates[-1])}"
    if decision is not None and decision.deadline is not None:
        text += f" (deadline {long_date(decision.deadline)})"
    return text


def opening(results: Results) -> list[RenderableType]:
    """The scenario's title and as-of date, then the answer in one sentence."""
    parts: list[RenderableType] = list(stop_notes(results)[:1] if results.partial else [])
    scenario = results.scenario
    if scenario is not None:
        parts.append(Paragraph(scenario.title, style="bold"))
        if scenario.as_of is not None:
            parts.append(Text(f"as of {long_date(scenario.as_of)}", style="bold"))
    parts.append(Paragraph(headline(results)))
    if not results.partial:
        parts += stop_notes(results)
    return parts


def outcome_table(results: Results) -> Grid:
    """P(outcome) with a bar and the 95% Wilson interval."""
    rows = sorted(results.possible_outcomes(), key=lambda r: -r.probability)
    return Grid(
        [
            Col("outcome", wrap=True),
            Col("P", "right"),
            Col("", bar=True),
            Col("95% interval", "right"),
            Col("trials", "right"),
        ],
        [
            (row.name, pct(row.probability), row.probability, interval(row.low, row.high))
            + (f"{row.count:,}",)
            for row in rows
        ],
        title="Outcome",
    )


def appointment_summary(results: Results) -> str:
    """The mean and median round of the appointments, named as what they are."""
    if results.mean_round is None or results.median_round is None:
        return "no trial ends in an appointment"
    median = int(results.median_round)
    dates = results.compiled.round_dates
    when = f" ({long_date(dates[median - 1])})" if dates else ""
    return (
        f"among the {pct(results.appointed)} of trials that end in an appointment: "
        f"mean appointment round {results.mean_round:.2f}, median round {median}{when}"
    )


def timing_table(results: Results) -> Grid:
    """P(decided by round r), with dates when there is a calendar."""
    dated = bool(results.rounds) and results.rounds[0].date is not None
    columns = [Col("round", "right")]
    if dated:
        columns.append(Col("date"))
    columns += [Col("P(decided by)", "right"), Col("95% interval", "right")]
    grid = Grid(columns, title="Timing", notes=[appointment_summary(results)])
    previous = -1.0
    compress = len(results.rounds) > MAX_TIMING_ROWS
    for row in results.rounds:
        # In a long horizon, rounds where nothing changes add nothing but length.
        if compress and row.probability_by == previous and row is not results.rounds[-1]:
            continue
        previous = row.probability_by
        cells = [str(row.round)] + ([str(row.date)] if dated else [])
        grid.add_row(*cells, pct(row.probability_by), interval(row.low, row.high))
    return grid


def milestone_table(results: Results) -> Grid:
    """P(decided on or before) each milestone."""
    return Grid(
        [
            Col("milestone", wrap=True),
            Col("date"),
            Col("P(decided by)", "right"),
            Col("95% interval", "right"),
        ],
        [
            (
                row.milestone,
                str(row.date or f"round {row.last_round}"),
                pct(row.probability),
                interval(row.low, row.high),
            )
            for row in results.milestones
        ],
        title="Milestones",
    )


def blocker_table(results: Results) -> Grid:
    """Who still objected when a candidate failed, and how often alone."""
    return Grid(
        [
            Col("candidate", wrap=True),
            Col("member", wrap=True),
            Col("still objecting", "right"),
            Col("sole blocker", "right"),
        ],
        [
            (
                results.candidate_name(row.candidate),
                results.member_name(row.member),
                pct(row.share),
                pct(row.pivotal_share),
            )
            for row in results.blockers
            if row.share > 0
        ],
        title="Blockers (share of the candidate's losses)",
        notes=[
            "still objecting: the member's objection still stood when the candidate lost; "
            "sole blocker: it was the only one still standing"
        ],
    )


def rule_parties(results: Results, k: int) -> str:
    """`Hungary → Mark Rutte`: the members and candidates of objection rule k, by name."""
    compiled = results.compiled
    pairs = sorted(
        {
            p
            for u, rule in enumerate(compiled.unit_rule)
            if rule == k
            for p in compiled.unit_pairs[u]
        }
    )
    members = dict.fromkeys(compiled.member_ids[compiled.pair_member[p]] for p in pairs)
    candidates = dict.fromkeys(compiled.candidate_ids[compiled.pair_candidate[p]] for p in pairs)
    if not pairs:
        return "–"
    return (
        ", ".join(results.member_name(m) for m in members)
        + " → "
        + ", ".join(results.candidate_name(c) for c in candidates)
    )


def rule_table(results: Results) -> Grid:
    """Each objection rule: raised, lifted, median lift round."""
    grid = Grid(
        [
            Col("rule"),
            Col("objection", wrap=True),
            Col("P(raised)", "right"),
            Col("P(lifted | raised)", "right"),
            Col("median lift round", "right"),
        ],
        title="Objection rules",
    )
    for k, row in enumerate(results.rules):
        median = "–" if row.median_lift_round is None else f"{row.median_lift_round:g}"
        grid.add_row(
            row.rule,
            rule_parties(results, k),
            pct(row.probability_raised),
            pct(row.probability_lifted_if_raised),
            median,
        )
    return grid


def results_view(results: Results) -> Group:
    """The opening sentence, the assumptions, every table, then what to replay."""
    parts: list[RenderableType] = opening(results)
    rules = assumptions(results)
    if rules is not None:
        parts.append(rules)
    parts += [outcome_table(results), timing_table(results)]
    if results.milestones:
        parts.append(milestone_table(results))
    if any(row.share > 0 for row in results.blockers):
        parts.append(blocker_table(results))
    if results.rules:
        parts.append(rule_table(results))
    parts += [identity(results.provenance), replay_line(replay_command(results.provenance))]
    return Group(*parts)


def print_results(results: Results, console: Console) -> None:
    """Print every table of a run."""
    # crop=False: a path or the replay line may be wider than the terminal, and is not cut.
    console.print(results_view(results), crop=False)
