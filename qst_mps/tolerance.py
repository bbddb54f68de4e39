"""``evolution.tolerance``: a target error in Δσ_z that picks the mps time step from the
measured error–cost frontier (docs/notes/performance.md, "A time step from a tolerance";
``python runs/bench/dt_frontier.py``).

The frontier was measured on the scaling family's L = 4 singlet (the paper's couplings on an
open chain, t_h = 0.5 eV, 0–91 fs, svd_min 1e-8) against the exact backend: the error of the
fourth-order sequence falls like dt⁴, error ≈ TROTTER · (t_h dt/ħ)⁴. On the L = 16 member
the slope is the same and the constant 2.5 times larger: the error builds up while the
electrons cross the spins, so for many spins this underestimates it.

The truncation adds its own part, which the step does not control. The result file records
it as the discarded weight (``truncation_error``); the chi study found the error at 0.2–0.4
times that weight (docs/notes/scaling.md). svd_min keeps its value: on the same member, raising it
from 1e-8 to 1e-6 at dt = 1 fs changed neither the error nor the cost. On the L = 64 singlet
1e-6 and 1e-5 cost 0.84x and 0.68x the time, and the error rose from 2.0e-5 to 2.3e-5 and
1.0e-4: there a cut by svd_min adds about four times its discarded weight. Other couplings, spins
and electron numbers have other constants. The rule is the measured one, not a bound, and the
result file records what it implies (``error_estimate``).
"""

from __future__ import annotations

import math

from .constants import HBAR

#: error in Δσ_z (ħ) ≈ TROTTER · (t_h dt / ħ)⁴: 9.1e-6, 1.5e-4 and 7.4e-4 at dt = 0.5, 1 and
#: 1.5 fs (t_h = 0.5 eV), a slope of 4.00, error ≈ 1.46e-4 (dt / fs)⁴ (dt_frontier.py report).
TROTTER = 4.4e-4
#: The time steps measured (fs at t_h = 0.5 eV); the rule stays inside them.
DT_RANGE = (0.5, 1.5)


def error_estimate(dt: float, t_h: float) -> float:
    """The time-step part of the error in Δσ_z (ħ) at step ``dt`` (fs) and hopping ``t_h``
    (eV) that the measured frontier implies."""
    return TROTTER * (t_h * dt / HBAR) ** 4


def time_step(tolerance: float, t_h: float) -> float:
    """The largest step (fs, rounded down to 1e-4 fs) whose time-step error is within
    ``tolerance`` (ħ), at most the largest step measured (scaled by 0.5 eV / t_h)."""
    step = HBAR / t_h * (tolerance / TROTTER) ** 0.25
    return math.floor(min(step, DT_RANGE[1] * 0.5 / t_h) * 1e4) / 1e4
