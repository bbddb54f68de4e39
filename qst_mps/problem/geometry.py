"""Where things sit and when they arrive: spin sites, packet centres, group velocity, t_max = auto.

Lengths in lattice spacings a, times in fs, energies in eV (docs/physics.md).
"""

from __future__ import annotations

import math

import numpy as np

from ..config import ConfigError

HBAR = 0.6582119569
"""ħ in eV·fs."""

PACKET_CLEARANCE = 3.0
"""A packet centre must start at least this many σ_d away from every local spin."""

PACKET_TAIL = 4.0
"""A packet has 'left' the chain when its centre is this many (spread) widths beyond it."""


ONE_ELECTRON = ("single_down", "single")
"""Pair states that are one electron, in the leading packet φ₂."""


def n_packets(state: dict) -> int:
    """Number of packets (electrons) of the configured pair state: 1 or 2."""
    return 1 if state["pair"] in ONE_ELECTRON else 2


def spin_sites(model: dict) -> np.ndarray:
    """Conduction sites n_j of the local spins, as an integer array of length L."""
    if model["spin_sites"] is not None:
        return np.asarray(model["spin_sites"], dtype=int)
    n_first = model["N"] // 2 if model["n_first"] is None else model["n_first"]
    return n_first + np.arange(model["L"])


def packet_centres(config: dict) -> tuple[float, float]:
    """Centres (x1, x2) of φ₁ and φ₂ in a; on a ring x1 is taken modulo N."""
    state = config["state"]
    x1 = state["x2"] - state["d"]
    if config["model"]["boundary"] == "periodic":
        x1 %= config["model"]["N"]
    return x1, state["x2"]


def spacing(state: dict) -> float:
    """Distance (a) between the copies of a train: ``state.spacing``, by default d + 8 σ_d for
    pairs and 8 σ_d for one electron."""
    if state["spacing"] is not None:
        return state["spacing"]
    return (state["d"] if n_packets(state) == 2 else 0.0) + 8 * state["sigma_d"]


def train_centres(config: dict) -> list[tuple[str, float]]:
    """(name, centre) of every packet, copy by copy in creation order: φ₁ then φ₂ of copy 0
    (φ₂ alone for one electron), then copy 1 moved by −spacing, …; on a ring modulo N."""
    x1, x2 = packet_centres(config)
    state, N = config["state"], config["model"]["N"]
    periodic = config["model"]["boundary"] == "periodic"
    out = []
    for m in range(state["repeat"]):
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


def group_velocity(config: dict) -> float:
    """Group velocity 2 t_h sin(k_e) a / ħ of the packets (a/fs)."""
    return 2 * config["model"]["t_h"] * math.sin(config["state"]["k_e"]) / HBAR


def packet_width(config: dict, t: float | np.ndarray) -> float | np.ndarray:
    """Width σ(t) of a free Gaussian packet after time t (fs), from the band curvature at k_e."""
    sigma = config["state"]["sigma_d"]
    curvature = 2 * config["model"]["t_h"] * math.cos(config["state"]["k_e"]) / HBAR  # a²/fs
    return sigma * np.sqrt(1 + (curvature * np.asarray(t) / sigma**2) ** 2)


def time_inside_chain(config: dict, which: int) -> tuple[float, float]:
    """Interval (fs) during which packet φ_which (1 or 2) overlaps the spin chain.

    "Overlaps": the centre ± 2 σ(t) of the freely moving packet reaches a local spin. Used for
    the shaded intervals of the figures; (nan, nan) for packets that do not move towards it.
    """
    v = group_velocity(config)
    if v <= 0:
        return (math.nan, math.nan)
    sites = spin_sites(config["model"])
    start = packet_centres(config)[0 if which == 1 else 1]
    to_first = sites.min() - start
    if config["model"]["boundary"] == "periodic":
        to_first %= config["model"]["N"]
    to_last = to_first + sites.max() - sites.min()
    times = np.linspace(0, 4 * (to_last + 10 * config["state"]["sigma_d"]) / v, 8001)
    reach = 2 * packet_width(config, times)
    inside = (v * times + reach >= to_first) & (v * times - reach <= to_last)
    if not inside.any():
        return (math.nan, math.nan)
    return float(times[inside][0]), float(times[inside][-1])


