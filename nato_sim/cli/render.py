"""Rich tables for the terminal."""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from rich.console import Console, Group, JustifyMethod, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from nato_sim.results.summary import Results

BAR_WIDTH = 20
MAX_TIMING_ROWS = 30


def bar(probability: float, width: int = BAR_WIDTH) -> str:
    """A bar of eighth-blocks, `width` characters at probability 1."""
    eighths = round(max(0.0, min(1.0, probability)) * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def pct(value: float | None, digits: int = 1) -> str:
    """A probability as a percentage."""
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def interval(low: float, high: float) -> str:
    """A 95% interval as `[a%, b%]`."""
    return f"[{100 * low:.1f}%, {100 * high:.1f}%]"


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


def header(results: Results) -> Group:
    """The run's identity and the replay line: everything needed to run the same thing again."""
    p = results.provenance
    text = (
        f"nato-sim {p['version']} · {p['scenario']} (hash {p['scenario_hash']}) · "
        f"{p['trials']:,} trials · seed {p['seed']} · {p['bit_generator']} · "
        f"numpy {p['numpy']}"
    )
    # A wrapped replay line would paste into a shell as two commands: keep it on one line.
    lines = [
        Text(text, style="bold"),
        Text(f"replay: {replay_command(p)}", style="dim", no_wrap=True, overflow="ignore"),
    ]
    if p["stopped_by"] == "interrupted":
        lines.append(
            Text("PARTIAL: interrupted; figures cover the trials finished so far", style="bold red")
        )
    elif p["stopped_by"] == "worker-died":
        lines.append(
            Text(
                "PARTIAL: a worker process died; figures cover the trials finished before",
                style="bold red",
            )
        )
    elif p["stopped_by"] == "precision":
        lines.append(
            Text(
                f"stopped when every interval half-width was at most {p['precision']:g}",
                style="dim",
            )
        )
    return Group(*lines)


def add_columns(table: Table, columns: Iterable[tuple[str, JustifyMethod]], **options: Any) -> None:
    """Add columns, each a (header, justification), with the same further options."""
    for name, justify in columns:
        table.add_column(name, justify=justify, **options)


def outcome_table(results: Results) -> Table:
    """P(outcome) with a bar and the 95% Wilson interval."""
    table = Table(title="Outcome", title_justify="left")
    add_columns(
        table,
        (
            ("outcome", "left"),
            ("P", "right"),
            ("", "left"),
            ("95% interval", "right"),
            ("trials", "right"),
        ),
    )
    for row in sorted(results.outcomes, key=lambda r: -r.probability):
        table.add_row(
            escape(row.name),
            pct(row.probability),
            bar(row.probability),
            interval(row.low, row.high),
            f"{row.count:,}",
        )
    return table


def timing_table(results: Results) -> Table:
    """P(decided by round r), with dates when there is a calendar."""
    dated = results.rounds and results.rounds[0].date is not None
    mean = "–" if results.mean_round is None else f"{results.mean_round:.2f}"
    median = "–" if results.median_round is None else f"{results.median_round:g}"
    table = Table(title=f"Timing (mean round {mean}, median {median})", title_justify="left")
    table.add_column("round", justify="right")
    if dated:
        table.add_column("date")
    for name in ("P(decided by)", "95% interval"):
        table.add_column(name, justify="right")
    previous = -1.0
    compress = len(results.rounds) > MAX_TIMING_ROWS
    for row in results.rounds:
        # In a long horizon, rounds where nothing changes add nothing but length.
        if compress and row.probability_by == previous and row is not results.rounds[-1]:
            continue
        previous = row.probability_by
        cells = [str(row.round)] + ([str(row.date)] if dated else [])
        table.add_row(*cells, pct(row.probability_by), interval(row.low, row.high))
    return table


def milestone_table(results: Results) -> Table:
    """P(decided on or before) each milestone."""
    table = Table(title="Milestones", title_justify="left")
    add_columns(
        table,
        (
            ("milestone", "left"),
            ("date", "left"),
            ("P(decided by)", "right"),
            ("95% interval", "right"),
        ),
    )
    for row in results.milestones:
        table.add_row(
            escape(row.milestone),
            str(row.date or f"round {row.last_round}"),
            pct(row.probability),
            interval(row.low, row.high),
        )
    return table


def blocker_table(results: Results) -> Table:
    """Who still objected when a candidate failed, and how often alone."""
    table = Table(title="Blockers (share of the candidate's losses)", title_justify="left")
    add_columns(
        table,
        (
            ("candidate", "left"),
            ("member", "left"),
            ("still objecting", "right"),
            ("sole blocker", "right"),
        ),
    )
    for row in results.blockers:
        if row.share > 0:
            table.add_row(row.candidate, row.member, pct(row.share), pct(row.pivotal_share))
    return table


def rule_table(results: Results) -> Table:
    """Each objection rule: raised, lifted, median lift round."""
    table = Table(title="Objection rules", title_justify="left")
    for name in ("rule", "P(raised)", "P(lifted | raised)", "median lift round"):
        table.add_column(name, justify="left" if name == "rule" else "right")
    for row in results.rules:
        median = "–" if row.median_lift_round is None else f"{row.median_lift_round:g}"
        table.add_row(
            row.rule, pct(row.probability_raised), pct(row.probability_lifted_if_raised), median
        )
    return table


def results_view(results: Results) -> Group:
    """All tables of a run, header first."""
    parts: list[RenderableType] = [header(results), outcome_table(results), timing_table(results)]
    if results.milestones:
        parts.append(milestone_table(results))
    if any(row.share > 0 for row in results.blockers):
        parts.append(blocker_table(results))
    if results.rules:
        parts.append(rule_table(results))
    return Group(*parts)


def print_results(results: Results, console: Console) -> None:
    """Print every table of a run."""
    console.print(results_view(results), crop=False)  # crop=False: see `header`
