"""The scaling family of runs/scaling (issue 7): its committed run files and its geometry.

The geometry test evolves the smallest member with the exact backend and checks the two claims
the family is built on, against the dynamics rather than against the formula that chose N and
t_max: nothing reaches the ends of the chain, and at t_max = "auto" the packets have left the
local spins.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

SCALING = Path(__file__).resolve().parents[1] / "runs" / "scaling"
sys.path.insert(0, str(SCALING))
import family  # noqa: E402


@pytest.mark.parametrize("L", family.LENGTHS)
def test_committed_run_files_are_what_family_writes(L):
    """runs/scaling/L*.toml are written by family.py; a change to the rule or to
    models/scaling.toml without --write would leave them stale."""
    assert (SCALING / f"L{L:03d}.toml").read_text() == family.toml_text(L)


def test_smallest_member_keeps_its_ends_clear_and_the_packets_leave_by_t_max():
    from qst_mps.config import apply_overrides, load_toml, resolve
    from qst_mps.simulation import simulate

    # as runs/scaling/run.py runs it: the member's file with the pair and backend set
    config = resolve(apply_overrides(load_toml(SCALING / "L004.toml"),
                                     ["state.pair=singlet", "evolution.backend=exact"]))
    density, model = simulate(config)["density"], config["model"]
    spins = slice(model["n_first"], model["n_first"] + model["L"])
    # The chain ends: five sites at each end, at every output time. A packet reaching an end
    # would put O(0.1) there; measured 3e-9.
    assert np.max(density[:, :5]) < 1e-6
    assert np.max(density[:, -5:]) < 1e-6
    # The spins: up to 0.38 electrons sit on them while the packets pass; at t_max what is
    # left is the tail of the packets (measured 2.1e-4 electrons).
    assert np.max(density[:, spins].sum(axis=1)) > 0.1
    assert density[-1, spins].sum() < 1e-3


@pytest.mark.slow
def test_the_chi_step_bounds_the_error_of_a_truncated_run():
    """qst-mps converge (qst_mps/convergence.py): a run's error in Δσ_z is estimated by its
    step from the run at the next smaller chi_max. Checked against the exact backend on a pair
    through six strongly coupled spins (N = 20), where chi_max 8, 12 and 16 truncate (discarded
    weights 2.5e-3, 1.2e-4 and 7.6e-6). Measured: steps 1.4e-3 and 1.9e-4 over errors of 2.1e-4
    and 1.1e-5."""
    from qst_mps.config import resolve
    from qst_mps.convergence import chi_steps
    from qst_mps.simulation import simulate

    def run(backend, chi_max=64):
        return simulate(resolve({
            "model": {"N": 20, "L": 6, "J_sd": 1.0, "boundary": "open"},
            "state": {"pair": "triplet_minus", "sigma_d": 1.2, "x2": 4.4, "d": 2.5},
            "evolution": {"backend": backend, "t_max": 6.0, "dt": 0.1, "chi_max": chi_max,
                          "svd_min": 1e-12}}))

    exact = run("exact")["delta_sigma_z"]
    runs = [run("mps", chi_max) for chi_max in (8, 12, 16)]
    values = np.array([r["delta_sigma_z"] for r in runs])
    assert np.all(np.diff([r["truncation_error"][-1] for r in runs]) < 0)  # chi truncates less
    assert runs[-1]["truncation_error"][-1] > 1e-6  # and still truncates at chi_max 16
    steps = chi_steps(values)
    assert np.all(np.isnan(steps[0]))
    for step, value in zip(steps[1:], values[1:], strict=True):
        error = np.max(np.abs(value - exact))
        assert 1e-6 < error <= np.max(step)