def auto_t_max(config: dict) -> float:
    """Time (fs) when the trailing packet's centre is PACKET_TAIL·σ(t) past the last local spin.

    Rounded up to a whole number of output intervals ``dt_out``.
    """
    v = group_velocity(config)
    if v <= 0:
        if config["model"]["t_h"] <= 0:
            raise ConfigError(
                "model.t_h", f"t_max = 'auto' needs packets moving towards the chain; with "
                f"t_h = {config['model']['t_h']:g} eV their group velocity 2 t_h sin(k_e)/ħ is "
                "not positive for 0 < k_e < π (use t_h > 0)")
        raise ConfigError(
            "state.k_e", "t_max = 'auto' needs packets moving towards the chain "
            "(0 < state.k_e < π)"
        )
    sites = spin_sites(config["model"])
    x1, x2 = packet_centres(config)
    last = min(x1, x2) if n_packets(config["state"]) == 2 else x2  # one electron: φ₂ alone
    trailing = last - (config["state"]["repeat"] - 1) * spacing(config["state"])
    distance = sites.max() - trailing
    if config["model"]["boundary"] == "periodic":
        distance %= config["model"]["N"]
    dt_out = config["evolution"]["dt_out"]
    times = np.arange(1, 10**6) * dt_out
    past = v * times - PACKET_TAIL * packet_width(config, times) > distance
    if not past.any():
        raise ConfigError("evolution.t_max", "'auto': the packets never leave the chain")
    t_auto = float(times[np.argmax(past)])
    if config["model"]["boundary"] == "periodic":  # φ₂'s front must not come round again first
        _, x2 = packet_centres(config)
        around = (sites.min() - x2) % config["model"]["N"] + config["model"]["N"]
        front = v * times + 2 * packet_width(config, times)
        if np.any(front[times <= t_auto] >= around):
            returns = float(times[np.argmax(front >= around)])
            raise ConfigError(
                "evolution.t_max",
                f"'auto': φ₂ comes round the ring into the chain again at ~{returns:g} fs, before "
                f"φ₁ has left ({t_auto:g} fs); use a larger model.N or a smaller state.d",
            )
    return t_auto


def final_time(config: dict) -> float:
    """The run's final time t_max in fs (resolving 'auto')."""
    t_max = config["evolution"]["t_max"]
    return auto_t_max(config) if t_max == "auto" else float(t_max)


def output_times(config: dict) -> np.ndarray:
    """Output times 0, dt_out, 2 dt_out, …, t_max (fs); t_max is always the last."""
    t_max, dt_out = final_time(config), config["evolution"]["dt_out"]
    n = int(math.floor(t_max / dt_out + 1e-9))
    times = dt_out * np.arange(n + 1)
    if t_max - times[-1] > 1e-9 * max(1.0, t_max):
        times = np.append(times, t_max)
    return times


def check_and_fill(config: dict) -> None:
    """Fill derived defaults (spin_sites, n_first, x2) and check the geometry, in place."""
    model, state = config["model"], config["state"]
    N, L = model["N"], model["L"]
    if model["spin_sites"] is not None:
        sites = model["spin_sites"]
        if len(sites) != L:
            raise ConfigError("model.spin_sites", f"has {len(sites)} entries but model.L = {L}")
        if len(set(sites)) != L or any(not 0 <= s < N for s in sites):
            raise ConfigError(
                "model.spin_sites", f"needs {L} distinct sites in 0 … {N - 1} (model.N = {N})"
            )
        if model["n_first"] is not None and model["n_first"] != sites[0]:
            raise ConfigError("model.n_first", "contradicts model.spin_sites; give only one")
    else:
        n_first = N // 2 if model["n_first"] is None else model["n_first"]
        if n_first + L - 1 > N - 1:
            raise ConfigError(
                "model.n_first" if model["n_first"] is not None else "model.L",
                f"local spins at {n_first} … {n_first + L - 1} do not fit in 0 … {N - 1}",
            )
        model["spin_sites"] = list(range(n_first, n_first + L))
    model["n_first"] = model["spin_sites"][0]
    _check_model_terms(model)
    _check_local_state(model, state)
    if state["electrons"] == "box":
        _check_box(config)
    else:
        _check_packets(config)


