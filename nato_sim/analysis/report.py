"""A report to share: a run, and with it a comparison or the veto impact, as one HTML page.

The page is self-contained (no script, font, style sheet or image to fetch; figures are
inline SVG) and built from the parts of :mod:`nato_sim.results.report`. A comparison adds
both sides' answers in one sentence, the table of differences, its figure, the assumptions
side by side and the sources of the variant; the veto impact adds its table, the pivotal
members and its figure. `report_page` puts together what it is given.
"""

from __future__ import annotations

from nato_sim.analysis.compare import Comparison
from nato_sim.analysis.explain import Explanation
from nato_sim.output.tables import counted
from nato_sim.results.formats import pct
from nato_sim.results.headline import headline
from nato_sim.results.report import (
    Column,
    esc,
    figure_html,
    member_name,
    outcome_name,
    page,
    paragraph,
    provenance_table,
    run_body,
    scenario_of,
    section,
    source_rows,
    sources_html,
    table,
    title_of,
)
from nato_sim.results.report import (
    assumptions as run_assumptions,
)
from nato_sim.results.summary import Results


def _side_name(comparison: Comparison, side: str) -> str:
    prov = comparison.provenance[side]
    results: Results = getattr(comparison, side)
    overrides = prov["overrides"]
    name = f"{title_of(results)} ({prov['scenario']})"
    return name + (f" with {', '.join(overrides)}" if overrides else "")


def assumptions_side_by_side(comparison: Comparison) -> str:
    """Each setting of the baseline beside the variant's; a changed one is marked."""
    base = {k: (v, meaning) for k, v, meaning in run_assumptions(comparison.baseline)}
    variant = {k: (v, meaning) for k, v, meaning in run_assumptions(comparison.variant)}
    keys = list(dict.fromkeys([*base, *variant]))
    rows = []
    for key in keys:
        b = base.get(key, ("–", ""))[0]
        v = variant.get(key, ("–", ""))[0]
        rows.append((key, b, v, "changed" if b != v else ""))
    return table(
        [Column("setting", "id"), Column("baseline"), Column("variant"), Column("")],
        rows,
        "The settings that drive the model, on each side",
    )


def variant_sources(comparison: Comparison) -> str:
    """The variant's sources: all of them for another scenario; for the same scenario with
    overrides, the parameters the overrides set and the claims they set aside."""
    base, variant = comparison.baseline, comparison.variant
    b_scenario, v_scenario = scenario_of(base), scenario_of(variant)
    if v_scenario is None:
        return ""
    if b_scenario is None or v_scenario.origin != b_scenario.origin:
        return sources_html(v_scenario, prefix="v", what=" (variant)")
    found = source_rows(v_scenario)
    new = [o for o in v_scenario.overrides if b_scenario and o not in b_scenario.overrides]
    if not new:
        return ""
    text = f"The variant sets {', '.join(new)}."
    if isinstance(found, str):
        return paragraph(text, "note")
    rows, claims = found
    set_aside = [r for r in rows if r.overridden]
    if not set_aside:
        return paragraph(text + " No sourced parameter is among them.", "note")
    return paragraph(text, "note") + table(
        [
            Column("parameter", "id"),
            Column("value set"),
            Column("claim set aside", "id"),
            Column("what it says"),
        ],
        [
            (r.parameter, r.value, r.claim, claims[r.claim].says if r.claim in claims else "–")
            for r in set_aside
        ],
        "Sourced parameters the variant overrides",
        "The claims support the scenario file's values, which the variant replaces.",
    )


