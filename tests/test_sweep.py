"""Sweeps: expansion, deterministic names, local runs that skip/resume, failures, status,
collection into a labelled table, and the SLURM job-array script."""

import subprocess

import numpy as np
import pytest
from conftest import SWEEP_BASE

import qst_mps
from qst_mps import batch as sweeps
from qst_mps.cli import main
from qst_mps.config import ConfigError

BASE = SWEEP_BASE + "t_max = 6.0\n"


def write(tmp_path, table, name="s.toml"):
    path = tmp_path / name
    path.write_text(BASE + "[sweep]\n" + table)
    return path


def test_expansion_is_the_cartesian_product_with_stable_names(tmp_path):
    path = write(tmp_path, '"state.pair" = ["theta", "single_down"]\n'
                           '"state.theta" = {start = 0.0, stop = 3.0, num = 3}\n')
    sweep = sweeps.load(path)
    assert sweep.axes == {"state.pair": ["theta", "single_down"], "state.theta": [0.0, 1.5, 3.0]}
    assert len(sweep.configs) == 6
    # state.theta is read only by pair = "theta": the single_down points keep the default,
    # and the sweep says so (three of them are one run)
    assert [c["state"]["theta"] for c in sweep.configs] == [0.0, 1.5, 3.0, 0.0, 0.0, 0.0]
    assert any("state.theta" in text for text in sweep.notes)
    assert "sweep points 3, 4, 5 describe the same run" in sweep.notes
    names = [sweep.path(i).name for i in range(6)]
    assert names[1] == "p0001_pair=theta_theta=1.5.h5"
    assert sweep.folder == tmp_path / "s"
    assert names == [sweeps.load(path).path(i).name for i in range(6)]  # deterministic


def test_a_bad_point_is_refused_before_any_work(tmp_path):
    path = write(tmp_path, '"model.L" = [2, 0]\n')
    with pytest.raises(ConfigError, match="sweep point 1") as err:
        sweeps.load(path)
    assert err.value.key == "model.L"
    assert main(["sweep", str(path), "-q"]) == 2
    assert not (tmp_path / "s").exists()


def test_step_ranges_and_bad_ranges(tmp_path):
    assert sweeps.load(write(tmp_path, '"state.d" = {start = 3.0, stop = 5.0, step = 1.0}\n')
                       ).axes["state.d"] == [3.0, 4.0, 5.0]
    with pytest.raises(ConfigError, match="sweep.state.d"):
        sweeps.load(write(tmp_path, '"state.d" = {start = 3.0}\n'))


def test_local_sweep_collects_and_skips_complete_points(tmp_path, capsys):
    path = write(tmp_path, '"state.pair" = ["singlet", "triplet_0"]\n"state.d" = [4.0, 5.0]\n')
    assert main(["sweep", str(path), "-j", "2", "-q"]) == 0
    assert "4 complete" in capsys.readouterr().out
    sweep = sweeps.load(path)
    mtimes = [sweep.path(i).stat().st_mtime_ns for i in range(4)]
    assert main(["sweep", str(path), "-q"]) == 0  # nothing to do
    assert mtimes == [sweep.path(i).stat().st_mtime_ns for i in range(4)]
    table = qst_mps.load_sweep(path)
    assert table.values["delta_sigma_z"].shape == (2, 2)
    for i, position in enumerate(np.ndindex(2, 2)):
        run = qst_mps.load(sweep.path(i))
        assert run.config["state"]["pair"] == table.axes["state.pair"][position[0]]
        assert table.values["delta_sigma_z"][position] == run["delta_sigma_z"][-1]
        assert np.all(table.values["pair_spin_probabilities"][position] ==
                      run["pair_spin_probabilities"][-1])
    assert main(["collect", str(path)]) == 0
    assert "Δσ_z plateau" in capsys.readouterr().out


def test_overrides_reach_every_worker_and_the_slurm_tasks(tmp_path):
    """--set on a sweep changes every point, also in worker processes that re-read the file
    (they once silently dropped it) and in the job-array tasks."""
    path = write(tmp_path, '"state.pair" = ["singlet", "triplet_0"]\n')
    assert main(["sweep", str(path), "-j", "2", "-q", "--set", "state.d=4.5"]) == 0
    sweep = sweeps.load(path, overrides=["state.d=4.5"])
    for i in range(2):
        assert qst_mps.load(sweep.path(i)).config["state"]["d"] == 4.5
    assert main(["sweep", str(path), "--slurm", "--dry-run", "--set", "state.d=4.5"]) == 0
    assert "--set state.d=4.5" in (tmp_path / "s" / "sweep.sbatch").read_text()


