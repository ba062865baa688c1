"""Tests for the scenario format: field rules (nato_sim.scenario.schema) and its JSON Schema.

The JSON Schema is checked with a small draft-07 validator written here, so the check runs
whether or not the `jsonschema` package is installed; when it is, it is consulted as well.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from nato_sim.cli import app
from nato_sim.errors import ScenarioError
from nato_sim.scenario.bundled import bundled_scenarios
from nato_sim.scenario.jsonschema import DRAFT_07, scenario_json_schema, schema_text
from nato_sim.scenario.loader import validate
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "schema" / "scenario.schema.json"
DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal.yaml"
SCHEMA = json.loads(COMMITTED.read_text(encoding="utf-8"))

# Keywords that only describe; a validator may ignore them.
ANNOTATIONS = {"$schema", "$id", "title", "description", "default", "definitions", "examples"}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    python = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}[
        kind
    ]
    return isinstance(value, python)


def _is_date(value: str) -> bool:
    try:
        return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value)) and bool(
            dt.date.fromisoformat(value)
        )
    except ValueError:
        return False


def schema_errors(value: Any, schema: dict, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (the draft-07 keywords the scenario schema uses).

    An unknown keyword raises, so the check cannot pass by ignoring part of the schema.
    """
    errors: list[str] = []
    if "$ref" in schema:  # draft-07: a $ref's siblings are ignored
        ref = schema["$ref"]
        target = SCHEMA["definitions"][ref.removeprefix("#/definitions/")]
        return schema_errors(value, target, where)
    for key, rule in schema.items():
        if key in ANNOTATIONS:
            continue
        if key == "type":
            kinds = rule if isinstance(rule, list) else [rule]
            if not any(_type_ok(value, k) for k in kinds):
                errors.append(f"{where}: not of type {rule}")
        elif key == "enum":
            if value not in rule:
                errors.append(f"{where}: not one of {rule}")
        elif key == "const":
            if value != rule:
                errors.append(f"{where}: not {rule!r}")
        elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if _type_ok(value, "number"):
                broken = {
                    "minimum": value < rule,
                    "maximum": value > rule,
                    "exclusiveMinimum": value <= rule,
                    "exclusiveMaximum": value >= rule,
                }[key]
                if broken:
                    errors.append(f"{where}: breaks {key} {rule}")
        elif key == "pattern":
            if isinstance(value, str) and not re.search(rule, value):
                errors.append(f"{where}: does not match {rule}")
        elif key == "format":
            if rule != "date":
                raise AssertionError(f"unexpected format {rule!r}")
            if isinstance(value, str) and not _is_date(value):
                errors.append(f"{where}: not a date")
        elif key in ("minItems", "maxItems"):
            if isinstance(value, list) and (
                len(value) < rule if key == "minItems" else len(value) > rule
            ):
                errors.append(f"{where}: breaks {key} {rule}")
        elif key == "items":
            if isinstance(value, list):
                for i, item in enumerate(value):
                    errors += schema_errors(item, rule, f"{where}[{i}]")
        elif key == "required":
            if isinstance(value, dict):
                errors += [f"{where}: missing {name}" for name in rule if name not in value]
        elif key in ("properties", "patternProperties", "additionalProperties", "propertyNames"):
            if isinstance(value, dict) and key == "properties":
                errors += _object_errors(value, schema, where)
            elif key != "properties" and "properties" not in schema and isinstance(value, dict):
                errors += _object_errors(value, schema, where)
        elif key == "anyOf":
            if all(schema_errors(value, option, where) for option in rule):
                errors.append(f"{where}: matches none of the anyOf options")
        else:
            raise AssertionError(f"keyword {key!r} is not understood by this test's validator")
    return errors


def _object_errors(value: dict, schema: dict, where: str) -> list[str]:
    """properties, patternProperties, additionalProperties and propertyNames together."""
    errors: list[str] = []
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if "propertyNames" in schema:
            errors += schema_errors(name, schema["propertyNames"], f"{where} key {name!r}")
        matched = False
        if name in properties:
            matched = True
            errors += schema_errors(item, properties[name], f"{where}.{name}")
        for pattern, sub in patterns.items():
            if re.search(pattern, name):
                matched = True
                errors += schema_errors(item, sub, f"{where}.{name}")
        if not matched:
            if extra is False:
                errors.append(f"{where}: unexpected key {name!r}")
            elif isinstance(extra, dict):
                errors += schema_errors(item, extra, f"{where}.{name}")
    return errors


