"""The MPO expectation values of a measurement, all MPOs stacked into one block-diagonal MPO
(qst_mps/mps/environments.py), against TeNPy's ``MPO.expectation_value`` of each MPO on its
own and TeNPy's ``MPSEnvironment`` for the norm, on scrambled states: a pair on an open chain
(⟨H⟩, ⟨S_el²⟩, Σ n↑n↑) and three packets on a ring (H with the long-range closing hop, and the
four characteristic-function MPOs of P(N↑ = n))."""

import warnings

import numpy as np
import pytest
from conftest import mps_backend
from tenpy.algorithms.tebd import RandomUnitaryEvolution
from tenpy.networks.mps import MPSEnvironment

from qst_mps.config import resolve
from qst_mps.mps.environments import CachedExpectations

warnings.filterwarnings("ignore", message="unused option")

CASES = {
    "pair, open chain": (
        {"N": 16, "L": 2, "n_first": 11, "J_sd": 1.0, "boundary": "open"},
        {"pair": "triplet_minus", "sigma_d": 1.5, "x2": 6.0, "d": 4.0}),
    "three packets, ring": (
        {"N": 18, "L": 2, "n_first": 12, "J_sd": 1.0, "boundary": "periodic"},
        {"electrons": "packets", "pair": "single", "repeat": 3, "spacing": 3.0,
         "sigma_d": 1.0, "x2": 7.0, "spin_theta": np.pi}),
}


#: the truncation of the gates that scramble and evolve the test states
TRUNCATION = {"chi_max": 30, "svd_min": 1e-12}


def scrambled_backend(model: dict, state: dict, seed: int):
    """The mps backend of ``model`` and ``state`` with its MPS scrambled by three layers of
    TeNPy's ``RandomUnitaryEvolution`` (charge-conserving random two-site gates: every bond
    entangled, several charge sectors)."""
    backend = mps_backend(resolve({"model": model, "state": state,
                                   "evolution": {"backend": "mps", "t_max": 1.0}}))
    np.random.seed(seed)
    RandomUnitaryEvolution(backend.psi, {"N_steps": 3, "trunc_params": TRUNCATION}).run()
    return backend


@pytest.mark.parametrize("case", list(CASES))
def test_the_stacked_mpos_give_each_mpos_own_value(case):
    backend = scrambled_backend(*CASES[case], seed=3)
    psi = backend.psi
    mpos = backend.measurement.expectations.mpos
    assert len(mpos) >= (3 if case.startswith("pair") else 5)
    expected = {name: mpo.expectation_value(psi) for name, mpo in mpos.items()}
    expected["norm"] = MPSEnvironment(psi, psi).full_contraction(0)
    stacked = CachedExpectations(mpos)
    values = stacked.values(psi, None)
    assert set(values) == set(expected)
    for name, value in values.items():
        assert abs(value - expected[name]) < 1e-12, name
    # a window measured again after a change inside it: still each MPO's value
    RandomUnitaryEvolution(psi, {"N_steps": 1, "trunc_params": TRUNCATION}).run()
    values = stacked.values(psi, (0, psi.L - 1))
    for name, mpo in mpos.items():
        assert abs(values[name] - mpo.expectation_value(psi)) < 1e-12, name


@pytest.mark.parametrize("spin_theta", [np.pi, np.pi / 2], ids=["S_z conserved", "tilted"])
def test_the_one_site_profiles_are_tenpys_expectation_values(spin_theta):
    """σ_el, S_loc and the density, from one reduced density matrix per site
    (qst_mps/mps/observables.py), against TeNPy's ``expectation_value`` of each operator, on a
    scrambled state; tilted electrons conserve no S_z, so S_x and S_y are measured too."""
    model = {"N": 18, "L": 2, "n_first": 12, "J_sd": 1.0, "boundary": "open"}
    state = {"electrons": "packets", "pair": "single", "repeat": 2, "spacing": 3.0,
             "sigma_d": 1.0, "x2": 7.0, "spin_theta": spin_theta}
    backend = scrambled_backend(model, state, seed=4)
    psi, chain = backend.psi, backend.model
    assert chain.conserve_sz == (spin_theta == np.pi)
    ours = backend.measurement.measure(psi)
    components = ("Sz",) if chain.conserve_sz else ("Sx", "Sy", "Sz")
    N = psi.L
    for name in components:
        axis = "xyz".index(name[-1])
        electron = np.real(psi.expectation_value([chain.op(name, x) for x in range(N)]))
        local = np.real(psi.expectation_value(name + "s", sites=list(chain.spin_sites)))
        assert abs(ours["sigma_el"][axis] - electron.sum()
                   * backend.problem.model.electron_scale) < 1e-12
        assert np.allclose(ours["S_loc"][:, axis], local, rtol=0, atol=1e-12)
    density = np.real(psi.expectation_value([chain.op("Ntot", x) for x in range(N)]))
    assert np.allclose(ours["density"], density, rtol=0, atol=1e-12)
    assert np.abs(ours["S_loc"]).max() > 0.05 and np.abs(density).max() > 0.05  # not trivial


def test_a_skipped_measurement_keeps_what_changed_for_the_next():
    """``skip`` (output.dt_heavy: no contraction at this output time) then ``values``: TEBD
    updates the right half of the chain before a measurement (which caches the left half's
    environment), the left half before the skipped call and the right half before the next
    measurement. Its values are TeNPy's ``MPO.expectation_value`` of the final state only if
    the cached left half is forgotten too: without what ``skip`` remembers it is kept, stale
    (a mutation test: ``skip`` doing nothing fails here)."""
    from qst_mps.constants import HBAR
    from qst_mps.mps.tebd import WindowTEBDEngine

    backend = scrambled_backend(*CASES["pair, open chain"], seed=5)
    psi = backend.psi
    mpos = backend.measurement.expectations.mpos
    stacked = CachedExpectations(mpos)
    stacked.values(psi, None)
    engine = WindowTEBDEngine(psi, backend.model, {
        "order": "4_opt", "trunc_params": TRUNCATION,
        "max_N_sites_per_ring": backend.model.lat.N_sites_per_ring})
    half = psi.L // 2
    left, right = (0, half), (half, psi.L - 1)
    # the first call on the right half caches the environment of the left half (LP at half)
    for window, call in ((right, stacked.values), (left, stacked.skip), (right, stacked.values)):
        engine.window = window
        engine.run_evolution(1, 0.5 / HBAR)
        values = call(psi, window)
    for name, mpo in mpos.items():
        assert abs(values[name] - mpo.expectation_value(psi)) < 1e-12, name
