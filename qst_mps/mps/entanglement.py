"""The entanglement of the local spins with everything else, from an MPS: ``magnet_entropy``.

The local spins sit on the sites a … b of the chain, each grouped with a conduction site. With
the MPS in right-canonical form, the state is Σ_α λ_α |α⟩ ⊗ (B_a … B_b)_{α β} ⊗ |β⟩, where the
states |α⟩ (sites left of a) and |β⟩ (right of b) are orthonormal. The region a … b is copied
into a small dense MPS: a first tensor that carries λ and the index α as a physical leg, the
sites a … b with each grouped site split into its conduction part and its spin (one SVD), and a
last tensor that carries β as a physical leg. Then every spin is moved to the right end by
swaps of neighbouring tensors (a spin is a boson: a swap is a transposition, no fermionic sign),
and the Schmidt values of the cut between the other tensors and the spins are those of the
local spins' reduced density matrix.

Cost: about L²/2 swaps, each an SVD of a (χ d) × (d χ) matrix, and no (2S+1)^L object; the
bond between the spins and the rest holds at most the rank of ρ_spins. Singular values below
1e-14 of the largest are dropped. The SVDs are TeNPy's ``svd_robust``: LAPACK's gesdd, and
gesvd when gesdd does not converge (it failed once on the paper's singlet at chi ≈ 160).
"""

from __future__ import annotations

import numpy as np
from tenpy.linalg.svd_robust import svd

from ..quantum_info import entropy

DROP = 1e-14


def _split(theta: np.ndarray, left_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """theta (left…, right…) → U (left…, k), S V (k, right…), small singular values dropped."""
    rows = int(np.prod(left_shape))
    U, S, V = svd(theta.reshape(rows, -1), full_matrices=False)
    keep = S > DROP * S[0] if S.size else S > 0
    return (U[:, keep].reshape(*left_shape, -1),
            (S[keep, None] * V[keep]).reshape(-1, *theta.shape[len(left_shape):]))


def _grouped_parts(site, spin: float) -> tuple[np.ndarray, np.ndarray]:
    """For each basis state of a grouped site: its conduction index and its spin's lowering."""
    fermion_site = site.sites[0]
    fermion, lowering = np.zeros(site.dim, int), np.zeros(site.dim, int)
    for label, index in site.state_labels.items():
        f_label, s_label = label.split(" ")
        f_name, s_name = f_label[:-2], s_label[:-2]
        if s_name in ("up", "down"):
            continue
        fermion[index] = fermion_site.state_labels[f_name]
        lowering[index] = round(spin - float(s_name))
    return fermion, lowering


def magnet_schmidt_values(psi, chain) -> np.ndarray:
    """Schmidt values of the bipartition (local spins | electrons) of ``psi`` (a
    :class:`~qst_mps.mps.model.SpinTransferChain` MPS in canonical form)."""
    spin = chain.problem_model.spin
    d = round(2 * spin) + 1
    sites = psi.sites
    first, last = min(chain.spin_sites), max(chain.spin_sites)
    tensors, is_spin = [], []
    left = np.asarray(psi.get_SL(first))
    tensors.append(np.diag(left).reshape(1, left.size, left.size))
    is_spin.append(False)
    for x in range(first, last + 1):
        B = psi.get_B(x, "B").transpose(["vL", "p", "vR"]).to_ndarray()
        if x not in chain.decorated:
            tensors.append(B)
            is_spin.append(False)
            continue
        fermion, lowering = _grouped_parts(sites[x], spin)
        split = np.zeros((B.shape[0], sites[x].sites[0].dim, d, B.shape[2]), dtype=B.dtype)
        split[:, fermion, lowering, :] = B
        conduction, spin_part = _split(split, split.shape[:2])
        tensors += [conduction, spin_part]
        is_spin += [False, True]
    chi = tensors[-1].shape[2]
    tensors.append(np.eye(chi).reshape(chi, chi, 1))
    is_spin.append(False)
    # move every spin to the right end, the rightmost first
    end = len(tensors)
    for position in range(len(tensors) - 1, -1, -1):
        if not is_spin[position]:
            continue
        p = position
        while p + 1 < end:
            theta = np.tensordot(tensors[p], tensors[p + 1], axes=(2, 0))  # l, s, e, r
            theta = theta.transpose(0, 2, 1, 3)
            tensors[p], tensors[p + 1] = _split(theta, theta.shape[:2])
            is_spin[p], is_spin[p + 1] = is_spin[p + 1], is_spin[p]
            p += 1
        end -= 1
    # orthonormalize both sides of the cut and take the singular values of the bond matrix
    carry = np.ones((1, 1))
    for k in range(end):
        tensor = np.tensordot(carry, tensors[k], axes=(1, 0))
        q, carry = np.linalg.qr(tensor.reshape(-1, tensor.shape[2]))
    back = np.ones((1, 1))
    for k in range(len(tensors) - 1, end - 1, -1):
        tensor = np.tensordot(tensors[k], back, axes=(2, 0))
        q, r = np.linalg.qr(tensor.reshape(tensor.shape[0], -1).T)
        back = r.T
    return svd(carry @ back, compute_uv=False)


def magnet_entropy(psi, chain) -> float:
    """von Neumann entropy of the local spins' reduced density matrix."""
    values = magnet_schmidt_values(psi, chain)
    return entropy(values**2 / np.sum(values**2))
