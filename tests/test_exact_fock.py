"""The exact backend against a brute-force Fock space written here: Jordan–Wigner fermions on
all 2N modes times the (2S+1)^L local spins, every operator a sparse matrix built from mode
annihilators and spin matrices.

- The Hamiltonian is written from the configuration keys (docs/physics.md), and the term list
  of qst_mps (problem/terms.py) must give the same matrix when each operator product is
  multiplied out here: this checks the term list against the keys, and the fermionic signs of
  no backend are used.
- Every measured observable, the pair probabilities from their second-quantized formulas
  (N↑, N↓, S_el²) and Δσ_z, against the exact backend."""

from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply

from qst_mps.config import resolve
from qst_mps.problem import build
from qst_mps.simulation import simulate

HBAR = 0.6582119569
I2 = sp.identity(2, format="csr")


def kron_all(ops):
    return reduce(lambda a, b: sp.kron(a, b, format="csr"), ops)


def spin_matrices(spin):
    """S^z and S⁺ of spin S in the basis m = S, S − 1, …, −S (index 0 = up)."""
    m = spin - np.arange(round(2 * spin) + 1)
    plus = np.diag(np.sqrt(spin * (spin + 1) - m[1:] * (m[1:] + 1)), k=1)
    return sp.csr_matrix(np.diag(m)), sp.csr_matrix(plus)


class Fock:
    """Modes (x, s) in the order x↑ for all x, then x↓; local spins after the modes."""

    def __init__(self, N, L, spin=0.5):
        self.N, self.L = N, L
        n_modes = 2 * N
        # one mode: index 0 empty, index 1 occupied; the annihilator maps 1 -> 0
        annihilate = sp.csr_matrix(np.array([[0.0, 1.0], [0.0, 0.0]]))
        parity = sp.csr_matrix(np.diag([1.0, -1.0]))  # (-1)^n with n = 0 for index 0
        d = round(2 * spin) + 1
        I_loc = sp.identity(d, format="csr")
        self.c = []
        for m in range(n_modes):
            ops = [parity] * m + [annihilate] + [I2] * (n_modes - m - 1) + [I_loc] * L
            self.c.append(kron_all(ops))
        SZ, SPLUS = spin_matrices(spin)

        def spin_ops(op, j):
            return kron_all([I2] * n_modes + [I_loc] * j + [op] + [I_loc] * (L - j - 1))

        self.Sz = [spin_ops(SZ, j) for j in range(L)]
        self.Sp = [spin_ops(SPLUS, j) for j in range(L)]
        self.dim = 2**n_modes * d**L

    def cdag(self, x, s):
        return self.c[s * self.N + x].T.tocsr()

    def an(self, x, s):
        return self.c[s * self.N + x]

    def n(self, x, s):
        return self.cdag(x, s) @ self.an(x, s)

    def s_plus(self, x):
        return self.cdag(x, 0) @ self.an(x, 1)

    def s_z(self, x):
        return 0.5 * (self.n(x, 0) - self.n(x, 1))

    def hamiltonian(self, model, sites):
        """H from the configuration keys, term by term as docs/physics.md writes it."""
        N, t = self.N, model["t_h"]
        J_sd = model["J_sd"] * (2 if model["electron_spin"] == "pauli" else 1)
        H = sp.csr_matrix((self.dim, self.dim), dtype=complex)
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic":
            bonds.append((N - 1, 0))
        for x, y in bonds:
            for s in (0, 1):
                hop = self.cdag(x, s) @ self.an(y, s)
                H = H - t * (hop + hop.T)
        J_z = model["J_ex"] if model["J_ex_z"] is None else model["J_ex_z"]
        for j in range(self.L - 1):
            H = H - J_z * self.Sz[j] @ self.Sz[j + 1] - 0.5 * model["J_ex"] * (
                self.Sp[j] @ self.Sp[j + 1].T + self.Sp[j].T @ self.Sp[j + 1])
        bx, by, bz = model["B_loc"]
        for j in range(self.L):
            H = H - model["D"] * self.Sz[j] @ self.Sz[j]
            s_x, s_y = (self.Sp[j] + self.Sp[j].T) / 2, (self.Sp[j] - self.Sp[j].T) / 2j
            H = H - bx * s_x - by * s_y - bz * self.Sz[j]
        for j, x in enumerate(sites):
            if model["sd_terms"] in ("full", "zz"):
                H = H - J_sd * self.s_z(x) @ self.Sz[j]
            if model["sd_terms"] in ("full", "flip"):
                H = H - 0.5 * J_sd * (self.s_plus(x) @ self.Sp[j].T
                                      + self.s_plus(x).T @ self.Sp[j])
        bx, by, bz = model["B_el"]
        V = np.zeros(N)
        for first, last, value in model["potential"]:
            V[first:last + 1] += value
        for x in range(N):
            s_x = (self.s_plus(x) + self.s_plus(x).T) / 2
            s_y = (self.s_plus(x) - self.s_plus(x).T) / 2j
            H = H - bx * s_x - by * s_y - bz * self.s_z(x)
            H = H + model["U"] * self.n(x, 0) @ self.n(x, 1)
            H = H + V[x] * (self.n(x, 0) + self.n(x, 1))
        return H.tocsr()

    def operator(self, op):
        """One factor of qst_mps's term list (problem/terms.py) as a Fock-space matrix."""
        if op.on == "loc":
            return {"Sz": self.Sz[op.index], "Sp": self.Sp[op.index],
                    "Sm": self.Sp[op.index].T.tocsr()}[op.name]
        x = op.index
        return {"Cdu": self.cdag(x, 0), "Cu": self.an(x, 0), "Cdd": self.cdag(x, 1),
                "Cd": self.an(x, 1), "Nu": self.n(x, 0), "Nd": self.n(x, 1),
                "Ntot": self.n(x, 0) + self.n(x, 1), "NuNd": self.n(x, 0) @ self.n(x, 1),
                "Sz": self.s_z(x), "Sp": self.s_plus(x), "Sm": self.s_plus(x).T.tocsr()}[op.name]

    def from_products(self, products):
        H = sp.csr_matrix((self.dim, self.dim), dtype=complex)
        for product in products:
            H = H + product.coefficient * reduce(lambda a, b: a @ b,
                                                 [self.operator(op) for op in product.ops])
        return H.tocsr()


def packet(N, centre, k, sigma, periodic):
    x = np.arange(N) - centre
    if periodic:
        x = (x + N / 2) % N - N / 2
    return np.exp(1j * k * x - x**2 / (2 * sigma**2))


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