def as_json(value: Any) -> Any:
    """YAML data as the JSON an editor validates: dates become ISO strings."""
    if isinstance(value, dict):
        return {str(k): as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def yaml_json(path: Path) -> Any:
    """A YAML file's data in JSON form."""
    return as_json(yaml.safe_load(path.read_text(encoding="utf-8")))


VALID = [MINIMAL, DATA / "sourced" / "cited.yaml", *bundled_scenarios().values()]
# Mistakes that a schema alone can see (unknown ids and cycles need the whole scenario).
SCHEMA_INVALID = ["wrong-type", "probability-above-one", "two-letter-code", "three-mistakes"]


def walk(node: Any):
    """Every mapping inside a JSON document."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_committed_schema_equals_the_schema_command_output():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert result.stdout == COMMITTED.read_text(encoding="utf-8"), (
        "schema/scenario.schema.json is stale: run "
        "`nato-sim schema --output schema/scenario.schema.json`"
    )
    assert schema_text() == result.stdout
    assert json.loads(result.stdout) == scenario_json_schema()


def test_schema_command_writes_the_file(tmp_path):
    target = tmp_path / "out.schema.json"
    result = CliRunner().invoke(app, ["schema", "--output", str(target)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == COMMITTED.read_text(encoding="utf-8")
    assert result.stderr == f"wrote {target}\n"


def test_schema_is_draft_07_with_definitions():
    assert SCHEMA["$schema"] == DRAFT_07 == "http://json-schema.org/draft-07/schema#"
    assert SCHEMA["definitions"]
    assert all("$defs" not in node for node in walk(SCHEMA))


def test_every_ref_points_at_an_existing_definition():
    refs = [node["$ref"] for node in walk(SCHEMA) if "$ref" in node]
    assert refs
    for ref in refs:
        assert ref.startswith("#/definitions/"), ref
        assert ref.removeprefix("#/definitions/") in SCHEMA["definitions"], ref


def test_schema_top_level_matches_the_model():
    assert set(SCHEMA["properties"]) == set(Scenario.model_fields)
    assert set(SCHEMA["required"]) == {"title", "description", "members", "candidates", "decision"}
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_scenarios_validate_against_the_schema(path):
    assert schema_errors(yaml_json(path), SCHEMA) == []


@pytest.mark.parametrize("name", SCHEMA_INVALID)
def test_invalid_scenarios_are_rejected_by_the_schema(name):
    assert schema_errors(yaml_json(DATA / "invalid" / f"{name}.yaml"), SCHEMA) != []


def test_schema_accepts_the_shorthands_the_loader_accepts():
    data = yaml_json(MINIMAL)
    data["objections"][0].update(members="TUR", candidates="all", source="x.y")
    data["objections"][1].update(members={"tag": "eu"}, candidates=["beta"], source=["x.z"])
    data["objections"][0]["lift"] = {"uniform": [0.1, 0.3]}
    data["objections"][0]["until"] = [{"withdrawn": "beta"}, {"round": 3}]
    assert schema_errors(data, SCHEMA) == []
    data["objections"][0]["until"] = [{"after": 3}]
    data["objections"][0]["chance"] = 1.5
    assert sorted(schema_errors(data, SCHEMA)) == [
        "$.objections[0].chance: matches none of the anyOf options",
        "$.objections[0].until[0]: matches none of the anyOf options",
    ]


def test_the_jsonschema_package_agrees_when_installed():
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for path in VALID:
        assert list(validator.iter_errors(yaml_json(path))) == [], path
    for name in SCHEMA_INVALID:
        assert list(validator.iter_errors(yaml_json(DATA / "invalid" / f"{name}.yaml")))


SCENARIO_FILES = sorted((ROOT / "scenarios").rglob("*.yaml"))


def test_the_source_checkout_has_scenarios():
    assert any(path.name == "nato-2024.yaml" for path in SCENARIO_FILES)


@pytest.mark.parametrize(
    "path", SCENARIO_FILES, ids=lambda p: p.relative_to(ROOT / "scenarios").as_posix()
)
def test_bundled_scenario_starts_with_a_modeline_to_the_committed_schema(path):
    first = path.read_text(encoding="utf-8").splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, f"first line is {first!r}"
    target = match.group(1)
    assert not Path(target).is_absolute() and "://" not in target
    assert (path.parent / target).resolve() == COMMITTED.resolve()


def scenario_problems(text: str) -> list[str]:
    """The problems validating a scenario text raises."""
    with pytest.raises(ScenarioError) as err:
        validate(parse_yaml(text, "t.yaml"), [], None)
    return [str(p) for p in err.value.problems]


BASE = MINIMAL.read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    """The minimal scenario with one piece of text replaced."""
    assert BASE.count(old) == 1
    return BASE.replace(old, new)


def test_a_deadline_gives_the_number_of_rounds():
    text = edited("  rounds: 10\n", "  deadline: 2024-03-01\n")
    # 60 days from the start at 14 days a round: rounds start on days 0, 14, ..., 56.
    assert validate(parse_yaml(text, "t.yaml"), [], None).decision.round_count == 5


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (
            "  rounds: 10\n",
            "  rounds: 10\n  deadline: 2024-06-01\n",
            "t.yaml:20:3: decision: give exactly one of 'rounds' or 'deadline'",
        ),
        (
            "  rounds: 10\n  calendar: {start: 2024-01-01, round_days: 14}\n",
            "  deadline: 2024-06-01\n",
            (
                "t.yaml:20:3: decision: a 'deadline' needs a 'calendar' "
                "(start and round_days, or meetings)",
                # Reported in the same pass: the milestone's date has no calendar either.
                "t.yaml:23:26: milestones[0].date: a milestone date needs decision.calendar "
                "(or give a 'round')",
            ),
        ),
        (
            "  rounds: 10\n",
            "  deadline: 2023-06-01\n",
            "t.yaml:20:3: decision: deadline 2023-06-01 is before the calendar's first round "
            "2024-01-01",
        ),
        (
            "lift: 0.3",
            "lift: {uniform: [0.5, 0.2]}",
            "t.yaml:17:60: objections[0].lift: uniform bounds must be [lo, hi] with lo <= hi, "
            "got [0.5, 0.2]",
        ),
        (
            "lift: 0.3",
            "lift: {uniform: [0.5, 1.2]}",
            "t.yaml:17:60: objections[0].lift: expected a probability in [0, 1], got 1.2",
        ),
        (
            "lift: 0.3",
            "lift: {beta: [0, 2]}",
            "t.yaml:17:68: objections[0].lift.beta[0]: expected a number > 0, got int 0",
        ),
        (
            "lift: 0.3",
            "lift: {normal: [0, 2]}",
            "t.yaml:17:60: objections[0].lift: expected a number, {uniform: [lo, hi]} or "
            "{beta: [a, b]}, got a mapping with keys ['normal']",
        ),
        (
            "lift: 0.3",
            "lift: 0.3, until: [{after: 3}]",
            "t.yaml:17:73: objections[0].until[0]: expected one of {withdrawn: candidate}, "
            "{lifted: rule-id} or {round: N}, got {'after': 3}",
        ),
        (
            "lift: 0.3",
            "lift: 0.3, until: [{round: 1}]",
            "t.yaml:17:81: objections[0].until[0].round: expected a number >= 2, got int 1",
        ),
        (
            "lift: 0.3",
            "lfit: 0.3",
            "t.yaml:17:60: objections[0].lfit: unknown key 'lfit' (did you mean 'lift'?)",
        ),
        (
            "date: 2024-03-01}",
            "date: 2024-03-01, round: 3}",
            "t.yaml:24:5: milestones[0]: give exactly one of 'date' or 'round'",
        ),
        (
            "id: USA",
            "id: usa",
            "t.yaml:5:10: members[0].id: expected an ISO 3166-1 alpha-3 code such as 'NOR', "
            "got 'usa'",
        ),
        (
            "weight: 3",
            "weight: 0",
            "t.yaml:5:44: members[0].weight: expected a number > 0, got 0.0",
        ),
        (
            "dynamics: {bandwagon: 0}",
            "dynamics: {bandwagon: -1}",
            "t.yaml:22:23: dynamics.bandwagon: expected a number >= 0, got -1.0",
        ),
        (
            "withdraw: 0.1",
            "withdraw: -.inf",
            "t.yaml:10:52: candidates[1].withdraw: expected a finite number, got -inf",
        ),
    ],
)
def test_field_rules_give_located_messages(old, new, problem):
    expected = [problem] if isinstance(problem, str) else list(problem)
    assert scenario_problems(edited(old, new)) == expected


BIG = "1000000000000000000000000000000"  # 10^30: past any machine integer
LIMITS = "(see 'Limits' in docs/format.md)"


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (
            "lift: 0.3",
            f"lift: 0.3, after: {BIG}",
            f"t.yaml:17:72: objections[0].after: expected a number <= 1000, got int {BIG}",
        ),
        (
            "id: alpha, name: Alpha, country: NLD",
            f"id: alpha, name: Alpha, country: NLD, enters: {BIG}",
            f"t.yaml:9:52: candidates[0].enters: expected a number <= 1000, got int {BIG}",
        ),
        (
            "  rounds: 10\n",
            f"  rounds: {BIG}\n",
            f"t.yaml:20:11: decision.rounds: expected a number <= 1000, got int {BIG}",
        ),
        (
            "round_days: 14",
            f"round_days: {BIG}",
            f"t.yaml:21:45: decision.calendar.round_days: expected a number <= 366, got int {BIG}",
        ),
        (
            "lift: 0.3",
            "lift: 0.3, until: [{round: 1001}]",
            "t.yaml:17:81: objections[0].until[0].round: expected a number <= 1000, got int 1001",
        ),
        (
            "date: 2024-03-01}",
            "round: 1001}",
            "t.yaml:24:27: milestones[0].round: expected a number <= 1000, got int 1001",
        ),
        (
            "start: 2024-01-01",
            "start: 9999-12-01",
            "t.yaml:20:3: decision: the calendar runs past 9999-12-31, the last date there is: "
            "round 10 would start 126 days after 9999-12-01",
        ),
    ],
)
def test_round_numbers_and_dates_stay_within_what_can_be_computed(old, new, problem):
    assert scenario_problems(edited(old, new)) == [problem]


def test_the_calendar_may_end_on_the_last_date_there_is():
    start = dt.date.max - dt.timedelta(days=9 * 14)  # ten rounds of 14 days
    text = edited("start: 2024-01-01", f"start: {start}").replace(
        "date: 2024-03-01", "date: 9999-12-31"
    )
    assert validate(parse_yaml(text, "t.yaml"), [], None).decision.round_count == 10
    later = text.replace(f"start: {start}", f"start: {start + dt.timedelta(days=1)}")
    assert scenario_problems(later) == [
        "t.yaml:20:3: decision: the calendar runs past 9999-12-31, the last date there is: "
        "round 10 would start 126 days after 9999-08-28"
    ]


@pytest.mark.parametrize(
    "old, new, problem",
    [
        # Every weight 1e308: their sum is infinite and every share NaN.
        ("weight: 3", "weight: 1.0e+308", "expected a number <= 1e+15, got 1e+308"),
        ("weight: 3", "weight: {uniform: [1, 1.0e+16]}", "expected a number <= 1e+15, got 1e+16"),
        # Beta(0.01, 1) draws 0 about once in 2,000: a lone member's weight, and the sum.
        (
            "weight: 3",
            "weight: {beta: [0.01, 1]}",
            "expected {beta: [a, b]} with a >= 1 for a weight, got a = 0.01 (a smaller a draws "
            "weights of exactly 0)",
        ),
    ],
)
def test_weights_are_bounded_so_that_their_sum_is_finite_and_not_zero(old, new, problem):
    assert scenario_problems(edited(old, new)) == [f"t.yaml:5:44: members[0].weight: {problem}"]


@pytest.mark.parametrize(
    "new, problem",
    [
        (
            "lift: {beta: [1.0e+308, 1]}",
            "t.yaml:17:68: objections[0].lift.beta[0]: expected a number <= 1000000.0, "
            "got float 1e+308",
        ),
        (
            "lift: {beta: [4.9e-324, 1]}",
            "t.yaml:17:68: objections[0].lift.beta[0]: expected a number >= 1e-300, got 5e-324",
        ),
        (
            "lift: {beta: [2, 1.0000000000000002]}",
            "t.yaml:17:71: objections[0].lift.beta[1]: expected exactly 1 or at least "
            "1.000000001, got 1.0000000000000002 (write 1)",
        ),
        (
            "lift: {beta: [1.0000000005, 2]}",
            "t.yaml:17:68: objections[0].lift.beta[0]: expected exactly 1 or at least "
            "1.000000001, got 1.0000000005 (write 1)",
        ),
    ],
)
def test_beta_shapes_are_those_the_sampler_draws(new, problem):
    assert scenario_problems(edited("lift: 0.3", new)) == [problem]


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (
            "title: Minimal test scenario",
            'title: "Minimal \\e[2J"',
            "t.yaml:2:8: title: expected one line of plain text, got 'Minimal \\x1b[2J' "
            "(U+001B is a control character)",
        ),
        (
            "description: Three members, two candidates, a soft objection and a hard veto.",
            'description: "Three members,\\ntwo candidates"',
            "t.yaml:3:14: description: expected one line of plain text, got 'Three "
            "members,\\ntwo candidates' (U+000A is a line break)",
        ),
        (
            "name: Türkiye",
            'name: "T\\u202Erkiye"',
            "t.yaml:6:21: members[1].name: expected one line of plain text, got 'T\\u202erkiye' "
            "(U+202E is a control that reorders text on screen)",
        ),
        (
            "name: Alpha,",
            'name: "\\x9b31mAlpha",',
            "t.yaml:9:23: candidates[0].name: expected one line of plain text, got "
            "'\\x9b31mAlpha' (U+009B is a control character)",
        ),
        (
            "dynamics: {bandwagon: 0}",
            'dynamics: {bandwagon: 0}\nnotes: "a\\tb\\nc\\ad"',
            "t.yaml:23:8: notes: expected plain text (tabs and line breaks allowed), got "
            "'a\\tb\\nc\\x07d' (U+0007 is a control character)",
        ),
    ],
)
def test_text_that_would_drive_a_terminal_is_refused(old, new, problem):
    assert scenario_problems(edited(old, new)) == [problem]


def test_notes_may_hold_tabs_and_line_breaks():
    text = edited("dynamics: {bandwagon: 0}", 'dynamics: {bandwagon: 0}\nnotes: "a\\tb\\nc"')
    assert validate(parse_yaml(text, "t.yaml"), [], None).notes == "a\tb\nc"


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (
            "tags: [eu]",
            "tags: [" + ", ".join(f"t{i}" for i in range(21)) + "]",
            "t.yaml:7:36: members[2].tags: expected at most 20 items, got 21",
        ),
        (
            "lift: 0.3",
            "lift: 0.3, until: [" + ", ".join(["{round: 3}"] * 11) + "]",
            "t.yaml:17:72: objections[0].until: expected at most 10 items, got 11",
        ),
        (
            "  - {name: summit, date: 2024-03-01}\n",
            "".join(f"  - {{name: m{i}, round: 1}}\n" for i in range(101)),
            "t.yaml:24:3: milestones: expected at most 100 items, got 101",
        ),
    ],
)
def test_lists_the_engine_loops_over_are_limited(old, new, problem):
    assert scenario_problems(edited(old, new)) == [f"{problem} {LIMITS}"]


def test_the_schema_shows_the_bounds():
    definitions = SCHEMA["definitions"]
    assert definitions["Objection"]["properties"]["after"]["maximum"] == 1000
    assert definitions["Calendar"]["properties"]["round_days"]["anyOf"][0]["maximum"] == 366
    assert SCHEMA["properties"]["members"]["maxItems"] == 100
    assert SCHEMA["properties"]["candidates"]["maxItems"] == 50
    assert SCHEMA["properties"]["objections"]["maxItems"] == 200
    weight = definitions["Member"]["properties"]["weight"]["anyOf"]
    assert weight[0] == {"type": "number", "exclusiveMinimum": 0, "maximum": 1e15}
    beta = weight[2]["properties"]["beta"]["items"]
    assert (beta["minimum"], beta["maximum"]) == (1e-300, 1e6)
    title = SCHEMA["properties"]["title"]
    assert not re.search(title["pattern"], "a\x1b[2J") and re.search(title["pattern"], "Été")


def test_reserved_outcome_names_cannot_be_candidate_ids():
    text = (
        BASE.replace("id: beta,", "id: extension,")
        .replace("candidates: beta}", "candidates: extension}")
        .replace("    beta: {default: 0.7}\n", "")
    )
    assert scenario_problems(text) == [
        "t.yaml:10:5: candidates[1]: candidate id 'extension' is reserved"
    ]


def test_a_probability_accepts_every_value_in_the_closed_interval():
    for value in ("0", "1", "0.0", "1.0", "1.0e-300"):
        scenario = validate(parse_yaml(edited("lift: 0.3", f"lift: {value}"), "t.yaml"), [], None)
        assert scenario.objections[0].lift == float(value)
        assert isinstance(scenario.objections[0].lift, float)
