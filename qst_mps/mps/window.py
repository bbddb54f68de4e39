"""The window: the sites that TEBD or TDVP must update for the next output interval.

Far from the packets the MPS is a product (bond dimension 1) of empty sites and local spins
that have not been reached yet: an eigenstate of its part of H, which an update would only
multiply by a phase. The engines (tebd.py, tdvp.py) update the window only; these functions say
which sites it holds. Lengths in MPS sites, times in fs, energies in eV.
"""

from __future__ import annotations

import numpy as np

from ..constants import HBAR
from ..problem.terms import Exchange

#: A bond counts as entangled for the window when its second Schmidt value exceeds this many
#: times svd_min, and this many times the step's error estimate (tolerance.py). TEBD's
#: even/odd splitting scatters a packet at k into k + π, a ghost that runs the other way
#: with a Schmidt value of about twice the error estimate (2e-5 on the paper's singlet at
#: 0.5 fs); counting it, the window covered the whole 200-site chain from 20 fs on (the
#: packets: 130 sites), and on the ring it left no empty stretch to cut open
#: (docs/notes/performance.md). Outside the window it is frozen instead of carried along.
WINDOW_SCHMIDT = 10.0

#: The least margin (sites) on each side of the entangled bonds, and the most amplitude that
#: may hop past a margin in one interval.
MIN_MARGIN, LEAK = 10, 1e-10


def second_schmidt_values(psi) -> np.ndarray:
    """The second largest Schmidt value of each bond (i, i + 1) of ``psi``, 0 where there is
    one."""
    values = np.zeros(psi.L - 1)
    for i in range(psi.L - 1):
        S = psi.get_SR(i)
        if len(S) > 1:
            values[i] = np.partition(S, -2)[-2]
    return values


def hop_rate(model) -> float:
    """The fastest hopping amplitude (eV) of a :class:`~qst_mps.problem.model.Model`: t_h, or
    J S of the exchange between spins."""
    rates = [abs(model.t_h)]
    rates += [max(abs(t.J_xy), abs(t.J_z)) * model.spin
              for t in model.terms if isinstance(t, Exchange)]
    return max(rates, default=0.0)


def margin(rate: float, span: float) -> int:
    """Sites m ≥ :data:`MIN_MARGIN` with (r τ/ħ)^m / m! < :data:`LEAK`: the most amplitude that
    hops m sites in time τ = ``span`` (fs) at the rate r = ``rate`` (eV)."""
    hops = rate * span / HBAR
    sites, leak = 0, 1.0
    while sites < MIN_MARGIN or leak >= LEAK:  # leak = hops^sites / sites!
        sites += 1
        leak *= hops / sites
    return sites


def window(psi, span: float, threshold: float, spins, rate: float, previous=None,
           closed: bool = False) -> tuple[int, int]:
    """Sites (first, last) to update for the next ``span`` fs.

    Every bond whose second Schmidt value exceeds ``threshold``, the bonds around the local
    spins on MPS sites ``spins`` (None: the spins are a stationary product and need no
    update), plus a :func:`margin` on each side at the hopping ``rate``, joined with the
    ``previous`` window. The whole chain when nothing is entangled, when the window would be
    shorter than two bonds, or when ``closed`` (the closed ring's hop joins the MPS's two ends)
    and the window reaches either end.
    """
    L = psi.L
    entangled = np.flatnonzero(second_schmidt_values(psi) > threshold)
    if spins is not None:
        spins = np.asarray(spins)
        chain = np.arange(max(spins.min() - 1, 0), min(spins.max() + 1, L - 1))
        entangled = np.union1d(entangled, chain)
    sites = margin(rate, span)
    if entangled.size == 0:
        first, last = 0, L - 1
    else:
        first = max(0, int(entangled[0]) - sites)
        last = min(L - 1, int(entangled[-1]) + 1 + sites)
    if previous is not None and previous != (0, L - 1):
        first, last = min(first, previous[0]), max(last, previous[1])
    if last - first < 2:
        first, last = 0, L - 1
    if closed and (first == 0 or last == L - 1):
        first, last = 0, L - 1
    return first, last


def union(changed, window):
    """The sites of ``changed`` and of ``window`` (both (first, last), or None: all)."""
    if changed is None:
        return None
    return min(changed[0], window[0]), max(changed[1], window[1])
