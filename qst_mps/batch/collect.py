"""The plateau values of a sweep's complete points, labelled by the swept keys."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .expand import Sweep


@dataclass
class SweepTable:
    """Plateau values of a sweep against its swept keys (a plain labelled array).

    ``values[name]`` has shape ``tuple(len(v) for v in axes.values())`` (plus trailing observable
    axes), NaN where a point is not complete.
    """

    axes: dict
    values: dict

def collect(sweep: Sweep) -> SweepTable:
    """Final-time (plateau) Δσ_z, σ_z, ⟨S_el²⟩, P(N↑ = n) (padded with NaN to the largest number
    of electrons of the sweep) and, for two electrons, the pair probabilities of every complete
    point."""
    from .. import results

    shape = tuple(len(v) for v in sweep.axes.values())
    done = {}
    for index, position in enumerate(np.ndindex(*shape)):
        if sweep.status(index) == "complete":
            done[position] = results.load(sweep.path(index))
    K = max((r["electron_up_probabilities"].shape[1] - 1 for r in done.values()
             if "electron_up_probabilities" in r), default=2)
    values = {"delta_sigma_z": np.full(shape, np.nan), "sigma_z_el": np.full(shape, np.nan),
              "electron_spin_squared": np.full(shape, np.nan),
              "electron_up_probabilities": np.full(shape + (K + 1,), np.nan),
              "pair_spin_probabilities": np.full(shape + (4,), np.nan),
              "t_final": np.full(shape, np.nan)}
    for position, r in done.items():
        values["delta_sigma_z"][position] = r["delta_sigma_z"][-1]
        values["sigma_z_el"][position] = r["sigma_z_el"][-1]
        values["t_final"][position] = r["time"][-1]
        if "electron_spin_squared" in r:
            values["electron_spin_squared"][position] = r["electron_spin_squared"][-1]
        if "electron_up_probabilities" in r:
            up = r["electron_up_probabilities"][-1]
            values["electron_up_probabilities"][position][:up.size] = up
        if "pair_spin_probabilities" in r:
            values["pair_spin_probabilities"][position] = r["pair_spin_probabilities"][-1]
    return SweepTable(dict(sweep.axes), values)
