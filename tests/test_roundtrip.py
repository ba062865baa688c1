"""Property tests: valid scenarios survive YAML round trips; mangled files fail cleanly.

Generated scenarios use every part of the format (distributions, selectors, `until`
conditions, calendars, milestones) and awkward text (YAML words such as `NO` or `null`,
colons, quotes, non-ASCII). Mutated files must only ever raise the tool's own errors.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nato_sim.engine.compiled import compile_scenario
from nato_sim.errors import NatoSimError, ScenarioError, UsageError
from nato_sim.running.runner import simulate
from nato_sim.scenario.loader import validate
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.yamlsource import parse_yaml

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"
PROPERTY = settings(
    max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

TRICKY_TEXT = [
    "NO",
    "yes",
    "null",
    "~",
    "1.5",
    "0x1F",
    "2024-01-01",
    "a: b",
    "#hash",
    "- dash",
    "'quoted'",
    '"double"',
    "[x]",
    "{y}",
    "&anchor",
    "*alias",
    "Türkiye",
    "Ελλάδα",
    "  padded  ",
    "",
    "%percent",
    "@at",
    "x\ny",
    "tab\there",
]
# Titles and names are one line of plain text; notes may run over several lines.
MULTILINE = {"x\ny", "tab\there"}
text = st.one_of(
    st.sampled_from([t for t in TRICKY_TEXT if t not in MULTILINE]),
    st.text(st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=20),
)
note_text = st.one_of(text, st.sampled_from(sorted(MULTILINE)))
member_code = st.from_regex(r"[A-Z]{3}", fullmatch=True)
slug = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(
    lambda s: s not in ("all", "extension", "no-decision")
)
tag = st.sampled_from(["eu", "nordic", "g7", "eastern_flank", "below_2pct", "pm"])
claim = st.from_regex(r"[a-z0-9][a-z0-9.-]{0,10}", fullmatch=True)
sources = st.one_of(st.just([]), st.lists(claim, min_size=1, max_size=2))
unit = st.floats(0, 1, allow_nan=False)
date = st.dates(dt.date(1949, 4, 4), dt.date(2100, 1, 1))


@st.composite
def probability(draw):
    """A probability: a number or a distribution."""
    kind = draw(st.sampled_from(["number", "uniform", "beta"]))
    if kind == "number":
        return draw(unit)
    if kind == "uniform":
        lo, hi = sorted([draw(unit), draw(unit)])
        return {"uniform": [lo, hi]}
    return {"beta": [draw(st.floats(0.1, 50)), draw(st.floats(0.1, 50))]}


@st.composite
def positive(draw):
    """A number > 0 or a uniform distribution above 0."""
    if draw(st.booleans()):
        return draw(st.floats(0.01, 100))
    lo = draw(st.floats(0.01, 10))
    return {"uniform": [lo, lo + draw(st.floats(0, 10))]}


def selector(ids: list[str], tags: list[str]):
    """'all', a list of known ids, or a tag that some entity carries."""
    options = [
        st.just("all"),
        st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True),
    ]
    if tags:
        options.append(st.sampled_from(tags).map(lambda t: {"tag": t}))
    return st.one_of(*options)


@st.composite
def scenarios(draw):
    """A valid scenario as plain data."""
    codes = draw(st.lists(member_code, min_size=1, max_size=5, unique=True))
    members = [
        {
            "id": c,
            "name": draw(text),
            "weight": draw(positive()),
            "tags": draw(st.lists(tag, max_size=2, unique=True)),
            "source": draw(sources),
        }
        for c in codes
    ]
    slugs = draw(st.lists(slug, min_size=1, max_size=4, unique=True))
    candidates = [
        {
            "id": s,
            "name": draw(text),
            "country": draw(st.one_of(st.sampled_from(codes), member_code)),
            "tags": draw(st.lists(tag, max_size=2, unique=True)),
            "enters": draw(st.integers(1, 4)),
            "withdraw": draw(probability()),
        }
        for s in slugs
    ]
    member_tags = sorted({t for m in members for t in m["tags"]})
    cand_tags = sorted({t for c in candidates for t in c["tags"]})
    support = {
        "default": draw(probability()),
        "candidates": {
            s: {
                "default": draw(st.one_of(st.none(), probability())),
                "tags": {
                    t: draw(probability())
                    for t in draw(st.lists(st.sampled_from(member_tags), max_size=2, unique=True))
                }
                if member_tags
                else {},
                "members": {
                    c: draw(probability())
                    for c in draw(st.lists(st.sampled_from(codes), max_size=2, unique=True))
                },
            }
            for s in draw(st.lists(st.sampled_from(slugs), max_size=3, unique=True))
        },
    }
    objections = []
    for i in range(draw(st.integers(0, 4))):
        rule_ids = [o["id"] for o in objections if o["id"] is not None]
        # Conditions only wait on earlier rules, so they never form a cycle.
        conditions = st.one_of(
            st.sampled_from(slugs).map(lambda s: {"withdrawn": s}),
            st.integers(2, 30).map(lambda r: {"round": r}),
            *([st.sampled_from(rule_ids).map(lambda r: {"lifted": r})] if rule_ids else []),
        )
        objections.append(
            {
                "id": draw(st.one_of(st.none(), st.just(f"rule-{i}"))),
                "members": draw(selector(codes, member_tags)),
                "candidates": draw(selector(slugs, cand_tags)),
                "chance": draw(probability()),
                "lift": draw(probability()),
                "after": draw(st.integers(1, 5)),
                "until": draw(st.lists(conditions, max_size=3)),
                "together": draw(st.booleans()),
                "source": draw(sources),
                "note": draw(st.one_of(st.none(), note_text)),
            }
        )
    last_entry = max(c["enters"] for c in candidates)
    decision = {
        "min_support": draw(probability()),
        "on_deadline": draw(st.sampled_from(["extend", "no_decision"])),
        "extend_chance": draw(probability()),
    }
    calendar = None
    if draw(st.booleans()):
        calendar = {"start": draw(date), "round_days": draw(st.integers(1, 60))}
        decision["calendar"] = calendar
    if calendar and draw(st.booleans()):
        # Late enough for every candidate to enter before the last round.
        days = draw(st.integers((last_entry - 1) * calendar["round_days"], 900))
        decision["deadline"] = calendar["start"] + dt.timedelta(days=days)
    else:
        decision["rounds"] = draw(st.integers(last_entry, 40))
    milestones = [
        {"name": draw(text), "round": draw(st.integers(1, 50))}
        for _ in range(draw(st.integers(0, 2)))
    ]
    if calendar:
        milestones.append({"name": "summit", "date": draw(date)})
    data = {
        "title": draw(text),
        "description": draw(text),
        "members": members,
        "candidates": candidates,
        "support": support,
        "objections": objections,
        "decision": decision,
        "dynamics": {
            "bandwagon": draw(st.one_of(st.floats(0, 10), st.just({"uniform": [0.0, 2.0]})))
        },
        "milestones": milestones,
    }
    if draw(st.booleans()):
        data["incumbent"] = {
            "name": draw(text),
            "country": draw(member_code),
            "term_ends": draw(date),
        }
    if draw(st.booleans()):
        data["as_of"] = draw(date)
        if "incumbent" in data:  # a term that ended before as_of leaves the post vacant
            earliest = min(data["as_of"], data["incumbent"]["term_ends"])
            data["as_of"] = dt.date.fromordinal(earliest.toordinal())  # a copy: no YAML alias
    if "incumbent" not in data and decision["on_deadline"] == "extend":
        decision["on_deadline"] = draw(st.sampled_from(["acting", "no_decision"]))
    return data


def reload(scenario: Scenario, **dump_options) -> Scenario:
    """Dump a scenario to YAML text and read it back as a file would be read."""
    text = yaml.safe_dump(scenario.model_dump(), sort_keys=False, **dump_options)
    return validate(parse_yaml(text, "roundtrip.yaml"), [], None)


@PROPERTY
@given(scenarios(), st.booleans(), st.sampled_from([None, False, True]))
def test_a_valid_scenario_survives_a_yaml_round_trip(data, unicode, flow):
    scenario = Scenario.model_validate(data)
    again = reload(scenario, allow_unicode=unicode, default_flow_style=flow)
    assert again.model_dump() == scenario.model_dump()
    assert again == scenario


@PROPERTY
@given(scenarios())
def test_a_round_trip_without_defaults_or_nulls_is_the_same_scenario(data):
    scenario = Scenario.model_validate(data)
    text = yaml.safe_dump(
        scenario.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    )
    again = validate(parse_yaml(text, "lean.yaml"), [], None)
    assert again.model_dump() == scenario.model_dump()


@PROPERTY
@given(scenarios())
def test_any_scenario_the_loader_accepts_can_be_run(data):
    scenario = Scenario.model_validate(data)
    results = simulate(scenario, trials=64, rng=7)
    assert results.trials == 64
    assert sum(row.count for row in results.outcomes) == 64
    assert len(results.rounds) == scenario.decision.round_count


BASE_TEXT = MINIMAL.read_text(encoding="utf-8")
PIECES = list(":{}[],&*!|>'\"%@`#-? \t\n\r") + [
    "\0",
    "\x85",
    "\ufeff",
    "\udcff",
    "NO",
    "yes",
    "~",
    "1e-3",
    ".nan",
    "<<",
    "---",
]


@st.composite
def mutated(draw, base: str = BASE_TEXT):
    """A few random edits of a valid file: deletions, insertions, replacements, line swaps."""
    result = base
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "replace", "swap"]))
        at = draw(st.integers(0, max(0, len(result) - 1)))
        if kind == "delete":
            result = result[:at] + result[at + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            piece = draw(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)))
            result = result[:at] + piece + result[at:]
        elif kind == "replace":
            result = result[:at] + draw(st.sampled_from(PIECES)) + result[at + 1 :]
        else:
            lines = result.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            result = "\n".join(lines)
    return result


def load_text(text: str | bytes) -> None:
    """Read and validate a file's text, then compile it, as `nato-sim run` would."""
    compile_scenario(validate(parse_yaml(text, "mutated.yaml"), [], None))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(mutated())
def test_a_mutated_file_fails_only_with_the_tools_own_errors(text):
    try:
        load_text(text)
    except (ScenarioError, UsageError) as error:
        assert str(error)
        if isinstance(error, ScenarioError):
            assert error.problems
            assert all(p.file == "mutated.yaml" and p.message for p in error.problems)


@settings(max_examples=100, derandomize=True, deadline=None)
@given(
    mutated().map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.tuples(st.integers(0, 600), st.binary(min_size=1, max_size=3)), max_size=3),
)
def test_mutated_bytes_fail_only_with_the_tools_own_errors(raw, splices):
    for at, chunk in splices:
        raw = raw[:at] + chunk + raw[at:]
    try:
        load_text(raw)
    except NatoSimError as error:
        assert isinstance(error, (ScenarioError, UsageError))