def _check_packets(config: dict) -> None:
    """Place the packets (x2's default) and check them against the chain and the spins."""
    model, state = config["model"], config["state"]
    N = model["N"]
    first = min(model["spin_sites"])
    sigma = state["sigma_d"]
    if state["x2"] is None:
        state["x2"] = float(first - 4 * sigma)
    x2, d = state["x2"], state["d"]
    if isinstance(state["theta"], list) and len(state["theta"]) != state["repeat"]:
        raise ConfigError("state.theta", f"has {len(state['theta'])} entries but the train has "
                          f"state.repeat = {state['repeat']} copies; give one θ per copy, or "
                          "one number for all")
    rounding = 1e-9  # x2 = n_first − 4 σ_d and x1 = x2 − d are computed in floating point
    if not -rounding <= x2 <= N - 1 + rounding:
        raise ConfigError("state.x2", f"packet centre {x2:g} must lie in 0 … {N - 1}")
    pair = n_packets(state) == 2  # d places φ₁; a single electron has φ₂ alone
    if pair and model["boundary"] == "open" and x2 - d < -rounding:
        raise ConfigError("state.d", f"x1 = x2 − d = {x2 - d:g} lies outside the open chain")
    if pair and model["boundary"] == "periodic" and d >= N:
        raise ConfigError("state.d", f"must be below the ring length model.N = {N}")
    for name, centre in train_centres(config):
        key = "state.x2" if name == "φ₂" else "state.d" if name == "φ₁" else "state.repeat"
        if model["boundary"] == "open" and centre < -rounding:
            raise ConfigError(key, f"packet {name} would start at {centre:g}, outside the open "
                                   "chain; use fewer copies (state.repeat) or a smaller "
                                   "state.spacing")
        gap = min(separation(centre, s, N, model["boundary"]) for s in model["spin_sites"])
        if gap < PACKET_CLEARANCE * sigma:
            raise ConfigError(
                key,
                f"packet {name} starts at {centre:g}, {gap:g} a from the spin chain; it must start "
                f"at least {PACKET_CLEARANCE:g} σ_d = {PACKET_CLEARANCE * sigma:g} a away",
            )
        _check_on_the_lattice(config, name, centre)
    if config["evolution"]["t_max"] == "auto":
        auto_t_max(config)


def _check_box(config: dict) -> None:
    """The box's sites and electrons, and its ground state against the local spins."""
    from .electrons import box_orbitals

    model, state = config["model"], config["state"]
    N, box = model["N"], state["box"]
    if box is None or len(box) != 2 or not 0 <= box[0] <= box[1] <= N - 1:
        raise ConfigError("state.box", f"needs [first, last] with 0 <= first <= last <= {N - 1}"
                                       f" (got {box!r})")
    size = box[1] - box[0] + 1
    inside = [s for s in model["spin_sites"] if box[0] <= s <= box[1]]
    if inside:
        raise ConfigError("state.box", f"sites {box[0]} … {box[1]} hold the local spin on site "
                                       f"{inside[0]}; the box must lie beside the spin chain")
    for key in ("n_up", "n_down"):
        if state[key] > size:
            raise ConfigError(f"state.{key}", f"{state[key]} electrons of one spin do not fit "
                                              f"in a box of {size} sites")
    if state["n_up"] + state["n_down"] == 0:
        raise ConfigError("state.n_up", "a box needs at least one electron (n_up + n_down)")
    if config["evolution"]["t_max"] == "auto":
        raise ConfigError("evolution.t_max", "'auto' follows packets past the chain; give the "
                                             "final time of a released box in fs")
    from .model import build_model

    orbitals, energies = box_orbitals(build_model(model), box, state["box_depth"])
    correlated = model["U"] and state["n_up"] and state["n_down"]  # each backend checks its gap
    for key in ("n_up", "n_down") if not correlated else ():
        n = state[key]
        if 0 < n < len(energies) and energies[n] - energies[n - 1] < BOX_DEGENERACY:
            raise ConfigError(
                f"state.{key}", f"the box's orbitals {n - 1} and {n} are degenerate (within "
                f"{BOX_DEGENERACY:g} eV), so its ground state with {n} electrons of one spin is "
                "not unique; change the number, the box or model.potential")
    n = max(state["n_up"], state["n_down"])
    density = np.sum(np.abs(orbitals[:, :n]) ** 2, axis=1)
    on_spins = density[list(model["spin_sites"])].max()
    if on_spins > ON_SPIN_SITE:
        raise ConfigError(
            "state.box_depth", f"the box's ground state puts {on_spins:.3g} of an electron on a "
            "local spin at t = 0: its upper orbitals are not bound by a well this shallow; "
            "deepen it (or use 'inf')")


