"""``evolution.processes = 2``: every TEBD layer's gates split between the run and a second
process (qst_mps/mps/parallel.py). The reference is the same backend on one process: the gates
of a layer touch disjoint sites, so the two must give the same tensors, bit for bit."""

import gc
import os
import signal
import time

import numpy as np
import pytest

from qst_mps.config import ConfigError, resolve
from qst_mps.mps import parallel
from qst_mps.mps.backend import MPSBackend
from qst_mps.problem import build


def config(processes: int = 1) -> dict:
    """A singlet pair through two strongly coupled spins on an open 20-site chain; five TEBD
    steps per output interval, so that TeNPy merges the layers of consecutive steps."""
    return resolve({
        "model": {"N": 20, "L": 2, "J_sd": 1.0, "boundary": "open"},
        "state": {"pair": "singlet", "sigma_d": 1.2, "x2": 5.4, "d": 2.5},
        "evolution": {"backend": "mps", "t_max": 4.0, "dt_out": 0.5, "dt": 0.1,
                      "svd_min": 1e-12, "processes": processes},
    })


def evolved(processes: int, times) -> MPSBackend:
    cfg = config(processes)
    backend = MPSBackend(build(cfg), cfg["evolution"])
    for _ in backend.evolve(times):
        pass
    return backend


@pytest.fixture
def small_windows(monkeypatch):
    """Split windows of any width and work (the 20-site chain's are narrower than MIN_BONDS,
    and its gates take milliseconds)."""
    monkeypatch.setattr(parallel, "MIN_BONDS", 4)
    monkeypatch.setattr(parallel, "MIN_WORK_SECONDS", 0.0)


def test_two_processes_give_the_same_tensors_as_one(small_windows):
    times = np.arange(0.5, 4.01, 0.5)
    one, two = evolved(1, times), evolved(2, times)
    assert two._second is not None and two._second.computed > 0  # the split took place
    assert one.engine.window == two.engine.window
    assert two.engine.window[1] - two.engine.window[0] >= 8
    for j in range(one.psi.L):
        assert np.array_equal(one.psi.get_SL(j), two.psi.get_SL(j)), j
        assert np.array_equal(one.psi.get_B(j, None).to_ndarray(),
                              two.psi.get_B(j, None).to_ndarray()), j
    assert one.psi.chi == two.psi.chi and max(one.psi.chi) > 4  # entangled, not a product
    assert two.truncation_error == pytest.approx(one.truncation_error, rel=1e-12, abs=1e-30)
    a, b = one.measure(), two.measure()
    for name in ("S_loc", "sigma_el", "density", "energy", "electron_up_probabilities"):
        assert np.array_equal(a[name], b[name]), name


def test_the_second_process_gets_each_gate_once(small_windows, monkeypatch):
    """TeNPy recomputes nothing when an interval's step is the one before's (it calls calc_U
    every interval all the same); the second process must not be told to forget its gates and
    be sent them again (that was 20 MB per interval at L = 128 and held both processes up)."""
    sent = []
    send = parallel._Sender.send

    def record(self, message):
        sent.append((message[0], len(message[1]) if message[0] == "gates" else None))
        send(self, message)

    monkeypatch.setattr(parallel._Sender, "send", record)
    two = evolved(2, np.arange(0.5, 4.01, 0.5))
    assert two._second.computed > 0
    assert [kind for kind, _ in sent].count("forget") == 1  # the first gates' version
    keys = {(index, i) for index in range(len(two.engine._U))
            for i in range(two.psi.L) if two.engine._U[index][i] is not None}
    assert 0 < sum(n for kind, n in sent if kind == "gates") <= len(keys)


def test_little_work_stays_on_one_process(monkeypatch):
    """Below MIN_WORK_SECONDS of gates per interval (raised here above the 20-site chain's
    fraction of a second) every gate runs in this process, though the second one is there."""
    monkeypatch.setattr(parallel, "MIN_BONDS", 4)
    monkeypatch.setattr(parallel, "MIN_WORK_SECONDS", 30.0)
    two = evolved(2, np.arange(0.5, 2.01, 0.5))
    assert two._second is not None and two._second.computed == 0
    assert 0 < two._second.work_seconds < parallel.MIN_WORK_SECONDS


def test_a_failure_in_the_second_process_is_raised_here(small_windows, monkeypatch):
    """Gates never sent: the second process fails on its first gate, and the run raises
    with its traceback instead of waiting for it."""
    monkeypatch.setattr(parallel.SecondProcess, "send_gates", lambda self, gates: None)
    with pytest.raises(RuntimeError, match="second process failed(.|\n)*KeyError"):
        evolved(2, [0.5])


def test_the_second_process_outlives_sigterm_and_sigint(small_windows):
    """SLURM's SIGTERM and a terminal's Ctrl-C reach every process of the job: the second one
    goes on, so that the run finishes its interval and writes its checkpoint (the run's own
    handling of the signals is tests/test_signals.py's)."""
    two = evolved(2, [0.5])
    for signum in (signal.SIGTERM, signal.SIGINT):
        os.kill(two._second.process.pid, signum)
    time.sleep(0.5)
    assert two._second.process.poll() is None
    for _ in two.evolve([1.0, 1.5]):
        pass
    one = evolved(1, [0.5, 1.0, 1.5])
    assert all(np.array_equal(one.psi.get_SL(j), two.psi.get_SL(j)) for j in range(one.psi.L))


def test_the_second_process_stops_with_its_backend(small_windows):
    backend = evolved(2, [0.5])
    process = backend._second.process
    assert process.poll() is None
    del backend
    gc.collect()
    assert process.wait(timeout=20) == 0


def test_more_than_two_processes_are_refused():
    with pytest.raises(ConfigError, match="evolution.processes"):
        config(3)


def test_a_run_resumes_on_two_processes_with_the_same_results(small_windows, monkeypatch,
                                                                  tmp_path):
    """``qst-mps resume --set evolution.processes=2``: a run started on one process goes on with
    two (more cores on the second part of a cluster job) and gives every result of the run
    that stayed on one, bit for bit (the accumulated discarded weight to 1e-12: the split
    layers add the same errors in another order, as in the test above)."""
    from qst_mps import load
    from qst_mps.cli import main
    from qst_mps.simulation import simulate

    sent = []
    send = parallel._Sender.send
    monkeypatch.setattr(parallel._Sender, "send",
                        lambda self, message: (sent.append(message[0]), send(self, message)))
    resumed, direct = tmp_path / "resumed.h5", tmp_path / "direct.h5"
    first_part, whole = config(1), config(1)
    first_part = first_part.updated(evolution={"t_max": 1.0})
    whole = whole.updated(evolution={"t_max": 2.0})
    simulate(first_part, resumed)
    assert "steps" not in sent  # one process so far
    assert main(["resume", str(resumed), "--set", "evolution.t_max=2.0",
                 "--set", "evolution.processes=2", "-q"]) == 0
    assert "steps" in sent  # the second process took part
    simulate(whole, direct)  # on one process
    a, b = load(resumed), load(direct)
    assert a["time"][-1] == 2.0
    for name in b:
        if name == "truncation_error":  # the same errors, summed in another order
            assert a[name] == pytest.approx(b[name], rel=1e-12, abs=1e-30)
        elif name != "elapsed_wall_time":
            assert np.array_equal(a[name], b[name], equal_nan=True), name
