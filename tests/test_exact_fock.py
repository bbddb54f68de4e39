"""The exact backend against a brute-force Fock space written here: Jordan–Wigner fermions on
all 2N modes times the (2S+1)^L local spins, every operator a sparse matrix built from mode
annihilators and spin matrices.

- The Hamiltonian is written from the configuration keys (docs/physics.md), and the term list
  of qst_mps (problem/terms.py) must give the same matrix when each operator product is
  multiplied out here: this checks the term list against the keys, and the fermionic signs of
  no backend are used.
- Every measured observable, the pair probabilities from their second-quantized formulas
  (N↑, N↓, S_el²) and Δσ_z, against the exact backend."""

import numpy as np
import pytest
import scipy.sparse as sp
from fock_reference import HBAR, Fock, packet
from scipy.sparse.linalg import expm_multiply

from qst_mps.config import resolve
from qst_mps.problem import build
from qst_mps.simulation import simulate

EVERY_TERM = {"J_ex_z": 0.7, "D": 0.3, "B_loc": [0.2, -0.1, 0.15], "B_el": [0.1, 0.25, -0.2],
              "U": 1.5, "potential": [[0, 2, 0.4], [2, 3, -0.2]]}


@pytest.mark.parametrize("spin", [0.5, 1.0])
@pytest.mark.parametrize("boundary", ["periodic", "open"])
def test_term_list_multiplied_out_is_the_hamiltonian_of_the_keys(boundary, spin):
    config = resolve({"model": {"N": 5, "L": 2, "spin": spin, "boundary": boundary,
                                "J_sd": 0.8, **EVERY_TERM},
                      "state": {"sigma_d": 0.4, "d": 0.4}, "evolution": {"t_max": 1.0}})
    fock = Fock(5, 2, spin)
    expected = fock.hamiltonian(config["model"], config["model"]["spin_sites"])
    ours = fock.from_products(build(config).model.products())
    assert abs(ours - expected).max() < 1e-12
    assert abs(expected).max() > 0.1


@pytest.mark.parametrize("size", [  # (N, L, σ_d, d): the full space is 2^(2N+L)
    (5, 1, 0.4, 0.4), (6, 2, 0.5, 1.0)])
@pytest.mark.parametrize("boundary", ["periodic", "open"])
@pytest.mark.parametrize("pair", ["singlet", "triplet_0", "triplet_minus", "theta",
                                  "single_down"])
@pytest.mark.parametrize("terms", ["paper", "every"])
def test_observables_against_fock_space(pair, boundary, size, terms):
    N, L, sigma, d = size
    extra = EVERY_TERM if terms == "every" else {}
    config = resolve({
        "model": {"N": N, "L": L, "J_sd": 1.2, "boundary": boundary, **extra},
        "state": {"pair": pair, "sigma_d": sigma, "d": d, "theta": 2.0},
        "evolution": {"t_max": 6.0, "dt_out": 1.0},
    })
    model, state = config["model"], config["state"]
    N, periodic = model["N"], boundary == "periodic"
    fock = Fock(N, model["L"])
    H = fock.hamiltonian(model, model["spin_sites"])
    phi1 = packet(N, (state["x2"] - state["d"]) % N if periodic else state["x2"] - state["d"],
                  state["k_e"], state["sigma_d"], periodic)
    phi2 = packet(N, state["x2"], state["k_e"], state["sigma_d"], periodic)

    def create(phi, s):
        return sum(phi[x] * fock.cdag(x, s) for x in range(N))

    vacuum = np.zeros(fock.dim, dtype=complex)
    vacuum[0] = 1.0  # every mode empty, every local spin up (index 0)
    e = np.exp(1j * state["theta"])
    combos = {"singlet": [(1, 0, 1), (-1, 1, 0)], "triplet_0": [(1, 0, 1), (1, 1, 0)],
              "theta": [(1, 0, 1), (-e, 1, 0)], "triplet_minus": [(1, 1, 1)]}
    if pair == "single_down":
        psi = create(phi2, 1) @ vacuum
    else:
        psi = sum(w * (create(phi1, a) @ (create(phi2, b) @ vacuum)) for w, a, b in combos[pair])
    psi /= np.linalg.norm(psi)

    n_up = sum(fock.n(x, 0) for x in range(N))
    n_down = sum(fock.n(x, 1) for x in range(N))
    s_plus = sum(fock.s_plus(x) for x in range(N))
    s_z = 0.5 * (n_up - n_down)
    s_squared = s_z @ s_z + 0.5 * (s_plus @ s_plus.T + s_plus.T @ s_plus)
    identity = sp.identity(fock.dim)
    times = np.arange(0, 6.0 + 1e-9, 1.0)
    states = expm_multiply(-1j * H / HBAR, psi, start=0, stop=6.0, num=len(times), endpoint=True)

    def ev(op, v):
        return np.vdot(v, op @ v)

    ours = simulate(config)
    sigma = np.array([ev(s_z, v).real for v in states])
    assert np.max(np.abs(ours["delta_sigma_z"] - np.abs(sigma - sigma[0]))) < 1e-8
    assert ours["delta_sigma_z"][-1] > 1e-2
    plus = np.array([ev(s_plus, v) for v in states])
    expected_sigma = np.stack([plus.real, plus.imag, sigma], axis=1)
    assert np.max(np.abs(ours["sigma_el"] - expected_sigma)) < 1e-8
    local = np.array([[[ev(fock.Sp[j], v).real, ev(fock.Sp[j], v).imag, ev(fock.Sz[j], v).real]
                       for j in range(model["L"])] for v in states])
    assert np.max(np.abs(ours["S_loc"] - local)) < 1e-8
    spin_squared = np.array([ev(s_squared, v).real for v in states])
    assert np.max(np.abs(ours["electron_spin_squared"] - spin_squared)) < 1e-8
    K = 1 if pair == "single_down" else 2
    up_count = np.rint(n_up.diagonal()).astype(int)
    up = np.array([np.bincount(up_count, np.abs(v) ** 2, minlength=K + 1)[:K + 1]
                   for v in states])
    assert np.max(np.abs(ours["electron_up_probabilities"] - up)) < 1e-8
    assert np.max(np.abs(ours["energy"] - [ev(H, v).real for v in states])) < 1e-8
    if pair != "single_down":
        p_singlet = 1 - spin_squared / 2
        p_plus = np.array([ev(n_up @ (n_up - identity), v).real / 2 for v in states])
        p_minus = np.array([ev(n_down @ (n_down - identity), v).real / 2 for v in states])
        p_zero = np.array([ev(n_up @ n_down, v).real for v in states]) - p_singlet
        expected = np.stack([p_singlet, p_plus, p_zero, p_minus], axis=1)
        assert np.max(np.abs(ours["pair_spin_probabilities"] - expected)) < 1e-8