#: Orbital energies closer than this (eV) make a box's ground state degenerate.
BOX_DEGENERACY = 1e-9


#: Largest share of a packet allowed on the site of a local spin at t = 0.
ON_SPIN_SITE = 1e-3


def _check_on_the_lattice(config: dict, name: str, centre: float) -> None:
    """A packet as it is placed on the sites must not sit on a local spin: a packet narrower
    than a lattice spacing lands on the nearest site, whatever its nominal centre."""
    from .electrons import gaussian_packet

    model, state = config["model"], config["state"]
    phi = gaussian_packet(model["N"], centre, state["k_e"], state["sigma_d"],
                          model["boundary"] == "periodic")
    density = np.abs(phi) ** 2 / np.sum(np.abs(phi) ** 2)
    on_spins = density[list(model["spin_sites"])]
    if on_spins.max() > ON_SPIN_SITE:
        site = model["spin_sites"][int(np.argmax(on_spins))]
        raise ConfigError(
            "state.sigma_d",
            f"packet {name}, centred at {centre:g} with σ_d = {state['sigma_d']:g}, has "
            f"{on_spins.max():.3g} of its weight on site {site}, a local spin, when placed on the "
            "lattice; a packet narrower than the lattice spacing sits on its nearest site: "
            "widen it (state.sigma_d) or move it (state.x2, state.d)",
        )


def _check_model_terms(model: dict) -> None:
    """The ranges of the potential entries."""
    N = model["N"]
    for first, last, _ in model["potential"]:
        if not 0 <= first <= last <= N - 1:
            raise ConfigError(
                "model.potential", f"entry [{first}, {last}, …] needs 0 <= first <= last <= {N - 1}"
            )


def _check_local_state(model: dict, state: dict) -> None:
    """The local-spin state against L and S."""
    L, spin = model["L"], model["spin"]
    if state["local"] == "pairs":
        if L % 2:
            raise ConfigError(
                "state.local", f"'pairs' needs an even number of spins (model.L = {L})"
            )
        if spin != 0.5:
            raise ConfigError(
                "state.local_pair", f"pair states are defined for S = 1/2 (model.spin = {spin:g})"
            )
    if state["local_Sz"] is not None and state["local"] == "ground":
        total = L * spin
        lowered = total - state["local_Sz"]
        if abs(state["local_Sz"]) > total or abs(lowered - round(lowered)) > 1e-9:
            allowed = "integer" if float(total).is_integer() else "half-integer"
            raise ConfigError(
                "state.local_Sz",
                f"must be an {allowed} in −{total:g} … {total:g} (L·S = {total:g})",
            )
        if any(model["B_loc"][:2]):
            raise ConfigError(
                "state.local_Sz",
                "a transverse model.B_loc mixes the S^z sectors; leave local_Sz out, the ground "
                "state is then taken over all of them",
            )
