"""Expectation values of fixed MPOs that contract only what changed since the last call.

TEBD (and the windowed TDVP) leave the MPS outside the window of updated sites as it was: its
tensors and the Schmidt values of its bonds are the same objects as before. TeNPy's environments
of those sites stay valid, so a measurement after an interval on a window of sites contracts
only that window (plus what the window gained), not the whole chain. On the long chains of the
scaling family the window covers a fraction of the chain (131 of 593 sites at the start of
L = 64), and the whole-chain contractions were a sixth of the run time at L = 128
(docs/notes/performance.md).
"""

from __future__ import annotations

import numpy as np
import tenpy.linalg.np_conserved as npc
from tenpy.networks.mpo import MPO, MPOEnvironment
from tenpy.networks.mps import MPSEnvironment


def forget(env, first: int, last: int) -> None:
    """Drop the cached parts of TeNPy environment ``env`` that contain a site of
    ``first … last``: LP(i) for i > first and RP(i) for i < last."""
    for i in range(first + 1, env.L):
        if env.get_LP_age(i) is not None:
            env.del_LP(i)
    for i in range(0, last):
        if env.get_RP_age(i) is not None:
            env.del_RP(i)


class CachedExpectations:
    """⟨ψ|W|ψ⟩ of each MPO of ``mpos`` (a dict name → finite MPO) and the norm ⟨ψ|ψ⟩ (name
    ``"norm"``), with TeNPy's environments kept between calls.

    The MPOs are stacked into one block-diagonal MPO (:func:`block_diagonal`, the identity
    for the norm as one more block), so that a measurement contracts each site once with all
    of them, instead of once per MPO: at the bond dimensions of the paper's runs a site's
    contraction costs its few ``tensordot`` calls, not their arithmetic. Each value is that
    of TeNPy's ``MPO.expectation_value`` (``full_contraction``; the MPS in canonical form, its
    norm not included), read off the block of the MPO's own bond indices.
    """

    def __init__(self, mpos: dict):
        self.mpos = dict(mpos)
        self.stacked, self.blocks = None, None
        self.psi, self.env, self.last = None, None, {}
        self.pending = (np.inf, -np.inf)  # what changed in calls of :meth:`skip`

    def skip(self, psi, changed: tuple[int, int] | None) -> None:
        """Contract nothing now, but remember that ``changed`` (as in :meth:`values`) may
        differ, for the next call of :meth:`values`."""
        if psi is not self.psi or changed is None or self.pending is None:
            self.pending = None
        else:
            self.pending = (min(self.pending[0], changed[0]), max(self.pending[1], changed[1]))

    def values(self, psi, changed: tuple[int, int] | None) -> dict:
        """The values for ``psi``; ``changed = (first, last)``: the sites whose tensors (or the
        Schmidt values between them) may differ since the previous call on this same MPS
        object (of this method or of :meth:`skip`); None: anything may have changed."""
        if self.pending is None or changed is None:
            changed = None
        elif self.pending[0] <= self.pending[1]:
            changed = (min(self.pending[0], changed[0]), max(self.pending[1], changed[1]))
        self.pending = (np.inf, -np.inf)
        if psi is self.psi and changed is not None and changed[0] > changed[1]:
            return dict(self.last)  # nothing changed
        if psi is not self.psi or changed is None:
            if self.stacked is None:
                self.stacked, self.blocks = block_diagonal([*self.mpos.values(),
                                                            identity_mpo(psi)])
            self.psi = psi
            self.env = MPOEnvironment(psi, self.stacked, psi, **boundaries(psi, self.stacked,
                                                                         self.blocks))
            first, last = 0, psi.L - 1
        else:
            first, last = changed
            forget(self.env, first, last)
        self.env.get_LP(first, store=True)  # cached: the sites left of the window ...
        self.env.get_RP(last, store=True)  # ... and right of it, for the next call
        bond = min(first, psi.L - 2)  # a bond (i, i + 1) with i in the window
        per_index = self._contract(bond)
        values = {}
        for (name, mpo), (start, stop) in zip([*self.mpos.items(), ("norm", None)],
                                              self.blocks["bonds"][bond], strict=True):
            value = per_index[start:stop].sum()
            if mpo is not None and mpo.explicit_plus_hc:
                value = value + np.conj(value)
            values[name] = complex(np.real_if_close(value))
        self.last = values
        return dict(values)

    def _contract(self, i: int) -> np.ndarray:
        """Each bond index w of the stacked MPO's part of the full contraction at the bond
        (i, i + 1), i < L − 1: Σ LP_w S S RP_w (TeNPy's ``full_contraction``, with w left
        open)."""
        env, psi = self.env, self.psi
        LP = env.get_LP(i + 1, store=False)
        S = psi.get_SR(i)
        LP = LP.scale_axis(np.conj(S), "vR*").scale_axis(S, "vR")
        RP = env.get_RP(i, store=False)
        return np.diag(npc.tensordot(LP, RP, axes=[["vR*", "vR"], ["vL*", "vL"]])
                       .to_ndarray())


