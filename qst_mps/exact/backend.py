"""The exact backend: the state vector in the conserved sector, evolved by Chebyshev expansion."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from ..geometry import spin_sites
from ..states import initial_electrons, lowered_quanta, n_electrons
from .propagate import LanczosPropagator
from .sector import Sector

BATCH_BYTES = 256 * 2**20
"""Memory for the states built at once from one Lanczos window."""


def sector_of(config: dict) -> tuple[int, int, float, int, int]:
    """(N, L, S, n_electrons, quanta) of the sector a configuration's state lives in."""
    model = config["model"]
    return model["N"], model["L"], model["spin"], n_electrons(config), lowered_quanta(config)


def krylov_dim(dim: int, budget: int = 2 * 2**30) -> int:
    """Lanczos dimension: 40 (measured best on the paper's model), fewer if the basis would
    take more than ``budget`` bytes."""
    return int(max(12, min(40, budget // (16 * dim))))


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
        self.scale = 2.0 if model["electron_spin"] == "pauli" else 1.0
        self.psi = self.initial_state()
        self.time = 0.0
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
        """Per-configuration values of the diagonal observables, computed once."""
        self._tables = []
        for block in self.sector.blocks:
            e = block.electrons
            n_down = e.n_down
            s_z = 0.5 * (e.n_electrons - 2 * n_down) * self.scale
            sites = e.modes % self.sector.N
            self._tables.append((s_z, sites, block.local.s_z))

    def evolve(self, times):
        """Advance through the ascending ``times`` (fs), yielding after each one.

        BLAS runs on one thread here: the vector operations are memory-bound, and idle OpenBLAS
        threads spinning on a 2-core machine made them 3.5x slower (measured, paper's model).
        """
        with threadpool_limits(1, user_api="blas"):
            for t, psi in self.propagator.evolve(self.psi, self.time, times):
                self.psi, self.time = psi, t
                yield t

    def observables(self) -> dict:
        """SPEC §3 observables of the current state (one time)."""
        N, L = self.sector.N, self.sector.L
        sigma_z, s_z_loc, density = 0.0, np.zeros(L), np.zeros(N)
        pair = np.zeros(4)  # P(S), P(T+), P(T0), P(T-)
        for block, (s_z, sites, local_s_z) in zip(self.sector.blocks, self._tables, strict=True):
            amp = self.psi[block.slice].reshape(block.shape)
            prob = np.abs(amp) ** 2
            p_electrons, p_local = prob.sum(axis=1), prob.sum(axis=0)
            weight = p_electrons.sum()
            sigma_z += s_z * weight
            s_z_loc += p_local @ local_s_z
            for column in sites.T:
                density += np.bincount(column, weights=p_electrons, minlength=N)
            if self.sector.n_electrons == 2:
                if block.n_down == 0:
                    pair[1] = weight
                elif block.n_down == 2:
                    pair[3] = weight
                else:  # ↑ at x, ↓ at y: the singlet is the part symmetric in x ↔ y
                    cube = amp.reshape(N, N, -1)
                    pair[0] = np.sum(np.abs(0.5 * (cube + cube.transpose(1, 0, 2))) ** 2)
                    pair[2] = weight - pair[0]
        norm = float(np.vdot(self.psi, self.psi).real)
        energy = float(np.vdot(self.psi, self.hamiltonian @ self.psi).real)
        result = {
            "sigma_z_el": sigma_z,
            "S_z_loc": s_z_loc,
            "S_z_total": sigma_z / self.scale + s_z_loc.sum(),
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
