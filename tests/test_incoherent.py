"""The incoherent train (qst_mps/incoherent.py): every pair with its own random phase θ.

Reference: the θ-average over the torus of an observable that carries each θ_m only through
e^{±iθ_m} is also the mean over any uniform grid of three or more points per phase. The 3 × 3
grid θ_m ∈ {0, 2π/3, 4π/3} is a different set of runs from the 2 × 2 corners {0, π} that
:func:`incoherent.run` uses, so the two agree only if the corners give the average.
"""

import itertools
import math

import numpy as np
import pytest

from qst_mps import incoherent
from qst_mps.config import resolve
from qst_mps.problem import build
from qst_mps.simulation import simulate


def two_pairs(**state):
    """Two θ-pairs (σ_d = 0.7, d = 7: their packets overlap by e^-25) on an open chain of 28
    sites towards two spins, exact backend, 0 … 3 fs: the leading pair passes the spins."""
    return resolve({"model": {"N": 28, "L": 2, "n_first": 24, "boundary": "open", "J_sd": 1.0,
                              "t_h": 1.0},
                    "state": {"pair": "theta", "repeat": 2, "sigma_d": 0.7, "d": 7.0,
                              "spacing": 14.0, "k_e": math.pi / 2, **state},
                    "evolution": {"backend": "exact", "t_max": 3.0, "dt_out": 0.5}})


@pytest.fixture(scope="module")
def corners_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("corners")


@pytest.fixture(scope="module")
def corners(corners_folder):
    return incoherent.run(two_pairs(), corners_folder, progress=False)


def test_the_corners_give_the_average_over_the_torus(corners):
    grid = [0.0, 2 * math.pi / 3, 4 * math.pi / 3]
    members = [simulate(incoherent.member(two_pairs(), theta))
               for theta in itertools.product(grid, grid)]
    reference = incoherent.average(members, build(two_pairs()), "grid", None)
    assert corners.mode == "exact" and corners.phases.shape == (4, 2)
    for name in ("sigma_el", "S_loc", "density", "electron_spin_squared",
                 "electron_up_probabilities", "energy", "delta_sigma_z", "S_z_total"):
        assert np.max(np.abs(corners[name] - reference[name])) < 1e-10, name
    assert corners["delta_sigma_z"][-1] > 0.05  # the pairs reached the spins
    # Δσ_z is the mixture's |σ_z(t) − σ_z(0)|, derived from the mean, not a mean of |…|
    assert np.allclose(corners["delta_sigma_z"],
                       np.abs(corners["sigma_z_el"] - corners["sigma_z_el"][0]))
    assert "magnet_entropy" not in corners.mean and "chi_max_bond" not in corners.mean


def test_a_sampled_average_brackets_the_exact_one(corners, tmp_path):
    sampled = incoherent.run(two_pairs(), tmp_path, samples=6, seed=3, progress=False)
    assert sampled.mode == "sampled" and sampled.phases.shape == (6, 2)
    for name in ("S_z_loc", "sigma_z_el", "delta_sigma_z"):
        error = sampled.standard_error[name][-1]
        assert np.all(error > 1e-4), name  # the phases matter
        assert np.all(np.abs(sampled[name][-1] - corners[name][-1]) < 4 * error), name


def test_the_exact_average_is_refused_where_it_does_not_hold(tmp_path):
    with pytest.raises(ValueError, match="overlap"):
        incoherent.run(two_pairs(d=2.0, sigma_d=1.0), tmp_path, progress=False)
    with pytest.raises(ValueError, match="2\\^4 runs"):
        incoherent.run(two_pairs(repeat=4, spacing=5.0, d=2.0), tmp_path, progress=False)
    with pytest.raises(ValueError, match="train of pairs"):
        incoherent.run(two_pairs(pair="single"), tmp_path, progress=False)


def test_member_files_are_reused_and_checked(corners, corners_folder):
    again = incoherent.run(two_pairs(), corners_folder, progress=False)  # no run: files reused
    assert np.array_equal(again["S_loc"], corners["S_loc"])
    with pytest.raises(ValueError, match="another run"):
        incoherent.run(two_pairs(k_e=1.2), corners_folder, progress=False)
