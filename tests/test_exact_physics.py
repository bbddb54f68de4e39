"""Conservation laws, symmetries and limits of the exact backend, and its propagator's accuracy."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import exact_backend, small
from scipy.sparse.linalg import expm_multiply

from qst_mps.config import ConfigError, resolve
from qst_mps.exact.basis import Space, all_keys, sector_keys, space_dimension
from qst_mps.exact.propagate import ChebyshevPropagator, LanczosPropagator
from qst_mps.problem import build
from qst_mps.simulation import check_state, choose_backend, simulate

HBAR = 0.6582119569
LINEAR = ["sigma_z_el", "S_z_loc", "density", "pair_spin_probabilities", "energy"]


def medium(pair, **state):
    return resolve({"model": {"N": 60, "L": 3, "J_sd": 0.6},
                    "state": {"pair": pair, "sigma_d": 3.0, "d": 12.0, **state},
                    "evolution": {"t_max": 30.0}})


@pytest.mark.parametrize("pair", ["singlet", "triplet_minus", "single_down"])
def test_norm_total_spin_and_energy_are_conserved(pair):
    out = simulate(medium(pair))
    assert out["delta_sigma_z"][-1] > 1e-2
    assert np.max(np.abs(out["norm"] - 1)) < 1e-10
    assert np.ptp(out["S_z_total"]) < 1e-10
    assert np.ptp(out["energy"]) < 1e-10
    # the local spins absorb exactly what the electrons lose
    assert np.allclose(out["sigma_z_el"] - out["sigma_z_el"][0],
                       -(out["S_z_loc"].sum(axis=1) - out["S_z_loc"][0].sum()), atol=1e-10)
    assert np.allclose(out["density"].sum(axis=1), 1 if pair == "single_down" else 2, atol=1e-10)


def test_triplet_plus_transfers_no_spin():
    out = simulate(medium("triplet_plus"))
    assert np.max(out["delta_sigma_z"]) < 1e-12
    assert np.max(np.abs(out["S_z_loc"] - 0.5)) < 1e-12
    assert np.max(np.abs(out["pair_spin_probabilities"][:, 1] - 1)) < 1e-12
    assert np.ptp(out["density"][:, 0]) > 0  # the packets do move


@pytest.mark.parametrize("theta, equal_to", [(0.0, "singlet"), (np.pi, "triplet_0")])
def test_theta_limits(theta, equal_to):
    a = simulate(medium("theta", theta=theta))
    b = simulate(medium(equal_to))
    for key in LINEAR:
        assert np.max(np.abs(a[key] - b[key])) < 1e-12, key


def test_theta_average_is_the_incoherent_mixture():
    """Packets far apart (d = 24, σ_d = 3: overlap e^-16): the θ-average equals
    ½(singlet + triplet_0). With overlapping packets each θ-state has its own norm and the
    identity fails (d = 12, overlap e^-4, misses by 2e-5), as docs/physics.md says."""
    grid = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    runs = [simulate(medium("theta", theta=float(theta), d=24.0)) for theta in grid]
    singlet, triplet = simulate(medium("singlet", d=24.0)), simulate(medium("triplet_0", d=24.0))
    for key in LINEAR:
        average = np.mean([r[key] for r in runs], axis=0)
        assert np.max(np.abs(average - 0.5 * (singlet[key] + triplet[key]))) < 1e-10, key
    # and the coherent states differ from the mixture: interference is real
    assert abs(singlet["delta_sigma_z"][-1] - triplet["delta_sigma_z"][-1]) > 1e-2


def test_zz_only_transfers_no_spin_but_mixes_singlet_and_triplet():
    out = simulate(small("singlet", sd_terms="zz"))
    assert np.max(out["delta_sigma_z"]) < 1e-12
    assert np.max(out["pair_spin_probabilities"][:, 2]) > 1e-3  # singlet → triplet_0 inside


@pytest.mark.parametrize("args", [(30, 4, 0.5, 2, 1), (30, 4, 0.5, 2, 2), (30, 3, 1.0, 2, 2),
                                  (20, 5, 1.5, 1, 1), (25, 2, 0.5, 2, 0), (10, 1, 0.5, 2, 2),
                                  (8, 4, 0.5, 3, 3), (9, 3, 2.5, 4, 6)])
def test_sector_dimension_formula(args):
    N, L, spin, n_electrons, q = args
    keys = sector_keys(N, L, spin, n_electrons, q)
    assert space_dimension(N, L, spin, keys) == Space(N, L, spin, keys).dim
    every = all_keys(N, L, spin, n_electrons)
    from math import comb

    assert space_dimension(N, L, spin, every) == comb(2 * N, n_electrons) * (
        round(2 * spin) + 1) ** L


def test_sector_dimensions_of_the_issue():
    N, L = 200, 4
    dimension = lambda *a: space_dimension(N, L, 0.5, sector_keys(N, L, 0.5, *a))  # noqa: E731
    assert dimension(2, 1) == N * N + L * N * (N - 1) // 2
    assert dimension(1, 1) == N * (L + 1)


def test_hamiltonian_is_real_symmetric():
    backend = exact_backend(small("triplet_minus", model={"spin": 1.0, "L": 3}))
    H = backend.hamiltonians[0]
    assert H.dtype == np.float64
    assert abs(H - H.T).max() < 1e-15


def reference_problem():
    backend = exact_backend(medium("singlet"))
    return backend.hamiltonians[0], backend.psi[0]


def test_lanczos_matches_expm_multiply_to_1e_10():
    H, psi = reference_problem()
    times = np.arange(0.5, 20.01, 0.5)
    expected = expm_multiply(-1j * H / HBAR, psi, start=0.5, stop=20.0, num=len(times),
                             endpoint=True)
    for krylov_dim in (40, 8):  # 8 forces intermediate steps inside windows
        got = [v for _, v in LanczosPropagator(H, 1e-12, krylov_dim).evolve(psi, 0.0, times)]
        assert np.max(np.linalg.norm(np.array(got) - expected, axis=1)) < 1e-10


def test_chebyshev_matches_expm_multiply_to_1e_10():
    H, psi = reference_problem()
    propagator = ChebyshevPropagator(H)
    state = psi
    for _ in range(10):
        state = propagator.step(state, 0.5)
    expected = expm_multiply(-1j * 5.0 * H / HBAR, psi)
    assert np.linalg.norm(state - expected) < 1e-10


def test_lanczos_on_an_invariant_subspace():
    H = sp.diags([1.0, 2.0, 3.0]).tocsr()
    psi = np.array([1.0, 1.0, 0.0], dtype=complex) / np.sqrt(2)
    (_, got), = LanczosPropagator(H, 1e-12, 10).evolve(psi, 0.0, [7.0])
    expected = np.exp(-1j * np.array([1.0, 2.0, 3.0]) * 7.0 / HBAR) * psi
    assert np.linalg.norm(got - expected) < 1e-13


def test_exact_refuses_a_sector_that_does_not_fit():
    config = resolve({"model": {"N": 4000, "L": 128}, "state": {"pair": "triplet_minus"},
                      "evolution": {"backend": "exact"}})
    with pytest.raises(ConfigError, match="dimension .* GiB.*mps") as err:
        choose_backend(config)
    assert err.value.key == "evolution.backend"


def test_vanishing_triplet_is_refused():
    config = small("triplet_0", state={"d": 0.0})
    with pytest.raises(ConfigError) as err:
        check_state(build(config))
    assert err.value.key == "state.d"
    check_state(build(small("singlet", state={"d": 0.0})))  # a singlet in one packet is fine


@pytest.mark.parametrize("boundary", ["open", "periodic"])
def test_a_train_without_sd_coupling_moves_as_free_fermions(boundary):
    """J_sd = 0: four ↓ electrons in overlapping packets are a Slater determinant of the
    non-orthogonal orbitals φ_i; each orbital evolves with the one-particle propagator
    exp(−i h t/ħ), and the density is the diagonal of the projector Φ (Φ†Φ)⁻¹ Φ† onto their
    span (analytic; to 1e-10)."""
    from scipy.linalg import expm

    from qst_mps.problem.electrons import gaussian_packet
    from qst_mps.problem.geometry import train_centres

    config = resolve({"model": {"N": 30, "L": 2, "J_sd": 0.0, "boundary": boundary,
                                "n_first": 24},
                      "state": {"pair": "single_down", "sigma_d": 1.5, "x2": 18.0, "d": 1.0,
                                "repeat": 4, "spacing": 2.0},
                      "evolution": {"t_max": 8.0, "dt_out": 1.0}})
    ours = simulate(config)
    N, periodic = 30, boundary == "periodic"
    h = np.zeros((N, N))
    for x in range(N - 1 + periodic):
        h[x, (x + 1) % N] = h[(x + 1) % N, x] = -config["model"]["t_h"]
    orbitals = np.array([gaussian_packet(N, c, 1.0, 1.5, periodic)
                         for _, c in train_centres(config)]).T  # N × K
    for t, density in zip(ours["time"], ours["density"], strict=True):
        phi = expm(-1j * h * t / HBAR) @ orbitals
        projector = phi @ np.linalg.inv(phi.conj().T @ phi) @ phi.conj().T
        assert np.max(np.abs(density - projector.diagonal().real)) < 1e-10
    assert abs(ours["density"][0].sum() - 4) < 1e-12


@pytest.mark.parametrize("backend", ["exact", "mps"])
def test_a_released_box_without_sd_coupling_moves_as_free_fermions(backend):
    """J_sd = 0, U = 0: a hard-walled box of M = 6 sites holding 1 ↑ and 3 ↓ electrons is the
    Slater determinant of the standing waves φ_k(x) = √(2/(M+1)) sin(πk(x − first + 1)/(M+1)),
    k = 1 … n_s, of energies −2 t_h cos(πk/(M+1)) (analytic); released, each evolves with the
    one-particle propagator exp(−i h t/ħ), and the density is Σ_s Σ_k |φ_k(t)|² (to 1e-10 on
    exact, 1e-6 on mps)."""
    from scipy.linalg import expm

    N, first, M, t_h = 16, 1, 6, 0.5
    config = resolve({"model": {"N": N, "L": 2, "J_sd": 0.0, "J_ex": 0.0, "boundary": "open",
                                "n_first": 12},
                      "state": {"electrons": "box", "box": [first, first + M - 1], "n_up": 1,
                                "n_down": 3},
                      "evolution": {"backend": backend, "t_max": 3.0, "dt_out": 1.0, "dt": 0.1,
                                    "svd_min": 1e-14, "chi_max": 128}})
    ours = simulate(config)
    k = np.arange(1, M + 1)
    standing = np.zeros((N, M))
    standing[first:first + M] = np.sqrt(2 / (M + 1)) * np.sin(
        np.pi * np.outer(np.arange(1, M + 1), k) / (M + 1))
    energies = -2 * t_h * np.cos(np.pi * k / (M + 1))
    assert abs(ours["energy"][0] - energies[:1].sum() - energies[:3].sum()) < 1e-10
    h = np.zeros((N, N))
    for x in range(N - 1):
        h[x, x + 1] = h[x + 1, x] = -t_h
    tolerance = 1e-10 if backend == "exact" else 1e-6
    for t, density in zip(ours["time"], ours["density"], strict=True):
        phi = expm(-1j * h * t / HBAR) @ standing
        expected = (np.abs(phi[:, :1]) ** 2).sum(axis=1) + (np.abs(phi[:, :3]) ** 2).sum(axis=1)
        assert np.max(np.abs(density - expected)) < tolerance
    assert ours["density"][-1][first + M:].sum() > 0.1  # it was released
