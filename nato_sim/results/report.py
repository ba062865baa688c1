"""A run as HTML: the whole report for a notebook, or one self-contained page to share.

The page (`run_report`) holds the headline sentence, the assumptions that drive the model,
the figure as inline SVG, every table of a run (outcomes, timing, milestones, blockers,
objection rules), each sourced parameter beside the claim and the document it rests on, and
the provenance with the command that replays the run. It needs nothing beyond itself: no
script, no font, no style sheet or image to fetch. Without matplotlib the figure is left out
and the page says so.

`results_fragment` is the same report without the page around it and without the figure,
for a notebook's `_repr_html_`. Every cell is escaped. The analyses (`nato_sim.analysis.report`)
build their pages from the same parts.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nato_sim.errors import NatoSimError
from nato_sim.output.tables import counted
from nato_sim.results.formats import interval, long_date, param_text, pct
from nato_sim.results.headline import headline
from nato_sim.results.summary import Results
from nato_sim.scenario.claims import Claim
from nato_sim.scenario.dates import PartialDate
from nato_sim.scenario.schema import Scenario

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color: #1a1a1a; background: #fff; max-width: 72rem; margin: 2rem auto;
  padding: 0 1.25rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 2.2rem 0 0.6rem; border-bottom: 1px solid #ccc;
  padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.4rem 0 0.4rem; }
p.meta, p.note, caption small { color: #555; }
p.headline { font-size: 1.15rem; background: #eef4fb; border-left: 4px solid #1f77b4;
  padding: 0.6rem 0.9rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1.2rem; font-size: 0.92rem;
  min-width: 30rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
caption small { font-weight: 400; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; vertical-align: top;
  text-align: left; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.id { white-space: nowrap; font-family: ui-monospace, Menlo, Consolas, monospace;
  font-size: 0.85rem; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.88rem;
  overflow-wrap: anywhere; }
details > summary { cursor: pointer; font-weight: 600; }
.partial { color: #b00020; font-weight: 700; }
.cite { margin-bottom: 0.15rem; }
.diff-table td + td, .veto-table td { white-space: nowrap; }
.veto-table td:nth-child(2), .veto-table td:nth-child(3) { white-space: normal; }
.cite a { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.85rem; }
"""


# ---------------------------------------------------------------------------------------
# Building blocks


class Html(str):
    """Markup made here from escaped parts, put in a table cell as it is."""


def esc(value: object) -> str:
    """Text escaped for HTML (markup made here is kept)."""
    return value if isinstance(value, Html) else html.escape(str(value))


@dataclass(frozen=True)
class Column:
    """A table column: its heading and how its cells align (`num`, `id` or plain text)."""

    heading: str
    kind: str = ""


def table(
    columns: Sequence[Column | str],
    rows: Iterable[Sequence[object]],
    caption: str,
    note: str = "",
) -> str:
    """An HTML table; every cell escaped (but `Html`), numbers right-aligned and never
    wrapped."""
    cols = [c if isinstance(c, Column) else Column(c) for c in columns]

    def cls(c: Column) -> str:
        # Numbers aligned and whole also where the page's style sheet is not (a notebook).
        style = ' style="text-align: right; white-space: nowrap"' if c.kind == "num" else ""
        return (f' class="{c.kind}"' if c.kind else "") + style

    head = "".join(f'<th scope="col"{cls(c)}>{esc(c.heading)}</th>' for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td{cls(c)}>{esc(cell)}</td>" for c, cell in zip(cols, row, strict=True))
        + "</tr>"
        for row in rows
    )
    foot = f'<p class="note"><small>{esc(note)}</small></p>' if note else ""
    return (
        f"<table><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>{foot}"
    )


