"""Entropies, concurrence and mutual information from density matrices and Schmidt values, for
every backend alike (natural logarithms throughout)."""

from __future__ import annotations

import numpy as np

#: Eigenvalues below this are dropped from entropies (rounding of a positive spectrum).
CUTOFF = 1e-14


def entropy(weights) -> float:
    """von Neumann entropy −Σ p ln p of a spectrum (probabilities or squared Schmidt values)."""
    p = np.real(np.asarray(weights, dtype=complex))
    p = p[p > CUTOFF]
    return max(0.0, float(-np.sum(p * np.log(p))))


def density_entropy(rho: np.ndarray) -> float:
    """von Neumann entropy of a density matrix."""
    return entropy(np.linalg.eigvalsh(0.5 * (rho + rho.conj().T)))


def concurrence(rho: np.ndarray) -> float:
    """Wootters concurrence of a two-qubit density matrix (4×4, basis |ab⟩, a the first spin):
    max(0, λ1 − λ2 − λ3 − λ4), λ the decreasing square roots of the eigenvalues of
    ρ (σ_y⊗σ_y) ρ* (σ_y⊗σ_y)."""
    flip = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
    rho = rho / np.trace(rho).real
    eigenvalues = np.linalg.eigvals(rho @ flip @ rho.conj() @ flip)
    lam = np.sort(np.sqrt(np.clip(eigenvalues.real, 0.0, None)))[::-1]
    return float(max(0.0, lam[0] - lam[1] - lam[2] - lam[3]))


def mutual_information(singles: np.ndarray, pairs: dict) -> np.ndarray:
    """I(j : k) = S_j + S_k − S_jk from the one-spin density matrices ``singles`` (L, d, d) and
    the two-spin ones ``pairs[(j, k)]`` (d², d², basis |a_j b_k⟩), j < k. The diagonal holds
    S_j (I(j : j) = S_j + S_j − S_jj with S_jj = S_j)."""
    S = np.array([density_entropy(r) for r in singles])
    info = np.diag(S)
    for (j, k), rho in pairs.items():
        info[j, k] = info[k, j] = S[j] + S[k] - density_entropy(rho)
    return info
