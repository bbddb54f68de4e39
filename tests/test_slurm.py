"""A real one-node SLURM cluster on localhost runs sweeps as job arrays.

The fixture installs Debian's slurm-wlm and munge when they are missing (root and apt-get
needed), starts munged (unless running), slurmctld and slurmd with their state in a temporary
folder and ports of their own, and stops what it started. Where any of that is impossible the
tests are skipped with the reason.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SWEEP_BASE

from qst_mps import batch as sweeps
from qst_mps.cli import main

pytestmark = pytest.mark.slurm

SWEEP = SWEEP_BASE + "t_max = 4.0\n[sweep]\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _install() -> str | None:
    """Install slurm-wlm and munge if missing; the reason they cannot be had, else None."""
    if shutil.which("slurmctld") and shutil.which("munged"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "slurm-wlm is not installed and this is not a root Debian machine"
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "slurm-wlm", "munge"]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}"
    return None


def _wait(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    reason = _install()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("slurm")
    host = socket.gethostname().split(".")[0]
    (folder / "state").mkdir()
    (folder / "spool").mkdir()
    conf = folder / "slurm.conf"
    conf.write_text(f"""ClusterName=qsttest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
AuthType=auth/munge
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
    env = dict(os.environ, SLURM_CONF=str(conf))
    started_munge = False
    if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode != 0:
        Path("/run/munge").mkdir(parents=True, exist_ok=True)
        if subprocess.run(["munged", "--force"], capture_output=True).returncode != 0:
            pytest.skip("munged does not start here")
        started_munge = True
    subprocess.run(["slurmctld", "-f", str(conf)], env=env, check=True)
    subprocess.run(["slurmd", "-f", str(conf)], env=env, check=True)

    def idle():
        done = subprocess.run(["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True)
        return done.stdout.strip() == "idle"

    try:
        if not _wait(idle, 60):
            logs = "".join(p.read_text()[-500:] for p in folder.glob("*.log"))
            pytest.skip(f"the one-node SLURM cluster did not come up: {logs}")
        os.environ["SLURM_CONF"] = str(conf)
        yield env
    finally:
        os.environ.pop("SLURM_CONF", None)
        for name in ("slurmd", "slurmctld"):
            pid_file = folder / f"{name}.pid"
            if pid_file.exists():
                subprocess.run(["kill", pid_file.read_text().strip()], capture_output=True)
        if started_munge:
            subprocess.run(["pkill", "-x", "munged"], capture_output=True)


def _finished(sweep):
    return lambda: all(sweep.status(i) in ("complete", "failed")
                       for i in range(len(sweep.configs)))


def test_three_point_sweep_as_a_job_array(slurm, tmp_path, capsys):
    path = tmp_path / "three.toml"
    path.write_text(SWEEP + '"state.pair" = ["singlet", "triplet_0", "single_down"]\n')
    assert main(["sweep", str(path), "--slurm", "--time", "00:05:00", "--mem", "1G"]) == 0
    assert "Submitted batch job" in capsys.readouterr().out
    sweep = sweeps.load(path)
    assert _wait(_finished(sweep), 180), list(map(sweep.status, range(3)))
    assert [sweep.status(i) for i in range(3)] == ["complete"] * 3
    table = sweeps.collect(sweep)
    assert table.values["delta_sigma_z"].min() > 1e-3  # real runs, real transfer
    assert len(list((tmp_path / "three" / "slurm").glob("*.out"))) == 3


def test_a_failing_point_fails_alone_on_slurm(slurm, tmp_path, capsys):
    path = tmp_path / "failing.toml"
    path.write_text(SWEEP + '"model.N" = [24, 30000]\n"state.pair" = ["triplet_minus"]\n'
                            '"evolution.backend" = ["exact"]\n')
    assert main(["sweep", str(path), "--slurm", "--time", "00:05:00", "--mem", "1G"]) == 0
    sweep = sweeps.load(path)
    assert _wait(_finished(sweep), 180)
    assert [sweep.status(i) for i in range(2)] == ["complete", "failed"]
    capsys.readouterr()
    assert main(["sweep", str(path), "--status"]) == 0
    assert "1 complete, 0 running, 1 failed" in capsys.readouterr().out
