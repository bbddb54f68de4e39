"""The checks of a configuration's geometry: sites, packets, boxes and local states against
each other, before any work (``qst_mps.config.resolve`` calls :func:`check` once the derived
defaults are filled). Each failure is a :class:`~qst_mps.errors.ConfigError` naming the key at
fault.

Lengths in lattice spacings a, energies in eV (docs/physics.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..constants import DEGENERACY
from ..errors import ConfigError
from .electrons import box_orbitals, gaussian_packet
from .geometry import PACKET_CLEARANCE, auto_t_max, n_packets, separation, train_centres
from .model import build_model

if TYPE_CHECKING:
    from ..spec import ModelSpec, RunSpec, StateSpec


def check(spec: RunSpec) -> None:
    """Check a configuration's geometry and states against each other (ConfigError)."""
    _check_model_terms(spec.model)
    _check_local_state(spec.model, spec.state)
    if spec.state.electrons == "box":
        _check_box(spec)
    else:
        _check_packets(spec)


def _check_packets(spec: RunSpec) -> None:
    """The packets against the chain and the spins."""
    model, state = spec.model, spec.state
    N = model.N
    sigma = state.sigma_d
    x2, d = state.x2, state.d
    if isinstance(state.theta, tuple) and len(state.theta) != state.repeat:
        raise ConfigError("state.theta", f"has {len(state.theta)} entries but the train has "
                          f"state.repeat = {state.repeat} copies; give one θ per copy, or "
                          "one number for all")
    rounding = 1e-9  # x2 = n_first − 4 σ_d and x1 = x2 − d are computed in floating point
    if not -rounding <= x2 <= N - 1 + rounding:
        raise ConfigError("state.x2", f"packet centre {x2:g} must lie in 0 … {N - 1}")
    pair = n_packets(state) == 2  # d places φ₁; a single electron has φ₂ alone
    if pair and model.boundary == "open" and x2 - d < -rounding:
        raise ConfigError("state.d", f"x1 = x2 − d = {x2 - d:g} lies outside the open chain")
    if pair and model.boundary == "periodic" and d >= N:
        raise ConfigError("state.d", f"must be below the ring length model.N = {N}")
    for name, centre in train_centres(spec):
        key = "state.x2" if name == "φ₂" else "state.d" if name == "φ₁" else "state.repeat"
        if model.boundary == "open" and centre < -rounding:
            raise ConfigError(key, f"packet {name} would start at {centre:g}, outside the open "
                                   "chain; use fewer copies (state.repeat) or a smaller "
                                   "state.spacing")
        gap = min(separation(centre, s, N, model.boundary) for s in model.spin_sites)
        if gap < PACKET_CLEARANCE * sigma:
            raise ConfigError(
                key,
                f"packet {name} starts at {centre:g}, {gap:g} a from the spin chain; it must start "
                f"at least {PACKET_CLEARANCE:g} σ_d = {PACKET_CLEARANCE * sigma:g} a away",
            )
        _check_on_the_lattice(spec, name, centre)
    if spec.evolution.t_max == "auto":
        auto_t_max(spec)