def section(heading: str, body: str, anchor: str = "") -> str:
    """A titled section."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f"<section{ident}><h2>{esc(heading)}</h2>{body}</section>"


def paragraph(text: str, kind: str = "") -> str:
    """A paragraph of escaped text."""
    cls = f' class="{kind}"' if kind else ""
    return f"<p{cls}>{esc(text)}</p>"


def page(title: str, body: str) -> str:
    """A whole HTML page: its own style, no script, nothing to fetch."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="nato-sim">\n'
        f"<title>{esc(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def figure_html(make, caption: str, prefix: str) -> str:
    """A figure drawn by `make()` as inline SVG with its caption, its ids prefixed with
    `prefix`; without matplotlib, a note saying how to get it."""
    from nato_sim.output.figures import inline_svg

    try:
        svg = inline_svg(make(), prefix)
    except NatoSimError as error:  # matplotlib missing
        return paragraph(f"(figure left out: {error})", "note")
    return f'<figure role="img">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def date_text(value: dt.date | PartialDate | None) -> str:
    """A date as `16 May 2024`, a dash for none."""
    return "–" if value is None else long_date(value)


def scenario_of(results: Results) -> Scenario | None:
    """The scenario a run was made from, when the results keep it."""
    return getattr(results, "scenario", None)


def title_of(results: Results) -> str:
    """The scenario's title, or its name when the scenario is not at hand."""
    scenario = scenario_of(results)
    return scenario.title if scenario is not None else str(results.provenance["scenario"])


def member_name(results: Results, member: str) -> str:
    """A member's name (its id when the scenario is not at hand)."""
    named = getattr(results, "member_name", None)
    return named(member) if named is not None else member


def outcome_name(results: Results, label: str) -> str:
    """A candidate's or outcome's name."""
    for row in results.outcomes:
        if row.outcome == label:
            return row.name
    return label


def overrides_text(overrides: Sequence[str]) -> str:
    """`with a=1, b=2`, or nothing."""
    return f" with {', '.join(overrides)}" if overrides else ""


def replay_command(provenance: dict[str, Any], command: str = "run", extra: str = "") -> str:
    """The command that makes the same figures again, quoted for a POSIX shell."""
    words = ["nato-sim", command, provenance["scenario"]]
    words += ["--trials", str(provenance["trials"]), "--seed", str(provenance["seed"])]
    for override in provenance.get("overrides") or []:
        words += ["--set", override]
    return shlex.join(words) + extra


# ---------------------------------------------------------------------------------------
# What a run rests on: assumptions and sources


def assumptions(results: Results) -> list[tuple[str, str, str]]:
    """The settings that drive the model, as (setting, value, what it means)."""
    scenario = scenario_of(results)
    compiled = results.compiled
    rows: list[tuple[str, str, str]] = []
    rounds = compiled.rounds
    dates = compiled.round_dates
    horizon = f"{rounds} round{'s' if rounds != 1 else ''}"
    if dates:
        horizon += f", {date_text(dates[0])} to {date_text(dates[-1])}"
    if scenario is None:
        rows.append(("horizon", horizon, "consultation rounds before time runs out"))
        return rows
    decision = scenario.decision
    if scenario.as_of is not None:
        rows.append(("as of", date_text(scenario.as_of), "what was public by this date"))
    rows.append(
        (
            "decision.rule",
            decision.rule,
            "any member can block a candidate while it still objects",
        )
    )
    rows.append(
        (
            "decision.min_support",
            param_text(decision.min_support),
            "a candidate needs backing above this share of the members' weight",
        )
    )
    rows.append(
        (
            "dynamics.bandwagon",
            param_text(scenario.dynamics.bandwagon),
            "how much faster the last holdouts give way (0: not at all)",
        )
    )
    rows.append(("horizon", horizon, "consultation rounds before time runs out"))
    if decision.deadline is not None:
        rows.append(("decision.deadline", date_text(decision.deadline), "the last round's date"))
    fallback = scenario.fallback
    if fallback == "extend":
        rows.append(
            (
                "decision.extend_chance",
                param_text(decision.extend_chance),
                "chance that the incumbent's term is extended when nobody is agreed in time",
            )
        )
    else:
        meaning = {
            "acting": "an acting Secretary General stands in when nobody is agreed in time",
            "no_decision": "nobody stands in when nobody is agreed in time",
        }[fallback]
        rows.append(("decision.on_deadline", fallback, meaning))
    early = decision.early_extension if fallback == "extend" else None
    if early is not None:
        rows.append(
            (
                "decision.early_extension",
                f"{param_text(early.chance)} a round from round {early.after}",
                "chance of extending the incumbent before the deadline, in a round without "
                "appointment",
            )
        )
    if scenario.incumbent is not None:
        ends = scenario.incumbent.term_ends
        rows.append(
            (
                "incumbent",
                scenario.incumbent.name + (f", term ends {date_text(ends)}" if ends else ""),
                "who is extended when nobody is agreed in time",
            )
        )
    rows.append(
        (
            "support.default",
            param_text(scenario.support.default),
            "a member's backing of a candidate unless the scenario says otherwise",
        )
    )
    n_rules = len(scenario.objections)
    rows.append(
        (
            "size",
            f"{len(scenario.members)} members, {len(scenario.candidates)} candidates, "
            f"{n_rules} objection rule{'s' if n_rules != 1 else ''}",
            "",
        )
    )
    return rows


