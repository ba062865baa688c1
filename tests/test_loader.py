"""Tests for nato_sim.scenario.loader: finding, reading and validating scenario files.

Each file in tests/data/invalid/ holds one kind of mistake and ends with `# expect:` lines:
the whole problems (file, line, column, key path, message, hint) that loading it must report.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nato_sim.errors import ScenarioError
from nato_sim.scenario.loader import (
    claims_for,
    load,
    resolve,
    scenario_hash,
    validate,
    with_overrides,
)
from nato_sim.scenario.yamlsource import MAX_BYTES, parse_yaml

DATA = Path(__file__).parent / "data"
MINIMAL = DATA / "minimal.yaml"
INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def expected_problems(path: Path) -> list[str]:
    """The `# expect:` lines of a fixture, with {file} replaced by its path."""
    prefix = "# expect: "
    return [
        line.removeprefix(prefix).replace("{file}", str(path))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(prefix)
    ]


def problems(source, overrides=()) -> list[str]:
    """The formatted problems load() raises for `source`."""
    with pytest.raises(ScenarioError) as err:
        load(source, overrides)
    return [str(p) for p in err.value.problems]


def test_fixtures_each_state_their_problems():
    names = {p.stem for p in INVALID}
    # One file per kind of mistake the loader must catch.
    assert {
        "syntax-error",
        "empty",
        "wrong-type",
        "probability-above-one",
        "probability-nan",
        "probability-infinite",
        "duplicate-key",
        "duplicate-member",
        "duplicate-candidate",
        "unknown-member",
        "unknown-candidate",
        "unknown-tag",
        "unknown-support-entry",
        "unknown-until",
        "until-cycle",
        "two-letter-code",
        "anchors",
        "missing-claim",
        "three-mistakes",
    } <= names
    for path in INVALID:
        assert expected_problems(path), f"{path.name} has no '# expect:' line"


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_file_reports_exactly_its_problems(path):
    assert problems(str(path)) == expected_problems(path)


def test_error_message_lists_every_problem_under_a_count():
    path = DATA / "invalid" / "three-mistakes.yaml"
    with pytest.raises(ScenarioError) as err:
        load(str(path))
    lines = str(err.value).splitlines()
    assert lines[0] == "3 problems found:"
    assert lines[1:] == ["  " + p for p in expected_problems(path)]
    assert err.value.exit_code == 3


def test_the_fixtures_base_is_valid_without_its_mistake():
    # The same file with the mistake undone loads, so the expected problem is the only one.
    text = (DATA / "invalid" / "wrong-type.yaml").read_text(encoding="utf-8")
    fixed = parse_yaml(text.replace("rounds: ten", "rounds: 10"), "fixed.yaml")
    assert validate(fixed, [], None).decision.rounds == 10


def test_minimal_loads_with_origin_and_no_overrides():
    scenario = load(str(MINIMAL))
    assert [m.id for m in scenario.members] == ["USA", "TUR", "DEU"]
    assert [c.id for c in scenario.candidates] == ["alpha", "beta"]
    assert scenario.origin == str(MINIMAL)
    assert scenario.overrides == ()


def test_a_file_of_zero_bytes_is_empty(tmp_path):
    path = tmp_path / "zero.yaml"
    path.write_bytes(b"")
    assert problems(str(path)) == [f"{path}: the file is empty"]


def test_binary_garbage_is_not_a_text_file(tmp_path):
    path = tmp_path / "garbage.yaml"
    path.write_bytes(bytes(range(256)) * 4)
    assert problems(str(path)) == [f"{path}: not a text file: it contains NUL bytes"]


def test_bytes_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Café\n".encode("latin-1"))
    assert problems(str(path)) == [f"{path}: not a text file: byte 0xe9 at offset 10 is not UTF-8"]


def test_a_file_over_the_size_cap_says_its_size_and_the_cap(tmp_path):
    path = tmp_path / "huge.yaml"
    body = "notes: |\n" + "  filler line\n" * (MAX_BYTES // 14 + 10)
    path.write_text(body, encoding="utf-8")
    size = path.stat().st_size
    assert size > MAX_BYTES
    assert problems(str(path)) == [
        f"{path}: the file is {size} bytes; the limit is {MAX_BYTES} bytes (MAX_BYTES)"
    ]


def test_an_alias_bomb_is_refused_quickly(tmp_path):
    # Nine levels of nine aliases: expanded, it would hold 9**9 strings.
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\ntitle: *a9\n", encoding="utf-8")
    start = time.perf_counter()
    found = problems(str(path))
    assert time.perf_counter() - start < 5.0  # a guard against expanding it, not a target
    assert found[0] == f"{path}:1:5: anchors and aliases are not allowed (found &a0)"
    assert found[2] == f"{path}:2:10: anchors and aliases are not allowed (found *a0)"
    assert all("anchors and aliases are not allowed" in p for p in found[:-1])


def test_a_missing_file_says_so(tmp_path):
    path = tmp_path / "nowhere.yaml"
    assert problems(str(path)) == [
        f"{path}: no such file (`nato-sim scenarios` lists the bundled ones)"
    ]


def test_an_unknown_bundled_name_suggests_the_closest():
    assert problems("nato-2042") == [
        "nato-2042: is neither a file nor a bundled scenario (did you mean 'nato-2024'?)"
    ]


def test_a_folder_is_not_a_scenario(tmp_path):
    assert problems(str(tmp_path)) == [
        f"{tmp_path}: is a folder, not a file (`nato-sim scenarios` lists the bundled ones)"
    ]


def test_a_bundled_name_resolves_with_or_without_suffix():
    assert resolve("nato-2024") == resolve("nato-2024.yaml")
    assert resolve("nato-2024").name == "nato-2024.yaml"
    assert load("nato-2024").origin == "nato-2024"


def write_cited(tmp_path: Path, claim: str) -> Path:
    """A copy of the minimal scenario citing `claim`, with a seeds/ folder beside it."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "local.yaml").write_text(
        "document: {title: Local notes, date: 2024-01-02, kind: commentary}\n"
        "claims:\n  - {id: local.turkey-price, says: Turkey wants a concession.}\n",
        encoding="utf-8",
    )
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "lift: 0.3}", f"lift: 0.3, source: {claim}}}"
    )
    path = tmp_path / "cited.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_claim_in_a_seeds_folder_beside_the_file_can_be_cited(tmp_path):
    path = write_cited(tmp_path, "local.turkey-price")
    assert load(str(path)).objections[0].source == ["local.turkey-price"]
    assert "local.turkey-price" in claims_for(path)


