"""The wall time a run has left, from how its cost per simulated fs has been growing.

An mps run grows dearer as it goes: its window widens (about 3 sites per fs) and its bond
dimension grows, so its cost per fs rises about linearly in time (docs/notes/scaling.md). A forecast
from the average pace, or even from the recent pace, then promises too little. Here the wall
time of the recent outputs (the later half, at least four) is fitted as w0 + a t + b t²/2, so
the cost per fs is c(t) = a + b t (b ≥ 0), and the time left is ∫_t^T c(s) ds. The exact
backend's cost per fs does not grow, and its outputs arrive in batches (one per Lanczos window),
which a fit would misread: it gets its recent pace.
"""

from __future__ import annotations

import numpy as np


class Forecast:
    """Collects (simulated time in fs, wall time in s) after each output; ``t_end`` in fs;
    ``grows``: whether the cost per fs may grow (the backend's ``cost_grows``), else the recent
    pace is extrapolated."""

    def __init__(self, t_end: float, grows: bool = True):
        self.t_end, self.grows = float(t_end), grows
        self.times: list[float] = []
        self.walls: list[float] = []

    def add(self, t: float, wall: float) -> None:
        self.times.append(float(t))
        self.walls.append(float(wall))

    def remaining(self) -> float | None:
        """Wall seconds left until ``t_end``; None before four outputs."""
        if len(self.times) < 4:
            return None
        t, wall = np.asarray(self.times), np.asarray(self.walls)
        recent = slice(-max(4, len(t) // 2), None)
        t, wall = t[recent], wall[recent]
        now, left = t[-1], max(self.t_end - t[-1], 0.0)
        if np.ptp(t) <= 0:
            return None
        # wall(t) = w0 + a t + b t²/2 by least squares: the cumulative wall time, so that
        # outputs that arrive in batches (the exact backend's Lanczos windows) do not matter
        b, a, _ = np.polyfit(t, wall, 2) * [2, 1, 1] if self.grows else (0.0, 0.0, 0.0)
        rate = a + b * now
        if b <= 0 or rate <= 0:  # no growth, or noise: the recent mean pace
            b, rate = 0.0, (wall[-1] - wall[0]) / (t[-1] - t[0])
        return rate * left + b * left**2 / 2
