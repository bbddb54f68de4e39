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
every bond and cost several times the step itself (docs/notes/performance.md).

On an open chain (or a ring cut open) each layer's gates can be split between this process and
a second one (qst_mps/mps/parallel.py, ``evolution.processes = 2``): the same state, bit for bit.
"""

from __future__ import annotations

import itertools
import time
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
    _versions = itertools.count()

    def __init__(self, psi, model, options, closing=None, second=None, **kwargs):
        super().__init__(psi, model, options, **kwargs)
        self.window = (0, psi.L - 1)
        self.closing, self._closing_U, self._closing_step = closing, None, None
        #: the second process (parallel.SecondProcess) that takes part of every layer, or None
        self.second = second
        self._gate_version = None
        if closing is not None and (psi.L % 2 or self.options["order"] != "4_opt"):
            raise ValueError("the closing gate needs an even ring and order '4_opt'")

    def run_evolution(self, N_steps, dt):
        """TeNPy's, at the step of the gates already built when ``dt`` differs from it by
        rounding only (at most 1e-12 of it): the backend's steps are output intervals
        divided by a step count, which differ in their last bits from one interval to the
        next (dt_out = 0.1: nine values in twenty intervals), and TeNPy rebuilds every gate of
        the chain for each new value (4.5 s at N = 903, docs/notes/performance.md). The backend sets
        the time to the output time after each interval, so the difference does not add up."""
        built = self._U_param.get("delta_t")
        if built is not None and abs(dt - built) <= 1e-12 * abs(built):
            dt = built
        super().run_evolution(N_steps, dt)

    def calc_U(self, order, delta_t, type_evo="real", E_offset=None):
        """TeNPy's, and exp(−i δt h) of the closing bond for a whole step δt = ``delta_t``;
        nothing when TeNPy keeps the gates it has (the same parameters)."""
        gates = self._U
        super().calc_U(order, delta_t, type_evo, E_offset)
        if self._U is gates and self._gate_version is not None:
            return  # TeNPy kept them: so do the second process and the closing gate
        self._gate_version = next(self._versions)  # the second process's gates are old
        if self.second is not None:
            self.second.forget_gates(self._gate_version)
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

    def evolve(self, N_steps, dt):
        """TeNPy 1.1.1's ``evolve``, with each layer's gates split between this process and
        :attr:`second` (bonds first < i < m here, m ≤ i ≤ last there) when there is one, the
        window is wide enough, and no closing gate moves sites across the whole chain."""
        first, last = self.window
        m = None
        if self.second is not None and self.closing is None:
            m = self.second.split(first, last, self._bond_dimensions())
        if m is None:
            started = time.perf_counter()
            trunc_err = super().evolve(N_steps, dt)
            if self.second is not None:
                self.second.work_seconds = time.perf_counter() - started
            return trunc_err
        if dt is not None:
            assert dt == self._U_param["delta_t"]
        layers = list(self.suzuki_trotter_decomposition(self._U_param["order"], N_steps))
        second, psi = self.second, self.psi
        second.send_gates({(self._gate_version, index, i): self._U[index][i]
                           for index in {index for index, _ in layers}
                           for i in range(m, last + 1)})
        second.start_steps(psi, m, last, layers, self._gate_version, self.trunc_params)
        trunc_err = TruncationError()
        waited = second.waited
        start = time.perf_counter()
        pending = False  # the second process has changed site m − 1 since this one last did
        seconds = {}  # bond -> the time its gates took here
        shared = [m % 2 == int(odd) % 2 for _, odd in layers]  # bond m in the layer
        for k, (index, odd) in enumerate(layers):
            Us = self._U[index]
            bonds = range(first + 1 + (int(odd) - first - 1) % 2, m, 2)
            if shared[k]:  # bond m, the second process's, is in this layer
                pending = True
            else:  # bond m − 1 first, and its B to the second process for its next bond m
                if pending:
                    self._receive_left(m)
                    pending = False
                trunc_err += self._timed_update(m - 1, Us[m - 1], seconds)
                if any(shared[k + 1:]):  # (the next interval's steps carry it otherwise)
                    second.send_left(psi.get_B(m - 1, None), psi.get_SL(m - 1))
                bonds = bonds[:-1]
            for i in bonds:
                if Us[i] is not None:
                    trunc_err += self._timed_update(i, Us[i], seconds)
        if pending:
            self._receive_left(m)
        Bs, Ss, errors, norm, seconds_there = second.receive("done")
        second.timed({**seconds, **seconds_there})
        second.work_seconds = sum(seconds.values()) + sum(seconds_there.values())
        for i, B, S in zip(range(m, last + 1), Bs, Ss, strict=True):
            psi.set_B(i, B, form="B")
            psi.set_SL(i, S)
        for i, error in errors.items():
            self._trunc_err_bonds[i] = self._trunc_err_bonds[i] + error
            trunc_err += error
        psi.norm *= norm
        second.hold(psi, m, last)
        second.computed += time.perf_counter() - start - (second.waited - waited)
        self.evolved_time = self.evolved_time + N_steps * self._U_param["tau"]
        self.trunc_err = self.trunc_err + trunc_err  # not += : a copy
        return trunc_err

    def _timed_update(self, i: int, U_bond, seconds: dict) -> TruncationError:
        """:meth:`update_bond`, its time added to ``seconds[i]``."""
        started = time.perf_counter()
        trunc_err = self.update_bond(i, U_bond)
        seconds[i] = seconds.get(i, 0.0) + time.perf_counter() - started
        return trunc_err

    def _receive_left(self, m: int) -> None:
        """Site m − 1's B from the second process, after its gate on bond m (the gate's
        truncation errors come with the second process's others, at the end)."""
        (B,) = self.second.receive("left")
        self.psi.set_B(m - 1, B, form="B")

    def _bond_dimensions(self) -> np.ndarray:
        """chi of every bond i (between sites i − 1 and i), 1 at the chain's two ends."""
        return np.array([1] + list(self.psi.chi) + [1], float)

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
