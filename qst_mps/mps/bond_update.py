"""The SVD half of a TEBD bond update, on the charge sectors of the bond, without LegPipes.

TeNPy's ``TEBDEngine.update_bond`` (1.1.1) groups the two-site wave function θ into a matrix
by ``combine_legs``, which builds two ``LegPipe``s in every gate, takes ``npc.svd`` of it,
truncates, and splits the legs again. At the bond dimensions of the paper's runs (chi ≤ 64,
5–10 charge sectors per bond) that bookkeeping, not the arithmetic, is most of a gate's
2.8 ms (docs/notes/performance.md, "Where a TEBD gate's time goes"). :func:`split_theta` does the
same decomposition from the blocks of θ directly: it sorts the blocks into one dense matrix
per charge of the new bond, takes one SVD per sector, truncates with TeNPy's own
``truncate``, and cuts the factors back into blocks of the two new B tensors.

Where the truncation cuts well above rounding (``svd_min`` ≥ :data:`GRAM_SVD_MIN`), a sector's
right singular vectors come from the eigenvectors of its Gram matrix instead of an SVD
(:func:`_right_factors`): 1.3–1.6× faster on the sectors of the L = 128 singlet at 200 fs,
with the same Schmidt values to 1.2e-15 (docs/notes/performance.md, "The Gram matrix instead of the
SVD").

It reaches into ``npc.Array``'s block storage (``_data``, ``_qdata``) and builds
``LegCharge``s from slices and charges; ``tests/test_tenpy_internals.py`` checks it against
TeNPy's ``update_bond`` on the installed TeNPy. The result is the same state as TeNPy's up to
rounding and the order of rows inside a sector (which changes no Schmidt value and no B).
"""

from __future__ import annotations

import warnings

import numpy as np
import tenpy.linalg.np_conserved as npc
from tenpy.linalg.charges import LegCharge
from tenpy.linalg.truncation import truncate


def update_bond(psi, i: int, U_bond, trunc_params):
    """Apply the two-site gate ``U_bond`` (legs p0, p1, p0*, p1*) to sites (i − 1, i) of the
    finite MPS ``psi`` in B form, truncate, and store the new B tensors and Schmidt values:
    what TeNPy's ``TEBDEngine.update_bond`` does. Returns the ``TruncationError``."""
    C = psi.get_theta(i - 1, n=2, formL=0.0)  # B B, without the Schmidt values on the left
    C = npc.tensordot(U_bond, C, axes=(["p0*", "p1*"], ["p0", "p1"]))
    return store(psi, i - 1, C, trunc_params)


def store(psi, i: int, C, trunc_params, keep_norm: bool = False):
    """Decompose the two-site tensor ``C`` (legs vL, p0, p1, vR in any order; the Schmidt
    values on its left not multiplied in) into sites i, i + 1 of ``psi`` in B form, truncated.

    The factor by which the truncation renormalises the state goes into ``psi.norm``, as in
    ``TEBDEngine.update_bond``, unless ``keep_norm`` (as in ``MPS.swap_sites``).
    Returns the ``TruncationError``.
    """
    C.itranspose(["vL", "p0", "p1", "vR"])
    B_L, S, B_R, trunc_err, renormalize = split_theta(C, psi.get_SL(i), trunc_params,
                                                      psi.get_B(i, None).qtotal)
    if not keep_norm:
        psi.norm *= renormalize
    psi.set_SR(i, S)
    psi.set_B(i, B_L, form="B")
    psi.set_B(i + 1, B_R, form="B")
    return trunc_err


