"""Figures of comparisons, veto impact and sweeps (needs the 'plot' extra)."""

from __future__ import annotations

from nato_sim.analysis.compare import Comparison, DiffRow
from nato_sim.analysis.explain import Explanation
from nato_sim.analysis.sweep import Sweep
from nato_sim.output.figures import (
    BLUE,
    GREY,
    ORANGE,
    figure_class,
    forest,
    percent_axis,
    provenance_line,
    wrap,
)
from nato_sim.output.tables import counted
from nato_sim.results.figures import footer, scenario_title
from nato_sim.results.summary import Results

LEVEL_SIZE = 7


def _level(results: Results, row: DiffRow) -> tuple[float, float, float] | None:
    """A row's probability on one side with its 95% Wilson interval, if that side has it."""
    if row.section == "outcome":
        found = [o for o in results.outcomes if o.outcome == row.key]
        return (found[0].probability, found[0].low, found[0].high) if found else None
    if row.section == "milestone":
        marks = [m for m in results.milestones if m.milestone == row.key]
        return (marks[0].probability, marks[0].low, marks[0].high) if marks else None
    return None


def _levels(ax, rows_levels, labels: list[str], colours: tuple[str, str], names) -> None:
    """Two markers per row, baseline above variant, each with its interval bar."""
    n = len(labels)
    y = list(range(n))[::-1]
    for side, (offset, marker) in enumerate(((0.15, "o"), (-0.15, "D"))):
        points = [(yi + offset, lv[side]) for yi, lv in zip(y, rows_levels, strict=True)]
        points = [(yi, lv) for yi, lv in points if lv is not None]
        if not points:
            continue
        ax.errorbar(
            [lv[0] for _, lv in points],
            [yi for yi, _ in points],
            xerr=[
                [max(0.0, lv[0] - lv[1]) for _, lv in points],
                [max(0.0, lv[2] - lv[0]) for _, lv in points],
            ],
            fmt=marker,
            markersize=5,
            color=colours[side],
            capsize=2,
            label=names[side],
        )
        for yi, lv in points:
            ax.annotate(
                f"{100 * lv[0]:.1f}%",
                (min(lv[2], 1.0), yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=LEVEL_SIZE,
                color=colours[side],
            )
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(0, 1.15)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    percent_axis(ax.xaxis)
    ax.grid(axis="x", alpha=0.3)


def _legend(ax, long: bool = False) -> None:
    """The legend of the levels as the panel's heading, where it hides no point; one entry
    a line when an entry is long."""
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncols=1 if long else 2,
        fontsize=9,
        frameon=False,
        borderaxespad=0.2,
        handletextpad=0.3,
    )


def _marked(row: DiffRow) -> bool:
    """Distinguishable from noise, and not written as zero (as the tables star it)."""
    return bool(getattr(row, "marked", row.distinguishable))


def _difference_panel(ax, rows: list, xlabel: str) -> None:
    """Each difference with its interval; a row with nothing to compare (`Unmatched`, no
    `difference`) says n/a."""
    compared = [r if hasattr(r, "difference") else None for r in rows]
    forest(
        ax,
        None,
        [r.difference if r else None for r in compared],
        [r.low if r else None for r in compared],
        [r.high if r else None for r in compared],
        [_marked(r) if r else False for r in compared],
    )
    for yi, r in zip(range(len(rows) - 1, -1, -1), compared, strict=True):
        ax.annotate(
            f"{100 * r.difference:+.1f} pp" if r else "n/a: on one side only",
            (r.high if r else 0.0, yi),
            xytext=(4, 4) if r else (4, 0),
            textcoords="offset points",
            va="bottom" if r else "center",
            fontsize=LEVEL_SIZE,
            color=ORANGE if r and _marked(r) else GREY,
        )
    # Room on the right for the labels, and 0 always in view.
    low = min([0.0, *(r.low for r in compared if r)])
    high = max([0.0, *(r.high for r in compared if r)])
    span = (high - low) or 0.01
    ax.set_xlim(low - 0.08 * span, high + 0.3 * span)
    ax.tick_params(axis="y", length=0)
    percent_axis(ax.xaxis, signed=True)
    ax.set_xlabel(xlabel)


