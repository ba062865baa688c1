"""Faults around a run, in real processes: closed pipes, full devices, dying workers, Ctrl-C.

Each test runs `python -m nato_sim` (or a short script) in a fresh process with a timeout,
so a hang fails the test instead of blocking the suite.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nato_sim.running.runner import BLOCK_SIZE

DATA = Path(__file__).parent / "data"
MINIMAL = str(DATA / "minimal.yaml")
TIMEOUT = 30

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="signals, /proc and devices as on Linux"
)


def environment() -> dict[str, str]:
    """This environment (so the same nato_sim is imported), pinned width, no colour."""
    env = {k: v for k, v in os.environ.items() if k != "NATO_SIM_DEBUG"}
    return {**env, "COLUMNS": "100", "NO_COLOR": "1"}


def start(*args: str, script: str | None = None, **popen) -> subprocess.Popen:
    """`python -m nato_sim ARGS`, or `python -c SCRIPT ARGS`, in its own process group."""
    command = ["-c", textwrap.dedent(script)] if script is not None else ["-m", "nato_sim"]
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        [sys.executable, *command, *args],
        env=environment(),
        text=True,
        start_new_session=True,
        **popen,
    )


def finish(process: subprocess.Popen, timeout: float = TIMEOUT) -> tuple[str, str]:
    """Its output once it exits; whatever is left of its process group is killed."""
    try:
        return process.communicate(timeout=timeout)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def children(pid: int) -> list[int]:
    """The live (not zombie) child processes of `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _state(int(entry)) not in (None, "Z"):
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie waiting to be reaped does not)."""
    return _state(pid) not in (None, "Z")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_work(process: subprocess.Popen, worker: int, seconds: float) -> None:
    """Return once `worker` has computed for `seconds` (a good many blocks, on any load)."""
    deadline = time.monotonic() + TIMEOUT
    while cpu_seconds(worker) < seconds:
        assert time.monotonic() < deadline and process.poll() is None, finish(process)
        time.sleep(0.02)


def wait_for_workers(process: subprocess.Popen, count: int) -> list[int]:
    """The pids of `count` workers of `process`, once it has started them."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        workers = children(process.pid)
        if len(workers) >= count:
            return workers
        assert process.poll() is None, finish(process)
        time.sleep(0.02)
    raise AssertionError("the workers did not start")


# --- A closed pipe and a full device -------------------------------------------------------


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run with stdout a pipe whose reader has already gone (as `| head` does early)."""
    read, write = os.pipe()
    os.close(read)
    try:
        process = start(*args, stdout=write)
    finally:
        os.close(write)
    _, err = finish(process)
    return subprocess.CompletedProcess(args, process.returncode, None, err)


@pytest.mark.parametrize(
    "args",
    [
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "--workers", "1"),
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "--workers", "1", "-f", "json"),
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "--workers", "1", "-f", "csv"),
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "-f", "csv", "-o", "/dev/fd/1"),
        ("scenarios",),
        ("validate", MINIMAL, "nato-2024"),
        ("sources", "nato-2024"),
        ("schema",),
        ("--help",),
    ],
    ids=lambda args: " ".join(a for a in args if a != MINIMAL),
)
def test_a_closed_pipe_ends_the_tool_quietly_with_141(args):
    result = run_into_closed_pipe(*args)
    assert (result.returncode, result.stderr) == (141, "")


def run_into_full_device(*args: str) -> subprocess.CompletedProcess:
    """Run with stdout on /dev/full (opened for writing: nothing is replaced)."""
    with open("/dev/full", "w") as full:
        process = start(*args, stdout=full)
        _, err = finish(process)
    return subprocess.CompletedProcess(args, process.returncode, None, err)


@pytest.mark.parametrize(
    "args",
    [
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "--workers", "1"),
        ("run", MINIMAL, "-n", "2000", "--seed", "1", "--workers", "1", "-f", "json"),
        ("scenarios",),
        ("validate", MINIMAL),
        ("--help",),
    ],
    ids=lambda args: " ".join(a for a in args if a != MINIMAL),
)
def test_stdout_on_a_full_device_exits_4_with_one_clear_line(args):
    result = run_into_full_device(*args)
    assert (result.returncode, result.stderr) == (
        4,
        "error: cannot write to stdout: No space left on device\n",
    )


# --- Workers: a death, Ctrl-C with one hung, the parent's death ----------------------------

LONG_RUN = ("run", "nato-2024", "-n", "50000000", "--seed", "5", "--workers", "2", "-f", "json")


def test_a_killed_worker_is_reported_and_the_finished_blocks_are_printed_as_partial():
    process = start(*LONG_RUN)
    victim = wait_for_workers(process, 2)[0]
    wait_for_work(process, victim, 0.5)  # some blocks finish first
    os.kill(victim, signal.SIGKILL)
    out, err = finish(process)
    assert process.returncode == 1
    match = re.fullmatch(
        rf"error: a worker process died unexpectedly \(pid {victim}, killed by SIGKILL, as "
        r"when the system runs out of memory\); the results of the ([\d,]+) trials finished "
        r"before are printed, marked partial\n",
        err,
    )
    assert match, err
    trials = int(match.group(1).replace(",", ""))
    doc = json.loads(out)
    assert doc["provenance"]["stopped_by"] == "worker-died"
    assert doc["provenance"]["trials"] == trials
    assert 0 < trials < 50_000_000 and trials % BLOCK_SIZE == 0
    assert sum(o["count"] for o in doc["outcomes"]) == trials


def test_ctrl_c_stops_promptly_even_with_a_hung_worker():
    process = start(*LONG_RUN)
    workers = wait_for_workers(process, 2)
    wait_for_work(process, workers[0], 0.5)
    os.kill(workers[0], signal.SIGSTOP)  # hung: it takes no notice of SIGTERM either
    time.sleep(0.2)
    began = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    out, err = finish(process, timeout=10)
    took = time.monotonic() - began
    assert process.returncode == 130
    match = re.fullmatch(
        r"interrupted after ([\d,]+) trials; the results are partial \(marked as such\)\n", err
    )
    assert match, err
    doc = json.loads(out)
    assert doc["provenance"]["stopped_by"] == "interrupted"
    assert doc["provenance"]["trials"] == int(match.group(1).replace(",", ""))
    assert took < 3, took
    assert not [w for w in workers if alive(w)]


SLOW_BLOCKS = """
    import multiprocessing, sys, time
    import nato_sim.running.runner as runner
    from nato_sim.scenario.loader import load

    def slow_block(*args, **kwargs):  # a block that takes a minute
        time.sleep(60)

    # Fork, so the workers run the slow block too.
    multiprocessing.set_start_method("fork", force=True)
    runner.run_block = slow_block
    runner.simulate(load(sys.argv[1]), 10_000, 1, workers=2, block_size=1_000)
"""


def test_workers_end_when_their_parent_is_killed():
    process = start(MINIMAL, script=SLOW_BLOCKS)
    workers = wait_for_workers(process, 2)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=TIMEOUT)
    deadline = time.monotonic() + 5
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    left = [w for w in workers if alive(w)]
    for pid in left:  # do not leave them behind when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []


def test_no_more_workers_start_than_there_are_blocks():
    process = start(
        "run", MINIMAL, "-n", str(2 * BLOCK_SIZE), "--seed", "1", "--workers", "64", "-f", "json"
    )
    seen: set[int] = set()
    while process.poll() is None:
        seen.update(children(process.pid))
        time.sleep(0.01)
    out, err = finish(process)
    assert process.returncode == 0, err
    assert 1 <= len(seen) <= 2
    assert json.loads(out)["provenance"]["trials"] == 2 * BLOCK_SIZE


# --- Ctrl-C while starting up ----------------------------------------------------------------

INTERRUPT_AT_IMPORT = """
    import os, signal, sys

    module = sys.argv[1]

    class InterruptAt:
        # Presses Ctrl-C the moment that module starts to be imported.
        def find_spec(self, name, path=None, target=None):
            if name == module:
                os.kill(os.getpid(), signal.SIGINT)
            return None

    sys.meta_path.insert(0, InterruptAt())
    sys.argv = ["nato-sim", *sys.argv[2:]]
    from nato_sim.cli import main  # as the console script does
    sys.exit(main())
"""


@pytest.mark.parametrize("module", ["numpy", "pydantic", "typer", "nato_sim.engine.rounds"])
def test_ctrl_c_while_importing_exits_130_without_a_traceback(module):
    process = start(module, "run", MINIMAL, "-n", "1000", "--seed", "1", script=INTERRUPT_AT_IMPORT)
    out, err = finish(process)
    assert (process.returncode, out, err) == (130, "", "interrupted\n")


def interrupt_when_called(target: str) -> str:
    """A script that presses Ctrl-C when `module:attribute` is first called, then runs."""
    module, attribute = target.split(":")
    return f"""
    import importlib, os, signal, sys
    from nato_sim.cli import main

    owner = importlib.import_module("{module}")
    path = "{attribute}".split(".")
    holder = owner
    for name in path[:-1]:
        holder = getattr(holder, name)
    real = getattr(holder, path[-1])

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return real(*args, **kwargs)

    setattr(holder, path[-1], interrupted)
    sys.argv = ["nato-sim", *sys.argv[1:]]
    sys.exit(main())
    """


@pytest.mark.parametrize(
    "target, args, expected",
    [
        ("nato_sim.cli.run:load", ("-n", "1000"), "interrupted\n"),
        (
            "nato_sim.running.workers:WorkerPool.submit",
            ("-n", str(4 * BLOCK_SIZE), "--workers", "2"),
            "interrupted before any trial finished\n",
        ),
    ],
    ids=["loading", "starting the pool"],
)
def test_ctrl_c_while_loading_or_starting_workers_exits_130_quietly(target, args, expected):
    process = start("run", MINIMAL, "--seed", "1", *args, script=interrupt_when_called(target))
    out, err = finish(process)
    assert (process.returncode, out, err) == (130, "", expected)


INTERRUPT_AFTER_FORK = """
import os, signal, sys
from nato_sim.cli import main

# Ctrl-C pressed just as a worker has been forked: Python runs the parent's at-fork handlers
# (logging's among them), where an exception is reported as ignored and dropped.
os.register_at_fork(after_in_parent=lambda: os.kill(os.getpid(), signal.SIGINT))
sys.argv = ["nato-sim", *sys.argv[1:]]
sys.exit(main())
"""


def test_ctrl_c_as_a_worker_is_forked_is_not_lost():
    args = ("-n", str(4 * BLOCK_SIZE), "--workers", "2")
    process = start("run", MINIMAL, "--seed", "1", *args, script=INTERRUPT_AFTER_FORK)
    out, err = finish(process)
    assert (process.returncode, out, err) == (130, "", "interrupted before any trial finished\n")


def wait_until_loading(process: subprocess.Popen, library: str) -> None:
    """Return once `process` has mapped `library`: it is then importing it."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            if library in Path(f"/proc/{process.pid}/maps").read_text():
                return
        except OSError:
            pass
        assert process.poll() is None, finish(process)
        time.sleep(0.002)
    raise AssertionError(f"{library} was never loaded")


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.2, 0.35])
def test_ctrl_c_at_any_moment_of_start_up_shows_no_traceback(delay):
    # Timed from the moment numpy's core starts to load, inside the tool's own start-up:
    # before that, Python itself is still starting, and a Ctrl-C is its to report.
    process = start("run", MINIMAL, "-n", "100000000", "--seed", "1", "-f", "json")
    wait_until_loading(process, "_multiarray_umath")
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGINT)
    out, err = finish(process)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    partial = re.fullmatch(
        r"interrupted after [\d,]+ trials; the results are partial \(marked as such\)\n", err
    )
    assert err in ("interrupted\n", "interrupted before any trial finished\n") or partial, err
    assert out == "" or json.loads(out)["provenance"]["stopped_by"] == "interrupted"
