"""The TEBD bond update on the bond's charge sectors (qst_mps/mps/bond_update.py) against
TeNPy's own ``TEBDEngine.update_bond`` and ``MPS.swap_sites``, gate by gate, on a state
scrambled by TeNPy's charge-conserving random unitaries (every bond entangled, several charge
sectors per bond), with and without truncation."""

import warnings

import numpy as np
import pytest
from conftest import mps_backend
from tenpy.algorithms.tebd import RandomUnitaryEvolution, TEBDEngine

from qst_mps.config import resolve
from qst_mps.constants import HBAR
from qst_mps.mps.bond_update import update_bond
from qst_mps.mps.ring import swap_sites
from qst_mps.mps.tebd import WindowTEBDEngine

warnings.filterwarnings("ignore", message="unused option")

#: no truncation but rounding; a hard one, by chi_max and by svd_min; and the cut of the large
#: runs, svd_min 1e-6, which like the hard one takes the Gram-matrix path (GRAM_SVD_MIN)
TRUNCATIONS = [{"chi_max": 500, "svd_min": 1e-14}, {"chi_max": 12, "svd_min": 1e-3},
               {"chi_max": 500, "svd_min": 1e-6}]
IDS = ["untruncated", "truncated", "svd_min 1e-6"]


def scrambled(seed: int):
    """The mps backend of an 18-site chain with three local spins and a singlet pair, its MPS
    scrambled by TeNPy's random two-site unitaries (which conserve N and 2S_z)."""
    backend = mps_backend(resolve({
        "model": {"N": 18, "L": 3, "n_first": 12, "J_sd": 1.0, "boundary": "open"},
        "state": {"pair": "singlet", "sigma_d": 1.5, "x2": 6.0, "d": 4.0, "k_e": 1.5},
        "evolution": {"backend": "mps", "t_max": 1.0, "dt": 0.5},
    }))
    np.random.seed(seed)
    RandomUnitaryEvolution(backend.psi, {"N_steps": 4,
                                         "trunc_params": {"chi_max": 40, "svd_min": 1e-12}}).run()
    return backend


def same_bond(a, b, i):
    """The Schmidt values and the charges of bond (i, i + 1) agree."""
    assert np.allclose(a.get_SR(i), b.get_SR(i), rtol=0, atol=1e-12)
    leg_a, leg_b = a.get_B(i + 1).get_leg("vL"), b.get_B(i + 1).get_leg("vL")
    assert np.array_equal(leg_a.charges, leg_b.charges)
    assert np.array_equal(leg_a.slices, leg_b.slices)


def fidelity(a, b) -> float:
    """|⟨a|b⟩| / (‖a‖ ‖b‖), with the norms contracted too: after a truncation the B tensors are
    right-orthonormal only to about the discarded weight."""
    return abs(a.overlap(b)) / np.sqrt(abs(a.overlap(a)) * abs(b.overlap(b)))


@pytest.mark.parametrize("trunc_params", TRUNCATIONS, ids=IDS)
def test_the_bond_update_is_tenpys(trunc_params):
    """Two layers of the model's bond gates (exp(−i dt h), dt 0.5 fs): after every gate the
    same Schmidt values, bond charges and discarded weight as TeNPy's ``update_bond``, every B
    tensor consistent with its legs, the same norm, and the same state at the end."""
    backend = scrambled(seed=1)
    tenpy_psi, psi = backend.psi.copy(), backend.psi.copy()
    engine = WindowTEBDEngine(tenpy_psi, backend.model,
                              {"order": "4_opt", "dt": 0.5, "trunc_params": trunc_params})
    engine.calc_U("4_opt", 0.5 / HBAR)
    gates = engine._U[1]
    for parity in (1, 0, 1):
        for i in range(2 - parity, psi.L, 2):
            expected = TEBDEngine.update_bond(engine, i, gates[i])
            error = update_bond(psi, i, gates[i], engine.trunc_params)
            same_bond(tenpy_psi, psi, i - 1)
            assert abs(error.eps - expected.eps) < 1e-13
            assert abs(error.ov - expected.ov) < 1e-13
    if trunc_params["chi_max"] < 40:
        assert max(psi.chi) == 12  # the truncation did cut
    for i in range(psi.L):
        psi.get_B(i).test_sanity()
    assert abs(psi.norm - tenpy_psi.norm) < 1e-12  # the weight truncated away, in both
    assert fidelity(psi, tenpy_psi) > 1 - 1e-12