def _variant_name(comparison: Comparison) -> str:
    prov = comparison.provenance
    overrides = " ".join(prov["variant"]["overrides"])
    if prov["variant"]["scenario"] == prov["baseline"]["scenario"]:
        return f"with {overrides}" if overrides else "the same scenario"
    name = scenario_title(comparison.variant)
    return f"{name} with {overrides}" if overrides else name


def comparison_figure(comparison: Comparison):
    """Baseline and variant side by side (probability of each outcome and milestone with its
    95% interval), and each difference (variant − baseline) with its 95% interval."""
    order = {"outcome": 0, "milestone": 1}
    unmatched = [u for u in getattr(comparison, "unmatched", []) if u.section in order]
    rows: list = [r for r in comparison.rows if r.section in order] + unmatched
    rows.sort(key=lambda r: order[r.section])  # stable: the compared first in each section
    labels = [wrap(r.name, 32) for r in rows]
    figure = figure_class()(figsize=(11, 2.2 + 0.5 * max(1, len(rows))), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=[1.1, 1])
    levels = [(_level(comparison.baseline, r), _level(comparison.variant, r)) for r in rows]
    variant = "variant: " + _variant_name(comparison)
    _levels(left, levels, labels, (GREY, BLUE), ("baseline", wrap(variant, 50)))
    left.set_xlabel("probability (bars: 95% Wilson interval)")
    _legend(left, long=len(variant) > 40)
    _difference_panel(right, rows, "variant − baseline (bars: 95% interval)")
    right.set_title("Difference (orange: distinguishable from noise)", loc="left", fontsize=10)
    figure.suptitle(
        wrap(f"{scenario_title(comparison.baseline)}: what changes", 100),
        fontsize=12,
        fontweight="bold",
    )
    timing = [r for r in comparison.rows if r.section == "timing"]
    note = ""
    if timing:
        t = timing[0]
        note = (
            f"{t.name}: {t.baseline:.2f} → {t.variant:.2f} ({t.difference:+.2f}, 95% "
            f"interval {t.low:+.2f} to {t.high:+.2f})\n"
        )
    prov = comparison.provenance
    sides = []
    for side in ("baseline", "variant"):
        overrides = prov[side]["overrides"]
        sides.append(
            f"{side} {prov[side]['scenario']}"
            + (f" with {' '.join(overrides)}" if overrides else "")
        )
    where = f"{'; '.join(sides)} · {provenance_line(prov)}"
    figure.supxlabel(note + wrap(where, 150), fontsize=8, color="#555555")
    return figure


def _rule_label(explanation: Explanation, rule) -> str:
    base = explanation.baseline
    member_name = getattr(base, "member_name", None)
    members = ", ".join(member_name(m) if member_name else m for m in rule.members)
    candidates = {o.outcome: o.name for o in base.outcomes}
    candidate = candidates.get(rule.candidate, rule.candidate) or "nobody"
    return f"{rule.rule}: {members} → {candidate}"


def explanation_figure(explanation: Explanation):
    """Each rule's candidate with and without the rule, and the change when the rule is
    taken away, most impact at the top."""
    rules = explanation.rules
    labels = [wrap(_rule_label(explanation, r), 36) for r in rules]
    figure = figure_class()(figsize=(11, 2.2 + 0.5 * max(1, len(rules))), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=[1.1, 1])
    changes = [r.candidate_change for r in rules]
    levels = [
        (
            _level(explanation.baseline, c) if c.key else None,
            (c.variant, c.variant, c.variant) if c.key else None,
        )
        for c in changes
    ]
    _levels(left, levels, labels, (GREY, BLUE), ("with the rule", "without the rule"))
    left.set_xlabel("P(candidate) (bars: 95% Wilson interval, with the rule)")
    if rules:
        _legend(left)
    _difference_panel(
        right, changes, "change in P(candidate) without the rule (bars: 95% interval)"
    )
    right.set_title("Change (orange: distinguishable from noise)", loc="left", fontsize=10)
    figure.suptitle(
        wrap(f"{scenario_title(explanation.baseline)}: whose veto matters most", 100),
        fontsize=12,
        fontweight="bold",
    )
    figure.supxlabel(
        wrap(
            "Each objection rule taken away in turn; most impact at the top. "
            + footer(explanation.provenance),
            150,
        ),
        fontsize=8,
        color="#555555",
    )
    return figure


