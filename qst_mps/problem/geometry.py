"""Where things sit and when they arrive: spin sites, packet centres, group velocity, t_max = auto.

Lengths in lattice spacings a, times in fs, energies in eV (docs/physics.md).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..constants import HBAR
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..spec import ModelSpec, RunSpec, StateSpec

PACKET_CLEARANCE = 3.0
"""A packet centre must start at least this many σ_d away from every local spin."""

PACKET_TAIL = 4.0
"""A packet has 'left' the chain when its centre is this many (spread) widths beyond it."""


ONE_ELECTRON = ("single_down", "single")
"""Pair states that are one electron, in the leading packet φ₂."""


def n_packets(state: StateSpec) -> int:
    """Number of packets (electrons) of the configured pair state: 1 or 2."""
    return 1 if state.pair in ONE_ELECTRON else 2


def spin_sites(model: ModelSpec) -> np.ndarray:
    """Conduction sites n_j of the local spins, as an integer array of length L."""
    if model.spin_sites is not None:
        return np.asarray(model.spin_sites, dtype=int)
    n_first = model.N // 2 if model.n_first is None else model.n_first
    return n_first + np.arange(model.L)


def packet_centres(spec: RunSpec) -> tuple[float, float]:
    """Centres (x1, x2) of φ₁ and φ₂ in a; on a ring x1 is taken modulo N."""
    state = spec.state
    x1 = state.x2 - state.d
    if spec.model.boundary == "periodic":
        x1 %= spec.model.N
    return x1, state.x2


def spacing(state: StateSpec) -> float:
    """Distance (a) between the copies of a train: ``state.spacing``, by default d + 8 σ_d for
    pairs and 8 σ_d for one electron."""
    if state.spacing is not None:
        return state.spacing
    return (state.d if n_packets(state) == 2 else 0.0) + 8 * state.sigma_d


def train_centres(spec: RunSpec) -> list[tuple[str, float]]:
    """(name, centre) of every packet, copy by copy in creation order: φ₁ then φ₂ of copy 0
    (φ₂ alone for one electron), then copy 1 moved by −spacing, …; on a ring modulo N."""
    x1, x2 = packet_centres(spec)
    state, N = spec.state, spec.model.N
    periodic = spec.model.boundary == "periodic"
    out = []
    for m in range(state.repeat):
        shift = m * spacing(state)
        for name, centre in ((("φ₁", x1),) if n_packets(state) == 2 else ()) + (("φ₂", x2),):
            centre = centre - shift
            out.append((name if m == 0 else f"{name} of copy {m}",
                        centre % N if periodic else centre))
    return out


def separation(x: float, y: float, N: int, boundary: str) -> float:
    """Distance |x − y| in a; the minimal image on a ring."""
    dist = abs(x - y)
    return min(dist, N - dist) if boundary == "periodic" else dist


def group_velocity(spec: RunSpec) -> float:
    """Group velocity 2 t_h sin(k_e) a / ħ of the packets (a/fs)."""
    return 2 * spec.model.t_h * math.sin(spec.state.k_e) / HBAR


def packet_width(spec: RunSpec, t: float | np.ndarray) -> float | np.ndarray:
    """Width σ(t) of a free Gaussian packet after time t (fs), from the band curvature at k_e."""
    sigma = spec.state.sigma_d
    curvature = 2 * spec.model.t_h * math.cos(spec.state.k_e) / HBAR  # a²/fs
    return sigma * np.sqrt(1 + (curvature * np.asarray(t) / sigma**2) ** 2)


def time_inside_chain(spec: RunSpec, which: int) -> tuple[float, float]:
    """Interval (fs) during which packet φ_which (1 or 2) overlaps the spin chain.

    "Overlaps": the centre ± 2 σ(t) of the freely moving packet reaches a local spin. Used for
    the shaded intervals of the figures; (nan, nan) for packets that do not move towards it.
    """
    v = group_velocity(spec)
    if v <= 0:
        return (math.nan, math.nan)
    sites = spin_sites(spec.model)
    start = packet_centres(spec)[0 if which == 1 else 1]
    to_first = sites.min() - start
    if spec.model.boundary == "periodic":
        to_first %= spec.model.N
    to_last = to_first + sites.max() - sites.min()
    times = np.linspace(0, 4 * (to_last + 10 * spec.state.sigma_d) / v, 8001)
    reach = 2 * packet_width(spec, times)
    inside = (v * times + reach >= to_first) & (v * times - reach <= to_last)
    if not inside.any():
        return (math.nan, math.nan)
    return float(times[inside][0]), float(times[inside][-1])


def auto_t_max(spec: RunSpec) -> float:
    """Time (fs) when the trailing packet's centre is PACKET_TAIL·σ(t) past the last local spin.

    Rounded up to a whole number of output intervals ``dt_out``.
    """
    v = group_velocity(spec)
    if v <= 0:
        if spec.model.t_h <= 0:
            raise ConfigError(
                "model.t_h", f"t_max = 'auto' needs packets moving towards the chain; with "
                f"t_h = {spec.model.t_h:g} eV their group velocity 2 t_h sin(k_e)/ħ is "
                "not positive for 0 < k_e < π (use t_h > 0)")
        raise ConfigError(
            "state.k_e", "t_max = 'auto' needs packets moving towards the chain "
            "(0 < state.k_e < π)"
        )
    sites = spin_sites(spec.model)
    x1, x2 = packet_centres(spec)
    last = min(x1, x2) if n_packets(spec.state) == 2 else x2  # one electron: φ₂ alone
    trailing = last - (spec.state.repeat - 1) * spacing(spec.state)
    distance = sites.max() - trailing
    if spec.model.boundary == "periodic":
        distance %= spec.model.N
    dt_out = spec.evolution.dt_out
    times = np.arange(1, 10**6) * dt_out
    past = v * times - PACKET_TAIL * packet_width(spec, times) > distance
    if not past.any():
        raise ConfigError("evolution.t_max", "'auto': the packets never leave the chain")
    t_auto = float(times[np.argmax(past)])
    if spec.model.boundary == "periodic":  # φ₂'s front must not come round again first
        _, x2 = packet_centres(spec)
        around = (sites.min() - x2) % spec.model.N + spec.model.N
        front = v * times + 2 * packet_width(spec, times)
        if np.any(front[times <= t_auto] >= around):
            returns = float(times[np.argmax(front >= around)])
            raise ConfigError(
                "evolution.t_max",
                f"'auto': φ₂ comes round the ring into the chain again at ~{returns:g} fs, before "
                f"φ₁ has left ({t_auto:g} fs); use a larger model.N or a smaller state.d",
            )
    return t_auto


def final_time(spec: RunSpec) -> float:
    """The run's final time t_max in fs (resolving 'auto')."""
    t_max = spec.evolution.t_max
    return auto_t_max(spec) if t_max == "auto" else float(t_max)


def output_times(spec: RunSpec) -> np.ndarray:
    """Output times 0, dt_out, 2 dt_out, …, t_max (fs); t_max is always the last."""
    t_max, dt_out = final_time(spec), spec.evolution.dt_out
    n = int(math.floor(t_max / dt_out + 1e-9))
    times = dt_out * np.arange(n + 1)
    if t_max - times[-1] > 1e-9 * max(1.0, t_max):
        times = np.append(times, t_max)
    return times
