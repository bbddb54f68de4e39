"""A brute-force Fock space, written independently of qst_mps: Jordan–Wigner fermions on all 2N
modes times the (2S+1)^L local spins, every operator a sparse matrix built from mode annihilators
and spin matrices, and the Hamiltonian written from the configuration keys (docs/physics.md).

Modes are ordered all ↑ then all ↓ (``order="spin"``), or site by site, ↑ before ↓ on each site
(``order="site"``: the order in which a cut of the chain between sites is a tensor-product cut,
as in an MPS). Used by tests/test_exact_fock.py and tests/test_entanglement.py.
"""

from functools import reduce

import numpy as np
import scipy.sparse as sp

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
    """Modes (x, s), all ↑ then all ↓ (``order="spin"``) or site by site (``order="site"``);
    local spins after the modes."""

    def __init__(self, N, L, spin=0.5, order="spin"):
        self.N, self.L, self.order = N, L, order
        self.d = round(2 * spin) + 1
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

    def mode(self, x, s):
        return 2 * x + s if self.order == "site" else s * self.N + x

    def cdag(self, x, s):
        return self.c[self.mode(x, s)].T.tocsr()

    def an(self, x, s):
        return self.c[self.mode(x, s)]

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