@pytest.mark.parametrize("trunc_params", TRUNCATIONS, ids=IDS)
def test_the_fermionic_swap_is_tenpys(trunc_params):
    """The first site moved past every other to the end and back, swap by swap (it crosses
    conduction sites and sites with a local spin, so the fermionic sign and the plain
    transposition both occur): the same sites, Schmidt values, bond charges and state as
    TeNPy's ``swap_sites``."""
    backend = scrambled(seed=2)
    tenpy_psi, psi = backend.psi.copy(), backend.psi.copy()
    for i in list(range(psi.L - 1)) + list(range(psi.L - 2, -1, -1)):
        expected = tenpy_psi.swap_sites(i, "auto", trunc_params)
        error = swap_sites(psi, i, trunc_params)
        assert [s is t for s, t in zip(psi.sites, tenpy_psi.sites, strict=True)] == [True] * psi.L
        same_bond(tenpy_psi, psi, i)
        assert abs(error.eps - expected.eps) < 1e-13
    for i in range(psi.L):
        psi.get_B(i).test_sanity()
    assert abs(psi.norm - tenpy_psi.norm) < 1e-14
    assert fidelity(psi, tenpy_psi) > 1 - 1e-12


def test_without_charges_the_split_is_numpys_svd():
    """With no conserved charge (``conserve = False`` sites: one sector) the decomposition of
    a random θ = diag(SL)·C is numpy's SVD of the whole matrix: the same singular values, a
    right-orthonormal B_R, and B_L·B_R·norm = C (B_L = C·B_R† holds the Schmidt values);
    truncated to 10 values, the kept ones are numpy's largest and the discarded weight is the
    rest."""
    import tenpy.linalg.np_conserved as npc

    from qst_mps.mps.bond_update import split_theta

    rng = np.random.default_rng(5)
    shape = (6, 4, 8, 5)
    dense = rng.normal(size=shape) + 1j * rng.normal(size=shape)
    C = npc.Array.from_ndarray_trivial(dense, labels=["vL", "p0", "p1", "vR"])
    SL = np.sort(rng.uniform(0.1, 1.0, size=6))[::-1]
    theta = (SL[:, None, None, None] * dense).reshape(24, 40)
    expected = np.linalg.svd(theta, compute_uv=False)
    B_L, S, B_R, error, norm = split_theta(C, SL, {"chi_max": 100, "svd_min": 1e-14},
                                           C.qtotal)
    assert np.allclose(S * norm, expected, rtol=1e-12)
    rebuilt = np.einsum("apk,kqb->apqb", B_L.to_ndarray(), B_R.to_ndarray()) * norm
    assert np.allclose(rebuilt, dense, rtol=0, atol=1e-12)
    assert np.allclose(np.einsum("kqb,lqb->kl", B_R.to_ndarray(), B_R.to_ndarray().conj()),
                       np.eye(len(S)), rtol=0, atol=1e-12)  # right-orthonormal
    B_L, S, B_R, error, norm = split_theta(C, SL, {"chi_max": 10, "svd_min": 1e-14}, C.qtotal)
    assert np.allclose(S * norm, expected[:10], rtol=1e-12)
    assert abs(error.eps - np.sum(expected[10:] ** 2) / np.sum(expected ** 2)) < 1e-12


@pytest.mark.parametrize("shape", [(60, 40), (40, 60)], ids=["tall", "wide"])
def test_the_gram_matrix_gives_numpys_singular_values(shape):
    """``_right_factors`` (the Gram-matrix path) against numpy's SVD on a random complex
    matrix of rank 30 with singular values spread over 1 … 1e-6: the same singular values to
    1e-14 (absolute, ‖θ‖ = O(1)), right-orthonormal V (weighted by S_i S_j, as they enter a
    state) and θ = (θ V†) V to 1e-10 (an eigenvector of S² = 1e-12 is accurate to about
    ε/S² in angle; a cut at 1e-6 changes θ by 1e-6); the rank deficiency comes out below 1e-9,
    under GRAM_SVD_MIN, so a cut there keeps no direction of it."""
    from qst_mps.mps.bond_update import GRAM_SVD_MIN, _right_factors

    rng = np.random.default_rng(7)
    rank = 30

    def unitary(n):
        q, _ = np.linalg.qr(rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n)))
        return q

    values = np.logspace(0, -6, rank)
    theta = (unitary(shape[0])[:, :rank] * values) @ unitary(shape[1])[:rank]
    expected = np.linalg.svd(theta, compute_uv=False)
    S, V = _right_factors(theta)
    assert np.allclose(S[:rank], expected[:rank], rtol=0, atol=1e-14)
    assert np.all(S[rank:] < 1e-2 * GRAM_SVD_MIN)
    overlap = (V @ V.conj().T - np.eye(len(S))) * np.outer(S, S)
    assert np.max(np.abs(overlap)) < 1e-14
    kept = V[S >= GRAM_SVD_MIN]
    assert np.allclose((theta @ kept.conj().T) @ kept, theta, rtol=0, atol=1e-10)
