"""Tests for `--set path=value` overrides (nato_sim.scenario.overrides), via loader and CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nato_sim.cli import app
from nato_sim.errors import ScenarioError, UsageError
from nato_sim.scenario.loader import load
from nato_sim.scenario.overrides import apply_overrides, parse_override
from nato_sim.scenario.schema import LiftedCondition, RoundCondition, Uniform

MINIMAL = str(Path(__file__).parent / "data" / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


def usage_message(*overrides: str) -> str:
    """The message of the UsageError that loading with `overrides` raises."""
    with pytest.raises(UsageError) as err:
        load(MINIMAL, overrides)
    return str(err.value)


def scenario_problems(*overrides: str) -> list[str]:
    """The problems of the ScenarioError that loading with `overrides` raises."""
    with pytest.raises(ScenarioError) as err:
        load(MINIMAL, overrides)
    return [str(p) for p in err.value.problems]


def test_an_entry_is_named_by_its_id():
    scenario = load(MINIMAL, ["objections.tur-alpha.lift=0.6"])
    assert scenario.objections[0].lift == 0.6
    assert scenario.objections[1].lift == 0.0
    assert scenario.overrides == ("objections.tur-alpha.lift=0.6",)


def test_an_entry_is_named_by_its_zero_based_position():
    scenario = load(MINIMAL, ["objections.1.lift=0.2", "candidates.0.withdraw=0.05"])
    assert scenario.objections[1].lift == 0.2
    assert scenario.candidates[0].withdraw == 0.05
    assert scenario.candidates[1].withdraw == 0.1


def test_members_are_named_by_their_code():
    assert load(MINIMAL, ["members.DEU.weight=2.5"]).members[2].weight == 2.5


def test_nested_mapping_keys_are_created_when_absent():
    # minimal.yaml gives alpha only a default; the members mapping does not exist yet.
    scenario = load(MINIMAL, ["support.candidates.alpha.members.USA=0.9"])
    alpha = scenario.support.candidates["alpha"]
    assert alpha.members == {"USA": 0.9}
    assert alpha.default == 0.8


def test_a_value_can_be_a_distribution():
    scenario = load(
        MINIMAL,
        ["objections.tur-alpha.lift={uniform: [0.1, 0.3]}", "dynamics.bandwagon={beta: [2, 5]}"],
    )
    assert scenario.objections[0].lift == Uniform(uniform=[0.1, 0.3])
    assert scenario.dynamics.bandwagon.beta == [2.0, 5.0]


def test_a_value_can_be_a_list_or_a_mapping():
    scenario = load(
        MINIMAL,
        [
            "objections.deu-beta.members=[DEU, USA]",
            "objections.tur-alpha.until=[{lifted: deu-beta}, {round: 4}]",
        ],
    )
    assert scenario.objections[1].members == ["DEU", "USA"]
    assert scenario.objections[0].until == [
        LiftedCondition(lifted="deu-beta"),
        RoundCondition(round=4),
    ]


def test_a_field_inside_a_condition_can_be_set():
    scenario = load(
        MINIMAL, ["objections.tur-alpha.until=[{round: 3}]", "objections.tur-alpha.until.0.round=5"]
    )
    assert scenario.objections[0].until == [RoundCondition(round=5)]


def test_later_overrides_win_and_the_file_is_untouched():
    before = Path(MINIMAL).read_bytes()
    scenario = load(MINIMAL, ["decision.rounds=4", "decision.rounds=6"])
    assert scenario.decision.rounds == 6
    assert Path(MINIMAL).read_bytes() == before


def test_apply_overrides_copies_and_says_where_each_override_went():
    data = {"decision": {"rounds": 3}, "objections": [{"id": "x", "members": "all"}]}
    original = copy.deepcopy(data)
    new, where = apply_overrides(
        data, [parse_override("objections.x.lift=0.5"), parse_override("decision.rounds=7")]
    )
    assert data == original
    assert new == {
        "decision": {"rounds": 7},
        "objections": [{"id": "x", "members": "all", "lift": 0.5}],
    }
    assert where == {
        ("objections", 0, "lift"): "objections.x.lift=0.5",
        ("decision", "rounds"): "decision.rounds=7",
    }


def test_a_path_naming_no_field_suggests_the_closest():
    assert usage_message("decision.min_suport=0.6") == (
        "--set 'decision.min_suport=0.6': 'decision.min_suport' names no field (expected one "
        "of: rule, min_support, rounds, deadline, calendar, on_deadline, extend_chance, "
        "early_extension, "
        "source); did you mean 'min_support'?"
    )


def test_an_unknown_entry_id_suggests_the_closest():
    assert usage_message("objections.tur-alpah.lift=0.6") == (
        "--set 'objections.tur-alpah.lift=0.6': no entry 'objections.tur-alpah' (entries are "
        "named by id or 0-based position); did you mean 'tur-alpha'?"
    )


def test_a_position_past_the_end_names_no_entry():
    assert usage_message("objections.7.lift=0.1") == (
        "--set 'objections.7.lift=0.1': no entry 'objections.7' (entries are named by id or "
        "0-based position)"
    )


def test_a_value_has_no_fields():
    assert usage_message("decision.rounds.x=1") == (
        "--set 'decision.rounds.x=1': 'decision.rounds' is a value, it has no field 'x'"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("decision.min_support", "expected PATH=VALUE, e.g. decision.min_support=0.6"),
        ("=0.5", "expected PATH=VALUE, e.g. decision.min_support=0.6"),
        ("decision..rounds=3", "expected PATH=VALUE, e.g. decision.min_support=0.6"),
        ("decision.min_support=", "no value given"),
        ("decision.min_support=  ", "no value given"),
    ],
)
def test_malformed_overrides_are_usage_errors(text, message):
    with pytest.raises(UsageError) as err:
        parse_override(text)
    assert str(err.value) == f"--set {text!r}: {message}"


def test_a_value_that_is_not_yaml_is_a_usage_error():
    with pytest.raises(UsageError) as err:
        parse_override("decision.min_support=[")
    assert str(err.value).startswith(
        "--set 'decision.min_support=[': the value is not valid YAML ("
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "notes=[&a x, *a]",
            "the value: anchors and aliases are not allowed (found &a); anchors and aliases "
            "are not allowed (found *a)",
        ),
        ("title=!!binary xyz", "the value: unsupported YAML tag '!!binary'"),
        (
            "title=!!python/object:os.system echo",
            "the value: unsupported YAML tag '!!python/object:os.system'",
        ),
        ("title=!!timestamp garbage", "the value: cannot read 'garbage' as a date"),
        (
            "decision.rounds=1:30",
            "the value: YAML 1.1 reads 1:30 as the base-60 number 90; quote it ('1:30') if it "
            "is text, or write the number itself",
        ),
        ("title=a\x1bb", "the value: the character U+001B is not allowed in YAML"),
        ("decision.min_support={a: 1, a: 2}", "the value: duplicate key 'a' (first at line 1)"),
    ],
)
def test_values_follow_the_rules_of_scenario_files(text, message):
    with pytest.raises(UsageError) as err:
        parse_override(text)
    assert str(err.value) == f"--set {text!r}: {message}"


@pytest.mark.parametrize("value", ["!!binary xyz", "!!timestamp garbage", "[&a x, *a]", "1:30"])
def test_cli_a_value_that_cannot_be_read_is_a_usage_error_with_exit_2(value):
    result = CliRunner().invoke(app, ["validate", MINIMAL, "--set", f"title={value}"], env=ENV)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --set 'title={value}': the value: ")
    assert "Traceback" not in result.output


def test_an_override_changes_neither_the_data_nor_an_earlier_override():
    data = {"dynamics": {"bandwagon": 1.0}, "members": [{"id": "USA", "tags": ["g7"]}]}
    original = copy.deepcopy(data)
    first = parse_override("decision={rounds: 4}")
    new, _ = apply_overrides(
        data, [first, parse_override("decision.rounds=9"), parse_override("members.USA.tags=[]")]
    )
    assert data == original
    assert first.value == {"rounds": 4}
    assert new["decision"] == {"rounds": 9} and new["members"] == [{"id": "USA", "tags": []}]
    assert new["dynamics"] is data["dynamics"]  # what no override touches is not copied


def test_an_invalid_value_is_located_at_the_override_not_the_file():
    assert scenario_problems("objections.tur-alpha.lift=1.6") == [
        "--set objections.tur-alpha.lift=1.6: objections[0].lift: "
        "expected a probability in [0, 1], got 1.6"
    ]


def test_a_yaml_boolean_from_an_override_is_a_wrong_type():
    assert scenario_problems("candidates.alpha.withdraw=yes") == [
        "--set candidates.alpha.withdraw=yes: candidates[0].withdraw: expected a number, "
        "{uniform: [lo, hi]} or {beta: [a, b]}, got bool True"
    ]


def test_a_bad_distribution_from_an_override_is_located_at_it():
    assert scenario_problems("objections.tur-alpha.lift={uniform: [0.3, 0.1]}") == [
        "--set objections.tur-alpha.lift={uniform: [0.3, 0.1]}: objections[0].lift: "
        "uniform bounds must be [lo, hi] with lo <= hi, got [0.3, 0.1]"
    ]


def test_an_unknown_reference_from_an_override_is_located_at_it():
    assert scenario_problems("objections.tur-alpha.members=TUX") == [
        "--set objections.tur-alpha.members=TUX: objections[0].members: "
        "unknown member 'TUX' (did you mean 'TUR'?)"
    ]


def test_an_entry_created_by_an_override_is_located_at_it():
    assert scenario_problems("support.candidates.gamma.default=0.6") == [
        "--set support.candidates.gamma.default=0.6: support.candidates.gamma: "
        "unknown candidate 'gamma' (expected one of: alpha, beta)"
    ]


def test_the_file_keeps_its_own_problems_beside_the_overrides(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(
        Path(MINIMAL).read_text(encoding="utf-8").replace("weight: 3", "weight: -3"),
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load(str(path), ["objections.tur-alpha.lift=7"])
    assert [str(p) for p in err.value.problems] == [
        f"{path}:5:44: members[0].weight: expected a number > 0, got -3.0",
        "--set objections.tur-alpha.lift=7: objections[0].lift: "
        "expected a probability in [0, 1], got 7.0",
    ]


def test_cli_bad_path_is_a_usage_error_with_exit_2():
    result = CliRunner().invoke(app, ["validate", MINIMAL, "--set", "decision.roudns=3"], env=ENV)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --set 'decision.roudns=3': 'decision.roudns' names no field (expected one of: "
        "rule, min_support, rounds, deadline, calendar, on_deadline, extend_chance, "
        "early_extension, source); "
        "did you mean 'rounds'?\n"
    )
    assert "Traceback" not in result.output


def test_cli_invalid_override_value_is_an_invalid_scenario_with_exit_3():
    result = CliRunner().invoke(
        app, ["run", MINIMAL, "-n", "10", "--seed", "1", "--set", "objections.0.lift=1.6"], env=ENV
    )
    assert result.exit_code == 3
    assert result.stderr == (
        "error: 1 problem found:\n  --set objections.0.lift=1.6: objections[0].lift: "
        "expected a probability in [0, 1], got 1.6\n"
    )
    assert result.stdout == ""


def test_cli_override_is_applied_and_recorded():
    result = CliRunner().invoke(
        app,
        [
            "run",
            MINIMAL,
            "-n",
            "200",
            "--seed",
            "5",
            "-f",
            "json",
            "--set",
            "objections.deu-beta.chance=0",
            "--set",
            "support.candidates.alpha.default=0.1",
        ],
        env=ENV,
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["provenance"]["overrides"] == [
        "objections.deu-beta.chance=0",
        "support.candidates.alpha.default=0.1",
    ]
    # Alpha's backing falls below min_support and beta is no longer vetoed: beta always wins.
    beta = next(o for o in doc["outcomes"] if o["outcome"] == "beta")
    assert beta["count"] == 200


# Alternatives of the format: setting one side replaces the other.


def test_rounds_replace_a_deadline_and_a_deadline_replaces_rounds():
    bundled = load("nato-2024", ["decision.rounds=20"])
    assert (bundled.decision.rounds, bundled.decision.deadline) == (20, None)
    assert bundled.decision.round_count == 20
    dated = load(MINIMAL, ["decision.deadline=2024-06-01"])
    assert dated.decision.rounds is None
    assert dated.decision.round_count == 11  # 2024-01-01 and every 14 days to 27 May


def test_calendar_meetings_replace_start_and_round_days_and_back():
    met = load(
        MINIMAL,
        [
            "decision.calendar.meetings=[{date: 2024-02-01}, {date: 2024-03-01}]",
            "decision.rounds=2",
        ],
    )
    calendar = met.decision.calendar
    assert calendar is not None
    assert (calendar.start, calendar.round_days, len(calendar.meetings or [])) == (None, None, 2)
    spaced = load(
        "history/nato-2009",
        ["decision.calendar.start=2009-03-25", "decision.calendar.round_days=7"],
    )
    assert spaced.decision.calendar is not None
    assert spaced.decision.calendar.meetings is None
    assert spaced.decision.calendar.round_days == 7


def test_half_of_an_alternative_is_reported_at_the_override():
    with pytest.raises(ScenarioError) as err:
        load("history/nato-2009", ["decision.calendar.start=2009-03-25"])
    assert [str(p) for p in err.value.problems] == [
        "--set decision.calendar.start=2009-03-25: decision.calendar: "
        "give 'start' and 'round_days', or 'meetings'"
    ]
    clash = scenario_problems(
        "decision.calendar.meetings=[{date: 2024-02-01}]", "decision.calendar.start=2024-01-01"
    )
    assert clash == [
        "--set decision.calendar.start=2024-01-01: decision.calendar: "
        "give 'meetings' or 'start' and 'round_days', not both"
    ]


def test_both_sides_set_by_overrides_are_kept_and_the_clash_reported_at_the_last():
    problems = scenario_problems("decision.rounds=5", "decision.deadline=2024-03-01")
    assert problems == [
        "--set decision.deadline=2024-03-01: decision: give exactly one of 'rounds' or 'deadline'"
    ]


def test_a_milestone_round_replaces_its_date():
    scenario = load(MINIMAL, ["milestones.0.round=3"])
    assert (scenario.milestones[0].round, scenario.milestones[0].date) == (3, None)


def test_a_selector_without_replaces_its_tag():
    scenario = load(
        MINIMAL, ["objections.deu-beta.members={tag: eu}", "objections.deu-beta.members.without=eu"]
    )
    selector = scenario.objections[1].members
    assert (selector.tag, selector.without) == (None, "eu")


def test_switching_leaves_the_data_given_untouched():
    data = {"decision": {"deadline": "2024-10-01", "calendar": {"start": "2024-01-01"}}}
    before = copy.deepcopy(data)
    changed, where = apply_overrides(data, [parse_override("decision.rounds=4")])
    assert changed["decision"] == {"calendar": {"start": "2024-01-01"}, "rounds": 4}
    assert data == before
    assert where == {("decision", "rounds"): "decision.rounds=4"}


def test_cli_rounds_replace_the_deadline_of_a_bundled_scenario():
    result = CliRunner().invoke(
        app, ["validate", "history/nato-2009", "--set", "decision.rounds=20"], env=ENV
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok      history/nato-2009: ")


def test_problems_in_a_bundled_file_name_the_scenario_not_its_path():
    with pytest.raises(ScenarioError) as err:
        load("history/nato-2009", ["candidates.rasmussen.id=someone"])
    files = {p.file for p in err.value.problems}
    assert files == {"history/nato-2009"}, files
    assert all(p.line is not None for p in err.value.problems)