def assumptions_table(results: Results, caption: str = "The settings that drive the model") -> str:
    """The settings that drive the model, as a table."""
    return table(
        [Column("setting", "id"), Column("value"), Column("what it means")],
        assumptions(results),
        caption,
    )


@dataclass(frozen=True)
class SourceRow:
    """A parameter, its value, the claim it cites and that claim's document."""

    parameter: str
    value: str
    claim: str
    overridden: bool


def _key_path(path: str) -> str:
    """`objections[tur-rutte].lift` written as an override names it:
    `objections.tur-rutte.lift`."""
    return re.sub(r"\[([^\]]+)\]", r".\1", path)


def _override_paths(scenario: Scenario) -> set[str]:
    """The paths the scenario's overrides set, with list positions written as ids."""
    data = scenario.model_dump(mode="python")
    found = set()
    for text in scenario.overrides:
        keys = text.partition("=")[0].strip().split(".")
        node: Any = data
        named = []
        for key in keys:
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                item = node[int(key)]
                ident = item.get("id") if isinstance(item, dict) else None
                named.append(str(ident) if ident is not None else key)
                node = item
            else:
                named.append(key)
                node = node.get(key) if isinstance(node, dict) else None
        found.add(".".join(named))
    return found


def document_text(claim: Claim, short: bool = False) -> str:
    """A claim's document: `title (16 May 2024)`, or in full with publisher, kind and
    where to find it."""
    doc = claim.document
    if short:
        return f"{doc.title} ({date_text(doc.date)})"
    parts = [doc.title, doc.publisher, date_text(doc.date), doc.kind, doc.locator]
    return "; ".join(p for p in parts if p)


def source_rows(scenario: Scenario) -> tuple[list[SourceRow], dict[str, Claim]] | str:
    """Each sourced parameter with the claim it cites, as `nato-sim sources` finds them, and
    the claims by id; or why there are none to show."""
    from nato_sim.scenario.loader import claims_for, resolve
    from nato_sim.scenario.sources import sourced_parameters

    try:
        claims = claims_for(resolve(scenario.origin))
    except NatoSimError:
        return f"the claims of {scenario.origin!r} could not be found"
    overridden = _override_paths(scenario)
    rows = []
    for row in sourced_parameters(scenario, claims):
        path = _key_path(row.parameter)
        hit = any(path == p or path.startswith(p + ".") for p in overridden)
        rows.append(SourceRow(row.parameter, row.value, row.claim, hit))
    return rows, claims


def _anchor(prefix: str, claim_id: str) -> str:
    return f"{prefix}-claim-{re.sub(r'[^A-Za-z0-9_.-]', '-', claim_id)}"