def split_theta(C, SL, trunc_params, qtotal_L):
    """Decompose θ = diag(``SL``)·``C`` (``C``: legs vL, p0, p1, vR) as B_L · diag(S) · B_R
    with B_R right-orthonormal and B_L = C·B_R† (no division by SL, as TeNPy does it),
    truncated by TeNPy's ``truncate(S, trunc_params)``.

    Returns B_L (vL, p, vR, total charge ``qtotal_L``), S (normalised), B_R (vL, p, vR),
    the ``TruncationError`` and the factor by which the norm was divided.
    """
    chinfo = C.chinfo
    leg_L, leg_0, leg_1, leg_R = C.legs
    qdata = C._qdata
    qtotal_R = chinfo.make_valid(C.qtotal - qtotal_L)

    # the charge of the new bond's left leg of B_R (qconj +1) that each block fixes, from B_R's
    # side and, equally, from B_L's
    charge = chinfo.make_valid(qtotal_R - leg_1.charges[qdata[:, 2]] * leg_1.qconj
                               - leg_R.charges[qdata[:, 3]] * leg_R.qconj)
    sector_charges, sector_of_block = _sectors(charge)
    rows = _chunks(qdata[:, 0], qdata[:, 1], leg_L, leg_0, sector_of_block)
    cols = _chunks(qdata[:, 2], qdata[:, 3], leg_1, leg_R, sector_of_block)
    n_sectors = len(sector_charges)
    dtype = C.dtype
    C_sectors = [np.zeros((rows.height[s], cols.height[s]), dtype) for s in range(n_sectors)]
    for block, s, r, c in zip(C._data, sector_of_block.tolist(), rows.of_block, cols.of_block,
                              strict=True):
        r0, r1 = rows.bounds[r]
        c0, c1 = cols.bounds[c]
        C_sectors[s][r0:r1, c0:c1] = block.reshape(r1 - r0, c1 - c0)

    SL = np.asarray(SL)
    svd_min = trunc_params["svd_min"] if "svd_min" in trunc_params else None  # no default set
    gram = svd_min is not None and svd_min >= GRAM_SVD_MIN
    S_sectors, V_sectors = [], []  # U is not needed: B_L = C·V†
    for s in range(n_sectors):
        scale = np.concatenate([np.repeat(SL[leg_L.slices[a]:leg_L.slices[a + 1]], size)
                                for a, _, _, _, _, size in rows.in_sector[s]])
        theta = scale[:, None] * C_sectors[s]
        S, V = _right_factors(theta) if gram else _svd(theta)[1:]
        S_sectors.append(S)
        V_sectors.append(V)

    S_all = np.concatenate(S_sectors)
    renormalize = np.linalg.norm(S_all)
    S_all = S_all / renormalize
    keep, new_norm, trunc_err = truncate(S_all, trunc_params)
    kept = int(np.sum(keep))
    if kept * 100 < len(S_all) and kept != trunc_params.get("chi_max", None):
        warnings.warn(f"Catastrophic reduction in chi: {len(S_all):d} -> {kept:d}", stacklevel=2)
    renormalize *= new_norm
    S_kept = S_all[keep] / new_norm

    bounds = np.cumsum([0] + [len(S) for S in S_sectors])
    new_slices, new_charges, B_L_data, B_L_qdata, B_R_data, B_R_qdata = [0], [], [], [], [], []
    for s in range(n_sectors):
        keep_s = keep[bounds[s]:bounds[s + 1]]
        k = int(np.sum(keep_s))
        if k == 0:
            continue
        j = len(new_charges)
        new_charges.append(sector_charges[s])
        new_slices.append(new_slices[-1] + k)
        V = V_sectors[s][keep_s]
        L = (C_sectors[s] @ V.conj().T) / renormalize
        for a, b, r0, r1, da, db in rows.in_sector[s]:
            B_L_data.append(np.ascontiguousarray(L[r0:r1]).reshape(da, db, k))
            B_L_qdata.append((a, b, j))
        for a, b, c0, c1, da, db in cols.in_sector[s]:
            B_R_data.append(np.ascontiguousarray(V[:, c0:c1]).reshape(k, da, db))
            B_R_qdata.append((j, a, b))

    leg_new = LegCharge.from_qind(chinfo, np.array(new_slices, np.intp),
                                  np.array(new_charges, dtype=leg_L.charges.dtype), qconj=+1)
    B_L = _array([leg_L, leg_0, leg_new.conj()], dtype, qtotal_L, B_L_data, B_L_qdata)
    B_R = _array([leg_new, leg_1, leg_R], dtype, qtotal_R, B_R_data, B_R_qdata)
    return B_L, S_kept, B_R, trunc_err, renormalize


def _sectors(charges):
    """The distinct rows of ``charges`` in TeNPy's order of a sorted leg (``np.lexsort`` of
    the columns: the last charge first), and the index of each row's among them."""
    low = charges.min(axis=0)
    span = charges.max(axis=0) - low + 1
    weights = np.cumprod(np.concatenate([[1], span]))[:-1]  # the last charge most significant
    _, first, index = np.unique((charges - low) @ weights, return_index=True,
                                   return_inverse=True)
    return charges[first], index.reshape(-1)


