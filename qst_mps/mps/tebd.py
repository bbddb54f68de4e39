"""TEBD that updates only the bonds inside a window of the chain.

On an open chain every term of H couples nearest neighbours of the MPS (each local spin is
grouped with its conduction site, and the local spins sit on consecutive sites), so TeNPy's TEBD
applies: exp(−i dt h_bond) gates in a fourth-order Trotter sequence, one SVD per gate,
no environments and no Krylov iterations. Far from the packets the MPS is a product of empty
sites and unreached local spins, which every gate there only multiplies by a phase; skipping
those gates changes the state by a global phase.

On a ring that the packets fill (no empty bond left to cut it open at, qst_mps/mps/ring.py)
the hop across the cut, between the MPS's two ends, is a gate of its own: its last site is
moved next to its first by fermionic swaps (TeNPy's ``MPS.swap_sites``), the gate is applied,
and the site is moved back. On an even ring the closing bond commutes with every even bond, so
it joins the even layers: in every one of them (``closing_every_layer``; the sequence stays
fourth order), or once per step, for the whole step, in the middle of the central even layer
(a symmetric, second-order splitting of that one bond; five times fewer swaps), which the
backend picks by the density on the bond. The swaps carry the moved site's entanglement across
every bond and cost several times the step itself (docs/performance.md).
"""

from __future__ import annotations

import warnings

import numpy as np
import tenpy.linalg.np_conserved as npc
from tenpy.algorithms.tebd import TEBDEngine
from tenpy.linalg.truncation import TruncationError

from .bond_update import update_bond
from .ring import move_site


class WindowTEBDEngine(TEBDEngine):
    """TeNPy's TEBD restricted to the bonds between the sites ``window = (first, last)``.

    With ``window = (0, L - 1)`` and no ``closing`` this is exactly :class:`TEBDEngine`.

    ``closing``: the ring's hop between the MPS's first and last site, a two-site operator
    (legs ``p0``, ``p1``: MPS site 0, MPS site L − 1, side by side in this order; in eV), or
    None on an open chain and on a ring cut open where it is empty. Needs an even L
    (the closing bond then commutes with every even bond) and the order '4_opt'.
    """

    #: the layer of the '4_opt' sequence in whose middle the closing gate acts: b3, the
    #: central even layer, once per step
    CENTRAL_EVEN = 5
    closing_every_layer = False

    def __init__(self, psi, model, options, closing=None, **kwargs):
        super().__init__(psi, model, options, **kwargs)
        self.window = (0, psi.L - 1)
        self.closing, self._closing_U, self._closing_step = closing, None, None
        if closing is not None and (psi.L % 2 or self.options["order"] != "4_opt"):
            raise ValueError("the closing gate needs an even ring and order '4_opt'")

    def calc_U(self, order, delta_t, type_evo="real", E_offset=None):
        """TeNPy's, and exp(−i δt h) of the closing bond for a whole step δt = ``delta_t``."""
        super().calc_U(order, delta_t, type_evo, E_offset)
        if self.closing is not None:
            H2 = self.closing.combine_legs([("p0", "p1"), ("p0*", "p1*")], qconj=[+1, -1])
            self._closing_U = [npc.expm((-1j * d * delta_t) * H2).split_legs()
                               for d in self.suzuki_trotter_time_steps(order)]
            self._closing_step = npc.expm((-1j * delta_t) * H2).split_legs()

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
        if self.closing is not None and not odd:
            if self.closing_every_layer:
                trunc_err += self.apply_closing(self._closing_U[U_idx_dt])
            elif U_idx_dt == self.CENTRAL_EVEN:
                trunc_err += self.apply_closing(self._closing_step)
        return trunc_err

    def update_bond(self, i, U_bond) -> TruncationError:
        """TeNPy 1.1.1's ``update_bond`` (the gate on sites i − 1, i, its SVD and truncation)
        with the SVD on the bond's charge sectors directly (qst_mps/mps/bond_update.py): the
        same state, about half the time per gate at chi ≤ 64."""
        trunc_err = update_bond(self.psi, i, U_bond, self.trunc_params)
        self._trunc_err_bonds[i] = self._trunc_err_bonds[i] + trunc_err
        return trunc_err

    def apply_closing(self, U) -> TruncationError:
        """Apply the two-site gate ``U`` (legs as :attr:`closing`) to the MPS's first and
        last site: the last site moves to position 1 by fermionic swaps, the gate acts on
        (0, 1), and the site moves back (all truncated as the gates are)."""
        last = self.psi.L - 1
        trunc_err = move_site(self.psi, last, 1, self.trunc_params)
        trunc_err += self.update_bond(1, U)
        return trunc_err + move_site(self.psi, 1, last, self.trunc_params)
