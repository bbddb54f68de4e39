"""TEBD that updates only the bonds inside a window of the chain.

On an open chain every term of H couples nearest neighbours of the MPS (each local spin is
grouped with its conduction site, and the local spins sit on consecutive sites), so TeNPy's TEBD
applies: exp(−i dt h_bond) gates in a fourth-order Trotter sequence, one SVD per gate,
no environments and no Krylov iterations. Far from the packets the MPS is a product of empty
sites and unreached local spins, which every gate there only multiplies by a phase; skipping
those gates changes the state by a global phase.
"""

from __future__ import annotations

import warnings

import numpy as np
from tenpy.algorithms.tebd import TEBDEngine
from tenpy.linalg.truncation import TruncationError


class WindowTEBDEngine(TEBDEngine):
    """TeNPy's TEBD restricted to the bonds between the sites ``window = (first, last)``.

    With ``window = (0, L - 1)`` this is exactly :class:`TEBDEngine`.
    """

    def __init__(self, psi, model, options, **kwargs):
        super().__init__(psi, model, options, **kwargs)
        self.window = (0, psi.L - 1)

    def prepare_evolve(self, dt):
        """TeNPy's, without its warning that ``order = '4_opt'`` is not an int (TeNPy 1.1.1
        reads the option as an int, and then accepts '4_opt' all the same)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message='Invalid type for key "order"')
            super().prepare_evolve(dt)

    def evolve_step(self, U_idx_dt, odd):
        """TeNPy 1.1.1's ``evolve_step`` over the bonds (i − 1, i) with first < i ≤ last."""
        Us = self._U[U_idx_dt]
        first, last = self.window
        trunc_err = TruncationError()
        for i_bond in np.arange(int(odd) % 2, self.psi.L, 2):
            if Us[i_bond] is None or not first < i_bond <= last:
                continue
            self._update_index = (U_idx_dt, i_bond)
            trunc_err += self.update_bond(i_bond, Us[i_bond])
        self._update_index = None
        return trunc_err
