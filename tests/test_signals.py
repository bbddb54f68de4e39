"""SIGTERM/SIGINT: the run writes a checkpoint, exits with status 75, and resumes to the same
numbers as an uninterrupted run; SIGKILL at any moment leaves a resumable file.

No test races the clock: each run is started with a final time it cannot reach while the test
waits (``NEVER``), the test signals it once the run is ready (its result file exists, or has
reached a given simulated time), and the resume then extends it to a final time just past the
point it reached, where an uninterrupted run to that time is the reference.
"""

import signal
import subprocess
import sys
import time

from conftest import assert_same_run

import qst_mps
from qst_mps.cli import main
from qst_mps.errors import BadInput
from qst_mps.simulation import INTERRUPTED

NEVER = ["--set", "evolution.t_max=100000.0"]
"""A final time no run here reaches before the test stops it."""

ARGS = ["--set", "model.N=120", "--set", "model.L=3", "--set", "state.sigma_d=3.0",
        "--set", "state.d=15.0", "--set", "output.checkpoint_every=1000.0", "-q"]

MPS_ARGS = ["--set", "evolution.backend=mps", "--set", "model.N=16", "--set", "model.L=2",
            "--set", "model.J_sd=1.0", "--set", "state.sigma_d=1.2", "--set", "state.x2=4.4",
            "--set", "state.d=2.5", "--set", "state.pair=triplet_minus",
            "--set", "model.boundary=open", "--set", "evolution.chi_max=64",
            "--set", "evolution.svd_min=1e-12", "-q"]


def reached(path) -> float | None:
    """The last output time (fs) in a result file, None while it cannot be read (not written
    yet: a run replaces its file atomically, so a readable file is a whole one)."""
    try:
        return float(qst_mps.load(path)["time"][-1])
    except (BadInput, OSError):
        return None


def wait_until(ready, process, what: str, seconds: float = 300.0) -> None:
    """Poll ``ready()`` until it holds; fail if the process ends first or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, f"the run ended before {what}: {process.returncode}"
        assert time.monotonic() < deadline, f"no {what} within {seconds:g} s"
        time.sleep(0.02)


def start(args, path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "qst_mps", "run", *args, *NEVER,
                             "-o", str(path)], **kwargs)


def resume_and_compare(path, args, tolerance, extra=1.0):
    """Resume the stopped run at ``path`` to ``extra`` fs past where it stopped, run the same
    configuration uninterrupted to that time, and compare the two files."""
    t_max = reached(path) + extra
    assert main(["resume", str(path), "--set", f"evolution.t_max={t_max}", "-q"]) == 0
    direct = path.with_name(f"{path.stem}_direct.h5")
    assert main(["run", *args, "--set", f"evolution.t_max={t_max}", "-o", str(direct)]) == 0
    a, b = qst_mps.load(path), qst_mps.load(direct)
    assert a.status == b.status == "complete" and a["time"][-1] == t_max
    assert_same_run(a, b, tolerance)


def test_signal_checkpoints_and_resume_matches(tmp_path):
    """SIGTERM and SIGINT, each once the run is stepping (its file written): exit 75 with the
    resume command named, the checkpoint at the last output time, and the resumed run equal to
    an uninterrupted one (1e-12)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        path = tmp_path / f"run{int(signum)}.h5"
        process = start(ARGS, path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_until(lambda path=path: reached(path) is not None, process, "the first write")
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
        assert process.returncode == INTERRUPTED, err
        assert "resume" in err
        stopped = qst_mps.load(path, checkpoint=True)
        assert stopped.status == "running" and stopped["time"][-1] > 0
        assert stopped["checkpoint"]["backend"]["time"] == stopped["time"][-1]
        resume_and_compare(path, ARGS, 1e-12, extra=5.0)


def test_kill_9_leaves_a_resumable_file(tmp_path):
    """SIGKILL once the run has reached a given time, with checkpoints at every output (so often
    mid-write): the file is readable, its checkpoint intact, and resuming matches an
    uninterrupted run (exact: 1e-12 at three moments; mps: 1e-10 at the same numerics)."""
    exact = [*ARGS, "--set", "output.checkpoint_every=0.5"]
    mps = [*MPS_ARGS, "--set", "output.checkpoint_every=0.5"]
    for backend, args, at in (("exact", exact, 2.0), ("exact", exact, 5.5),
                              ("exact", exact, 11.0), ("mps", mps, 1.0)):
        folder = tmp_path / f"{backend}{at:g}"
        folder.mkdir()
        path = folder / "run.h5"
        process = start(args, path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda path=path, at=at: (reached(path) or 0.0) >= at, process,
                   f"{at:g} fs simulated")
        process.kill()
        process.wait()
        stopped = qst_mps.load(path, checkpoint=True)  # readable, whatever the moment
        assert stopped.status == "running" and stopped.backend == backend
        assert stopped["time"][-1] >= at
        assert stopped["checkpoint"]["backend"]["time"] == stopped["time"][-1]
        resume_and_compare(path, args, 1e-12 if backend == "exact" else 1e-10)
        # a temporary file the kill left is cleaned up by the resume
        assert sorted(p.name for p in folder.iterdir()) == ["run.h5", "run_direct.h5"]


def test_sigterm_stops_a_parallel_sweep(tmp_path):
    """SIGTERM to `qst-mps sweep -j 2` once its two workers have started their points: both
    checkpoint, the third point is never started, the sweep exits with 75, and running it again
    completes every point."""
    from qst_mps import batch as sweeps

    path = tmp_path / "s.toml"
    path.write_text("[model]\nN = 120\nL = 3\n[state]\nsigma_d = 3.0\nd = 15.0\n"
                    "[output]\ncheckpoint_every = 1000.0\n"
                    '[sweep]\n"state.pair" = ["singlet", "triplet_0", "triplet_minus"]\n')
    process = subprocess.Popen([sys.executable, "-m", "qst_mps", "sweep", str(path), "-j", "2",
                                "-q", *NEVER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    sweep = sweeps.load(path)
    wait_until(lambda: all(reached(sweep.path(i)) is not None for i in (0, 1)), process,
               "both workers' first writes")
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == INTERRUPTED, err
    assert [sweep.status(i) for i in range(3)] == ["running", "running", "pending"]
    t_max = max(reached(sweep.path(i)) for i in (0, 1)) + 1.0
    assert main(["sweep", str(path), "-j", "2", "-q", "--set", f"evolution.t_max={t_max}"]) == 0
    assert [sweep.status(i) for i in range(3)] == ["complete"] * 3