def identity_mpo(psi) -> MPO:
    """The identity on the sites of ``psi`` as an MPO of bond dimension 1 (⟨ψ|1|ψ⟩: the
    norm)."""
    Ws = []
    for site in psi.sites:
        W = site.get_op("Id").add_trivial_leg(0, label="wL", qconj=+1)
        Ws.append(W.add_trivial_leg(1, label="wR", qconj=-1))
    return MPO(psi.sites, Ws, bc="finite", IdL=0, IdR=0)


def block_diagonal(mpos: list) -> tuple[MPO, list]:
    """The finite MPOs ``mpos`` (on the same sites) stacked into one, W = ⊕ W_k on every
    site; and where each sits on the stacked bond legs: ``"bonds"[i]``, (start, stop) of
    each on the bond (i, i + 1); ``"IdL"``/``"IdR"``, each one's IdL on the left end and IdR
    on the right end."""
    L = mpos[0].L
    Ws = []
    for i in range(L):
        parts = [mpo.get_W(i).transpose(["wL", "wR", "p", "p*"]) for mpo in mpos]
        dtype = np.result_type(*[W.dtype for W in parts])
        grid = [[W.astype(dtype) if j == k else
                 npc.zeros([W.get_leg("wL"), other.get_leg("wR"), W.get_leg("p"),
                            W.get_leg("p*")], dtype, qtotal=W.qtotal,
                           labels=["wL", "wR", "p", "p*"])
                 for k, other in enumerate(parts)] for j, W in enumerate(parts)]
        Ws.append(npc.grid_concat(grid, axes=[0, 1]))
    blocks = {"IdL": [], "IdR": [], "bonds": []}
    for i in range(L):  # bond (i, i + 1)
        sizes = [mpo.get_W(i).get_leg("wR").ind_len for mpo in mpos]
        ends = np.cumsum([0] + sizes).tolist()
        blocks["bonds"].append(list(zip(ends[:-1], ends[1:], strict=True)))
    starts = np.cumsum([0] + [mpo.get_W(0).get_leg("wL").ind_len for mpo in mpos]).tolist()
    for mpo, start, (last_start, _) in zip(mpos, starts[:-1], blocks["bonds"][L - 1], strict=True):
        blocks["IdL"].append(start + mpo.get_IdL(0))
        blocks["IdR"].append(last_start + mpo.get_IdR(L - 1))
    stacked = MPO(mpos[0].sites, Ws, bc="finite", IdL=None, IdR=None)
    return stacked, blocks


def boundaries(psi, stacked: MPO, blocks: list) -> dict:
    """The environments' first LP and last RP for the stacked MPO: each MPO's own (TeNPy's
    ``init_LP``/``init_RP`` of an MPO of its own), side by side on the stacked bond leg."""
    ends = MPSEnvironment(psi, psi)
    left, right = ends.init_LP(0), ends.init_RP(psi.L - 1)  # labels vR*, vR and vL*, vL
    leg_left = stacked.get_W(0).get_leg("wL").conj()
    leg_right = stacked.get_W(psi.L - 1).get_leg("wR").conj()
    init_LP = init_RP = None
    for IdL, IdR in zip(blocks["IdL"], blocks["IdR"], strict=True):
        LP = left.add_leg(leg_left, IdL, axis=1, label="wR")
        RP = right.add_leg(leg_right, IdR, axis=1, label="wL")
        init_LP = LP if init_LP is None else init_LP + LP
        init_RP = RP if init_RP is None else init_RP + RP
    return {"init_LP": init_LP, "init_RP": init_RP}
