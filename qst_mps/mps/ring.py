"""TEBD on the ring: the MPS cut open at an empty bond, the cut moved on ahead of the packets.

On the ring the hop between sites N − 1 and 0 joins the two ends of the MPS, so H is not a sum
of nearest-neighbour bonds and TEBD does not apply as it stands. But a hop between two empty
sites does nothing to the state. Outside the window that TEBD updates (qst_mps/mps/backend.py)
the MPS is a product of empty sites and unreached local spins, and at most an amplitude of 1e-10
reaches past the window's margin in one output interval. So while both ends of the MPS lie
outside the window and are empty, the ring cut open between them evolves as the ring does, to
that tolerance.

The MPS may start at any conduction site (``SpinTransferChain.offset``). When the window comes
close to an end, :func:`shift_mps` moves empty sites from the other end across: a product of empty
sites (even fermion parity, bond dimension 1 on either side) changes place without a sign and
without truncation. The cut then lies in the middle of the empty stretch of the ring again. Only
when no empty stretch is left (the packets and the spins they touched fill the ring) does the
backend close the ring: the hop across the cut becomes a gate of its own (tebd.py), or on an
odd ring TDVP takes over. The closed ring's cut can still move (:func:`rotate_mps`, by
fermionic swaps) to the bond with the fewest electrons, where the closing gate is cheapest.
"""

from __future__ import annotations

import numpy as np
import tenpy.linalg.np_conserved as npc
from tenpy.linalg.truncation import TruncationError
from tenpy.networks.mps import MPS

from .bond_update import store


def shift_mps(psi: MPS, shift: int, sites) -> MPS:
    """``psi`` with its first ``shift`` sites moved to its end (``shift`` < 0: its last
    −``shift`` sites moved to its start), on the MPS sites ``sites`` of the new order.

    The moved sites must be a product (bond dimension 1 on every bond that touches them) with
    no conduction electron: empty sites, and local spins in a product state (the caller checks
    the density). They carry no fermion parity, so they move without a sign. Their virtual legs
    get the charges of the end they move to (TeNPy's ``detect_legcharge``, site by site).
    ``psi`` is left unchanged.
    """
    L = psi.L
    k = shift % L
    if k == 0:
        return psi.copy()
    Bs = [psi.get_B(i, "B").itranspose(["vL", "p", "vR"]) for i in range(L)]
    Ss = [psi.get_SL(i) for i in range(L)] + [psi.get_SR(L - 1)]
    moved = list(range(k)) if shift > 0 else list(range(k, L))
    if any(Bs[i].get_leg("vL").ind_len != 1 or Bs[i].get_leg("vR").ind_len != 1 for i in moved):
        raise ValueError("the sites to move across the cut are not a product")
    chinfo = psi.chinfo
    if shift > 0:  # to the end: chain the charges on from the old right end
        leg = Bs[L - 1].get_leg("vR")
        for i in moved:
            dense, physical = Bs[i].to_ndarray(), Bs[i].get_leg("p")
            legs = npc.detect_legcharge(dense, chinfo, [leg.conj(), physical, None], qconj=-1)
            Bs[i] = npc.Array.from_ndarray(dense, legs, labels=["vL", "p", "vR"])
            leg = legs[2]
    else:  # to the start: chain them back from the old left end
        leg = Bs[0].get_leg("vL")
        for i in reversed(moved):
            dense, physical = Bs[i].to_ndarray(), Bs[i].get_leg("p")
            legs = npc.detect_legcharge(dense, chinfo, [None, physical, leg.conj()], qconj=+1)
            Bs[i] = npc.Array.from_ndarray(dense, legs, labels=["vL", "p", "vR"])
            leg = legs[0]
    Bs = Bs[k:] + Bs[:k]
    Ss = Ss[k:L] + [np.ones(1)] + Ss[1:k] + [np.ones(1)]
    return MPS(list(sites), Bs, Ss, bc="finite", form="B", norm=psi.norm, unit_cell_width=L)


