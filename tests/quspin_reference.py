"""An independent solution of SPEC §1–3 with QuSpin, built from QuSpin's own operator strings.

Shares no code with qst_mps: the packets (Eq. 4), the pair states (Eq. 8, SPEC §2), the
Hamiltonian and every observable are written here again. The initial state is made by applying
QuSpin creation operators c†_{φ s} = Σ_x φ(x) c†_{x s} to the vacuum, so no basis ordering or
fermionic sign convention is assumed. Used by the tests and by ``runs/bench/exact_speed.py``.

QuSpin's tensor basis splits operator strings at the first '|': strings here read
"<local spins>|<↑ fermions>|<↓ fermions>".
"""

from __future__ import annotations

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


class QuSpinReference:
    """Builds the model of a resolved qst_mps configuration in QuSpin and evolves it."""

    def __init__(self, config: dict):
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
        """Operators of SPEC §3 built from QuSpin strings: name -> hamiltonian (or list)."""
        N, L = self.N, self.L
        xs = range(N)
        n_up = [["|n|", [[1, x] for x in xs]]]
        n_down = [["||n", [[1, x] for x in xs]]]
        ops = {
            "sigma_z_el": self.op([["|n|", [[0.5 * self.scale, x] for x in xs]],
                                   ["||n", [[-0.5 * self.scale, x] for x in xs]]]),
            "S_z_loc": [self.op([["z||", [[1, j]]]]) for j in range(L)],
            "density": [self.op([["|n|", [[1, x]]], ["||n", [[1, x]]]]) for x in xs],
            "energy": self.H,
        }
        pairs = [[1, x, y] for x in xs for y in xs]
        half_pairs = [[0.5, x, y] for x in xs for y in xs]
        # S_el² = S_z² + (S⁺S⁻ + S⁻S⁺)/2, S⁺ = Σ c†↑c↓, reordered with ↑ operators first
        s2 = [["|nn|", [[0.25, x, y] for x in xs for y in xs]],
              ["||nn", [[0.25, x, y] for x in xs for y in xs]],
              ["|n|n", [[-0.5, x, y] for x in xs for y in xs]],
              ["|+-|-+", [[0.5, x, y, x, y] for x in xs for y in xs]],
              ["|-+|+-", [[0.5, x, y, x, y] for x in xs for y in xs]]]
        if self.pair != "single_down":
            ops["P_T+"] = self.op([["|nn|", half_pairs], ["|n|", [[-0.5, x] for x in xs]]])
            ops["P_T-"] = self.op([["||nn", half_pairs], ["||n", [[-0.5, x] for x in xs]]])
            ops["S_el^2"] = self.op(s2)
            ops["N_up N_down"] = self.op([["|n|n", pairs]])
        ops["_n_up"], ops["_n_down"] = self.op(n_up), self.op(n_down)
        return ops

    def run(self, times):
        """Evolve with QuSpin's expm_multiply_parallel; return SPEC §3 arrays at ``times`` (fs)."""
        ops = {k: (v.tocsr() if not isinstance(v, list) else [o.tocsr() for o in v])
               for k, v in self.observables().items()}

        def ev(matrix, psi):
            return np.vdot(psi, matrix @ psi).real

        out = {k: [] for k in ("sigma_z_el", "S_z_loc", "density", "energy", "norm")}
        if "P_T+" in ops:
            out["pair_spin_probabilities"] = []
        psi, previous = self.psi0.copy(), times[0]
        H = self.H.tocsr()
        steps = {}
        for t in times:
            if t > previous:
                dt = round(t - previous, 12)
                if dt not in steps:
                    steps[dt] = expm_multiply_parallel(H, a=-1j * dt / HBAR, dtype=np.complex128)
                psi = steps[dt].dot(psi, overwrite_v=True)
                previous = t
            out["sigma_z_el"].append(ev(ops["sigma_z_el"], psi))
            out["S_z_loc"].append([ev(o, psi) for o in ops["S_z_loc"]])
            out["density"].append([ev(o, psi) for o in ops["density"]])
            out["energy"].append(ev(ops["energy"], psi))
            out["norm"].append(np.vdot(psi, psi).real)
            if "P_T+" in ops:
                p_singlet = 1 - ev(ops["S_el^2"], psi) / 2
                out["pair_spin_probabilities"].append(
                    [p_singlet, ev(ops["P_T+"], psi), ev(ops["N_up N_down"], psi) - p_singlet,
                     ev(ops["P_T-"], psi)])
        result = {k: np.array(v) for k, v in out.items()}
        result["time"] = np.asarray(times, dtype=float)
        result["delta_sigma_z"] = np.abs(result["sigma_z_el"] - result["sigma_z_el"][0])
        result["S_z_total"] = result["sigma_z_el"] / self.scale + result["S_z_loc"].sum(axis=1)
        return result