class _chunks:
    """The row (or column) chunks of θ's sector matrices: one per pair of blocks (p, q) of
    two legs that some block of θ holds, p's block size times q's rows, stacked per sector.

    ``of_block[n]``: the chunk of θ's block n; ``bounds[chunk]``: its rows in its sector;
    ``height[s]``: the rows of sector s; ``in_sector[s]``: its chunks as (p, q, start, stop,
    size of p's block, size of q's block).
    """

    def __init__(self, p_index, q_index, leg_p, leg_q, sector_of_block):
        pairs, of_block = np.unique(p_index * leg_q.block_number + q_index, return_inverse=True)
        self.of_block = of_block.reshape(-1).tolist()
        sector = np.empty(len(pairs), np.intp)
        sector[np.asarray(self.of_block)] = sector_of_block
        p, q = pairs // leg_q.block_number, pairs % leg_q.block_number
        chunks = zip(sector.tolist(), p.tolist(), q.tolist(),
                     np.diff(leg_p.slices)[p].tolist(), np.diff(leg_q.slices)[q].tolist(),
                     strict=True)
        n_sectors = int(sector_of_block.max()) + 1
        self.height = [0] * n_sectors
        self.bounds = []
        self.in_sector = [[] for _ in range(n_sectors)]
        for s, a, b, da, db in chunks:
            start = self.height[s]
            self.height[s] = start + da * db
            self.bounds.append((start, start + da * db))
            self.in_sector[s].append((a, b, start, start + da * db, da, db))


#: The smallest ``svd_min`` at which a sector's Schmidt values and right singular vectors come
#: from its Gram matrix: an eigenvector of θ†θ that belongs to a zero singular value can come
#: out with ‖θ v‖ up to √(2ε)‖θ‖ ≈ 2e-8 (ε the double-precision rounding), so a cut at 1e-7 or
#: above never keeps such a direction; below it the SVD is used.
GRAM_SVD_MIN = 1e-7


def _right_factors(matrix):
    """The singular values S (descending) and right singular vectors V (rows) of ``matrix``
    (= U·diag(S)·V) from the Hermitian eigenproblem of its smaller Gram matrix: θ†θ = V†S²V
    when it has no more columns than rows (V exactly orthonormal, S = ‖θ v_i‖), else
    θθ† = U S² U† and the rows of U†θ normalised (V orthonormal to ε‖θ‖²/(S_i S_j), which
    changes no expectation value by more than ε). Falls back to :func:`_svd` if LAPACK
    fails."""
    rows, cols = matrix.shape
    try:
        if cols <= rows:
            _, Q = np.linalg.eigh(matrix.conj().T @ matrix)
            Q = Q[:, ::-1]
            S = np.linalg.norm(matrix @ Q, axis=0)
            V = Q.conj().T
        else:
            _, Q = np.linalg.eigh(matrix @ matrix.conj().T)
            X = Q[:, ::-1].conj().T @ matrix
            S = np.linalg.norm(X, axis=1)
            V = X / np.where(S > 0, S, 1.0)[:, None]
    except np.linalg.LinAlgError:
        return _svd(matrix)[1:]
    if not (np.isfinite(S).all() and np.isfinite(V).all()):
        return _svd(matrix)[1:]
    order = np.argsort(-S, kind="stable")  # S is ‖θ v_i‖: nearly, not exactly, descending
    return S[order], V[order]


def _svd(matrix):
    """LAPACK's gesdd, and gesvd where gesdd fails or returns NaN (as ``npc.svd`` does)."""
    try:
        U, S, V = np.linalg.svd(matrix, full_matrices=False)
        if np.isfinite(S).all() and np.isfinite(U).all() and np.isfinite(V).all():
            return U, S, V
    except np.linalg.LinAlgError:
        pass
    import scipy.linalg

    return scipy.linalg.svd(matrix, full_matrices=False, lapack_driver="gesvd")


def _array(legs, dtype, qtotal, data, qdata):
    """An ``npc.Array`` (labels vL, p, vR) from its blocks and their block indices."""
    array = npc.Array(legs, dtype, qtotal, labels=["vL", "p", "vR"])
    array._data = data
    array._qdata = np.array(qdata, np.intp).reshape(-1, 3)
    array._qdata_sorted = False
    return array
