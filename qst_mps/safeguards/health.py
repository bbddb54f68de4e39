"""Numerical health of a run, checked at every output time.

A NaN or infinity anywhere, or a drift of the norm, of S_z_total (when H conserves it) or of
the energy beyond the thresholds below, stops the run (exit 3) before the bad numbers are
written; the file keeps its last good checkpoint.

The thresholds are far above the drifts measured in healthy runs (docs/cluster.md):

- exact: norm, S_z_total ≤ 6e-15 and energy ≤ 1e-13 eV on the paper's states;
- mps: norm ≤ 4e-14, S_z_total ≤ 8e-14 and energy ≤ 8e-7 eV (the Trotter error of
  fourth-order TEBD at dt = 0.5 fs) at small truncation; with a discarded weight of 2.5e-2
  (the L = 32 antiferromagnet at chi_max = 256) norm 3e-9, S_z_total 2.3e-4, energy 1.6e-3 eV;
  with 1.1e-2 (ten electrons through 16 spins at chi_max = 128) norm 1.3e-6. The norm may drift
  by the discarded weight on top of its threshold.
"""

from __future__ import annotations

import numpy as np

from ..errors import NumericalFailure
from ..observables import HEAVY, total_sz

THRESHOLDS = {
    "exact": {"norm": 1e-8, "S_z_total": 1e-8, "energy": 1e-6},
    "mps": {"norm": 1e-6, "S_z_total": 1e-2, "energy": 5e-2},
}


def check(record: dict, first: dict, backend: str, conserves_sz: bool, scale: float,
          heavy: bool = True) -> None:
    """Raise :class:`NumericalFailure` when a measured ``record`` is not finite or has drifted
    from the ``first`` one beyond :data:`THRESHOLDS`; without ``heavy`` its heavy observables
    (NaN, not measured at this time: output.dt_heavy) are not checked."""
    for name, value in record.items():
        if name in HEAVY and not heavy:
            continue
        if isinstance(value, (int, float, np.ndarray, np.generic)) and not np.all(
                np.isfinite(value)):
            raise NumericalFailure(f"{name} is not finite")
    limits = dict(THRESHOLDS[backend])
    # Each truncation renormalizes, and after many the MPS drifts from exact canonical form: its
    # norm then moves by far less than the weight discarded (1.3e-6 against 1.1e-2 in a train of
    # ten electrons at chi_max = 128), which is no sign of failure but of the truncation the
    # file records.
    limits["norm"] += float(record.get("truncation_error", 0.0))
    drifts = {"norm": abs(record["norm"] - 1.0),
              "energy": abs(record["energy"] - first["energy"])} if heavy else {}
    if conserves_sz:
        def total(r):
            return total_sz(r["sigma_el"][2], r["S_loc"][:, 2], scale)
        drifts["S_z_total"] = abs(total(record) - total(first))
    discarded = float(record.get("truncation_error", 0.0))
    for name, drift in drifts.items():
        if drift > limits[name]:
            why = (f"; the run has discarded {discarded:.1e} of its weight in truncations, so "
                   "it needs a larger evolution.chi_max" if discarded > 1e-3 else "")
            raise NumericalFailure(f"{name} drifted by {drift:.2e}, beyond {limits[name]:g}"
                                   + why)
