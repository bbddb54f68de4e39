"""The exact backend: the state vector in the conserved sector, evolved by Chebyshev expansion."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from ..geometry import spin_sites
from ..states import electron_spin_factor, initial_electrons, lowered_quanta, n_electrons
from .propagate import LanczosPropagator
from .sector import Sector

BATCH_BYTES = 64 * 2**20
"""Memory for the states built at once from one Lanczos window. 256 MB put triplet_minus
(paper's model) at 1.3 GiB peak; 64 MB gives 0.87 GiB at the same speed (measured)."""


def sector_of(config: dict) -> tuple[int, int, float, int, int]:
    """(N, L, S, n_electrons, quanta) of the sector a configuration's state lives in."""
    model = config["model"]
    return model["N"], model["L"], model["spin"], n_electrons(config), lowered_quanta(config)


def krylov_dim(dim: int, budget: int = 2 * 2**30) -> int:
    """Lanczos dimension: 80, fewer if the basis would take more than ``budget`` bytes.

    Paper's singlet, whole run (runs/bench/exact_speed.py conditions): m = 24/40/72/96/128 took
    3.06/2.61/2.30/2.28/2.45 s; larger m means fewer products per fs, more work per output."""
    return int(max(12, min(80, budget // (16 * dim))))


def memory_estimate(config: dict) -> tuple[int, int]:
    """(sector dimension, bytes the exact backend needs for it)."""
    dim = Sector.dimension(*sector_of(config))
    # the Krylov basis, ~6 work vectors, ~7 nonzeros of H per row (value + column index)
    per_amplitude = 16 * (krylov_dim(dim) + 6) + 12 * 7
    return dim, dim * per_amplitude + BATCH_BYTES


class ExactBackend:
    """State-vector evolution of SPEC §1 in the sector of the initial state.

    Parameters
    ----------
    config : dict
        Resolved configuration.
    tolerance : float
        Accepted error of the state (2-norm) per Lanczos window.
    """

    name = "exact"

    def __init__(self, config: dict, tolerance: float = 1e-12):
        self.config = config
        model = config["model"]
        self.sites = spin_sites(model)
        self.sector = Sector(*sector_of(config))
        self.hamiltonian = self.sector.hamiltonian(model, self.sites)
        self.propagator = LanczosPropagator(
            self.hamiltonian, tolerance, krylov_dim(self.sector.dim), BATCH_BYTES
        )
        self.scale = electron_spin_factor(model)
        self.psi = self.initial_state()
        self.time = 0.0
        self._cached = (None, {})  # (state, its observables), filled per Lanczos window
        self._observable_tables()

    def initial_state(self) -> np.ndarray:
        """The initial product state (local spins up, electrons of SPEC §2) in the sector."""
        electrons = initial_electrons(self.config)
        amplitudes = electrons.mode_amplitudes()
        block = self.sector.block(lowered_quanta(self.config))  # all quanta on the electrons
        psi = np.zeros(self.sector.dim, dtype=complex)
        modes = block.electrons.modes
        values = amplitudes[modes[:, 0]] if modes.shape[1] == 1 else amplitudes[modes[:, 0],
                                                                                modes[:, 1]]
        psi[block.slice] = np.kron(values, np.eye(1, len(block.local), 0).ravel())
        return psi

    def _observable_tables(self) -> None:
        """Per-configuration values of the diagonal observables, computed once per block."""
        N = self.sector.N
        self._tables = []
        for block in self.sector.blocks:
            e = block.electrons
            s_z = 0.5 * (e.n_electrons - 2 * e.n_down) * self.scale
            rows = np.repeat(np.arange(len(e)), e.n_electrons)
            occupation = sp.csr_matrix(  # configuration -> electrons on each site
                (np.ones(rows.size), (rows, (e.modes % N).ravel())), shape=(len(e), N))
            self._tables.append((s_z, occupation, block.local.s_z))

    def evolve(self, times):
        """Advance through the ascending ``times`` (fs), yielding after each one.

        The observables of all the states of one Lanczos window are computed together.
        BLAS runs on one thread here: the vector operations are memory-bound, and idle OpenBLAS
        threads spinning on a 2-core machine made them 3.5x slower (measured, paper's model).
        """
        with threadpool_limits(1, user_api="blas"):
            for batch_times, states in self.propagator.evolve_batches(self.psi, self.time, times):
                table = self._batch_observables(states)
                for i, t in enumerate(batch_times):
                    self.psi, self.time = states[i], float(t)
                    self._cached = (self.psi, {k: v[i] for k, v in table.items()})
                    yield self.time

    def observables(self) -> dict:
        """SPEC §3 observables of the current state (one time)."""
        state, values = self._cached
        if state is not self.psi:
            values = {k: v[0] for k, v in self._batch_observables(self.psi[None, :]).items()}
            self._cached = (self.psi, values)
        return dict(values)

    def _batch_observables(self, states: np.ndarray) -> dict:
        """SPEC §3 observables of W states at once (rows of ``states``): name -> (W, ...)."""
        W, N, L = len(states), self.sector.N, self.sector.L
        sigma_z, s_z_loc, density = np.zeros(W), np.zeros((W, L)), np.zeros((W, N))
        norm = np.zeros(W)
        pair = np.zeros((W, 4))  # P(S), P(T+), P(T0), P(T-)
        for block, (s_z, occupation, local_s_z) in zip(self.sector.blocks, self._tables,
                                                       strict=True):
            n_electron_configs, n_local_configs = block.shape
            parts = states[:, block.slice].view(np.float64)  # (W, 2 * size): real, imag, ...
            squares = parts * parts
            prob = (squares[:, ::2] + squares[:, 1::2]).reshape(W, *block.shape)
            # sums over the short local axis and the long electron axis as BLAS products: a
            # numpy reduction over an axis of length 4-6 was the slowest step here (measured)
            p_electrons = prob @ np.ones(n_local_configs)
            p_local = np.ones(n_electron_configs) @ prob
            weight = p_electrons.sum(axis=1)
            norm += weight
            sigma_z += s_z * weight
            s_z_loc += p_local @ local_s_z
            density += (occupation.T @ p_electrons.T).T
            if self.sector.n_electrons == 2:
                if block.n_down == 0:
                    pair[:, 1] = weight
                elif block.n_down == 2:
                    pair[:, 3] = weight
                else:  # ↑ at x, ↓ at y: the singlet is the part symmetric in x ↔ y,
                    # P(S) = ‖(A + Aᵀ)/2‖² = (‖A‖² + Re⟨A, Aᵀ⟩) / 2 without building A + Aᵀ
                    grid = parts.reshape(W, N, N, 2 * n_local_configs)
                    exchange = np.einsum("wxyk,wyxk->w", grid, grid)
                    pair[:, 0] = 0.5 * (weight + exchange)
                    pair[:, 2] = weight - pair[:, 0]
        # ⟨ψ|H|ψ⟩ for all W states in one pass over H: (n, W) complex as (n, 2W) real columns
        columns = np.ascontiguousarray(states.T).view(np.float64)
        h_columns = self.hamiltonian @ columns
        energy = np.einsum("ij,ij->j", columns, h_columns).reshape(W, 2).sum(axis=1)
        result = {
            "sigma_z_el": sigma_z,
            "S_z_loc": s_z_loc,
            "S_z_total": sigma_z / self.scale + s_z_loc.sum(axis=1),
            "density": density,
            "norm": norm,
            "energy": energy,
        }
        if self.sector.n_electrons == 2:
            result["pair_spin_probabilities"] = pair
        return result

    # checkpoints -----------------------------------------------------------------------------
    def save_state(self) -> dict:
        """Arrays that, with the configuration, continue this run exactly."""
        return {"psi": self.psi, "time": self.time}

    def load_state(self, saved: dict) -> None:
        """Continue from :meth:`save_state` output."""
        psi = np.asarray(saved["psi"], dtype=complex)
        if psi.shape != (self.sector.dim,):
            raise ValueError("checkpoint does not match this sector")
        self.psi, self.time = psi, float(saved["time"])
