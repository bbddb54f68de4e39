"""The mps backend's implementation of the measured observables (qst_mps/observables.py).

Local expectation values with TeNPy's ``expectation_value``; ⟨S_el²⟩ and the number of pairs of
↑ electrons as MPO expectation values. Transverse components are measured when 2S_z is not
conserved; with it conserved they vanish by symmetry.
"""

from __future__ import annotations

import numpy as np


class Measurement:
    """Measures an MPS of a :class:`~qst_mps.mps.model.SpinTransferChain`."""

    def __init__(self, chain, problem):
        self.chain, self.problem = chain, problem
        self.N, self.K = problem.model.N, problem.n_electrons
        self.scale = problem.model.electron_scale
        if self.K > 2:
            raise NotImplementedError("electron_up_probabilities for more than two electrons")
        self.mpos = chain.pair_mpos() if self.K == 2 else None

    def _sites(self, name: str) -> list[str]:
        return [self.chain.op(name, x) for x in range(self.N)]

    def measure(self, psi) -> dict:
        """Every measured observable of ``psi`` (in canonical form)."""
        chain = self.chain
        components = ("Sx", "Sy", "Sz") if not chain.conserve_sz else ("Sz",)
        sigma, s_loc = np.zeros(3), np.zeros((len(chain.spin_sites), 3))
        for name in components:
            axis = "xyz".index(name[-1])
            per_site = np.real(psi.expectation_value(self._sites(name)))
            sigma[axis] = per_site.sum() * self.scale
            s_loc[:, axis] = [np.real(psi.expectation_value_term([(name + "s", int(n))]))
                              for n in chain.spin_sites]
            if name == "Sz":
                s_z = per_site
        density = np.real(psi.expectation_value(self._sites("Ntot")))
        n_up = float((density / 2 + s_z).sum())
        if self.mpos is None:  # one electron: s² = 3/4
            spin_squared, up_pairs = 0.75 * float(density.sum()), 0.0
        else:
            value = {k: float(np.real(m.expectation_value(psi))) for k, m in self.mpos.items()}
            spin_squared, up_pairs = value["S2"], value["up_pairs"]
        return {
            "sigma_el": sigma,
            "S_loc": s_loc,
            "electron_spin_squared": spin_squared,
            "electron_up_probabilities": self.up_probabilities(n_up, up_pairs),
            "density": density,
            "energy": float(np.real(chain.H_MPO.expectation_value(psi))),
        }

    def up_probabilities(self, n_up: float, up_pairs: float) -> np.ndarray:
        """P(N↑ = n), n = 0 … K, for K ≤ 2 electrons: P(N↑ = 2) = ⟨Σ_{x<y} n↑_x n↑_y⟩,
        P(N↑ = 1) = ⟨N↑⟩ − 2 P(N↑ = 2), and the rest is N↑ = 0."""
        if self.K == 1:
            return np.array([1 - n_up, n_up])
        one_up = n_up - 2 * up_pairs
        return np.array([1 - one_up - up_pairs, one_up, up_pairs])