def swap_sites(psi: MPS, i: int, trunc_params) -> TruncationError:
    """TeNPy's ``psi.swap_sites(i, 'auto', trunc_params)`` (fermionic swap of sites i and
    i + 1, in place; the state renormalised after truncation, ``psi.norm`` left alone), with
    its swap operator built once per pair of site types and the decomposition of
    :func:`qst_mps.mps.bond_update.store`.

    TeNPy builds that operator from a dense array in every call: 26 of the 40 ms of one swap on
    the paper's filled ring (cProfile, docs/notes/performance.md). It is the same diagonal operator,
    (−1)^(n_i n_j) with n the sites' Jordan–Wigner exponents, or no operator (a transposition)
    when one of the two sites has no fermion.
    """
    left, right = psi.get_site(i), psi.get_site(i + 1)
    key = (id(left), id(right))
    if key not in _SWAP_OPERATORS:
        n_i = np.outer(left.JW_exponent, np.ones(right.dim)).reshape(-1)
        n_j = np.outer(np.ones(left.dim), right.JW_exponent).reshape(-1)
        operator = None
        if np.any(n_i * n_j):
            dense = np.diag((-1.0) ** (n_i * n_j)).reshape([left.dim, right.dim] * 2)
            legs = [left.leg, right.leg, left.leg.conj(), right.leg.conj()]
            operator = npc.Array.from_ndarray(dense, legs, labels=["p1", "p0", "p0*", "p1*"])
        _SWAP_OPERATORS[key] = (left, right, operator)  # the sites kept, so their ids stay theirs
    operator = _SWAP_OPERATORS[key][2]
    C = psi.get_theta(i, n=2, formL=0.0)  # as TeNPy's swap_sites, from here on
    if operator is None:
        C.ireplace_labels(["p0", "p1"], ["p1", "p0"])
    else:
        C = npc.tensordot(operator, C, axes=(["p0*", "p1*"], ["p0", "p1"]))
    error = store(psi, i, C, trunc_params, keep_norm=True)
    psi.sites[i], psi.sites[i + 1] = right, left
    return error


#: (id(left site), id(right site)) → (left site, right site, swap operator or None)
_SWAP_OPERATORS: dict = {}


def move_site(psi: MPS, start: int, end: int, trunc_params) -> TruncationError:
    """Move the site at position ``start`` of ``psi`` to position ``end``, in place, by
    fermionic swaps of neighbouring sites (:func:`swap_sites`), truncated with
    ``trunc_params``; the discarded weight. |end − start| swaps."""
    bonds = range(start, end) if end > start else range(start - 1, end - 1, -1)
    error = TruncationError()
    for i in bonds:
        error += swap_sites(psi, i, trunc_params)
    return error


def rotate_mps(psi: MPS, shift: int, trunc_params) -> TruncationError:
    """Move the first ``shift`` sites of ``psi`` to its end (``shift`` < 0: its last −``shift``
    sites to its start), in their order, in place, by fermionic swaps (:func:`move_site`),
    truncated with ``trunc_params``; the discarded weight.

    Unlike :func:`shift_mps` the moved sites may be entangled and occupied. Each of them crosses
    every site that stays, and none of the others moved: the moved site nearest the far end
    goes first. That is |shift| × (L − |shift|) swaps, the fewest that reorder the chain so (a
    site moved all the way, L − 1 swaps each, would also cross the other moved sites: 1.9× the
    swaps for the paper's ring, cut moved 94 of 200 sites).
    """
    L, error = psi.L, TruncationError()
    k = abs(shift)
    for i in range(k):
        if shift > 0:  # sites k − 1, …, 0 go to L − 1, …, L − k
            error += move_site(psi, k - 1 - i, L - 1 - i, trunc_params)
        else:  # sites L − k, …, L − 1 go to 0, …, k − 1
            error += move_site(psi, L - k + i, i, trunc_params)
    return error
