"""Tests for nato_sim.scenario.yamlsource: safe YAML with positions and readable problems."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, ValidationError

from nato_sim.errors import ScenarioError
from nato_sim.scenario.schema import Scenario
from nato_sim.scenario.yamlsource import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_VALUES,
    TRACKED_DEPTH,
    ParsedYaml,
    parse_value,
    parse_yaml,
    problems_from_validation,
)

SCENARIO = """\
title: Test
description: A small scenario
members:
  - {id: NOR, name: Norway}
  - {id: NLD, name: Netherlands}
candidates:
  - id: rutte
    name: Mark Rutte
    country: NLD
decision:
  rounds: 10
objections:
  - members: NOR
    candidates: rutte
    lift: 0.2
  - members: [NOR]
    candidates: all
    lift: 0.3
"""


def parse_problems(text: bytes | str) -> list[str]:
    """The formatted problems parse_yaml raises for `text`."""
    with pytest.raises(ScenarioError) as err:
        parse_yaml(text, "bad.yaml")
    return [str(p) for p in err.value.problems]


def validation_problems(text: str, model: type[BaseModel] = Scenario) -> list[str]:
    """The formatted problems of validating `text` against `model`."""
    doc = parse_yaml(text, "bad.yaml")
    with pytest.raises(ValidationError) as err:
        model.model_validate(doc.data)
    return [str(p) for p in problems_from_validation(err.value, doc, model)]


def edited(old: str, new: str) -> str:
    """SCENARIO with one piece of text replaced."""
    assert SCENARIO.count(old) == 1
    return SCENARIO.replace(old, new)


# --- parsing -------------------------------------------------------------------------------


def test_valid_scenario_parses_with_positions() -> None:
    doc = parse_yaml(SCENARIO.encode(), "ok.yaml")
    assert Scenario.model_validate(doc.data).title == "Test"
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("members", 1, "name")] == (5, 21)
    assert doc.positions[("objections", 1, "lift")] == (18, 11)
    assert doc.key_positions[("objections", 1, "lift")] == (18, 5)
    assert doc.location(("objections", 1, "lift")) == (18, 11)
    assert doc.location(("objections", 1, "nope", 3)) == (16, 5)
    assert doc.location(("nope",)) == (1, 1)
    assert ParsedYaml("x", None).location(("a",)) == (None, None)


def test_scalars_use_safe_loader_types_and_keys_stay_text() -> None:
    doc = parse_yaml(
        "d: 2024-06-26\nt: 2024-06-26 10:00:00\nn: ~\ni: 0x10\nf: 1.5\nb: on\ns: '1'\n"
        "e: =\nNO: 1\n1: x\ninf: .inf\n",
        "ok.yaml",
    )
    assert doc.data == {
        "d": dt.date(2024, 6, 26),
        "t": dt.datetime(2024, 6, 26, 10),
        "n": None,
        "i": 16,
        "f": 1.5,
        "b": True,
        "s": "1",
        "e": "=",
        "NO": 1,
        "1": "x",
        "inf": float("inf"),
    }
    assert doc.booleans == {("b",): "on"}


def test_utf8_bom_is_accepted() -> None:
    assert parse_yaml(b"\xef\xbb\xbftitle: caf\xc3\xa9\n", "ok.yaml").data == {"title": "café"}


# Syntax errors are worded by libyaml, or by PyYAML where it is built without libyaml.
LIBYAML = yaml.__with_libyaml__


def test_syntax_error() -> None:
    words = "in this context" if LIBYAML else "here"
    assert parse_problems("title: x\nname: a: b\n") == [
        f"bad.yaml:2:8: YAML syntax error: mapping values are not allowed {words}"
    ]


def test_syntax_error_with_context() -> None:
    words = (
        "did not find expected ',' or ']'"
        if LIBYAML
        else "expected ',' or ']', but got '<stream end>'"
    )
    assert parse_problems("a: 1\nb: [1, 2\n") == [
        f"bad.yaml:3:1: YAML syntax error: {words} (while parsing a flow sequence at line 2)"
    ]


def test_two_documents() -> None:
    assert parse_problems("a: 1\n---\nb: 2\n") == [
        "bad.yaml:2:1: YAML syntax error: expected a single document in the stream, "
        "but found another document"
    ]


@pytest.mark.parametrize("text", [b"", "", "\n\n", "# only\n  # comments\n", "---\n"])
def test_empty_file(text: bytes | str) -> None:
    assert parse_problems(text) == ["bad.yaml: the file is empty"]


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("- a\n- b\n", "a list"),
        ("hello\n", "str 'hello'"),
        ("42\n", "int 42"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, got: str) -> None:
    assert parse_problems(text) == [f"bad.yaml:1:1: expected a mapping at the top level, got {got}"]


def test_duplicate_keys_all_reported() -> None:
    text = "title: a\nobjections:\n  - lift: 0.1\n    chance: 1\n    lift: 0.2\ntitle: b\n"
    assert parse_problems(text) == [
        "bad.yaml:5:5: duplicate key 'lift' (first at line 3)",
        "bad.yaml:6:1: duplicate key 'title' (first at line 1)",
    ]


def test_quoted_and_plain_keys_are_the_same_key() -> None:
    assert parse_problems("a: 1\n'a': 2\n") == ["bad.yaml:2:1: duplicate key 'a' (first at line 1)"]


def test_anchor_refused() -> None:
    assert parse_problems("base: &b {lift: 0.1}\nother: 1\n") == [
        "bad.yaml:1:7: anchors and aliases are not allowed (found &b)"
    ]


def test_alias_refused_even_if_undefined() -> None:
    assert parse_problems("a: 1\nb: *nowhere\n") == [
        "bad.yaml:2:4: anchors and aliases are not allowed (found *nowhere)"
    ]


def test_merge_key_refused() -> None:
    assert parse_problems("a: 1\n<<: {b: 2}\n") == ["bad.yaml:2:1: merge keys (<<) are not allowed"]


def test_billion_laughs_is_rejected_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    bomb = "\n".join(lines) + "\n"
    assert len(bomb) < 500
    start = time.perf_counter()
    problems = parse_problems(bomb)
    # Expanded, the bomb would take minutes; refused, milliseconds. A guard, not a speed
    # target (benchmarks/bench.py times the costliest files), so a loaded machine passes.
    assert time.perf_counter() - start < 5.0
    assert problems[0] == "bad.yaml:1:4: anchors and aliases are not allowed (found &a)"
    assert problems[1] == "bad.yaml:2:4: anchors and aliases are not allowed (found &b)"
    assert problems[2] == "bad.yaml:2:8: anchors and aliases are not allowed (found *a)"
    assert len(problems) == 21
    assert problems[-1] == "bad.yaml: 61 more problems not shown"


def test_size_cap() -> None:
    text = b"title: x\n" + b"#" * MAX_BYTES
    assert parse_problems(text) == [
        "bad.yaml: the file is 1000009 bytes; the limit is 1000000 bytes (MAX_BYTES)"
    ]


def test_binary_garbage() -> None:
    garbage = random.Random(4).randbytes(4096) + b"\0"
    assert parse_problems(garbage) == ["bad.yaml: not a text file: it contains NUL bytes"]


def test_invalid_utf8() -> None:
    assert parse_problems(b"title: caf\xe9\n") == [
        "bad.yaml: not a text file: byte 0xe9 at offset 10 is not UTF-8"
    ]


def test_control_character() -> None:
    assert parse_problems("title: x\nnote: a\x07b\n") == [
        "bad.yaml:2:8: not a text file: it contains the character U+0007"
    ]


def test_tags_complex_keys_and_bad_dates() -> None:
    text = "a: !foo 1\nb: !!set {x}\n? [1, 2]\n: 3\nd: 2024-02-30\ne: !!bool maybe\n"
    assert parse_problems(text) == [
        "bad.yaml:1:4: unsupported YAML tag '!foo'",
        "bad.yaml:2:4: unsupported YAML tag '!!set'",
        "bad.yaml:3:3: a key must be a plain value, got a list",
        "bad.yaml:5:4: cannot read '2024-02-30' as a date: day is out of range for month",
        "bad.yaml:6:4: cannot read 'maybe' as a boolean",
    ]


def test_deep_nesting() -> None:
    assert parse_problems("a: " + "[" * 200 + "]" * 200 + "\n") == [
        "bad.yaml:1:103: the file is nested more than 100 levels deep"
    ]


def test_base_60_numbers_are_refused_with_the_reading_yaml_gives_them() -> None:
    text = "rounds: 1:30\nshare: -2:30.5\ntime: '1:30'\nratio: !!int 1:3\n"
    assert parse_problems(text) == [
        "bad.yaml:1:9: rounds: YAML 1.1 reads 1:30 as the base-60 number 90; quote it ('1:30') "
        "if it is text, or write the number itself",
        "bad.yaml:2:8: share: YAML 1.1 reads -2:30.5 as the base-60 number -150.5; quote it "
        "('-2:30.5') if it is text, or write the number itself",
        "bad.yaml:4:8: ratio: YAML 1.1 reads 1:3 as the base-60 number 63; quote it ('1:3') "
        "if it is text, or write the number itself",
    ]


def test_base_60_in_a_scenario_names_the_key() -> None:
    assert parse_problems(edited("rounds: 10", "rounds: 1:30")) == [
        "bad.yaml:11:11: decision.rounds: YAML 1.1 reads 1:30 as the base-60 number 90; "
        "quote it ('1:30') if it is text, or write the number itself"
    ]


def test_numbers_read_as_the_safe_loader_reads_them() -> None:
    text = "a: 017\nb: 0\nc: 10\nd: 1_000\ne: .5\nf: 1.\ng: 0.25\nh: 1e3\ni: 1.0e+3\nj: -3\n"
    doc = parse_yaml(text, "ok.yaml")
    assert doc.data == yaml.safe_load(text)
    assert [type(v) for v in doc.data.values()] == [type(v) for v in yaml.safe_load(text).values()]


def test_keys_with_control_characters_are_refused() -> None:
    assert parse_problems('title: x\n"a\\e[2J": 1\n"b\\u202e": 2\nc d: 3\n') == [
        "bad.yaml:2:1: a key must be plain text, got 'a\\x1b[2J' (U+001B is a control character)",
        "bad.yaml:3:1: a key must be plain text, got 'b\\u202e' (U+202E is a control character)",
    ]


def test_too_many_values() -> None:
    text = "a: [" + "1, " * MAX_VALUES + "]\n"
    assert len(text) < MAX_BYTES
    # The mapping and the list are two values: the list's item MAX_VALUES - 1 is one too many.
    column = 5 + 3 * (MAX_VALUES - 2)
    assert parse_problems(text) == [
        f"bad.yaml:1:{column}: the file holds more than 100,000 values; a scenario within the "
        "format's limits holds far fewer (see 'Limits' in docs/format.md)"
    ]
    assert parse_yaml("a: [" + "1, " * (MAX_VALUES - 2) + "]\n", "ok.yaml").data["a"][-1] == 1


def test_positions_are_kept_to_the_tracked_depth() -> None:
    text = "a: " + "[" * (TRACKED_DEPTH + 3) + "x" + "]" * (TRACKED_DEPTH + 3) + "\n"
    doc = parse_yaml(text, "ok.yaml")
    assert max(len(path) for path in doc.positions) == TRACKED_DEPTH
    deep = ("a",) + (0,) * (TRACKED_DEPTH + 3)
    assert doc.location(deep) == (1, 3 + TRACKED_DEPTH)
    inner = doc.data["a"]
    for _ in range(TRACKED_DEPTH + 2):
        inner = inner[0]
    assert inner == ["x"]


def test_duplicate_keys_are_found_below_the_tracked_depth() -> None:
    text = "a: " + "[" * TRACKED_DEPTH + "{k: 1, k: 2}" + "]" * TRACKED_DEPTH + "\n"
    assert parse_problems(text) == [
        f"bad.yaml:1:{11 + TRACKED_DEPTH}: duplicate key 'k' (first at line 1)"
    ]


def test_problems_past_the_first_are_counted_not_kept() -> None:
    text = "".join(f"k: &a{i} {i}\n" for i in range(30))
    problems = parse_problems(text)
    assert len(problems) == 21
    assert problems[0] == "bad.yaml:1:4: anchors and aliases are not allowed (found &a0)"
    assert problems[19] == "bad.yaml:11:1: duplicate key 'k' (first at line 1)"
    assert problems[20] == "bad.yaml: 39 more problems not shown"


def test_a_file_at_the_size_cap_is_read_in_bounded_time() -> None:
    # The costliest shapes: nested empty lists (one value per two bytes) and small mappings
    # of numbers, each just within MAX_VALUES. How fast is benchmarks/bench.py's to measure;
    # this only guards against a reading whose cost runs away with the file.
    brackets = "notes:\n" + ("  - " + "[" * 90 + "]" * 90 + "\n") * (MAX_VALUES // 91)
    mappings = "notes: [" + "{a: 12, b: [1, 2.5]}, " * (MAX_VALUES // 5 - 1) + "]\n"
    for text in (brackets, mappings):
        assert len(text) < MAX_BYTES
        best = min(_seconds(lambda text=text: parse_yaml(text, "big.yaml")) for _ in range(3))
        assert best < 10.0


def _seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# --- one value, as for --set ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0.6", 0.6),
        ("{uniform: [0, 2]}", {"uniform": [0, 2]}),
        ("[USA, DEU]", ["USA", "DEU"]),
        ("", None),
        ("'1:30'", "1:30"),
        ("2024-01-05", dt.date(2024, 1, 5)),
    ],
)
def test_a_value_reads_as_in_a_file(text: str, value) -> None:
    assert parse_value(text, "the value") == value


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        (
            "[&a x, *a]",
            [
                "the value:1:2: anchors and aliases are not allowed (found &a)",
                "the value:1:8: anchors and aliases are not allowed (found *a)",
            ],
        ),
        ("!!binary aGVsbG8=", ["the value:1:1: unsupported YAML tag '!!binary'"]),
        (
            "!!python/object:os.system x",
            ["the value:1:1: unsupported YAML tag '!!python/object:os.system'"],
        ),
        ("!!timestamp garbage", ["the value:1:1: cannot read 'garbage' as a date"]),
        (
            "1:30",
            [
                "the value:1:1: YAML 1.1 reads 1:30 as the base-60 number 90; quote it ('1:30') "
                "if it is text, or write the number itself"
            ],
        ),
        ("a\x1bb", ["the value: the character U+001B is not allowed in YAML"]),
        (
            "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
            [f"the value:1:{MAX_DEPTH + 1}: the value is nested more than 100 levels deep"],
        ),
    ],
)
def test_a_value_is_refused_as_in_a_file(text: str, problems: list[str]) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_value(text, "the value")
    assert [str(p) for p in err.value.problems] == problems


# --- validation problems -------------------------------------------------------------------


def test_country_no_gets_boolean_hint() -> None:
    assert validation_problems(edited("country: NLD", "country: NO")) == [
        "bad.yaml:9:14: candidates[0].country: expected a string, got bool False "
        "(YAML read NO as a boolean; quote it ('NO') or use the three-letter code, e.g. NOR)"
    ]


def test_boolean_hint_with_a_small_model() -> None:
    class Small(BaseModel):
        model_config = ConfigDict(strict=True, extra="forbid")
        country: str
        name: str
        ok: str

    assert validation_problems("country: no\nname: On\nok: true\n", Small) == [
        "bad.yaml:1:10: country: expected a string, got bool False "
        "(YAML read no as a boolean; quote it ('no') or use the three-letter code, e.g. NOR)",
        "bad.yaml:2:7: name: expected a string, got bool True "
        "(YAML read On as a boolean; quote it ('On'))",
        "bad.yaml:3:5: ok: expected a string, got bool True",
    ]


def test_boolean_in_a_union_gets_one_message() -> None:
    assert validation_problems(edited("members: NOR", "members: NO")) == [
        "bad.yaml:13:14: objections[0].members: expected 'all', a list or a mapping, "
        "got bool False "
        "(YAML read NO as a boolean; quote it ('NO') or use the three-letter code, e.g. NOR)"
    ]


def test_unknown_key_did_you_mean() -> None:
    assert validation_problems(edited("    lift: 0.3", "    lfit: 0.3")) == [
        "bad.yaml:18:5: objections[1].lfit: unknown key 'lfit' (did you mean 'lift'?)"
    ]


def test_unknown_key_lists_allowed_keys() -> None:
    assert validation_problems(edited("  rounds: 10", "  rounds: 10\n  zzz: 1")) == [
        "bad.yaml:12:3: decision.zzz: unknown key 'zzz' (expected one of: rule, min_support, "
        "rounds, deadline, calendar, on_deadline, extend_chance, early_extension, source)"
    ]


def test_unknown_key_inside_a_union_member() -> None:
    assert validation_problems(edited("members: [NOR]", "members: {tgs: nordic}")) == [
        "bad.yaml:16:15: objections[1].members.tgs: unknown key 'tgs' (did you mean 'tag'?)",
    ]


def test_missing_key() -> None:
    assert validation_problems(edited("    name: Mark Rutte\n", "")) == [
        "bad.yaml:7:5: candidates[0].name: missing required key 'name'"
    ]


def test_wrong_type() -> None:
    assert validation_problems(edited("rounds: 10", "rounds: ten")) == [
        "bad.yaml:11:11: decision.rounds: expected an integer, got str 'ten'"
    ]
    assert validation_problems(edited("lift: 0.2", "lift: high")) == [
        "bad.yaml:15:11: objections[0].lift: expected a number, {uniform: [lo, hi]} or "
        "{beta: [a, b]}, got str 'high'"
    ]


def test_probability_out_of_range() -> None:
    assert validation_problems(edited("lift: 0.3", "lift: 1.5")) == [
        "bad.yaml:18:11: objections[1].lift: expected a probability in [0, 1], got 1.5"
    ]


def test_nan_is_parsed_and_rejected_by_the_schema() -> None:
    assert validation_problems(edited("lift: 0.3", "lift: .nan")) == [
        "bad.yaml:18:11: objections[1].lift: expected a finite number, got nan"
    ]


def test_pattern_messages_and_key_errors() -> None:
    text = edited("members: [NOR]", "members: [NOR, no2]").replace(
        "candidates: rutte", "candidates: Rutte"
    )
    text += "support:\n  candidates:\n    Rutte: {members: {NOR: 0.5}}\n"
    assert validation_problems(text) == [
        "bad.yaml:14:17: objections[0].candidates: "
        "expected a lowercase slug such as 'rutte', got 'Rutte'",
        "bad.yaml:16:20: objections[1].members[1]: "
        "expected an ISO 3166-1 alpha-3 code such as 'NOR', got 'no2'",
        "bad.yaml:21:5: support.candidates.Rutte: "
        "expected a lowercase slug such as 'rutte', got 'Rutte'",
    ]


def test_list_length_and_validator_messages() -> None:
    text = edited("  rounds: 10", "  deadline: 2025-01-01").replace(
        "lift: 0.2", "lift: {uniform: [0.1]}"
    )
    assert validation_problems(text) == [
        "bad.yaml:11:3: decision: a 'deadline' needs a 'calendar' "
        "(start and round_days, or meetings)",
        "bad.yaml:15:21: objections[0].lift.uniform: expected at least 2 items, got 1",
    ]


# --- robustness ----------------------------------------------------------------------------


def check_never_crashes(text: bytes | str) -> None:
    """Parse and validate; only ScenarioError or ValidationError may come out."""
    try:
        doc = parse_yaml(text, "fuzz.yaml")
    except ScenarioError as err:
        assert err.problems and all(str(p) for p in err.problems)
        return
    assert isinstance(doc.data, dict)
    try:
        Scenario.model_validate(doc.data)
    except ValidationError as err:
        problems = problems_from_validation(err, doc)
        assert problems and all(str(p) for p in problems)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(data: bytes) -> None:
    check_never_crashes(data)


_PIECES = list(":-[]{},&*!#|>'\"?%@`~<=.\n\t ") + [
    "NO",
    "0x1F",
    "2024-13-01",
    "<<",
    "!!int",
    "\x00",
    "\ufeff",
    "é",
    "\x85",
    "  ",
]


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(SCENARIO)),
            st.integers(0, 3),
            st.lists(st.sampled_from(_PIECES), max_size=3),
        ),
        max_size=4,
    )
)
def test_mutated_scenarios_never_crash(edits: list[tuple[int, int, list[str]]]) -> None:
    text = SCENARIO
    for at, cut, pieces in edits:
        text = text[:at] + "".join(pieces) + text[at + cut :]
    check_never_crashes(text)
    check_never_crashes(text.encode("utf-8", "surrogatepass"))