def sources_html(scenario: Scenario | None, prefix: str = "s", what: str = "") -> str:
    """Each sourced parameter beside its claim and document, then each claim with what it
    says and its document in full. Overridden parameters are marked: their claim supports
    the value in the file, not the one set."""
    if scenario is None:
        return paragraph("The scenario is not at hand, so its sources cannot be listed.", "note")
    found = source_rows(scenario)
    if isinstance(found, str):
        return paragraph(f"No sources: {found}.", "note")
    rows, claims = found
    if not rows:
        return paragraph("No parameter of this scenario cites a claim.", "note")
    cited = list(dict.fromkeys(r.claim for r in rows))
    note = f"{len(rows)} sourced parameter entries, citing {len(cited)} claims."
    if any(r.overridden for r in rows):
        note += (
            " Values marked (set) were changed by an override: the claim beside them "
            "supports the scenario file's value, not the one set."
        )

    def claim_cell(claim_id: str) -> Html:
        if claim_id not in claims:
            return Html(f"{esc(claim_id)} (no such claim)")
        return Html(f'<a href="#{_anchor(prefix, claim_id)}">{esc(claim_id)}</a>')

    # One row per parameter, with every claim it cites and each claim's document.
    grouped: dict[tuple[str, str, bool], list[str]] = {}
    for r in rows:
        grouped.setdefault((r.parameter, r.value, r.overridden), []).append(r.claim)

    def cites(claim_ids: list[str]) -> Html:
        return Html(
            "".join(
                f'<div class="cite">{claim_cell(c)}: '
                f"{esc(document_text(claims[c], short=True) if c in claims else '–')}</div>"
                for c in claim_ids
            )
        )

    parameters = table(
        [Column("parameter", "id"), Column("value"), Column("claims, each with its document")],
        [
            (parameter, value + (" (set)" if overridden else ""), cites(cited_here))
            for (parameter, value, overridden), cited_here in grouped.items()
        ],
        f"Parameters and the claims they rest on{what}",
        note,
    )
    claim_rows = [
        (
            Html(f'<span id="{_anchor(prefix, c)}">{esc(c)}</span>'),
            claims[c].says,
            document_text(claims[c]),
        )
        for c in cited
        if c in claims
    ]
    listed = table(
        [Column("claim", "id"), Column("what it says"), Column("document")],
        claim_rows,
        f"Claims{what}",
        "Each claim paraphrases its document; `nato-sim sources` lists the same.",
    )
    return parameters + listed


# ---------------------------------------------------------------------------------------
# The tables of a run


def caption_of(results: Results, what: str) -> Html:
    """A table's caption: what it shows; below, the scenario, every override and its hash."""
    prov = results.provenance
    where = (
        f"{title_of(results)} · {prov['scenario']}{overrides_text(prov['overrides'])} · "
        f"hash {prov['scenario_hash']}"
    )
    return Html(f"{esc(what)}<br><small>{esc(where)}</small>")


def provenance_note(results: Results) -> str:
    """Trials, seed and version, for a table's foot."""
    prov = results.provenance
    return f"{counted(prov['trials'], 'trial')} · seed {prov['seed']} · nato-sim {prov['version']}"


def outcome_table(results: Results) -> str:
    """P(outcome) with its 95% Wilson interval, most likely first."""
    possible = getattr(results, "possible_outcomes", None)
    outcomes = possible() if possible is not None else results.outcomes
    rows = [
        (o.name, pct(o.probability), interval(o.low, o.high), f"{o.count:,}")
        for o in sorted(outcomes, key=lambda o: -o.probability)
    ]
    return table(
        [
            Column("outcome"),
            Column("P", "num"),
            Column("95% interval", "num"),
            Column("trials", "num"),
        ],
        rows,
        caption_of(results, "Outcomes"),
        provenance_note(results),
    )


