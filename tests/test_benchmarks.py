"""Every benchmark of runs/bench/ runs, at a small size, so that none rots while the package
changes under it (runs/bench/README.md says what each measures). Marked slow: CI runs them.

Each is run as a user would, ``python runs/bench/NAME.py …`` in a fresh process, and must exit
0 and print a result line; what it measures is not checked here (its figures are in
docs/notes/performance.md and docs/notes/scaling.md, with the commands that made them).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "runs" / "bench"

pytestmark = pytest.mark.slow

#: name -> arguments (a small size; "{state}" is a saved mps state with a checkpoint)
SMALL = {
    "bond_update": ["--chi", "8", "--N", "40", "--rounds", "1"],
    "dt_frontier": ["run", "--L", "4", "--dt", "0.5", "--t-max", "2"],
    "ring_closing": ["gate"],
    "estimates": [],
    "exact_speed": ["--states", "single_down"],  # the smallest sector of the paper's model
    "exact_vs_quspin": ["--runs", "1"],
    "gate_profile": ["--L", "4", "--span", "0.5", "--top", "5"],
    "measurement_cost": ["--chi", "8", "--N", "40", "--repeats", "1"],
    "mps_speed": ["--t-max", "1", "--variants", "tuned"],
    "mps_state interval": ["interval", "{state}", "--fs", "0.5"],
    "mps_state evolve": ["evolve", "{state}", "--fs", "0.5", "--processes", "1"],
    "observables_cost": ["--t-max", "1", "--runs", "1"],
    "qr_tebd": ["{state}", "--fs", "0.5", "--dt", "0.25", "--chi-max", "32"],
    "versions": ["HEAD", "--runs", "1", "--", "run", "--set", "evolution.t_max=1"],
}


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    """A small mps run with its checkpoint: a singlet through two spins, 1 fs."""
    import qst_mps

    path = tmp_path_factory.mktemp("bench") / "state.h5"
    qst_mps.run({"model": {"N": 24, "L": 2, "J_sd": 1.0, "boundary": "open"},
                 "state": {"sigma_d": 1.2, "x2": 6.0, "d": 2.5},
                 "evolution": {"backend": "mps", "t_max": 1.0}}, path, progress=False)
    return path


def test_every_benchmark_has_a_smoke_run():
    scripts = {p.stem for p in BENCH.glob("*.py")}
    covered = {name.split()[0] for name in SMALL}
    assert scripts == covered, scripts ^ covered


@pytest.mark.parametrize("name", list(SMALL))
def test_a_benchmark_runs_at_a_small_size(name, state, tmp_path):
    script = BENCH / f"{name.split()[0]}.py"
    args = [a.replace("{state}", str(state)) for a in SMALL[name]]
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip(), "printed nothing"