def comparison_body(comparison: Comparison, figures: bool = True) -> str:
    """A comparison as part of a page: both answers, the differences, the figure, the
    assumptions side by side and the variant's sources."""
    from nato_sim.analysis.figures import comparison_figure
    from nato_sim.analysis.tables import comparison_html

    prov = comparison.provenance
    parts = [
        "<dl>",
        f"<dt>Baseline: {esc(_side_name(comparison, 'baseline'))}</dt>",
        f"<dd>{esc(headline(comparison.baseline))}</dd>",
        f"<dt>Variant: {esc(_side_name(comparison, 'variant'))}</dt>",
        f"<dd>{esc(headline(comparison.variant))}</dd>",
        "</dl>",
        paragraph(
            f"Both sides ran {counted(prov['trials'], 'trial')} with seed {prov['seed']} in "
            f"{prov['blocks']} blocks of {prov['block_size']:,} (common random numbers), so "
            "their figures differ from the run above by sampling noise only. Intervals of "
            f"differences: {comparison.method}.",
            "note",
        ),
        f'<div class="diff-table">{comparison_html(comparison)}</div>',
    ]
    for warning in getattr(comparison, "warnings", []):
        parts.append(paragraph(f"Not compared: {warning}", "note"))
    if figures:
        parts.append(
            figure_html(
                lambda: comparison_figure(comparison),
                "Left: each outcome and milestone on both sides with its 95% interval. "
                "Right: the difference with its 95% interval.",
                "compare",
            )
        )
    parts.append(assumptions_side_by_side(comparison))
    parts.append(variant_sources(comparison))
    parts.append(provenance_table(prov, "Provenance of the comparison"))
    return "".join(parts)


def pivotal_table(explanation: Explanation) -> str:
    """Members who were the last one blocking a candidate who lost."""
    base = explanation.baseline
    rows = [
        (
            member_name(base, p.member),
            outcome_name(base, p.candidate),
            pct(p.still_objecting),
            pct(p.sole_blocker),
            pct(p.sole_blocker_trials),
        )
        for p in explanation.pivotal
    ]
    return table(
        [
            Column("member"),
            Column("candidate"),
            Column("still objecting", "num"),
            Column("sole blocker", "num"),
            Column("sole blocker, share of all trials", "num"),
        ],
        rows,
        "Pivotal members: the last one blocking a candidate who lost",
        "Still objecting and sole blocker: shares of the trials the candidate lost.",
    )


def explanation_body(explanation: Explanation, figures: bool = True) -> str:
    """The veto impact as part of a page: its table, the pivotal members and the figure."""
    from nato_sim.analysis.figures import explanation_figure
    from nato_sim.analysis.tables import explanation_html

    prov = explanation.provenance
    parts = [
        paragraph(
            "Each objection rule is taken away in turn (its chance set to 0, so it is never "
            f"raised) and the scenario run again with the same seed {prov['seed']} and "
            f"{counted(prov['trials'], 'trial')}; rules with the most impact (the share of "
            "trials whose "
            f"outcome changes) come first. Intervals: {explanation.method}.",
            "note",
        ),
        f'<div class="veto-table">{explanation_html(explanation)}</div>',
        pivotal_table(explanation) if explanation.pivotal else "",
    ]
    if figures:
        parts.append(
            figure_html(
                lambda: explanation_figure(explanation),
                "Each rule's candidate with and without the rule, and the change with its "
                "95% interval.",
                "veto",
            )
        )
    parts.append(provenance_table(prov, "Provenance of the veto impact"))
    return "".join(parts)


def report_page(
    results: Results,
    *,
    comparison: Comparison | None = None,
    explanation: Explanation | None = None,
    figures: bool = True,
    command: str = "",
) -> str:
    """One self-contained HTML page: the run, then the comparison and the veto impact when
    given. `command` is shown as the way to make the page again."""
    nav = ['<a href="#headline">answer</a>', '<a href="#assumptions">assumptions</a>']
    if figures:
        nav.append('<a href="#figure">figure</a>')
    nav += ['<a href="#tables">tables</a>', '<a href="#sources">sources</a>']
    parts = [run_body(results, figures)]
    if comparison is not None:
        nav.append('<a href="#comparison">comparison</a>')
        parts.append(
            section(
                f"Compared with {_side_name(comparison, 'variant')}",
                comparison_body(comparison, figures),
                "comparison",
            )
        )
    if explanation is not None:
        nav.append('<a href="#veto-impact">veto impact</a>')
        parts.append(
            section(
                "Whose veto matters most", explanation_body(explanation, figures), "veto-impact"
            )
        )
    if command:
        parts.append(
            paragraph("This page was made by:", "note") + f"<p><code>{esc(command)}</code></p>"
        )
    body = f"<nav><small>{' · '.join(nav)}</small></nav>\n" + "\n".join(parts)
    return page(f"{title_of(results)}: nato-sim report", body)
