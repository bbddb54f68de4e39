"""The mps backend's implementation of the measured observables (qst_mps/observables.py).

Local expectation values from each site's reduced density matrix; ⟨S_el²⟩ and the number of
pairs of ↑ electrons as MPO expectation values. Transverse components are measured when 2S_z is not
conserved; with it conserved they vanish by symmetry.
"""

from __future__ import annotations

import itertools

import numpy as np
import tenpy.linalg.np_conserved as npc

from ..problem.operators import current_factor, hop
from ..quantum_info import concurrence, mutual_information
from .entanglement import magnet_entropy
from .environments import CachedExpectations
from .model import matrix_unit


class Measurement:
    """Measures an MPS of a :class:`~qst_mps.mps.model.SpinTransferChain`; ``optional``: the
    optional observables to measure as well."""

    def __init__(self, chain, problem, optional=()):
        self.chain, self.problem = chain, problem
        self.optional = set(optional)
        self.N, self.K = problem.model.N, problem.n_electrons
        self.scale = problem.model.electron_scale
        # Σ n↑n↑ serves P(N↑ = n) of a pair only; K > 2 electrons take up_distribution
        mpos = {"energy": chain.H_MPO}
        if self.K >= 2:
            mpos.update(chain.pair_mpos(up_pairs=self.K == 2))
        if self.K > 2:
            self.angles = 2 * np.pi * np.arange(self.K + 1) / (self.K + 1)
            mpos.update({("chi", k): chain.up_characteristic_mpo(angle)
                         for k, angle in enumerate(self.angles)})
        self.expectations = CachedExpectations(mpos)
        self.profiles = {}  # one-site values of the previous call, by operator name
        self._rdms = {}  # one-site reduced density matrices of the current call, by MPS site
        self._operators = {}  # (id(site), operator name) → the operator's matrix
        self._bond_currents = None  # two-site operators of ``current``, built when first used

    def _sites(self, name: str) -> list[str]:
        return [self.chain.op(name, x) for x in range(self.N)]

    def measure(self, psi, changed: tuple[int, int] | None = None, heavy: bool = True) -> dict:
        """Every measured observable of ``psi`` (in canonical form).

        ``changed = (first, last)``: only the sites first … last (and the bonds between them)
        may differ from ``psi`` as it was at the previous call (the same MPS object, evolved
        by the windowed TEBD); the one-site values outside and the environments of the MPOs
        are taken from that call (qst_mps/mps/environments.py). None: measure everything.
        Without ``heavy`` the MPO expectation values are not contracted (their environments
        remember what changed until the next call that contracts them) and the observables
        made from them are NaN.
        """
        chain = self.chain
        if not self.profiles:  # the first call has nothing to keep
            changed = None
        self._rdms = {}  # one-site reduced density matrices of this call, by MPS site
        components = ("Sx", "Sy", "Sz") if not chain.conserve_sz else ("Sz",)
        sigma, s_loc = np.zeros(3), np.zeros((len(chain.spin_sites), 3))
        spin_density = np.zeros((self.N, 3))
        for name in components:
            axis = "xyz".index(name[-1])
            per_site = self.profile(psi, name, changed)
            spin_density[:, axis] = per_site
            sigma[axis] = per_site.sum() * self.scale
            s_loc[:, axis] = self.profile(psi, name + "s", changed)[chain.spin_sites]
            if name == "Sz":
                s_z = per_site
        density = self.profile(psi, "Ntot", changed)
        n_up = float((density / 2 + s_z).sum())
        if heavy:
            value = {k: float(np.real(v)) if not isinstance(k, tuple) else v
                     for k, v in self.expectations.values(psi, changed).items()}
        else:
            self.expectations.skip(psi, changed)
            value = dict.fromkeys([*self.expectations.mpos, "norm"], np.nan)
        if self.K < 2:  # one electron: s² = 3/4
            spin_squared, up_pairs = 0.75 * float(density.sum()), 0.0
        else:
            spin_squared, up_pairs = value["S2"], value.get("up_pairs")
        result = {
            "sigma_el": sigma,
            "S_loc": s_loc,
            "electron_spin_squared": spin_squared,
            "electron_up_probabilities": (self.up_probabilities(n_up, up_pairs) if self.K <= 2
                                          else self.up_distribution(value)),
            "density": density,
            "energy": value["energy"],
            "norm": value["norm"],
        }
        if "spin_density" in self.optional:
            result["spin_density"] = spin_density
        if "current" in self.optional:
            result["current"] = self.current(psi)
        if "entanglement_entropy" in self.optional:  # von Neumann, natural log
            result["entanglement_entropy"] = np.asarray(psi.entanglement_entropy())
        if "magnet_entropy" in self.optional:
            result["magnet_entropy"] = magnet_entropy(psi, chain)
        if self.optional & {"local_concurrence", "local_mutual_information"}:
            result.update(self.local_pairs(psi))
        return result

    def profile(self, psi, name: str, changed: tuple[int, int] | None) -> np.ndarray:
        """⟨O_x⟩ on every site x (0 on sites without the operator: ``name`` ending in ``s``
        is a local spin's); with ``changed``, measured on those sites only and the rest taken
        from the previous call."""
        spin = name.endswith("s")
        where = self.chain.spin_sites if spin else range(self.N)
        if changed is None:
            sites = list(where)
            values = np.zeros(self.N)
        else:
            first, last = changed
            sites = [x for x in where if first <= x <= last]
            values = self.profiles[name].copy()
        if sites:
            ops = [name] * self.N if spin else self._sites(name)
            values[sites] = [self._one_site(psi, x, ops[x]) for x in sites]
        self.profiles[name] = values
        return values

    def _one_site(self, psi, x: int, op: str) -> float:
        """⟨O_x⟩ = tr(O ρ_x) for the operator named ``op`` on MPS site x, with ρ_x the site's
        reduced density matrix (from ``psi.get_theta(x, 1)``), built once per site and
        measurement and shared by every profile (TeNPy's ``expectation_value`` would contract
        the site once per operator)."""
        rho = self._rdms.get(x)
        if rho is None:  # rho[p', p] = Σ θ[a, p', b] θ*[a, p, b]
            theta = psi.get_theta(x, n=1)
            rho = npc.tensordot(theta, theta.conj(), axes=[["vL", "vR"], ["vL*", "vR*"]])
            rho = self._rdms[x] = rho.to_ndarray()
        site = psi.sites[x]
        matrix = self._operators.get((id(site), op))
        if matrix is None:
            matrix = self._operators[(id(site), op)] = site.get_op(op).to_ndarray()
        return float(np.real(np.sum(matrix * rho.T)))

    def current(self, psi) -> np.ndarray:
        """(2 t_h/ħ) Im Σ_s ⟨c†_{x s} c_{x+1 s}⟩ for x = 0 … N−2 (1/fs): each bond's two-site
        operator Σ_s (c†_{x s} JW_x) c_{x+1 s} (TeNPy's Jordan–Wigner convention: local to the
        bond) in one ``expectation_value`` over the bonds, the operators built once."""
        if self._bond_currents is None:
            self._bond_currents = [self._hop(psi.sites, x) for x in range(self.N - 1)]
        values = psi.expectation_value(self._bond_currents, sites=list(range(self.N - 1)))
        return current_factor(self.problem.model.t_h) * np.imag(values)

    def _hop(self, sites, x: int):
        """The products of ``hop(x, x + 1)`` (qst_mps/problem/operators.py), c†_{x s} c_{x+1 s},
        as one two-site operator (legs p0, p0*, p1, p1*): (c†_{x s} JW_x) ⊗ c_{x+1 s}, TeNPy's
        Jordan–Wigner convention, local to the bond."""
        total = None
        for product in hop(x, x + 1):
            left, right = product.ops
            first = sites[x].get_op(self.chain.op(f"{left.name} JW", x))
            second = sites[x + 1].get_op(self.chain.op(right.name, x + 1))
            term = product.coefficient * npc.outer(
                first.replace_labels(["p", "p*"], ["p0", "p0*"]),
                second.replace_labels(["p", "p*"], ["p1", "p1*"]))
            total = term if total is None else total + term
        return total

    def local_pairs(self, psi) -> dict:
        """Concurrence and mutual information of the local spins from their one- and two-spin
        density matrices, ρ_{(a b),(a' b')} = ⟨|a'⟩⟨a|_j |b'⟩⟨b|_k⟩ (TeNPy's
        ``correlation_function`` of the matrix units; with S_z conserved only the neutral
        combinations, the others vanish)."""
        d = round(2 * self.problem.model.spin) + 1
        sites = list(self.chain.spin_sites)
        L = len(sites)
        singles = np.zeros((L, d, d), dtype=complex)
        for a, a2 in itertools.product(range(d), repeat=2):
            if self.chain.conserve_sz and a != a2:
                continue
            singles[:, a, a2] = psi.expectation_value(matrix_unit(a2, a) + "s", sites)
        pairs = {(j, k): np.zeros((d * d, d * d), dtype=complex)
                 for j in range(L) for k in range(j + 1, L)}
        for a, a2, b, b2 in itertools.product(range(d), repeat=4):
            if self.chain.conserve_sz and (a - a2) + (b - b2) != 0:
                continue
            values = psi.correlation_function(matrix_unit(a2, a) + "s", matrix_unit(b2, b) + "s",
                                              sites1=sites, sites2=sites)
            for (j, k), rho in pairs.items():
                rho[a * d + b, a2 * d + b2] = values[j, k]
        out = {}
        if "local_concurrence" in self.optional:
            out["local_concurrence"] = np.array([concurrence(pairs[(j, j + 1)])
                                                 for j in range(L - 1)])
        if "local_mutual_information" in self.optional:
            out["local_mutual_information"] = mutual_information(singles, pairs)
        return out

    def up_distribution(self, value: dict) -> np.ndarray:
        """P(N↑ = n), n = 0 … K, for any K, from the characteristic function
        χ(θ) = ⟨e^{iθN↑}⟩ = ⟨Π_x (1 + (e^{iθ} − 1) n↑_x)⟩ at the K + 1 angles θ_k = 2πk/(K+1)
        (``value[("chi", k)]``, each an MPO of bond dimension 1):
        P(n) = Σ_k χ(θ_k) e^{−iθ_k n} / (K+1)."""
        K = self.K
        chi = np.array([value[("chi", k)] for k in range(K + 1)])
        n = np.arange(K + 1)
        return np.real(np.exp(-1j * np.outer(n, self.angles)) @ chi) / (K + 1)

    def up_probabilities(self, n_up: float, up_pairs: float) -> np.ndarray:
        """P(N↑ = n), n = 0 … K, for K ≤ 2 electrons: P(N↑ = 2) = ⟨Σ_{x<y} n↑_x n↑_y⟩,
        P(N↑ = 1) = ⟨N↑⟩ − 2 P(N↑ = 2), and the rest is N↑ = 0."""
        if self.K == 1:
            return np.array([1 - n_up, n_up])
        one_up = n_up - 2 * up_pairs
        return np.array([1 - one_up - up_pairs, one_up, up_pairs])
