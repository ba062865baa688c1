"""`-o` onto what is not a plain file: links are written through, streams written to, and no
device, pipe or link is ever replaced by a regular file."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nato_sim.cli import app

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "NATO_SIM_DEBUG": None}
RUN = ("run", MINIMAL, "-n", "500", "--seed", "3", "--workers", "1", "-f", "json")

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="device numbers and /dev as on Linux"
)


def invoke(*args: str):
    """Run the CLI in-process with a pinned width and no colour."""
    return CliRunner().invoke(app, list(args), env=ENV)


def char_device(tmp_path: Path, name: str, minor: int) -> Path:
    """A node of the memory device `minor` (3: null, 7: full) that a failed test may harm.

    As root a fresh node in `tmp_path`; otherwise the real one in /dev, which a user who
    cannot write /dev has no way to replace.
    """
    if os.geteuid() != 0:
        return Path("/dev") / name
    path = tmp_path / name
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    return path


def is_char_device(path: Path, minor: int) -> bool:
    info = os.lstat(path)
    return stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, minor)


def test_output_to_the_null_device_writes_to_it_and_leaves_it_a_device(tmp_path):
    null = char_device(tmp_path, "null", 3)
    result = invoke(*RUN, "-o", str(null))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", f"wrote {null}\n")
    assert is_char_device(null, 3)
    assert sorted(p.name for p in tmp_path.iterdir()) == (
        ["null"] if null.parent == tmp_path else []
    )


def test_output_to_a_full_device_exits_4_and_leaves_it_a_device(tmp_path):
    full = char_device(tmp_path, "full", 7)
    result = invoke(*RUN, "-o", str(full))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {full}: No space left on device\n"
    assert is_char_device(full, 7)


def test_output_to_a_named_pipe_streams_into_it(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def read() -> None:
        with open(fifo, "rb") as pipe:
            received.append(pipe.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    # A process of its own: were the pipe never opened for writing, the reader would wait
    # and the timeout would end the test instead of the suite hanging.
    result = subprocess.run(
        [sys.executable, "-m", "nato_sim", *RUN, "-o", str(fifo)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**{k: v for k, v in os.environ.items() if k != "NATO_SIM_DEBUG"}, "NO_COLOR": "1"},
    )
    if reader.is_alive():  # unblock the reader if nothing ever opened the pipe
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    reader.join(5)
    assert (result.returncode, result.stderr) == (0, f"wrote {fifo}\n")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(received[0])["provenance"]["seed"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_output_through_a_symbolic_link_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "run.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "latest.json"
    link.symlink_to("data/run.json")
    result = invoke(*RUN, "-o", str(link))
    assert (result.exit_code, result.stderr) == (0, f"wrote {link}\n")
    assert link.is_symlink() and os.readlink(link) == "data/run.json"
    assert json.loads(target.read_text(encoding="utf-8"))["provenance"]["seed"] == 3
    assert target.stat().st_mode & 0o777 == 0o640
    # The temporary file was made beside the target (one rename, no copy) and is gone.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "latest.json"]
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["run.json"]


def test_output_through_a_dangling_link_creates_its_target(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to("run.json")
    result = invoke(*RUN, "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == "run.json"
    assert json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))["outcomes"]


def test_output_onto_a_symbolic_link_loop_exits_4_and_leaves_the_links(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.symlink_to("b.json")
    second.symlink_to("a.json")
    result = invoke(*RUN, "-o", str(first))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {first}: Too many levels of symbolic links\n"
    assert os.readlink(first) == "b.json" and os.readlink(second) == "a.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


@pytest.mark.skipif(os.geteuid() != 0, reason="making a device node needs root")
def test_output_onto_a_block_device_is_refused(tmp_path):
    disk = tmp_path / "disk"
    os.mknod(disk, 0o600 | stat.S_IFBLK, os.makedev(7, 0))
    result = invoke(*RUN, "-o", str(disk))
    assert result.exit_code == 4
    assert result.stderr == f"error: cannot write {disk}: it is a block device, not a file\n"
    assert stat.S_ISBLK(os.lstat(disk).st_mode)


def test_output_to_an_open_descriptor_appends_to_the_file_the_shell_opened(tmp_path):
    # /dev/fd/1 rather than /dev/stdout: a regression would try to replace the link it
    # names, which inside /proc fails harmlessly where /dev/stdout would be lost.
    log = tmp_path / "log.csv"
    log.write_text("first line\n", encoding="utf-8")
    with open(log, "a", encoding="utf-8") as out:  # as `>> log.csv`
        result = subprocess.run(
            [sys.executable, "-m", "nato_sim", *RUN[:-1], "csv", "-o", "/dev/fd/1"],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            timeout=30,
            check=False,
        )
    assert (result.returncode, result.stderr) == (0, "wrote /dev/fd/1\n")
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "first line"
    assert lines[1].startswith("section,key,detail,value,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv"]
