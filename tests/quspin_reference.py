"""An independent solution of the model of docs/physics.md with QuSpin, built from QuSpin's own
operator strings and read straight from the configuration keys.

Shares no code with qst_mps: the packets (Eq. 4), the pair states (Eq. 8), the local-spin states
(product, Néel, spin-coherent by its closed form, pairs, the ground state by QuSpin's own
diagonalization), every term of the Hamiltonian and every observable are written here again.
The initial state is made by applying QuSpin operators (creation operators c†_{φ s} = Σ_x φ(x)
c†_{x s}, spin lowering operators) to the vacuum with all local spins up, so no basis ordering or
fermionic sign convention is assumed. Used by the tests and by ``runs/bench/exact_speed.py``.

QuSpin's tensor basis splits operator strings at the first '|': strings here read
"<local spins>|<↑ fermions>|<↓ fermions>".
"""

from __future__ import annotations

import time
from fractions import Fraction
from math import comb, factorial

import numpy as np
from quspin.basis import spin_basis_1d, spinful_fermion_basis_1d, tensor_basis
from quspin.operators import hamiltonian
from quspin.tools.evolution import expm_multiply_parallel

HBAR = 0.6582119569  # eV fs
NO_CHECKS = dict(check_herm=False, check_pcon=False, check_symm=False)

SECTORS = {  # (N↑, N↓) sectors reached from each initial state, plus those used to build it,
    # when the local spins start up and nothing turns the spins (the paper's scenario)
    "single_down": [(0, 0), (0, 1), (1, 0)],
    "triplet_plus": [(0, 0), (1, 0), (2, 0)],
}


def packet(N, centre, k_e, sigma, periodic):
    x = np.arange(N) - centre
    if periodic:
        x = np.where(x > N / 2, x - N, np.where(x < -N / 2, x + N, x))
    return np.exp(1j * k_e * x - x**2 / (2 * sigma**2)) / np.sqrt(sigma * np.sqrt(np.pi))


def coherent(spin, theta, phi):
    """Amplitudes of |S, m⟩, m = S, S − 1, …, −S, of the spin-coherent state along (θ, φ):
    √C(2S, S−m) cos(θ/2)^{S+m} sin(θ/2)^{S−m} e^{−iφm} (the closed form of
    e^{−iφS^z} e^{−iθS^y}|S, S⟩)."""
    two_s = round(2 * spin)
    out = []
    for lowering in range(two_s + 1):
        m = spin - lowering
        out.append(np.sqrt(comb(two_s, lowering)) * np.cos(theta / 2) ** (two_s - lowering)
                   * np.sin(theta / 2) ** lowering * np.exp(-1j * phi * m))
    return np.array(out)


def identity_like(matrix):
    import scipy.sparse as sp

    return sp.identity(matrix.shape[0], format="csr", dtype=matrix.dtype)


def _vector(value):
    return [0.0, 0.0, float(value)] if np.isscalar(value) else [float(v) for v in value]


