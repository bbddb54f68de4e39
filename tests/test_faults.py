"""Nothing silently wrong, nothing lost: each fault is made to happen for real — a truncated
file, a signal during set-up, two writers, a NaN, a lock HDF5 cannot take, a sweep larger than
SLURM's MaxArraySize."""

import os
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest
from conftest import SWEEP_BASE, assert_same_run

import qst_mps
from qst_mps import results
from qst_mps.cli import main

SMALL = ["--set", "model.N=24", "--set", "model.L=2", "--set", "model.J_sd=1.0",
         "--set", "state.sigma_d=1.2", "--set", "state.d=4.0", "-q"]
LONG = ["--set", "model.N=120", "--set", "model.L=3", "--set", "state.sigma_d=3.0",
        "--set", "state.d=15.0", "--set", "evolution.t_max=400.0", "-q"]


def truncate(path, keep=0.5):
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


# 1. damaged files ----------------------------------------------------------------------------

@pytest.mark.parametrize("command", ["compare", "plot", "resume", "load"])
def test_a_damaged_file_is_reported_in_one_line(tmp_path, capsys, command):
    good, bad = tmp_path / "good.h5", tmp_path / "bad.h5"
    assert main(["run", *SMALL, "--set", "evolution.t_max=2.0", "-o", str(good)]) == 0
    assert main(["run", *SMALL, "--set", "evolution.t_max=2.0", "-o", str(bad)]) == 0
    truncate(bad)
    capsys.readouterr()
    if command == "load":
        with pytest.raises(results.DamagedFile, match="damaged result file"):
            qst_mps.load(bad)
        return
    argv = {"compare": ["compare", str(good), str(bad)],
            "plot": ["plot", str(bad), "-o", str(tmp_path / "x.png")],
            "resume": ["resume", str(bad)]}[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "damaged result file" in err[0] and "bad.h5" in err[0]
    if command == "resume":  # no earlier checkpoint (the run completed): kept, not deleted
        assert not bad.exists()
        assert len(list(tmp_path.glob("bad.h5.damaged-*"))) == 1


def test_resume_keeps_a_damaged_file_and_continues_from_the_last_good_checkpoint(tmp_path,
                                                                                capsys):
    path, direct = tmp_path / "run.h5", tmp_path / "direct.h5"
    args = [*SMALL, "--set", "output.checkpoint_every=2.0"]
    assert main(["run", *args, "--set", "evolution.t_max=6.0", "-o", str(path)]) == 0
    assert main(["resume", str(path), "--set", "evolution.t_max=12.0"]) == 0  # rewrites
    # a later run of the same file is interrupted, then its file is damaged
    with h5py.File(path, "r+") as f:
        f.attrs["status"] = "running"
    saved = qst_mps.load(path, checkpoint=True)
    results.write(path, {k: v for k, v in saved.items() if k != "checkpoint"}, saved.config,
                  saved.backend, "running", checkpoint=saved["checkpoint"],
                  extra_attrs={"t_final": 12.0})
    assert results.previous(path).exists()
    truncate(path, 0.3)
    capsys.readouterr()
    assert main(["resume", str(path), "--set", "evolution.t_max=14.0"]) == 0
    err = capsys.readouterr().err
    assert "damaged" in err and "continuing from the previous checkpoint" in err
    assert len(list(tmp_path.glob("run.h5.damaged-*"))) == 1
    assert main(["run", *args, "--set", "evolution.t_max=14.0", "-o", str(direct)]) == 0
    assert_same_run(qst_mps.load(path), qst_mps.load(direct), 1e-12)
    assert not results.previous(path).exists()  # complete: no earlier version kept


def test_a_damaged_point_of_a_sweep_is_failed_and_the_others_go_on(tmp_path, capsys):
    sweep = tmp_path / "s.toml"
    sweep.write_text(SWEEP_BASE + 't_max = 2.0\n[sweep]\n"state.pair" = ["singlet", '
                     '"triplet_0", "single_down"]\n')
    assert main(["sweep", str(sweep), "-q"]) == 0
    points = sorted((tmp_path / "s").glob("*.h5"))
    truncate(points[1])
    capsys.readouterr()
    assert main(["sweep", str(sweep), "--status"]) == 0
    out = capsys.readouterr().out
    assert "2 complete" in out and "1 failed" in out
    assert main(["collect", str(sweep)]) == 0  # the damaged point is left out, not fatal
    table = qst_mps.load_sweep(sweep)
    assert np.isnan(table.values["delta_sigma_z"][1]) and np.isfinite(
        table.values["delta_sigma_z"][0])
    assert main(["sweep", str(sweep), "-q"]) == 0  # runs it again; the damaged file is kept
    assert qst_mps.load(points[1]).status == "complete"
    assert len(list((tmp_path / "s").glob("*.damaged-*"))) == 1


# 2. signals during set-up ---------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_set_up_exits_75_and_writes_nothing(tmp_path, signum):
    """An mps run spends its first seconds importing TeNPy and building the model."""
    path = tmp_path / "run.h5"
    command = [sys.executable, "-m", "qst_mps", "run", *SMALL, "--set",
               "evolution.backend=mps", "-o", str(path)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    time.sleep(0.6)
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 75, err
    assert "nothing was written" in err and "Traceback" not in err
    assert not path.exists() and not list(tmp_path.iterdir())


def test_the_entry_point_exits_like_the_command_when_stopped_while_starting():
    """qst_mps.entry catches a signal before TeNPy, numpy or the command are imported; its
    status is the command's."""
    from qst_mps.entry import STOPPED
    from qst_mps.safeguards.signals import INTERRUPTED

    assert STOPPED == INTERRUPTED
    code = """
import contextlib, os, signal, sys
from qst_mps import entry
import qst_mps.safeguards.signals as signals
real = signals.raising

@contextlib.contextmanager
def raising_then_signalled():  # SIGTERM once the handlers are in, before the command's imports
    with real():
        os.kill(os.getpid(), signal.SIGTERM)
        yield

signals.raising = raising_then_signalled
sys.exit(entry.main(["config"]))
"""
    command = [sys.executable, "-c", code]
    process = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert process.returncode == STOPPED, process.stderr
    assert "nothing was written" in process.stderr and "Traceback" not in process.stderr


# 3. no silent no-ops -------------------------------------------------------------------------

def test_resume_refuses_a_lower_t_max_and_says_when_there_is_nothing_to_do(tmp_path, capsys):
    path = tmp_path / "run.h5"
    assert main(["run", *SMALL, "--set", "evolution.t_max=4.0", "-o", str(path)]) == 0
    capsys.readouterr()
    assert main(["resume", str(path), "--set", "evolution.t_max=3.0"]) == 2
    assert "evolution.t_max" in capsys.readouterr().err
    assert qst_mps.load(path).config["evolution"]["t_max"] == 4.0
    assert main(["resume", str(path)]) == 0
    assert "nothing to do" in capsys.readouterr().err


def test_a_key_the_state_ignores_is_reported_and_left_out(tmp_path, capsys):
    path = tmp_path / "run.h5"
    assert main(["run", *SMALL, "--set", "evolution.t_max=1.0", "--set", "state.theta=1.0",
                 "--set", "state.local_pair=triplet_0", "-o", str(path)]) == 0
    err = capsys.readouterr().err
    assert "state.theta = 1.0 is not used unless state.pair = 'theta'" in err
    assert "state.local_pair" in err
    config = qst_mps.load(path).config
    assert config["state"]["theta"] == 0.0 and config["state"]["local_pair"] == "singlet"


def test_packet_keys_with_a_box_and_box_keys_with_packets_are_reported_and_left_out():
    from qst_mps.config import resolve

    notes = []
    config = resolve({"state": {"electrons": "box", "box": [0, 9], "n_up": 2,
                                "pair": "triplet_0", "sigma_d": 2.0}}, notes)
    assert any("state.pair = 'triplet_0'" in n for n in notes)
    assert any("state.sigma_d" in n for n in notes)
    assert config["state"]["pair"] == "singlet" and config["state"]["sigma_d"] == 5.0
    notes = []
    config = resolve({"state": {"n_up": 2, "box_depth": 3.0}}, notes)
    assert [n.split(" =")[0] for n in notes] == ["state.n_up", "state.box_depth"]
    assert config["state"]["n_up"] == 0 and config["state"]["box_depth"] == "inf"


@pytest.mark.parametrize("pair", ["single_down", "singlet"])
def test_a_packet_narrower_than_the_lattice_is_checked_where_it_lands(capsys, tmp_path, pair):
    """σ_d = 0.1: the packet centred at 99.6 sits on site 100, a local spin."""
    assert main(["run", "--set", "state.sigma_d=0.1", "--set", f"state.pair={pair}",
                 "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert "state.sigma_d" in err and "site 100" in err and "d > 0" not in err


def test_a_negative_hopping_is_named_as_the_fault(capsys, tmp_path):
    assert main(["run", "--set", "model.t_h=-0.5", "--set", "evolution.t_max=auto",
                 "-o", str(tmp_path / "x.h5")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qst-mps: error: model.t_h")


# 4. one writer per output --------------------------------------------------------------------

def test_a_second_writer_is_refused_and_told_who_holds_the_file(tmp_path, capsys):
    path = tmp_path / "run.h5"
    first = subprocess.Popen([sys.executable, "-m", "qst_mps", "run", *LONG, "-o", str(path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        lock = tmp_path / "run.h5.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lock.exists()
        assert main(["run", *LONG, "-o", str(path), "--force"]) == 2
        err = capsys.readouterr().err
        assert f"process {first.pid}" in err and "output.path" in err
    finally:
        first.kill()
        first.wait()


def test_a_stale_lock_of_a_killed_run_does_not_block(tmp_path, capsys):
    import socket

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = tmp_path / "run.h5"
    (tmp_path / "run.h5.lock").write_text(f"{dead.pid} {socket.gethostname()}\n")
    assert main(["run", *SMALL, "--set", "evolution.t_max=1.0", "-o", str(path)]) == 0
    assert "stale lock" in capsys.readouterr().err
    assert not (tmp_path / "run.h5.lock").exists()


# 5. numerical health -------------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["nan", "norm"])
def test_numbers_that_go_bad_stop_the_run_and_keep_the_last_good_checkpoint(
        tmp_path, capsys, monkeypatch, fault):
    """The test hook: the exact backend's measurement returns a NaN (or a norm off by 1e-5)
    from 6 fs on."""
    from qst_mps.exact.backend import ExactBackend

    measured = ExactBackend.measure

    def faulty(self, heavy=True):
        values = measured(self, heavy)
        if self.time >= 6.0:
            if fault == "nan":
                values["density"] = values["density"] * np.nan
            else:
                values["norm"] = values["norm"] + 1e-5
        return values

    monkeypatch.setattr(ExactBackend, "measure", faulty)
    path = tmp_path / "run.h5"
    code = main(["run", *SMALL, "--set", "evolution.t_max=10.0", "--set",
                 "output.checkpoint_every=2.0", "-o", str(path)])
    assert code == 3
    err = capsys.readouterr().err
    assert ("density is not finite" if fault == "nan" else "norm drifted") in err
    kept = qst_mps.load(path, checkpoint=True)
    assert kept.status == "running" and kept["time"][-1] == 4.0
    assert np.all(np.isfinite(kept["density"]))


def test_the_norm_may_drift_by_what_truncation_discarded():
    """A norm off by 1.3e-6 with 1.1e-2 discarded (as in a ten-electron train at chi_max = 128)
    is truncation, recorded in the file; the same drift with nothing discarded is a failure."""
    from qst_mps.safeguards.health import NumericalFailure, check

    first = {"norm": 1.0, "energy": -1.0, "truncation_error": 0.0}
    truncated = {"norm": 1.0 + 1.3e-6, "energy": -1.0, "truncation_error": 1.1e-2}
    check(truncated, first, "mps", conserves_sz=False, scale=1.0)
    with pytest.raises(NumericalFailure, match="norm drifted") as failure:
        check({**truncated, "truncation_error": 0.0}, first, "mps", False, 1.0)
    assert "chi_max" not in str(failure.value)
    # a drift that comes with much discarded weight says what to change
    with pytest.raises(NumericalFailure, match="larger evolution.chi_max"):
        check({**truncated, "energy": -0.5, "truncation_error": 0.24}, first, "mps", False, 1.0)


# 6. clusters ---------------------------------------------------------------------------------

def test_a_file_hdf5_cannot_lock_names_hdf5_use_file_locking(tmp_path, capsys):
    """Another process holds the file open for writing: HDF5's lock fails, as it does on a
    network file system without locks."""
    path = tmp_path / "run.h5"
    assert main(["run", *SMALL, "--set", "evolution.t_max=1.0", "-o", str(path)]) == 0
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import h5py, time; f = h5py.File({str(path)!r}, 'r+'); "
                               "print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
        env={k: v for k, v in os.environ.items() if k != "HDF5_USE_FILE_LOCKING"})
    try:
        assert holder.stdout.readline().strip() == "open"
        capsys.readouterr()
        assert main(["compare", str(path), str(path)]) == 2
        err = capsys.readouterr().err
        assert "HDF5_USE_FILE_LOCKING" in err and len(err.strip().splitlines()) == 1
    finally:
        holder.kill()
        holder.wait()


def test_a_sweep_larger_than_max_array_size_is_split(tmp_path, capsys):
    sweep = tmp_path / "big.toml"
    sweep.write_text(SWEEP_BASE + 't_max = 2.0\n[sweep]\n'
                     '"state.theta" = {start = 0.0, stop = 6.0, num = 1500}\n'
                     '"state.pair" = ["theta"]\n')
    assert main(["sweep", str(sweep), "--slurm", "--dry-run", "--max-array-size", "1001"]) == 0
    scripts = sorted((tmp_path / "big").glob("sweep.*.sbatch"))
    assert len(scripts) == 2
    texts = [s.read_text() for s in scripts]
    assert "#SBATCH --array=0-1000" in texts[0] and "$SLURM_ARRAY_TASK_ID" in texts[0]
    assert "#SBATCH --array=0-498" in texts[1]
    assert "$((SLURM_ARRAY_TASK_ID + 1001))" in texts[1]
    for script in scripts:
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
