"""An independent solution of SPEC §1–3 with QuSpin, built from QuSpin's own operator strings.

Shares no code with qst_mps: the packets (Eq. 4), the pair states (Eq. 8, SPEC §2), the
Hamiltonian and every observable are written here again. The initial state is made by applying
QuSpin creation operators c†_{φ s} = Σ_x φ(x) c†_{x s} to the vacuum, so no basis ordering or
fermionic sign convention is assumed. Used by the tests and by ``runs/bench/exact_speed.py``.

QuSpin's tensor basis splits operator strings at the first '|': strings here read
"<local spins>|<↑ fermions>|<↓ fermions>".
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
from quspin.basis import spin_basis_1d, spinful_fermion_basis_1d, tensor_basis
from quspin.operators import hamiltonian
from quspin.tools.evolution import expm_multiply_parallel

HBAR = 0.6582119569  # eV fs
NO_CHECKS = dict(check_herm=False, check_pcon=False, check_symm=False)

SECTORS = {  # (N↑, N↓) sectors reached from each initial state, plus those used to build it
    "single_down": [(0, 0), (0, 1), (1, 0)],
    "triplet_plus": [(0, 0), (1, 0), (2, 0)],
}


def packet(N, centre, k_e, sigma, periodic):
    x = np.arange(N) - centre
    if periodic:
        x = np.where(x > N / 2, x - N, np.where(x < -N / 2, x + N, x))
    return np.exp(1j * k_e * x - x**2 / (2 * sigma**2)) / np.sqrt(sigma * np.sqrt(np.pi))


def identity_like(matrix):
    import scipy.sparse as sp

    return sp.identity(matrix.shape[0], format="csr", dtype=matrix.dtype)


class QuSpinReference:
    """Builds the model of a resolved qst_mps configuration in QuSpin and evolves it."""

    def __init__(self, config: dict):
        started = time.perf_counter()
        model, state = config["model"], config["state"]
        self.N, self.L = N, L = model["N"], model["L"]
        self.sites = list(model["spin_sites"])
        self.pair = state["pair"]
        self.scale = 2.0 if model["electron_spin"] == "pauli" else 1.0
        sectors = SECTORS.get(self.pair, [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0)])
        if self.pair == "triplet_minus":
            sectors = sectors + [(0, 2)]
        spin = str(Fraction(model["spin"]))
        self.basis = tensor_basis(
            spin_basis_1d(L, S=spin, pauli=0), spinful_fermion_basis_1d(N, Nf=sectors)
        )
        self.H = self._hamiltonian(model)
        self.psi0 = self._initial_state(model, state)
        self.timings = {"build": time.perf_counter() - started}

    def op(self, terms, dtype=np.complex128):
        return hamiltonian(terms, [], basis=self.basis, dtype=dtype, **NO_CHECKS)

    def _hamiltonian(self, model):
        N, L, t, J_ex = self.N, self.L, model["t_h"], model["J_ex"]
        J_sd = model["J_sd"] * self.scale
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic":
            bonds.append((N - 1, 0))
        hop, hop_back = [[-t, x, y] for x, y in bonds], [[t, x, y] for x, y in bonds]
        # c†_y c_x = -c_x c†_y: QuSpin's own idiom for the conjugate hop
        terms = [["|+-|", hop], ["|-+|", hop_back], ["||+-", hop], ["||-+", hop_back]]
        chain = [[-J_ex, j, j + 1] for j in range(L - 1)]
        half_chain = [[-J_ex / 2, j, j + 1] for j in range(L - 1)]
        terms += [["zz||", chain], ["+-||", half_chain], ["-+||", half_chain]]
        if model["sd_terms"] in ("full", "zz"):  # -J_sd s^z S^z, s^z = (n↑ - n↓)/2
            terms += [["z|n|", [[-J_sd / 2, j, n] for j, n in enumerate(self.sites)]],
                      ["z||n", [[J_sd / 2, j, n] for j, n in enumerate(self.sites)]]]
        if model["sd_terms"] in ("full", "flip"):
            # -J_sd/2 (c†↑ c↓ S⁻ + c†↓ c↑ S⁺);  c†↓ c↑ = -c↑ c†↓
            terms += [["-|+|-", [[-J_sd / 2, j, n, n] for j, n in enumerate(self.sites)]],
                      ["+|-|+", [[J_sd / 2, j, n, n] for j, n in enumerate(self.sites)]]]
        return hamiltonian(terms, [], basis=self.basis, dtype=np.float64, check_symm=False,
                           check_pcon=False)

    def _initial_state(self, model, state):
        N, periodic = self.N, model["boundary"] == "periodic"
        x2 = state["x2"]
        x1 = x2 - state["d"]
        phi1 = packet(N, x1 % N if periodic else x1, state["k_e"], state["sigma_d"], periodic)
        phi2 = packet(N, x2, state["k_e"], state["sigma_d"], periodic)
        # the vacuum with all local spins up: the one state with no electron and maximal ΣS^z
        every_site = [[1, x] for x in range(N)]
        n_total = self.op([["|n|", every_site], ["||n", every_site]])
        s_total = self.op([["z||", [[1, j] for j in range(self.L)]]])
        start = np.zeros(self.basis.Ns, dtype=complex)
        mask = np.isclose(n_total.tocsr().diagonal().real, 0)
        mask &= np.isclose(s_total.tocsr().diagonal().real, self.L * model["spin"])
        start[np.nonzero(mask)[0]] = 1.0
        assert mask.sum() == 1

        def create(phi, spin):  # c†_{φ s}
            string = "|+|" if spin == "up" else "||+"
            return self.op([[string, [[phi[x], x] for x in range(N)]]])

        theta = state["theta"]
        half = 1 / np.sqrt(2)
        pairs = {  # Σ w c†_{φ1 s} c†_{φ2 s'} : list of (w, s, s')
            "singlet": [(half, "up", "down"), (-half, "down", "up")],
            "triplet_0": [(half, "up", "down"), (half, "down", "up")],
            "theta": [(half, "up", "down"), (-half * np.exp(1j * theta), "down", "up")],
            "triplet_minus": [(1.0, "down", "down")],
            "triplet_plus": [(1.0, "up", "up")],
        }
        if self.pair == "single_down":
            psi = create(phi2, "down").dot(start)
        else:
            psi = sum(w * create(phi1, s1).dot(create(phi2, s2).dot(start))
                      for w, s1, s2 in pairs[self.pair])
        return psi / np.linalg.norm(psi)

    def observables(self):
        """SPEC §3 operators from QuSpin strings with O(N) terms each, as sparse matrices.

        Pair probabilities by SPEC §3's formulas: P(T±) = ⟨N(N−1)⟩/2 from the number operators,
        P(S) = 1 − ⟨S_el²⟩/2 with S⁺ = Σ_x c†_{x↑} c_{x↓}, P(T0) = ⟨N↑N↓⟩ − P(S).
        S_el² = S_z² + S_z + S⁻S⁺ (from [S⁺, S⁻] = 2 S_z): its intermediate states (one more ↑)
        are in the basis, while those of S⁺S⁻ (one more ↓) are not for a singlet's sectors.
        """
        L, xs = self.L, range(self.N)
        n_up = self.op([["|n|", [[1, x] for x in xs]]]).tocsr()
        n_down = self.op([["||n", [[1, x] for x in xs]]]).tocsr()
        ops = {
            "sigma_z_el": 0.5 * self.scale * (n_up - n_down),
            "S_z_loc": [self.op([["z||", [[1, j]]]]).tocsr() for j in range(L)],
            "density": [self.op([["|n|", [[1, x]]], ["||n", [[1, x]]]]).tocsr() for x in xs],
        }
        if self.pair != "single_down":
            s_plus = self.op([["|+|-", [[1, x, x] for x in xs]]]).tocsr()
            s_minus = s_plus.conj().T.tocsr()
            s_z = 0.5 * (n_up - n_down)
            identity = identity_like(n_up)
            ops["P_T+"] = 0.5 * n_up @ (n_up - identity)
            ops["P_T-"] = 0.5 * n_down @ (n_down - identity)
            ops["N_up N_down"] = n_up @ n_down
            ops["S_el^2"] = s_z @ s_z + s_z + s_minus @ s_plus
        return ops

    def run(self, times):
        """Evolve with QuSpin's expm_multiply_parallel; return SPEC §3 arrays at ``times`` (fs).

        Diagonal operators (all but S_el² and H) are evaluated as |ψ|² against their diagonals.
        ``self.timings`` gets the time to build the observables, the time to evolve and evaluate
        them, and within that the time of the propagation steps alone.
        """
        started = time.perf_counter()
        ops = self.observables()
        diagonal_names = ["sigma_z_el"] + [f"S_z_loc{j}" for j in range(self.L)]
        diagonal_names += [f"density{x}" for x in range(self.N)]
        flat = {"sigma_z_el": ops["sigma_z_el"]}
        flat.update({f"S_z_loc{j}": o for j, o in enumerate(ops["S_z_loc"])})
        flat.update({f"density{x}": o for x, o in enumerate(ops["density"])})
        pairs = "P_T+" in ops
        if pairs:
            diagonal_names += ["P_T+", "P_T-", "N_up N_down"]
            flat.update({k: ops[k] for k in ("P_T+", "P_T-", "N_up N_down")})
        diagonals = np.stack([flat[k].diagonal().real for k in diagonal_names], axis=1)
        column = {k: i for i, k in enumerate(diagonal_names)}
        self.timings["observables"] = time.perf_counter() - started
        started = time.perf_counter()
        H = self.H.tocsr()
        s2 = ops["S_el^2"] if pairs else None
        out = {k: [] for k in ("sigma_z_el", "S_z_loc", "density", "energy", "norm")}
        if pairs:
            out["pair_spin_probabilities"] = []
        psi, previous, steps = self.psi0.copy(), times[0], {}
        self.timings["propagate"] = 0.0
        for t in times:
            if t > previous:
                stepping = time.perf_counter()
                dt = round(t - previous, 12)
                if dt not in steps:
                    steps[dt] = expm_multiply_parallel(H, a=-1j * dt / HBAR, dtype=np.complex128)
                psi = steps[dt].dot(psi, overwrite_v=True)
                previous = t
                self.timings["propagate"] += time.perf_counter() - stepping
            values = (np.abs(psi) ** 2) @ diagonals
            out["sigma_z_el"].append(values[column["sigma_z_el"]])
            out["S_z_loc"].append(values[[column[f"S_z_loc{j}"] for j in range(self.L)]])
            out["density"].append(values[[column[f"density{x}"] for x in range(self.N)]])
            out["energy"].append(np.vdot(psi, H @ psi).real)
            out["norm"].append(np.vdot(psi, psi).real)
            if pairs:
                p_singlet = 1 - np.vdot(psi, s2 @ psi).real / 2
                out["pair_spin_probabilities"].append(
                    [p_singlet, values[column["P_T+"]], values[column["N_up N_down"]] - p_singlet,
                     values[column["P_T-"]]])
        self.timings["evolve"] = time.perf_counter() - started
        result = {k: np.array(v) for k, v in out.items()}
        result["time"] = np.asarray(times, dtype=float)
        result["delta_sigma_z"] = np.abs(result["sigma_z_el"] - result["sigma_z_el"][0])
        result["S_z_total"] = result["sigma_z_el"] / self.scale + result["S_z_loc"].sum(axis=1)
        return result