class QuSpinReference:
    """Builds the model of a resolved qst_mps configuration in QuSpin and evolves it."""

    def __init__(self, config: dict):
        started = time.perf_counter()
        model, state = config["model"], config["state"]
        self.N, self.L = N, L = model["N"], model["L"]
        self.spin = model["spin"]
        self.sites = list(model["spin_sites"])
        self.pair = state["pair"]
        self.repeat = state.get("repeat", 1)
        self.n_electrons = (1 if self.pair in ("single_down", "single") else 2) * self.repeat
        self.box = state.get("electrons", "packets") == "box"
        if self.box:
            self.n_electrons = state["n_up"] + state["n_down"]
        self.scale = 2.0 if model["electron_spin"] == "pauli" else 1.0
        self.B_loc = _vector(model.get("B_loc", 0.0))
        self.B_el = _vector(model.get("B_el", 0.0))
        local = state.get("local", "up")
        paper_scenario = (local == "up" and self.pair != "single" and not any(self.B_loc[:2])
                          and not any(self.B_el[:2]) and self.repeat == 1 and not self.box)
        if paper_scenario:
            sectors = SECTORS.get(self.pair, [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0)])
            if self.pair == "triplet_minus":
                sectors = sectors + [(0, 2)]
        else:  # every sector with at most as many electrons as the state
            K = self.n_electrons
            sectors = [(u, d) for u in range(K + 1) for d in range(K + 1) if u + d <= K]
        self.local_basis = spin_basis_1d(L, S=str(Fraction(self.spin)), pauli=0)
        self.fermion_basis = spinful_fermion_basis_1d(N, Nf=sectors)
        self.basis = tensor_basis(self.local_basis, self.fermion_basis)
        self.complex = bool(self.B_loc[1] or self.B_el[1])
        self.H = self._hamiltonian(model)
        self.psi0 = self._initial_state(model, state)
        self.timings = {"build": time.perf_counter() - started}

    def op(self, terms, dtype=np.complex128):
        return hamiltonian(terms, [], basis=self.basis, dtype=dtype, **NO_CHECKS)

    def local_terms(self, model, prefix="", suffix="||"):
        """The local spins' exchange, anisotropy and field, as QuSpin static terms."""
        L, J_ex = self.L, model["J_ex"]
        J_z = J_ex if model.get("J_ex_z") is None else model["J_ex_z"]
        chain = [[-J_z, j, j + 1] for j in range(L - 1)]
        half_chain = [[-J_ex / 2, j, j + 1] for j in range(L - 1)]
        terms = [["zz" + suffix, chain], ["+-" + suffix, half_chain],
                 ["-+" + suffix, half_chain]]
        D = model.get("D", 0.0)
        if D:
            terms.append(["zz" + suffix, [[-D, j, j] for j in range(L)]])
        bx, by, bz = self.B_loc
        terms += [["z" + suffix, [[-bz, j] for j in range(L)]],
                  ["+" + suffix, [[-(bx - 1j * by) / 2, j] for j in range(L)]],
                  ["-" + suffix, [[-(bx + 1j * by) / 2, j] for j in range(L)]]]
        return terms

    def _hamiltonian(self, model):
        N, t = self.N, model["t_h"]
        J_sd = model["J_sd"] * self.scale
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic":
            bonds.append((N - 1, 0))
        hop, hop_back = [[-t, x, y] for x, y in bonds], [[t, x, y] for x, y in bonds]
        # c†_y c_x = -c_x c†_y: QuSpin's own idiom for the conjugate hop
        terms = [["|+-|", hop], ["|-+|", hop_back], ["||+-", hop], ["||-+", hop_back]]
        terms += self.local_terms(model)
        if model["sd_terms"] in ("full", "zz"):  # -J_sd s^z S^z, s^z = (n↑ - n↓)/2
            terms += [["z|n|", [[-J_sd / 2, j, n] for j, n in enumerate(self.sites)]],
                      ["z||n", [[J_sd / 2, j, n] for j, n in enumerate(self.sites)]]]
        if model["sd_terms"] in ("full", "flip"):
            # -J_sd/2 (c†↑ c↓ S⁻ + c†↓ c↑ S⁺);  c†↓ c↑ = -c↑ c†↓
            terms += [["-|+|-", [[-J_sd / 2, j, n, n] for j, n in enumerate(self.sites)]],
                      ["+|-|+", [[J_sd / 2, j, n, n] for j, n in enumerate(self.sites)]]]
        bx, by, bz = self.B_el  # -B·s_x: s^z = (n↑ - n↓)/2, s⁺ = c†↑ c↓, s⁻ = c†↓ c↑ = -c↑ c†↓
        xs = range(N)
        terms += [["|n|", [[-bz / 2, x] for x in xs]], ["||n", [[bz / 2, x] for x in xs]],
                  ["|+|-", [[-(bx - 1j * by) / 2, x, x] for x in xs]],
                  ["|-|+", [[(bx + 1j * by) / 2, x, x] for x in xs]]]
        U = model.get("U", 0.0)
        if U:
            terms.append(["|n|n", [[U, x, x] for x in xs]])
        V = np.zeros(N)
        for first, last, value in model.get("potential", []):
            V[first:last + 1] += value
        terms += [["|n|", [[V[x], x] for x in xs if V[x]]],
                  ["||n", [[V[x], x] for x in xs if V[x]]]]
        terms = [t for t in terms if t[1]]
        dtype = np.complex128 if self.complex else np.float64
        if not self.complex:  # real coefficients: drop the zero imaginary parts
            terms = [[s, [[np.real(c), *rest] for c, *rest in lst]] for s, lst in terms]
        return hamiltonian(terms, [], basis=self.basis, dtype=dtype, check_symm=False,
                           check_pcon=False, check_herm=False)

    def _lower(self, j, psi, times):
        lower = self.op([["-||", [[1.0, j]]]])
        for _ in range(times):
            psi = lower.dot(psi)
        return psi

    def _local_state(self, model, state, start):
        """The local-spin state, by lowering operators on the all-up vacuum ``start``."""
        L, spin, two_s = self.L, self.spin, round(2 * self.spin)
        local = state.get("local", "up")
        # (S⁻)^l |S, S⟩ = √((2S)! l! / (2S − l)!) |S, S − l⟩
        norm = [np.sqrt(factorial(two_s) * factorial(k) / factorial(two_s - k))
                for k in range(two_s + 1)]
        if local == "pairs":
            pair = {"singlet": {(0, 1): 1, (1, 0): -1}, "triplet_0": {(0, 1): 1, (1, 0): 1},
                    "triplet_plus": {(0, 0): np.sqrt(2)},
                    "triplet_minus": {(1, 1): np.sqrt(2)}}[state["local_pair"]]
            psi = start
            for j in range(0, L, 2):
                psi = sum(a / np.sqrt(2) * self._lower(j, self._lower(j + 1, psi, b), a_low)
                          for (a_low, b), a in pair.items())
            return psi
        if local == "ground":
            return self._ground(model, state, start)
        vectors = {"up": [np.eye(two_s + 1)[0]] * L, "down": [np.eye(two_s + 1)[two_s]] * L,
                   "neel": [np.eye(two_s + 1)[0 if j % 2 == 0 else two_s] for j in range(L)],
                   "tilted": [coherent(spin, state.get("local_theta", 0.0),
                                       state.get("local_phi", 0.0))] * L}[local]
        psi = start
        for j, v in enumerate(vectors):
            psi = sum(v[k] / norm[k] * self._lower(j, psi, k) for k in range(two_s + 1) if v[k])
        return psi

    def _ground(self, model, state, start):
        """The local spins' ground state by QuSpin's diagonalization (Nup = L·S + local_Sz when
        the field is along z), placed next to the fermion vacuum of ``start``."""
        L, spin = self.L, self.spin
        total = L * spin
        if not any(self.B_loc[:2]):
            local_sz = state.get("local_Sz")
            if local_sz is None:
                local_sz = 0.0 if float(total).is_integer() else 0.5
            basis = spin_basis_1d(L, S=str(Fraction(spin)), pauli=0, Nup=int(round(total
                                                                                 + local_sz)))
        else:
            basis = spin_basis_1d(L, S=str(Fraction(spin)), pauli=0)
        terms = [t for t in self.local_terms(model, suffix="") if t[1]]
        H = hamiltonian(terms, [], basis=basis, dtype=np.complex128, **NO_CHECKS)
        energies, vectors = np.linalg.eigh(H.toarray())
        self.local_ground_energy = energies[0]
        full = basis.get_vec(vectors[:, 0], sparse=False)  # in local_basis order
        # the tensor basis orders its states as (local state) ⊗ (fermion state): check this at
        # the all-up vacuum, then place the ground state next to the fermion vacuum
        s_z = np.real(hamiltonian([["z", [[1.0, j] for j in range(L)]]], [],
                                  basis=self.local_basis, dtype=np.complex128,
                                  **NO_CHECKS).toarray().diagonal())
        i_up = int(np.argmax(s_z))
        i_vacuum = int(np.flatnonzero(start)[0]) - i_up * self.fermion_basis.Ns
        assert np.flatnonzero(start)[0] == i_up * self.fermion_basis.Ns + i_vacuum
        psi = np.zeros_like(start)
        psi[np.arange(self.local_basis.Ns) * self.fermion_basis.Ns + i_vacuum] = full
        # and the placed state is the ground state of the local terms on the tensor basis
        local = self.op([t for t in self.local_terms(model) if t[1]])
        assert abs(np.vdot(psi, local.dot(psi)) - energies[0]) < 1e-10
        return psi

    def _initial_state(self, model, state):
        N, periodic = self.N, model["boundary"] == "periodic"
        x2 = state["x2"]
        x1 = x2 - state["d"] if x2 is not None else None
        single = self.pair in ("single_down", "single")
        spacing = state.get("spacing")
        if spacing is None:  # docs/physics.md: d + 8 σ_d for pairs, 8 σ_d for one electron
            spacing = (0.0 if single else state["d"]) + 8 * state["sigma_d"]

        def at(centre):
            return packet(N, centre % N if periodic else centre, state["k_e"],
                          state["sigma_d"], periodic)

        # the vacuum with all local spins up: the one state with no electron and maximal ΣS^z
        every_site = [[1, x] for x in range(N)]
        n_total = self.op([["|n|", every_site], ["||n", every_site]])
        s_total = self.op([["z||", [[1, j] for j in range(self.L)]]])
        start = np.zeros(self.basis.Ns, dtype=complex)
        mask = np.isclose(n_total.tocsr().diagonal().real, 0)
        mask &= np.isclose(s_total.tocsr().diagonal().real, self.L * model["spin"])
        start[np.nonzero(mask)[0]] = 1.0
        assert mask.sum() == 1
        start = self._local_state(model, state, start)
        if self.box:
            return self._box_state(model, state, start)

        def create(phi, spin):  # c†_{φ s}
            string = "|+|" if spin == "up" else "||+"
            return self.op([[string, [[phi[x], x] for x in range(N)]]])

        theta = state["theta"]
        thetas = theta if isinstance(theta, list | tuple) else [theta] * self.repeat  # per copy
        half = 1 / np.sqrt(2)
        psi = start
        for m in reversed(range(self.repeat)):  # U_0 U_1 … |start⟩: the last copy first
            pairs = {  # Σ w c†_{φ1 s} c†_{φ2 s'} : list of (w, s, s')
                "singlet": [(half, "up", "down"), (-half, "down", "up")],
                "triplet_0": [(half, "up", "down"), (half, "down", "up")],
                "theta": [(half, "up", "down"), (-half * np.exp(1j * thetas[m]), "down", "up")],
                "triplet_minus": [(1.0, "down", "down")],
                "triplet_plus": [(1.0, "up", "up")],
            }
            phi1, phi2 = at(x1 - m * spacing), at(x2 - m * spacing)
            if self.pair == "single_down":
                psi = create(phi2, "down").dot(psi)
            elif self.pair == "single":
                a, b = state.get("spin_theta", 0.0), state.get("spin_phi", 0.0)
                psi = (np.cos(a / 2) * create(phi2, "up").dot(psi)
                       + np.exp(1j * b) * np.sin(a / 2) * create(phi2, "down").dot(psi))
            else:
                psi = sum(w * create(phi1, s1).dot(create(phi2, s2).dot(psi))
                          for w, s1, s2 in pairs[self.pair])
        return psi / np.linalg.norm(psi)

    def _box_state(self, model, state, start):
        """The released box: QuSpin's many-body ground state of the electrons alone (hopping,
        U, potential, and the well or the hard walls) with n_up and n_down electrons, by dense
        diagonalization in that sector, next to the local state of ``start``."""
        N, t = self.N, model["t_h"]
        first, last = state["box"]
        inside = range(first, last + 1)
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic":
            bonds.append((N - 1, 0))
        V = np.zeros(N)
        for a, b, value in model.get("potential", []):
            V[a:b + 1] += value
        if state["box_depth"] == "inf":  # hard walls: no bond leaves the box, the rest is shut
            bonds = [(x, y) for x, y in bonds if x in inside and y in inside]
            V[[x for x in range(N) if x not in inside]] += 1e3
        else:
            V[first:last + 1] -= state["box_depth"]
        hop, hop_back = [[-t, x, y] for x, y in bonds], [[t, x, y] for x, y in bonds]
        terms = [["+-|", hop], ["-+|", hop_back], ["|+-", hop], ["|-+", hop_back],
                 ["n|", [[V[x], x] for x in range(N)]], ["|n", [[V[x], x] for x in range(N)]]]
        if model.get("U", 0.0):
            terms.append(["n|n", [[model["U"], x, x] for x in range(N)]])
        sector = spinful_fermion_basis_1d(N, Nf=(state["n_up"], state["n_down"]))
        H = hamiltonian([t for t in terms if t[1]], [], basis=sector, dtype=np.float64,
                        **NO_CHECKS).toarray()
        energies, vectors = np.linalg.eigh(H)
        assert energies[1] - energies[0] > 1e-9  # a unique ground state
        # into this reference's fermion basis (same integer encoding of the occupations), next to
        # the local spins' state (tensor_basis: the local index is the slow one)
        position = {int(s): i for i, s in enumerate(self.fermion_basis.states)}
        electrons = np.zeros(self.fermion_basis.Ns, dtype=complex)
        for s, amplitude in zip(sector.states, vectors[:, 0], strict=True):
            electrons[position[int(s)]] = amplitude
        local = start.reshape(self.local_basis.Ns, self.fermion_basis.Ns)
        vacuum = np.nonzero(np.abs(local).sum(axis=0))[0]
        assert len(vacuum) == 1
        psi = np.kron(local[:, vacuum[0]], electrons)
        return psi / np.linalg.norm(psi)

    def observables(self):
        """Operators of every observable, from QuSpin strings with O(N) terms each.

        Pair probabilities by the second-quantized formulas of docs/physics.md:
        P(T±) = ⟨N(N−1)⟩/2 from the number operators, P(S) = 1 − ⟨S_el²⟩/2 with
        S⁺ = Σ_x c†_{x↑} c_{x↓}, P(T0) = ⟨N↑N↓⟩ − P(S). S_el² = S_z² + S_z + S⁻S⁺ (from
        [S⁺, S⁻] = 2 S_z): its intermediate states (one more ↑) are in the basis, while those of
        S⁺S⁻ (one more ↓) are not for a singlet's sectors.
        """
        L, xs = self.L, range(self.N)
        n_up = self.op([["|n|", [[1, x] for x in xs]]]).tocsr()
        n_down = self.op([["||n", [[1, x] for x in xs]]]).tocsr()
        s_plus = self.op([["|+|-", [[1, x, x] for x in xs]]]).tocsr()
        s_minus = s_plus.conj().T.tocsr()
        s_z = 0.5 * (n_up - n_down)
        identity = identity_like(n_up)
        return {
            "n_up": n_up, "n_down": n_down, "s_plus": s_plus,
            "S_z_loc": [self.op([["z||", [[1, j]]]]).tocsr() for j in range(L)],
            "S_plus_loc": [self.op([["+||", [[1, j]]]]).tocsr() for j in range(L)],
            "density": [self.op([["|n|", [[1, x]]], ["||n", [[1, x]]]]).tocsr() for x in xs],
            "P_T+": 0.5 * n_up @ (n_up - identity),
            "P_T-": 0.5 * n_down @ (n_down - identity),
            "N_up N_down": n_up @ n_down,
            "S_el^2": s_z @ s_z + s_z + s_minus @ s_plus,
        }

    def run(self, times):
        """Evolve with QuSpin's expm_multiply_parallel; return every observable at ``times``.

        Diagonal operators are evaluated as |ψ|² against their diagonals. ``self.timings`` gets
        the time to build the observables, the time to evolve and evaluate them, and within
        that the time of the propagation steps alone.
        """
        started = time.perf_counter()
        ops = self.observables()
        diagonal = {"n_up": ops["n_up"], "n_down": ops["n_down"]}
        diagonal.update({f"S_z_loc{j}": o for j, o in enumerate(ops["S_z_loc"])})
        diagonal.update({f"density{x}": o for x, o in enumerate(ops["density"])})
        diagonal.update({k: ops[k] for k in ("P_T+", "P_T-", "N_up N_down")})
        names = list(diagonal)
        diagonals = np.stack([diagonal[k].diagonal().real for k in names], axis=1)
        column = {k: i for i, k in enumerate(names)}
        up_count = np.rint(ops["n_up"].diagonal().real).astype(int)
        self.timings["observables"] = time.perf_counter() - started
        started = time.perf_counter()
        H = self.H.tocsr()
        out = {k: [] for k in ("sigma_el", "S_loc", "density", "energy", "norm",
                               "electron_spin_squared", "electron_up_probabilities",
                               "pair_spin_probabilities")}
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
            weights = np.abs(psi) ** 2
            values = weights @ diagonals
            plus = np.vdot(psi, ops["s_plus"] @ psi)
            s_z = 0.5 * (values[column["n_up"]] - values[column["n_down"]])
            out["sigma_el"].append(self.scale * np.array([plus.real, plus.imag, s_z]))
            s_loc = []
            for j in range(self.L):
                plus_j = np.vdot(psi, ops["S_plus_loc"][j] @ psi)
                s_loc.append([plus_j.real, plus_j.imag, values[column[f"S_z_loc{j}"]]])
            out["S_loc"].append(s_loc)
            out["density"].append(values[[column[f"density{x}"] for x in range(self.N)]])
            out["energy"].append(np.vdot(psi, H @ psi).real)
            out["norm"].append(np.vdot(psi, psi).real)
            s2 = np.vdot(psi, ops["S_el^2"] @ psi).real
            out["electron_spin_squared"].append(s2)
            out["electron_up_probabilities"].append(
                np.bincount(up_count, weights=weights, minlength=self.n_electrons + 1)
                [:self.n_electrons + 1])
            p_singlet = 1 - s2 / 2
            out["pair_spin_probabilities"].append(
                [p_singlet, values[column["P_T+"]], values[column["N_up N_down"]] - p_singlet,
                 values[column["P_T-"]]])
        self.timings["evolve"] = time.perf_counter() - started
        result = {k: np.array(v) for k, v in out.items()}
        if self.n_electrons != 2:
            del result["pair_spin_probabilities"]
        result["time"] = np.asarray(times, dtype=float)
        result["sigma_z_el"] = result["sigma_el"][:, 2]
        result["S_z_loc"] = result["S_loc"][:, :, 2]
        result["delta_sigma_z"] = np.abs(result["sigma_z_el"] - result["sigma_z_el"][0])
        result["S_z_total"] = result["sigma_z_el"] / self.scale + result["S_z_loc"].sum(axis=1)
        return result
