"""What a run will need, before it runs: peak memory and wall time, from the package's own
measurements (docs/notes/performance.md, "What a run needs"). Used to size SLURM jobs.

Both are meant as limits, not forecasts: a job that asks for them should not be killed. A job
that still reaches its time limit is not lost: it checkpoints and requeues (docs/cluster.md).

- **exact**: the memory is the backend's own budget (the Krylov basis, work vectors and H:
  :func:`qst_mps.exact.backend.memory_estimate`) × ``EXACT_MEMORY_FACTOR``. The time is
  ``EXACT_SECONDS_PER_AMPLITUDE_FS`` × the dimension × t_max, the slowest rate measured
  (triplet_minus at L = 32).
- **mps**: the fitted cost model of docs/notes/scaling.md, per fs: 3.5 ms × N per output (the
  whole-chain observables, two outputs per fs there) + 26.7 ms per bond of the window
  + 11.1 ns × Σ chi³ over the window, with every bond of the window at ``chi_max`` (an upper
  bound: runs below the cap are cheaper). The window starts where the electrons' packets and,
  when they can move, the local spins are, and widens by the fastest group velocity 2 t_h a/ħ
  each way. The memory is the window's MPS at chi_max, twice (TDVP: with its environments),
  plus the interpreter.
  Two-site TDVP (the ring, or spins coupled beyond neighbours) is taken as ``TDVP_FACTOR``
  times TEBD.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .constants import HBAR

if TYPE_CHECKING:
    from .spec import RunSpec

EXACT_SECONDS_PER_AMPLITUDE_FS = 1.5e-6
"""Wall s per amplitude of the state and fs simulated: 1.2e-6 measured for the exact triplet_minus
at L = 32 (8881 s, 54 million amplitudes, 134 fs), where the Krylov space had to shrink to fit,
against 4e-7 for the paper's singlet (docs/notes/scaling.md); rounded up."""

EXACT_MEMORY_FACTOR = 1.15
"""Peak over the backend's budget: 21.0 GiB against 18.8 GiB for triplet_minus at L = 32 (the
observables' operators and temporaries), rounded up."""

BASE_BYTES = 400 * 2**20
"""The interpreter with numpy, scipy, h5py (and TeNPy): about 300 MiB resident, rounded up."""

MPS_SECONDS_PER_SITE_OUTPUT = 3.5e-3
MPS_SECONDS_PER_WINDOW_BOND_FS = 26.7e-3
MPS_SECONDS_PER_CHI_CUBED_FS = 11.1e-9
"""The cost model of docs/notes/scaling.md (fitted over 13 TEBD runs of the scaling family)."""

TDVP_FACTOR = 3.0
"""Two-site TDVP against TEBD per fs, the paper's ring against its open chain at the same settings
(docs/notes/performance.md: 3.2× plain TDVP)."""

TDVP_MEMORY_FACTOR = 7.5
"""TDVP keeps environments beside the MPS: (d + 2 D)/d per bond, d = 4, D = 13 (docs/cluster.md)."""


@dataclass
class Estimate:
    """What one run needs: ``memory`` (bytes), ``seconds`` (wall), on ``backend``."""

    backend: str
    memory: int
    seconds: float
    basis: str

    def describe(self) -> str:
        return (f"{self.backend}: ~{self.memory / 2**30:.2f} GiB, ~{_duration(self.seconds)} "
                f"({self.basis})")


def _duration(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def estimate(config: RunSpec, problem=None) -> Estimate:
    """The peak memory and wall time of a resolved configuration, on the backend it would take
    on this machine (:func:`qst_mps.simulation.choose_backend`)."""
    from .problem import build
    from .simulation import choose_backend

    problem = problem or build(config)
    backend, _ = choose_backend(config, problem)
    t_max = float(problem.times[-1])
    if backend == "exact":
        from .exact.backend import memory_estimate

        dim, needed = memory_estimate(problem)
        return Estimate("exact", BASE_BYTES + int(EXACT_MEMORY_FACTOR * needed),
                        EXACT_SECONDS_PER_AMPLITUDE_FS * dim * t_max,
                        f"dimension {dim:,}, {t_max:g} fs")
    return _mps_estimate(config, problem, t_max)


def mps_window(problem, times: np.ndarray) -> np.ndarray:
    """Sites in the mps window at each of ``times`` (fs), as :func:`estimate` models it."""
    model = problem.model
    occupied = np.zeros(model.N, bool)
    for packet in problem.electrons.packets:
        occupied |= np.abs(packet) > 1e-6
    if not problem.local_stationary:
        occupied[list(model.spin_sites)] = True
    sites = np.flatnonzero(occupied)
    start = sites[-1] - sites[0] + 1 + 2 * 10 if sites.size else model.N  # 10-site margins
    velocity = 2 * abs(model.t_h) / HBAR
    return np.minimum(model.N, start + 2 * velocity * np.asarray(times))


def _mps_estimate(config: RunSpec, problem, t_max: float) -> Estimate:
    chi = config.evolution.chi_max
    times = problem.times
    window = mps_window(problem, times)
    window_fs = float(np.sum((window[1:] + window[:-1]) / 2 * np.diff(times)))  # site·fs
    outputs = len(times)
    seconds = (MPS_SECONDS_PER_SITE_OUTPUT * problem.model.N * outputs
               + (MPS_SECONDS_PER_WINDOW_BOND_FS + MPS_SECONDS_PER_CHI_CUBED_FS * chi**3)
               * window_fs)
    # TEBD on open chains, and on a ring cut open where it is empty (qst_mps/mps/ring.py)
    tdvp = not problem.model.nearest_neighbour_when_cut
    if tdvp:
        seconds *= TDVP_FACTOR
    memory = BASE_BYTES + int(2 * int(window.max()) * chi**2 * 16
                              * (TDVP_MEMORY_FACTOR if tdvp else 1))
    return Estimate("mps", memory, seconds,
                    f"chi_max {chi} on a window of up to {int(window.max())} sites, "
                    f"{t_max:g} fs{', two-site TDVP' if tdvp else ''}")