def sweep_figure(sweep: Sweep, outcome: str | None = None):
    """One axis: every outcome's probability with its 95% interval (band and bars). Two
    axes: a heat map of one outcome (default: the baseline's most likely), in percent."""
    figure_cls = figure_class()
    names = {o.outcome: o.name for o in sweep.baseline.outcomes}
    title = scenario_title(sweep.baseline)
    if len(sweep.axes) == 1:
        axis = sweep.axes[0]
        figure = figure_cls(figsize=(10, 4.8), layout="constrained")
        ax = figure.subplots()
        shown = [outcome] if outcome else sweep.outcomes
        for label in shown:
            p, lo, hi = sweep.grid(label)
            if outcome is None and p.max() == 0:
                continue
            (line,) = ax.plot(
                axis.values, p, marker="o", markersize=4, label=wrap(names[label], 28)
            )
            colour = line.get_color()
            ax.fill_between(axis.values, lo, hi, color=colour, alpha=0.3, linewidth=0)
            for bound in (lo, hi):
                ax.plot(axis.values, bound, color=colour, linewidth=0.8, alpha=0.8, linestyle=":")
            ax.errorbar(
                axis.values,
                p,
                yerr=[(p - lo).clip(0), (hi - p).clip(0)],
                fmt="none",
                ecolor=colour,
                capsize=3,
                linewidth=1,
            )
        ax.set_xlabel(wrap(axis.path, 80))
        ax.set_ylabel("probability (band and bars: 95% interval)")
        ax.set_ylim(-0.02, 1.02)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        percent_axis(ax.yaxis)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), title="outcome")
        heading = f"{title}: sweep of {axis.path}"
    else:
        outcome = outcome or sweep.default_outcome
        first, second = sweep.axes
        p, _, _ = sweep.grid(outcome)
        figure = figure_cls(
            figsize=(3.2 + 0.7 * len(second.values), 2.4 + 0.45 * len(first.values)),
            layout="constrained",
        )
        ax = figure.subplots()
        percent = 100 * p
        image = ax.imshow(percent, origin="lower", aspect="auto", cmap="viridis", vmin=0, vmax=100)
        ax.set_xticks(range(len(second.values)), [f"{v:g}" for v in second.values])
        ax.set_yticks(range(len(first.values)), [f"{v:g}" for v in first.values])
        ax.set_xlabel(wrap(second.path, 50))
        ax.set_ylabel(wrap(first.path, 40))
        if p.size <= 225:
            for (i, j), value in _cells(percent):
                ax.text(
                    j,
                    i,
                    f"{value:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value < 60 else "black",
                )
        bar = figure.colorbar(image, ax=ax, label=wrap(f"P({names[outcome]}), in %", 40))
        bar.ax.yaxis.set_major_formatter("{x:.0f}%")
        heading = f"{title}\nP({names[outcome]})"
    figure.suptitle(
        wrap(heading, 70 if len(sweep.axes) == 2 else 100), fontsize=11, fontweight="bold"
    )
    prov = sweep.provenance
    figure.supxlabel(
        wrap(
            f"{counted(prov['points'], 'point')}, every one with the same seed · " + footer(prov),
            70 if len(sweep.axes) == 2 else 140,
        ),
        fontsize=8,
        color="#555555",
    )
    return figure


def _cells(grid):
    """(row, column) and value of every cell of a 2-D array."""
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            yield (i, j), float(grid[i, j])
