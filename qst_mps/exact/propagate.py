"""exp(−i H t / ħ) ψ for a Hermitian sparse H: Lanczos windows, Chebyshev as a reference.

Why Lanczos windows: the cost is the number of products H·v. A Chebyshev expansion needs about
(half spectral width)·t/ħ of them, because it resolves the whole spectrum. A wave packet's energy
distribution is far narrower (on the paper's model 0.17 eV against a half-width of 2.4 eV).
A Krylov space adapts to that. One space of dimension 40 holds 1e-12 accuracy over ~7 fs
(14 output times), for 40 products, where Chebyshev needs ~16 per 0.5 fs output. All output
times inside a window are then built from the one Krylov basis in a single matrix product.
Measured in ``runs/bench/exact_speed.py``.

When H is real (no field along y), a complex vector is multiplied as two real products, one on
its real part and one on its imaginary part: 1.2 ms on the paper's singlet sector (dimension
119,600) against 1.7 ms for the real H on the two parts as a two-column array, and 1.0 ms for a
complex copy of H, which would cost 8 more bytes per nonzero (3 GiB more for triplet_minus at
L = 32) (one thread, one script).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp
from scipy.linalg import blas
from scipy.special import jv

from ..constants import HBAR


def hermitian_product(H: sp.csr_matrix, v: np.ndarray) -> np.ndarray:
    """H @ v for complex v; a real H is not converted to complex (see the module's text)."""
    if not np.isrealobj(H.data):
        return H @ v
    out = np.empty_like(v)
    out.real = H @ np.ascontiguousarray(v.real)
    out.imag = H @ np.ascontiguousarray(v.imag)
    return out


class LanczosPropagator:
    """Evolves a state to a sequence of times with windowed Lanczos (H in eV, times in fs).

    Parameters
    ----------
    H : sparse matrix
        Hermitian Hamiltonian (eV).
    tolerance : float
        Bound on the estimated error (2-norm of the state) accepted per window.
    krylov_dim : int
        Dimension m of each Krylov space; memory is m complex vectors.
    batch_bytes : int
        Memory for the states built at once from one window.
    """

    def __init__(self, H: sp.csr_matrix, tolerance: float = 1e-12, krylov_dim: int = 40,
                 batch_bytes: int = 256 * 2**20):
        self.H = H.tocsr()
        self.tolerance = tolerance
        self.krylov_dim = max(4, min(krylov_dim, H.shape[0]))
        self.batch = max(1, batch_bytes // (16 * H.shape[0]))
        self.products = 0
        self.windows = 0
        self._basis = None  # kept between windows: a fresh one costs its page faults every time

    def _krylov(self, psi: np.ndarray):
        """Lanczos basis V (m × n), tridiagonal eigensystem, ‖ψ‖ and the next β."""
        m, n = self.krylov_dim, psi.size
        if self._basis is None or self._basis.shape != (m, n):
            self._basis = np.empty((m, n), dtype=complex)
        V = self._basis
        alpha, beta = np.zeros(m), np.zeros(m)
        norm = np.linalg.norm(psi)
        np.divide(psi, norm, out=V[0])
        size = m
        for j in range(m):
            w = hermitian_product(self.H, V[j])
            self.products += 1
            if j:
                w = blas.zaxpy(V[j - 1], w, a=-beta[j - 1])
            alpha[j] = np.vdot(V[j], w).real
            w = blas.zaxpy(V[j], w, a=-alpha[j])
            beta[j] = np.linalg.norm(w)
            if beta[j] < 1e-13 * norm:  # invariant subspace: the window is exact
                size = j + 1
                beta[j] = 0.0
                break
            if j + 1 < m:
                np.divide(w, beta[j], out=V[j + 1])
        energies, vectors = la.eigh_tridiagonal(alpha[:size], beta[: size - 1])
        self.windows += 1
        return V[:size], energies, vectors, norm, beta[size - 1]

    @staticmethod
    def _coefficients(energies, vectors, norm, taus) -> np.ndarray:
        """Krylov coordinates of ψ(τ) for each τ (fs): rows ‖ψ‖ U exp(−iEτ/ħ) Uᵀ e₁."""
        phases = np.exp(-1j * np.outer(taus, energies) / HBAR) * vectors[0]
        return norm * phases @ vectors.T

    def evolve(self, psi: np.ndarray, t0: float, times) -> Iterator[tuple[float, np.ndarray]]:
        """Yield (t, ψ(t)) for each of the ascending ``times`` (fs, each ≥ t0)."""
        for batch_times, states in self.evolve_batches(psi, t0, times):
            yield from zip(batch_times, states, strict=True)

    def evolve_batches(self, psi: np.ndarray, t0: float, times) -> Iterator[tuple]:
        """Yield (times, states) blocks covering the ascending ``times``; states is (W, n)."""
        early = [float(t) for t in times if t <= t0 + 1e-12]
        if early:
            yield np.array(early), np.repeat(psi[None, :], len(early), axis=0)
        pending = [float(t) for t in times if t > t0 + 1e-12]
        origin, state = t0, psi
        while pending:
            V, energies, vectors, norm, beta_next = self._krylov(state)

            def error(taus, energies=energies, vectors=vectors, norm=norm, beta=beta_next):
                coeffs = self._coefficients(energies, vectors, norm, np.atleast_1d(taus))
                return beta * np.abs(coeffs[:, -1])

            taus = np.array(pending) - origin
            good = error(taus) < self.tolerance
            reach = len(good) if good.all() else int(np.argmin(good))
            if reach == 0:  # the next output is beyond this window: take an intermediate step
                step = taus[0]
                while error(step)[0] >= self.tolerance:
                    step *= 0.5
                state = self._coefficients(energies, vectors, norm, [step])[0] @ V
                origin += step
                continue
            for start in range(0, reach, self.batch):
                chunk = taus[start : min(reach, start + self.batch)]
                states = self._coefficients(energies, vectors, norm, chunk) @ V
                yield origin + chunk, states
            origin, state = origin + taus[reach - 1], states[-1]
            pending = pending[reach:]


class ChebyshevPropagator:
    """exp(−i H dt/ħ) by a Chebyshev expansion over the Gershgorin bounds of H.

    Slower than :class:`LanczosPropagator` on wave packets, but with an a-priori error bound;
    kept as an independent reference for tests and benchmarks.
    """

    def __init__(self, H: sp.csr_matrix, tolerance: float = 1e-14):
        diag = H.diagonal()
        radius = np.asarray(abs(H).sum(axis=1)).ravel() - np.abs(diag)
        e_min, e_max = float(np.min(diag - radius)), float(np.max(diag + radius))
        self.centre = 0.5 * (e_max + e_min)
        self.half_width = 0.5 * (e_max - e_min) * 1.01 + 1e-12
        shift = sp.identity(H.shape[0], format="csr") * self.centre
        self.scaled = ((H - shift) / self.half_width).tocsr().astype(complex)
        self.tolerance = tolerance
        self.products = 0

    def step(self, psi: np.ndarray, dt: float) -> np.ndarray:
        """Return exp(−i H dt/ħ) ψ, dt in fs."""
        x = self.half_width * dt / HBAR
        k = np.arange(int(x + 20 * (x + 1) ** (1 / 3) + 40))
        c = (2.0 - (k == 0)) * (-1j) ** k * jv(k, x) * np.exp(-1j * self.centre * dt / HBAR)
        tail = np.cumsum(np.abs(c[::-1]))[::-1]
        c = c[: max(2, int(np.argmax(tail < self.tolerance)))]
        previous, current = psi, self.scaled @ psi
        out = c[0] * psi + c[1] * current
        self.products += len(c) - 1
        for ck in c[2:]:
            following = 2.0 * (self.scaled @ current) - previous
            out += ck * following
            previous, current = current, following
        return out
