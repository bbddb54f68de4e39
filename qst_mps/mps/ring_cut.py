"""The ring's policy on the mps backend: where the ring is cut open for TEBD, and what happens
when it cannot be.

TEBD needs a chain. A ring whose packets leave an empty stretch is cut open there (the MPS
starts after the cut; the observables are given back in the ring's own site order), and the cut
is moved on ahead of the packets (ring.py moves the empty sites across it). Where the packets
fill the ring, an even ring runs TEBD with the hop across the cut as a gate of its own
(tebd.py), the cut moved to the emptiest bond when that gate would have to act in every layer;
an odd ring goes over to two-site TDVP. :class:`RingCut` holds these decisions for
:class:`~qst_mps.mps.backend.MPSBackend`, which mixes it in: the methods act on its MPS
(``psi``), model, engine and window, and its options ``start_where_empty``, ``move_cut`` and
``closing_gate`` switch them.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..problem.electrons import BoxGround
from ..problem.operators import current_factor, hop
from .ring import rotate_mps, shift_mps
from .states import initial_mps
from .tdvp import TDVP_DT_WARN

#: Below this many electrons on the two sites that the ring's closing gate joins (at steps of
#: 0.5 fs; ∝ 1/dt²), the gate acts once per step, in its middle (tebd.py); above, in every
#: even layer. Once per step adds an error of about 1e-2 × that density per fs at 0.5 fs
#: (∝ dt²), measured on a 32-site ring against the exact backend (docs/notes/performance.md):
#: 2.5e-6 per fs at this threshold, below TEBD's own 1e-5 per fs there.
CLOSING_CENTRAL_DENSITY = 2.5e-4


class RingCut:
    """The ring's cut, for the mps backend (see the module's docstring)."""

    def _keep_cut_empty(self, span: float) -> None:
        """Before TEBD runs on the ring cut open for ``span`` fs: see that both ends of the MPS
        lie outside the window and are empty; with no empty stretch left, close the ring
        (:meth:`_close`)."""
        if self.closing or self._place_cut(span):
            return
        self._close()

    def _closing_every_layer(self, step: float) -> bool:
        """Whether the closing gate must act in every even layer of the step (fourth order)
        rather than once per step in its middle (second order, five times cheaper): above
        :data:`CLOSING_CENTRAL_DENSITY` × (0.5 fs / ``step``)² electrons on the MPS's two end
        sites, unless the ``closing_gate`` option fixes it."""
        if self.closing_gate != "auto":
            return self.closing_gate == "every_layer"
        density = float(np.sum(self._density([0, self.psi.L - 1])))
        return density > self._once_per_step_density(step)

    @staticmethod
    def _once_per_step_density(step: float) -> float:
        """The most electrons on the closing bond's two sites for which the closing gate may
        act once per step of ``step`` fs: :data:`CLOSING_CENTRAL_DENSITY` × (0.5 fs / step)²."""
        return CLOSING_CENTRAL_DENSITY * (0.5 / step) ** 2

    def _move_cut(self, step: float) -> None:
        """On the closed ring, when the closing gate must act in every even layer
        (:meth:`_closing_every_layer`), move the cut to the bond with the fewest electrons
        (no local spin at either new end), by fermionic swaps (ring.py), if that bond holds
        at most half the density that allows the gate once per step. The move costs
        |shift| × (L − |shift|) swaps once; the gate in every even layer costs 8 (L − 2) swaps
        more per step than once per step, so the move pays within a few steps. Not with the
        ``move_cut`` option off."""
        if not self.move_cut or not self._closing_every_layer(step):
            return
        L = self.psi.L
        density = self._density(range(L))
        bonds = density[:-1] + density[1:]  # bond p joins MPS sites p and p + 1
        spins = np.asarray(self.model.spin_sites)
        bonds[np.isin(np.arange(L - 1), spins) | np.isin(np.arange(1, L), spins)] = np.inf
        p = int(np.argmin(bonds))
        if bonds[p] > self._once_per_step_density(step) / 2:
            return
        shift = p + 1 if p + 1 <= L // 2 else p + 1 - L  # the MPS starts at site p + 1
        self.truncation_error += rotate_mps(self.psi, shift, self._trunc_params).eps
        self._rebuild(self.model.offset + shift, "tebd")
        self.psi.sites = list(self.model.lat.mps_sites())

    def _close(self, at_start: bool = False) -> None:
        """Run the ring closed from now on: on an even ring TEBD with the hop across the cut
        as a gate of its own (qst_mps/mps/tebd.py); on an odd ring, whose bonds do not fall
        into two layers of commuting gates, two-site TDVP, from the start at the given step
        (``__init__`` warns), later at steps of at most 0.1 fs, with a warning."""
        if self.psi.L % 2 == 0:
            self.closing, self.engine, self.changed = True, None, None
            return
        self._rebuild(self.model.offset, "tdvp")
        if at_start:
            return
        self.dt = min(self.dt, TDVP_DT_WARN)
        warnings.warn(f"mps: from t = {self.time:g} fs on the packets leave no empty stretch "
                      f"of the ring (of an odd number of sites) to cut it open for TEBD; the "
                      f"rest runs with two-site TDVP on the closed ring, at steps of at most "
                      f"{self.dt:g} fs (TDVP's splitting error: docs/notes/performance.md), "
                      f"several times slower per fs", stacklevel=4)

    def _place_cut(self, span: float) -> bool:
        """Whether the ring's cut lies in an empty stretch for the next ``span`` fs, after
        moving empty sites across it (ring.py), as far into the stretch as the sites outside the
        window allow: no local spin moves, and none ends up at an end of the MPS."""
        first, last = self.window(span)
        if self._cut_is_empty(first, last):
            return True
        L = self.psi.L
        spins = np.asarray(self.model.spin_sites)

        def moved(shift):  # > 0: the first sites move to the end; < 0: the last to the start
            return np.arange(shift) if shift > 0 else np.arange(L + shift, L)

        def allowed(shift):  # no local spin at the MPS's new first or last site, and the
            # moved sites a product (tails below the window's threshold may not be)
            bonds = np.asarray(self.psi.chi)[:shift] if shift > 0 else \
                np.asarray(self.psi.chi)[L + shift - 1:]
            return not np.isin([shift % L, (shift - 1) % L], spins).any() and np.all(bonds == 1)

        shifts = [s for s in range(-(L - 1 - last), first + 1) if s and allowed(s)]
        if not shifts:
            return False
        shift = max(shifts, key=lambda s: (min(first - s, L - 1 - last + s), -abs(s)))
        if not self._empty(moved(shift)):
            return False
        self._rebuild(self.model.offset + shift, "tebd")
        self.psi = shift_mps(self.psi, shift, self.model.lat.mps_sites())
        return self._cut_is_empty(*self.window(span))

    def _start_where_empty(self, span: float) -> bool:
        """Build the initial MPS again, starting in the middle of the longest stretch of the
        ring without electrons (density < 1e-10) and without local spins, for packets across
        site 0; whether the ring can be cut open there for the first ``span`` fs. If not, the
        closed ring runs from there, with the least weight on the bond between the MPS's ends:
        on a 24-site ring with the pair across (23, 0), TDVP from there was more accurate than
        from site 0 (density within 2.3e-7 of exact after 0.5 fs, against 4.2e-5), and TEBD's
        closing gate is cheaper there (once per step instead of in every even layer)."""
        if isinstance(self.problem.electrons, BoxGround):  # its DMRG state is built at site 0
            return False
        L = self.psi.L
        empty = self._density(range(L)) < 1e-10
        empty[self.model.spin_sites] = False
        if empty.all() or not empty.any():
            return False
        start = int(np.argmin(empty))  # an occupied site: runs of empty sites start after it
        runs, length = [], 0
        for step in range(1, L + 1):
            p = (start + step) % L
            length = length + 1 if empty[p] else 0
            runs.append((length, p))
        length, end = max(runs)
        self._rebuild(self.model.site(end - length // 2), "tebd")
        self.psi, _ = initial_mps(self.model, self.problem)
        return self._place_cut(span)

    def _cut_is_empty(self, first: int, last: int) -> bool:
        """Whether both ends of the MPS lie outside the window (first, last) and hold no
        particle."""
        return 0 < first and last < self.psi.L - 1 and self._empty([0, self.psi.L - 1])

    def _empty(self, positions) -> bool:
        """Whether the MPS sites ``positions`` hold no conduction electron (outside the window
        a site holds a definite number of them)."""
        return bool(np.sum(self._density(positions)) < 1e-8)

    def _density(self, positions) -> np.ndarray:
        """⟨n⟩ of the conduction electrons on the MPS sites ``positions``."""
        positions = [int(p) for p in positions]
        ops = [self.model.op("Ntot", p) for p in range(self.psi.L)]
        return np.real(self.psi.expectation_value(ops, sites=positions))

    def _on_sites(self, result: dict, psi) -> dict:
        """The per-site and per-bond observables of an MPS that starts at site ``offset``
        indexed by conduction site, as on the ring's own order."""
        for name in ("density", "spin_density"):
            if name in result:
                result[name] = np.roll(result[name], self.model.offset, axis=0)
        if "current" in result:  # nothing crosses the empty bond where the ring is cut open
            across = self._current_across_ends(psi) if self._ring_closed else 0.0
            result["current"] = self._on_bonds(result["current"], across)
        return result

    @property
    def _ring_closed(self) -> bool:
        """Whether H joins the MPS's two ends: a ring not cut open, or closed by the gate."""
        return self.problem.model.periodic and (self.closing or not self.model.cut)

    def _current_across_ends(self, psi) -> float:
        """The current from the MPS's last site to its first (the closed ring's bond between
        them): (2 t_h/ħ) Im⟨hop(L−1, 0)⟩ (qst_mps/problem/operators.py), from ⟨hop(0, L−1)⟩,
        its complex conjugate, with TeNPy's Jordan–Wigner strings."""
        L, op = psi.L, self.model.op
        total = sum(product.coefficient * psi.correlation_function(
            op(product.ops[0].name, 0), op(product.ops[1].name, L - 1),
            sites1=[0], sites2=[L - 1])[0, 0] for product in hop(0, L - 1))
        return float(-current_factor(self.problem.model.t_h) * np.imag(total))

    def _on_bonds(self, values, across_cut):
        """Values on the MPS's bonds (p, p + 1) as values on the bonds (x, x + 1), x = 0 … N − 2,
        of the ring's order; ``across_cut`` on the bond where the MPS is cut open."""
        N = len(values) + 1
        ring = np.full(N, across_cut, dtype=np.asarray(values).dtype)
        ring[(np.arange(N - 1) + self.model.offset) % N] = values
        return ring[:N - 1]
