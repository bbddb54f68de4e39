"""The exact backend against a brute-force Fock space written here: Jordan–Wigner fermions on
all 2N modes times the 2^L local spins, every operator a dense-built sparse matrix.

Pair probabilities from SPEC §3's second-quantized formulas (N↑, N↓, S_el²), and Δσ_z."""

from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

from qst_mps.config import resolve
from qst_mps.simulation import simulate

HBAR = 0.6582119569
I2 = sp.identity(2, format="csr")
SZ, SPLUS = sp.csr_matrix(np.diag([0.5, -0.5])), sp.csr_matrix(np.array([[0.0, 1.0], [0, 0]]))


def kron_all(ops):
    return reduce(lambda a, b: sp.kron(a, b, format="csr"), ops)


class Fock:
    """Modes (x, s) in the order x↑ for all x, then x↓; local spins after the modes."""

    def __init__(self, N, L):
        self.N, self.L = N, L
        n_modes = 2 * N
        # one mode: index 0 empty, index 1 occupied; the annihilator maps 1 -> 0
        annihilate = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
        parity = sp.csr_matrix(np.diag([1.0, -1.0]))  # (-1)^n with n = 0 for index 0
        self.c = []
        for m in range(n_modes):
            ops = [parity] * m + [annihilate] + [I2] * (n_modes - m - 1) + [I2] * L
            self.c.append(kron_all(ops))

        def spin_ops(op, j):
            return kron_all([I2] * n_modes + [I2] * j + [op] + [I2] * (L - j - 1))

        self.Sz = [spin_ops(SZ, j) for j in range(L)]
        self.Sp = [spin_ops(SPLUS, j) for j in range(L)]  # index 0 = up: S⁺ maps |1⟩=down → |0⟩
        self.dim = 2 ** (n_modes + L)

    def cdag(self, x, s):
        return self.c[s * self.N + x].T.tocsr()

    def an(self, x, s):
        return self.c[s * self.N + x]

    def hamiltonian(self, model, sites):
        N, t = self.N, model["t_h"]
        J_sd = model["J_sd"] * (2 if model["electron_spin"] == "pauli" else 1)
        H = sp.csr_matrix((self.dim, self.dim))
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic":
            bonds.append((N - 1, 0))
        for x, y in bonds:
            for s in (0, 1):
                hop = self.cdag(x, s) @ self.an(y, s)
                H = H - t * (hop + hop.T)
        for j in range(self.L - 1):
            H = H - model["J_ex"] * (self.Sz[j] @ self.Sz[j + 1] + 0.5 * (
                self.Sp[j] @ self.Sp[j + 1].T + self.Sp[j].T @ self.Sp[j + 1]))
        for j, n in enumerate(sites):
            s_z = 0.5 * (self.cdag(n, 0) @ self.an(n, 0) - self.cdag(n, 1) @ self.an(n, 1))
            s_plus = self.cdag(n, 0) @ self.an(n, 1)
            if model["sd_terms"] in ("full", "zz"):
                H = H - J_sd * s_z @ self.Sz[j]
            if model["sd_terms"] in ("full", "flip"):
                H = H - 0.5 * J_sd * (s_plus @ self.Sp[j].T + s_plus.T @ self.Sp[j])
        return H.tocsr()


def packet(N, centre, k, sigma, periodic):
    x = np.arange(N) - centre
    if periodic:
        x = (x + N / 2) % N - N / 2
    return np.exp(1j * k * x - x**2 / (2 * sigma**2))


@pytest.mark.parametrize("size", [  # (N, L, σ_d, d): the full space is 2^(2N+L)
    (5, 1, 0.4, 0.4), (6, 2, 0.5, 1.0)])
@pytest.mark.parametrize("boundary", ["periodic", "open"])
@pytest.mark.parametrize("pair", ["singlet", "triplet_0", "triplet_minus", "theta",
                                  "single_down"])
def test_pair_probabilities_and_transfer_against_fock_space(pair, boundary, size):
    N, L, sigma, d = size
    config = resolve({
        "model": {"N": N, "L": L, "J_sd": 1.2, "boundary": boundary},
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

    n_up = sum(fock.cdag(x, 0) @ fock.an(x, 0) for x in range(N))
    n_down = sum(fock.cdag(x, 1) @ fock.an(x, 1) for x in range(N))
    s_plus = sum(fock.cdag(x, 0) @ fock.an(x, 1) for x in range(N))
    s_z = 0.5 * (n_up - n_down)
    s_squared = s_z @ s_z + 0.5 * (s_plus @ s_plus.T + s_plus.T @ s_plus)
    identity = sp.identity(fock.dim)
    times = np.arange(0, 6.0 + 1e-9, 1.0)
    states = expm_multiply(-1j * H / HBAR, psi, start=0, stop=6.0, num=len(times), endpoint=True)

    def ev(op, v):
        return np.vdot(v, op @ v).real

    ours = simulate(config)
    sigma = np.array([ev(s_z, v) for v in states])
    assert np.max(np.abs(ours["delta_sigma_z"] - np.abs(sigma - sigma[0]))) < 1e-8
    assert ours["delta_sigma_z"][-1] > 1e-2
    if pair != "single_down":
        p_singlet = np.array([1 - ev(s_squared, v) / 2 for v in states])
        p_plus = np.array([ev(n_up @ (n_up - identity), v) / 2 for v in states])
        p_minus = np.array([ev(n_down @ (n_down - identity), v) / 2 for v in states])
        p_zero = np.array([ev(n_up @ n_down, v) for v in states]) - p_singlet
        expected = np.stack([p_singlet, p_plus, p_zero, p_minus], axis=1)
        assert np.max(np.abs(ours["pair_spin_probabilities"] - expected)) < 1e-8