def test_citing_a_missing_claim_is_invalid_and_suggests_a_close_one(tmp_path):
    path = write_cited(tmp_path, "local.turkey-prize")
    assert problems(str(path)) == [
        f"{path}:17:73: objections[0].source: cites claim 'local.turkey-prize', which no "
        "seeds file has (did you mean 'local.turkey-price'?)"
    ]


def test_validate_without_claims_skips_the_citation_check():
    text = MINIMAL.read_text(encoding="utf-8").replace("lift: 0.3}", "lift: 0.3, source: x.y}")
    scenario = validate(parse_yaml(text, "x.yaml"), [], None)
    assert scenario.objections[0].source == ["x.y"]


def test_a_broken_seeds_file_is_reported(tmp_path):
    (tmp_path / "seeds").mkdir()
    broken = tmp_path / "seeds" / "broken.yaml"
    broken.write_text(
        "document: {title: T, date: 2024-01-02, kind: k}\nclaims: []\n", encoding="utf-8"
    )
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    assert problems(str(path)) == [f"{broken}:2:9: claims: expected at least 1 item, got 0"]


def test_scenario_hash_follows_content_not_formatting(tmp_path):
    text = MINIMAL.read_text(encoding="utf-8")
    reformatted = tmp_path / "reformatted.yaml"
    reformatted.write_text(
        "# another comment\n" + text.replace("{bandwagon: 0}", "\n  bandwagon: 0.0"),
        encoding="utf-8",
    )
    changed = tmp_path / "changed.yaml"
    changed.write_text(text.replace("lift: 0.3", "lift: 0.31"), encoding="utf-8")
    base = scenario_hash(load(str(MINIMAL)))
    assert len(base) == 16 and int(base, 16) >= 0
    assert scenario_hash(load(str(reformatted))) == base
    assert scenario_hash(load(str(changed))) != base


def test_with_overrides_validates_again_and_records_them():
    scenario = load(str(MINIMAL), ["decision.rounds=12"])
    changed = with_overrides(scenario, ["objections.tur-alpha.lift=0.6"])
    assert changed.objections[0].lift == 0.6
    assert changed.decision.rounds == 12
    assert changed.overrides == ("decision.rounds=12", "objections.tur-alpha.lift=0.6")
    assert changed.origin == scenario.origin
    assert scenario.objections[0].lift == 0.3  # the original is untouched
    with pytest.raises(ScenarioError) as err:
        with_overrides(scenario, ["objections.tur-alpha.lift=-1"])
    assert [str(p) for p in err.value.problems] == [
        "--set objections.tur-alpha.lift=-1: objections[0].lift: "
        "expected a probability in [0, 1], got -1.0"
    ]