def timing_table(results: Results) -> str:
    """P(decided by the end of each round), with dates when there is a calendar."""
    dated = bool(results.rounds) and results.rounds[0].date is not None
    columns = [Column("round", "num")]
    if dated:
        columns.append(Column("date", "num"))
    columns += [
        Column("decided in the round", "num"),
        Column("P(decided by)", "num"),
        Column("95% interval", "num"),
    ]
    rows = []
    for r in results.rounds:
        cells: list[object] = [r.round]
        if dated:
            cells.append(date_text(r.date))
        cells += [f"{r.decided_in_round:,}", pct(r.probability_by), interval(r.low, r.high)]
        rows.append(cells)
    if results.mean_round is None or results.median_round is None:
        note = "No trial ends in an appointment."
    else:
        median = int(results.median_round)
        dates = results.compiled.round_dates
        when = f" ({date_text(dates[median - 1])})" if dates else ""
        note = (
            f"Among the {pct(results.rounds[-1].probability_by)} of trials that end in an "
            f"appointment: mean appointment round {results.mean_round:.2f}, median round "
            f"{median}{when}."
        )
    return table(columns, rows, caption_of(results, "Timing"), note)


def milestone_table(results: Results) -> str:
    """P(decided on or before) each milestone."""
    return table(
        [
            Column("milestone"),
            Column("date", "num"),
            Column("P(decided by)", "num"),
            Column("95% interval", "num"),
        ],
        [
            (
                m.milestone,
                date_text(m.date) if m.date else f"round {m.last_round}",
                pct(m.probability),
                interval(m.low, m.high),
            )
            for m in results.milestones
        ],
        caption_of(results, "Milestones"),
    )


def blocker_table(results: Results) -> str:
    """Who still objected when a candidate lost, and how often alone."""
    rows = [
        (
            outcome_name(results, b.candidate),
            member_name(results, b.member),
            f"{b.losses:,}",
            pct(b.share),
            pct(b.pivotal_share),
        )
        for b in results.blockers
        if b.share > 0
    ]
    return table(
        [
            Column("candidate"),
            Column("member"),
            Column("trials lost", "num"),
            Column("still objecting", "num"),
            Column("sole blocker", "num"),
        ],
        rows,
        caption_of(results, "Blockers"),
        "Shares of the trials the candidate lost: a member still objecting when the "
        "candidate lost, and the only one still objecting.",
    )


def _rule_objection(results: Results, rule_id: str) -> str:
    """`Hungary → Mark Rutte` for a rule, from the scenario when it is at hand."""
    scenario = scenario_of(results)
    compiled = results.compiled
    if scenario is None or rule_id not in compiled.rule_ids:
        return ""
    k = list(compiled.rule_ids).index(rule_id)
    pairs = {
        p for u, rule in enumerate(compiled.unit_rule) if rule == k for p in compiled.unit_pairs[u]
    }
    members = dict.fromkeys(compiled.member_ids[compiled.pair_member[p]] for p in sorted(pairs))
    cands = dict.fromkeys(compiled.candidate_ids[compiled.pair_candidate[p]] for p in sorted(pairs))
    return (
        ", ".join(member_name(results, m) for m in members)
        + " → "
        + ", ".join(outcome_name(results, c) for c in cands)
    )


def rule_table(results: Results) -> str:
    """Each objection rule: raised, lifted if raised, median round of lifting."""
    rows = [
        (
            r.rule,
            _rule_objection(results, r.rule) or "–",
            pct(r.probability_raised),
            pct(r.probability_lifted_if_raised),
            "–" if r.median_lift_round is None else f"{r.median_lift_round:g}",
        )
        for r in results.rules
    ]
    return table(
        [
            Column("rule", "id"),
            Column("objection"),
            Column("P(raised)", "num"),
            Column("P(lifted | raised)", "num"),
            Column("median lift round", "num"),
        ],
        rows,
        caption_of(results, "Objection rules"),
    )


def provenance_table(provenance: dict[str, Any], caption: str = "Provenance") -> str:
    """Every provenance entry, nested ones flattened (`baseline.scenario`)."""

    def flat(prefix: str, value: Any) -> Iterable[tuple[str, str]]:
        if isinstance(value, dict):
            for k, v in value.items():
                yield from flat(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, (list, tuple)):
            yield prefix, ", ".join(str(v) for v in value) or "–"
        else:
            yield prefix, "–" if value is None else str(value)

    return table([Column("key", "id"), Column("value", "id")], list(flat("", provenance)), caption)


