"""The problem, described once: the model (terms of H on the lattice), the initial state
(electrons ⊗ local spins) and the output times. Physics only: no files, no command line, no
backend. Both backends build from a :class:`Problem`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .electrons import Packets, box_state, packet_state, pair_spin_tensor, single_spin_vector
from .geometry import n_packets, output_times, train_centres
from .local_spins import local_state
from .model import Model, build_model
from .terms import changes_sz

if TYPE_CHECKING:
    from ..spec import RunSpec


@dataclass(frozen=True)
class Problem:
    """What a run simulates.

    Attributes
    ----------
    model : Model
        Lattice and terms of H (eV).
    electrons : Packets
        The initial conduction electrons.
    local : ProductSpins | PairedSpins | GroundSpins
        The initial local spins.
    times : ndarray
        Output times (fs), from 0 to t_max.
    """

    model: Model
    electrons: Packets
    local: object
    times: np.ndarray

    @property
    def n_electrons(self) -> int:
        return self.electrons.n_electrons

    def initial_lowering(self) -> int | None:
        """The conserved number q of ↓ electrons plus lowered local quanta, if the initial state
        has a definite total S_z (q = n_e/2 + L·S − S_z_total), else None."""
        downs, local = self.electrons.n_down_values(), self.local.lowering()
        if len(downs) != 1 or local is None:
            return None
        return downs.pop() + local

    @property
    def conserves_sz(self) -> bool:
        """Whether the run can work in one S_z sector: H conserves S_z and the state has one."""
        return self.model.conserves_sz and self.initial_lowering() is not None

    @property
    def local_stationary(self) -> bool:
        """Whether the local spins away from the electrons stay as they are: fully polarized
        along z under local terms that conserve S_z (an eigenstate of their part of H)."""
        return self.local.polarized_along_z() and not any(
            changes_sz(p) for t in self.model.local_terms() for p in t.products())


def electrons_of(spec: RunSpec, model: Model) -> Packets:
    """The initial conduction electrons of a resolved configuration: ``repeat`` copies of the
    pair (or single electron), copy m moved by −m·spacing and, for the 'theta' pair, with its
    own θ when ``theta`` is a list; or the ground state of a box."""
    state = spec.state
    if state.electrons == "box":
        return box_state(model, state.box, state.box_depth, state.n_up, state.n_down)
    model = spec.model
    periodic = model.boundary == "periodic"
    kwargs = dict(k_e=state.k_e, sigma_d=state.sigma_d, periodic=periodic)
    copies = range(state.repeat)
    size = n_packets(state)
    if state.pair == "single_down":
        spins = [np.array([0.0, 1.0], dtype=complex)] * len(copies)
    elif size == 1:
        spins = [single_spin_vector(state.spin_theta, state.spin_phi)] * len(copies)
    else:
        theta = state.theta
        thetas = theta if isinstance(theta, tuple) else [theta] * len(copies)
        spins = [pair_spin_tensor(state.pair, thetas[m]) for m in copies]
    centres = [centre for _, centre in train_centres(spec)]
    return Packets(tuple(packet_state(model.N, centres[m * size:(m + 1) * size],
                                      spin=spins[m], **kwargs) for m in copies))


def build(spec: RunSpec) -> Problem:
    """The :class:`Problem` of a resolved configuration (a result file's too: loading fills in
    the keys added since it was written with their defaults, ``RunSpec.from_dict``)."""
    model = build_model(spec.model)
    fields_along_z = not any(spec.model.B_loc[:2])
    local = local_state(spec.state, model.L, model.spin, fields_along_z)
    return Problem(model, electrons_of(spec, model), local, output_times(spec))