def test_type_and_reference_problems_are_reported_together(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "title: Bad\n"
        "description: field and reference mistakes in one file\n"
        "members:\n"
        "  - {id: USA, name: United States}\n"
        "  - {id: TUR, name: Turkey}\n"
        "candidates:\n"
        "  - {id: rutte, name: Mark Rutte, country: NLD}\n"
        "objections:\n"
        "  - {id: x, members: TUR, candidates: rute, chance: 1.5, until: [{lifted: y}]}\n"
        "  - {id: y, members: USA, candidates: rutte, until: [{lifted: x}]}\n"
        "decision: {rounds: 5}\n",
        encoding="utf-8",
    )
    assert problems(str(bad)) == [
        f"{bad}:9:39: objections[0].candidates: unknown candidate 'rute' (did you mean 'rutte'?)",
        f"{bad}:9:53: objections[0].chance: expected a probability in [0, 1], got 1.5",
        f"{bad}:9:65: objections[0].until: 'until' conditions wait on each other in a cycle: "
        "x -> y -> x (such rules could never lift)",
    ]


def scenario_with_seeds(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the minimal scenario with an empty seeds/ folder beside it."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    return path, seeds


def test_odd_entries_in_a_seeds_folder_are_each_named_and_nothing_waits_on_a_pipe(tmp_path):
    path, seeds = scenario_with_seeds(tmp_path)
    (seeds / "a-folder.yaml").mkdir()
    (seeds / "b-loop.yaml").symlink_to("b-loop.yaml")
    os.mkfifo(seeds / "c-pipe.yaml")
    (seeds / "d-gone.yaml").symlink_to("nowhere.yaml")
    # A process of its own: reading the pipe would wait for a writer for ever.
    result = subprocess.run(
        [sys.executable, "-m", "nato_sim", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 3
    assert result.stdout == (
        f"INVALID {path}: 4 problems found:\n"
        f"  {seeds / 'a-folder.yaml'}: is a folder, not a file\n"
        f"  {seeds / 'b-loop.yaml'}: cannot read the file: Too many levels of symbolic links\n"
        f"  {seeds / 'c-pipe.yaml'}: is a named pipe, not a file\n"
        f"  {seeds / 'd-gone.yaml'}: cannot read the file: No such file or directory\n"
    )
    assert result.stderr == "1 of 1 file invalid\n"


def test_an_unreadable_seeds_file_is_named(tmp_path, monkeypatch):
    path, seeds = scenario_with_seeds(tmp_path)
    locked = seeds / "locked.yaml"
    locked.write_text("document: {title: T, date: 2024-01-02, kind: k}\n", encoding="utf-8")
    real_open = os.open

    def denied(file, flags, *args, **kwargs):
        # chmod 000 does not stop root, who may run this: refuse the file here instead.
        if Path(file) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, flags, *args, **kwargs)

    monkeypatch.setattr("nato_sim.scenario.claims.os.open", denied)
    assert problems(str(path)) == [f"{locked}: cannot read the file: Permission denied"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_a_seeds_file_without_read_permission_is_named(tmp_path):
    path, seeds = scenario_with_seeds(tmp_path)
    locked = seeds / "locked.yaml"
    locked.write_text("document: {title: T, date: 2024-01-02, kind: k}\n", encoding="utf-8")
    locked.chmod(0)
    assert problems(str(path)) == [f"{locked}: cannot read the file: Permission denied"]


def test_a_seeds_folder_that_cannot_be_listed_is_named(tmp_path, monkeypatch):
    path, seeds = scenario_with_seeds(tmp_path)

    real_scandir = os.scandir

    def denied(folder):
        if Path(folder) == seeds:
            raise PermissionError(13, "Permission denied", str(folder))
        return real_scandir(folder)

    monkeypatch.setattr("nato_sim.scenario.claims.os.scandir", denied)
    assert problems(str(path)) == [f"{seeds}: cannot read the seeds folder: Permission denied"]


def test_a_named_pipe_given_as_the_scenario_is_refused_unopened(tmp_path):
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    assert problems(str(fifo)) == [f"{fifo}: is a named pipe, not a file"]


def test_a_seeds_link_loop_beside_the_scenario_is_no_crash(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(MINIMAL.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "seeds").symlink_to("seeds")
    assert load(str(path)).title == load(MINIMAL).title