def _check_box(spec: RunSpec) -> None:
    """The box's sites and electrons, and its ground state against the local spins."""
    model, state = spec.model, spec.state
    N, box = model.N, state.box
    if box is None or len(box) != 2 or not 0 <= box[0] <= box[1] <= N - 1:
        raise ConfigError("state.box", f"needs [first, last] with 0 <= first <= last <= {N - 1}"
                                       f" (got {box!r})")
    size = box[1] - box[0] + 1
    inside = [s for s in model.spin_sites if box[0] <= s <= box[1]]
    if inside:
        raise ConfigError("state.box", f"sites {box[0]} … {box[1]} hold the local spin on site "
                                       f"{inside[0]}; the box must lie beside the spin chain")
    for key in ("n_up", "n_down"):
        if getattr(state, key) > size:
            raise ConfigError(f"state.{key}", f"{getattr(state, key)} electrons of one spin do "
                                              f"not fit in a box of {size} sites")
    if state.n_up + state.n_down == 0:
        raise ConfigError("state.n_up", "a box needs at least one electron (n_up + n_down)")
    if spec.evolution.t_max == "auto":
        raise ConfigError("evolution.t_max", "'auto' follows packets past the chain; give the "
                                             "final time of a released box in fs")
    orbitals, energies = box_orbitals(build_model(model), box, state.box_depth)
    correlated = model.U and state.n_up and state.n_down  # each backend checks its gap
    for key in ("n_up", "n_down") if not correlated else ():
        n = getattr(state, key)
        if 0 < n < len(energies) and energies[n] - energies[n - 1] < DEGENERACY:
            raise ConfigError(
                f"state.{key}", f"the box's orbitals {n - 1} and {n} are degenerate (within "
                f"{DEGENERACY:g} eV), so its ground state with {n} electrons of one spin is "
                "not unique; change the number, the box or model.potential")
    n = max(state.n_up, state.n_down)
    density = np.sum(np.abs(orbitals[:, :n]) ** 2, axis=1)
    on_spins = density[list(model.spin_sites)].max()
    if on_spins > ON_SPIN_SITE:
        raise ConfigError(
            "state.box_depth", f"the box's ground state puts {on_spins:.3g} of an electron on a "
            "local spin at t = 0: its upper orbitals are not bound by a well this shallow; "
            "deepen it (or use 'inf')")


#: Largest share of a packet allowed on the site of a local spin at t = 0.
ON_SPIN_SITE = 1e-3


def _check_on_the_lattice(spec: RunSpec, name: str, centre: float) -> None:
    """A packet as it is placed on the sites must not sit on a local spin: a packet narrower
    than a lattice spacing lands on the nearest site, whatever its nominal centre."""
    model, state = spec.model, spec.state
    phi = gaussian_packet(model.N, centre, state.k_e, state.sigma_d,
                          model.boundary == "periodic")
    density = np.abs(phi) ** 2 / np.sum(np.abs(phi) ** 2)
    on_spins = density[list(model.spin_sites)]
    if on_spins.max() > ON_SPIN_SITE:
        site = model.spin_sites[int(np.argmax(on_spins))]
        raise ConfigError(
            "state.sigma_d",
            f"packet {name}, centred at {centre:g} with σ_d = {state.sigma_d:g}, has "
            f"{on_spins.max():.3g} of its weight on site {site}, a local spin, when placed on the "
            "lattice; a packet narrower than the lattice spacing sits on its nearest site: "
            "widen it (state.sigma_d) or move it (state.x2, state.d)",
        )


def _check_model_terms(model: ModelSpec) -> None:
    """The ranges of the potential entries."""
    N = model.N
    for first, last, _ in model.potential:
        if not 0 <= first <= last <= N - 1:
            raise ConfigError(
                "model.potential", f"entry [{first}, {last}, …] needs 0 <= first <= last <= {N - 1}"
            )


def _check_local_state(model: ModelSpec, state: StateSpec) -> None:
    """The local-spin state against L and S."""
    L, spin = model.L, model.spin
    if state.local == "pairs":
        if L % 2:
            raise ConfigError(
                "state.local", f"'pairs' needs an even number of spins (model.L = {L})"
            )
        if spin != 0.5:
            raise ConfigError(
                "state.local_pair", f"pair states are defined for S = 1/2 (model.spin = {spin:g})"
            )
    if state.local_Sz is not None and state.local == "ground":
        total = L * spin
        lowered = total - state.local_Sz
        if abs(state.local_Sz) > total or abs(lowered - round(lowered)) > 1e-9:
            allowed = "integer" if float(total).is_integer() else "half-integer"
            raise ConfigError(
                "state.local_Sz",
                f"must be an {allowed} in −{total:g} … {total:g} (L·S = {total:g})",
            )
        if any(model.B_loc[:2]):
            raise ConfigError(
                "state.local_Sz",
                "a transverse model.B_loc mixes the S^z sectors; leave local_Sz out, the ground "
                "state is then taken over all of them",
            )