def status_html(results: Results) -> str:
    """A warning when the run stopped early, a note when it stopped at a precision."""
    prov = results.provenance
    if prov["stopped_by"] == "interrupted":
        return paragraph("PARTIAL: interrupted; figures cover the trials finished.", "partial")
    if prov["stopped_by"] == "worker-died":
        return paragraph(
            "PARTIAL: a worker process died; figures cover the trials finished before.",
            "partial",
        )
    if prov["precision"] is None:
        return ""
    if prov["stopped_by"] == "precision":
        return paragraph(
            f"Stopped when every interval half-width was at most {prov['precision']:g}, "
            f"after {counted(results.trials, 'trial')}.",
            "note",
        )
    return paragraph(
        f"Precision target NOT reached: some interval half-width is above "
        f"{prov['precision']:g} after the {counted(results.trials, 'trial')} allowed.",
        "partial",
    )


def run_tables(results: Results) -> str:
    """Every table of a run, in the order `nato-sim run` prints them."""
    parts = [outcome_table(results), timing_table(results)]
    if results.milestones:
        parts.append(milestone_table(results))
    if any(b.share > 0 for b in results.blockers):
        parts.append(blocker_table(results))
    if results.rules:
        parts.append(rule_table(results))
    return "".join(parts)


def heading_html(results: Results, level: int = 1) -> str:
    """The scenario's title, its date and description, and the run's identity."""
    scenario = scenario_of(results)
    prov = results.provenance
    parts = [f"<h{level}>{esc(title_of(results))}</h{level}>"]
    meta = []
    if scenario is not None:
        if scenario.as_of is not None:
            meta.append(f"as of {date_text(scenario.as_of)}")
        meta.append(scenario.description)
    meta.append(
        f"{prov['scenario']}{overrides_text(prov['overrides'])} · "
        f"{counted(prov['trials'], 'trial')} · "
        f"seed {prov['seed']} · nato-sim {prov['version']}"
    )
    parts.append(paragraph(" · ".join(meta), "meta"))
    return "".join(parts)


def results_fragment(results: Results) -> str:
    """The whole report of a run without the page around it or the figure: for notebooks."""
    return (
        '<div class="nato-sim-report">'
        + heading_html(results, 3)
        + status_html(results)
        + f"<p><strong>{esc(headline(results))}</strong></p>"
        + assumptions_table(results)
        + run_tables(results)
        + paragraph(
            "Each parameter's claim and document: `nato-sim sources` or `nato-sim report`.",
            "note",
        )
        + paragraph(f"replay: {replay_command(results.provenance)}", "note")
        + "</div>"
    )


def run_body(results: Results, figures: bool = True) -> str:
    """A run's report as the body of a page: answer, assumptions, figure, tables, sources."""
    from nato_sim.results.figures import run_figure

    parts = [
        "<header>",
        heading_html(results),
        status_html(results),
        f'<p class="headline" id="headline">{esc(headline(results))}</p>',
        "</header>",
        section("Assumptions", assumptions_table(results), "assumptions"),
    ]
    if figures:
        parts.append(
            section(
                "Figure",
                figure_html(
                    lambda: run_figure(results),
                    "Outcome probabilities with 95% intervals, and the cumulative probability "
                    "of a decision with the milestones.",
                    "run",
                ),
                "figure",
            )
        )
    parts.append(section("Tables", run_tables(results), "tables"))
    parts.append(section("Sources", sources_html(scenario_of(results)), "sources"))
    parts.append(
        section(
            "Provenance",
            provenance_table(results.provenance)
            + f"<p>Replay: <code>{esc(replay_command(results.provenance))}</code></p>",
            "provenance",
        )
    )
    return "\n".join(parts)


def run_report(results: Results, figures: bool = True) -> str:
    """A run as one self-contained HTML page."""
    return page(f"{title_of(results)}: nato-sim report", run_body(results, figures))