def test_a_failing_point_is_reported_and_the_others_complete(tmp_path, capsys):
    # point 1 passes validation but its exact sector cannot be held: it fails when it runs
    path = write(tmp_path, '"model.N" = [24, 30000]\n"state.pair" = ["triplet_minus"]\n'
                           '"evolution.backend" = ["exact"]\n')
    assert main(["sweep", str(path), "-q"]) == 1
    capsys.readouterr()
    assert main(["sweep", str(path), "--status"]) == 0
    out = capsys.readouterr().out
    assert "1 complete" in out and "1 failed" in out and "p0001" in out
    sweep = sweeps.load(path)
    assert sweep.status(0) == "complete" and sweep.status(1) == "failed"
    assert "dimension" in sweep.path(1).with_suffix(".failed").read_text()
    assert main(["sweep", str(path), "--task", "1"]) == 1
    assert main(["sweep", str(path), "--task", "0"]) == 0


def test_slurm_dry_run_writes_a_job_array(tmp_path, capsys):
    path = write(tmp_path, '"state.theta" = [0.0, 1.0, 2.0]\n"state.pair" = ["theta"]\n')
    assert main(["sweep", str(path), "--slurm", "--dry-run", "--time", "00:10:00"]) == 0
    script = (tmp_path / "s" / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-2" in script and "#SBATCH --time=00:10:00" in script
    assert "--signal=B:TERM@120" in script and "scontrol requeue" in script
    assert '--task "$SLURM_ARRAY_TASK_ID"' in script
    assert subprocess.run(["bash", "-n", str(tmp_path / "s" / "sweep.sbatch")]).returncode == 0


def test_slurm_asks_for_a_core_per_process(tmp_path, capsys):
    """evolution.processes = 2 (an mps run's second TEBD process) needs two cores per task,
    each process with one BLAS thread."""
    path = write(tmp_path, '"state.pair" = ["singlet", "triplet_minus"]\n')
    assert main(["sweep", str(path), "--slurm", "--dry-run", "--time", "00:10:00"]) == 0
    assert _sbatch_value((tmp_path / "s" / "sweep.sbatch").read_text(), "cpus-per-task") == "1"
    assert main(["sweep", str(path), "--slurm", "--dry-run", "--time", "00:10:00",
                 "--set", "evolution.processes=2"]) == 0
    script = (tmp_path / "s" / "sweep.sbatch").read_text()
    assert _sbatch_value(script, "cpus-per-task") == "2"
    assert "export OMP_NUM_THREADS=1 " in script


def _sbatch_value(script: str, option: str) -> str:
    return next(line.split("=", 1)[1] for line in script.splitlines()
                if line.startswith(f"#SBATCH --{option}="))


def _seconds(limit: str) -> int:
    days, _, clock = limit.rpartition("-")
    hours, minutes, seconds = (int(v) for v in clock.split(":"))
    return int(days or 0) * 86400 + hours * 3600 + minutes * 60 + seconds


def test_slurm_jobs_are_sized_from_the_estimates_of_their_points(tmp_path, capsys):
    """Without --time and --mem the job asks for what its largest point needs
    (qst_mps/estimate.py): at least the peak memory and wall time each point is measured to take
    here (each run alone in a child process; its peak is VmHWM of its own address space, since
    Linux carries ru_maxrss over from the forking test process), more memory for a sweep with a
    larger exact point, and what the command line gives when it gives it."""
    import sys
    import time

    small = write(tmp_path, '"state.pair" = ["singlet", "triplet_minus"]\n'
                            '"evolution.backend" = ["exact"]\n', "small.toml")
    assert main(["sweep", str(small), "--slurm", "--dry-run"]) == 0
    script = (tmp_path / "small" / "sweep.sbatch").read_text()
    assert "per point: --time=" in capsys.readouterr().out
    memory = int(_sbatch_value(script, "mem").removesuffix("G")) * 2**30
    limit = _seconds(_sbatch_value(script, "time"))
    for task in range(2):
        code = ("import sys; from qst_mps.cli import main; "
                f"status = main(['sweep', {str(small)!r}, '--task', '{task}']); "
                "print([line.split()[1] for line in open('/proc/self/status') "
                "if line.startswith('VmHWM')][0]); sys.exit(status)")
        started = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        wall = time.perf_counter() - started
        assert child.returncode == 0, child.stderr
        peak = int(child.stdout.split()[-1]) * 1024  # VmHWM is in kB
        assert 10 * 2**20 < peak < memory
        assert wall < limit

    larger = tmp_path / "larger.toml"
    larger.write_text(small.read_text().replace('"state.pair" = ["singlet", "triplet_minus"]',
                                                '"state.pair" = ["singlet", "triplet_minus"]\n'
                                                '"model.N" = [24, 200]\n"model.L" = [2, 6]'))
    assert main(["sweep", str(larger), "--slurm", "--dry-run"]) == 0
    script = (tmp_path / "larger" / "sweep.sbatch").read_text()
    assert int(_sbatch_value(script, "mem").removesuffix("G")) * 2**30 > memory
    assert main(["sweep", str(larger), "--slurm", "--dry-run", "--mem", "3G"]) == 0
    script = (tmp_path / "larger" / "sweep.sbatch").read_text()
    assert _sbatch_value(script, "mem") == "3G" and _sbatch_value(script, "time") != ""
