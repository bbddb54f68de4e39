"""The exact backend: the state vector on the blocks the Hamiltonian couples, evolved with
windowed Lanczos; one vector per S_z sector when H conserves S_z."""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from .observables import Measurement
from .operators import matrix
from .propagate import LanczosPropagator
from .states import dimensions, initial_components

BATCH_BYTES = 64 * 2**20
"""Memory for the states built at once from one Lanczos window. 256 MB put triplet_minus
(paper's model) at 1.3 GiB peak; 64 MB gives 0.87 GiB at the same speed (measured)."""


def krylov_dim(dim: int, budget: int = 2 * 2**30) -> int:
    """Lanczos dimension: 80, fewer if the basis would take more than ``budget`` bytes.

    Paper's singlet, whole run (runs/bench/exact_speed.py conditions): m = 24/40/72/96/128 took
    3.06/2.61/2.30/2.28/2.45 s; larger m means fewer products per fs, more work per output."""
    return int(max(12, min(80, budget // (16 * dim))))


def memory_estimate(problem) -> tuple[int, int]:
    """(total dimension, bytes the exact backend needs) for a problem's state."""
    dims = dimensions(problem)
    # the Krylov basis, ~6 work vectors, ~7 nonzeros of H per row (value + column index)
    needed = sum(d * (16 * (krylov_dim(d) + 6) + 12 * 7) for d in dims)
    return sum(dims), needed + BATCH_BYTES


def _aligned(generators):
    """Yield (times, [states of each generator]) with the same times for every generator of
    (times, states) batches; one generator passes its batches through unchanged."""
    current = [None] * len(generators)
    position = [0] * len(generators)
    while True:
        for k, generator in enumerate(generators):
            if current[k] is None or position[k] == len(current[k][0]):
                batch = next(generator, None)
                if batch is None:
                    return
                current[k], position[k] = batch, 0
        count = min(len(c[0]) - p for c, p in zip(current, position, strict=True))
        times = current[0][0][position[0]:position[0] + count]
        states = [c[1][p:p + count] for c, p in zip(current, position, strict=True)]
        position = [p + count for p in position]
        yield times, states


class ExactBackend:
    """State-vector evolution of a :class:`~qst_mps.problem.Problem`.

    Parameters
    ----------
    problem : Problem
    tolerance : float
        Accepted error of the state (2-norm) per Lanczos window.
    optional : sequence of str
        Optional observables to measure as well (qst_mps/observables.py).
    """

    name = "exact"
    cost_grows = False  # per simulated fs (qst_mps/forecast.py)

    def __init__(self, problem, tolerance: float = 1e-12, optional=()):
        self.problem = problem
        components = initial_components(problem)
        self.spaces = [space for space, _ in components]
        products = list(problem.model.products())
        self.hamiltonians = [matrix(products, space) for space in self.spaces]
        self.propagators = [
            LanczosPropagator(H, tolerance, krylov_dim(space.dim), BATCH_BYTES)
            for H, space in zip(self.hamiltonians, self.spaces, strict=True)
        ]
        self.measurement = Measurement(problem, self.spaces, self.hamiltonians, optional)
        self.psi = [psi for _, psi in components]
        self.info = {"dimension": self.dim, "sectors": len(self.spaces)}
        self.time = 0.0
        self._cached = (None, {})  # (states, their observables), filled per Lanczos window

    @property
    def dim(self) -> int:
        return sum(space.dim for space in self.spaces)

    def evolve(self, times):
        """Advance through the ascending ``times`` (fs), yielding after each one.

        The observables of all the states of one Lanczos window are computed together.
        BLAS runs on one thread here: the vector operations are memory-bound, and idle OpenBLAS
        threads spinning on a 2-core machine made them 3.5x slower (measured, paper's model).
        """
        with threadpool_limits(1, user_api="blas"):
            generators = [p.evolve_batches(psi, self.time, times)
                          for p, psi in zip(self.propagators, self.psi, strict=True)]
            for batch_times, states in _aligned(generators):
                table = self.measurement.measure(states)
                for i, t in enumerate(batch_times):
                    self.psi, self.time = [s[i] for s in states], float(t)
                    self._cached = (self.psi, {k: v[i] for k, v in table.items()})
                    yield self.time

    def measure(self, heavy: bool = True) -> dict:
        """The measured observables (qst_mps/observables.py) of the current state; all of
        them, also without ``heavy`` (they are computed for whole windows of output times)."""
        state, values = self._cached
        if state is not self.psi:
            table = self.measurement.measure([psi[None, :] for psi in self.psi])
            values = {k: v[0] for k, v in table.items()}
            self._cached = (self.psi, values)
        return dict(values)

    # checkpoints -----------------------------------------------------------------------------
    def checkpoint(self) -> dict:
        """Arrays that, with the configuration, continue this run exactly (the components'
        vectors one after the other)."""
        return {"psi": np.concatenate(self.psi), "time": self.time}

    def restore(self, saved: dict) -> None:
        """Continue from :meth:`checkpoint` output."""
        psi = np.asarray(saved["psi"], dtype=complex)
        if psi.shape != (self.dim,):
            raise ValueError("checkpoint does not match this state's sectors")
        self.psi = np.split(psi, np.cumsum([s.dim for s in self.spaces])[:-1])
        self.time = float(saved["time"])
