"""The initial state of a problem in the exact basis, as one vector per space (component).

When H conserves S_z, the state is split into its S_z sectors, each a component evolved on its
own; otherwise it is one vector on every block with its number of electrons.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as sla

from ..constants import DEGENERACY
from ..problem.electrons import BoxGround, degenerate_box
from ..problem.local_spins import (
    GroundSpins,
    PairedSpins,
    ProductSpins,
    degenerate_ground,
)
from .basis import Space, all_keys, cached_local, sector_keys, space_dimension
from .operators import matrix


def _support_sum(supports) -> set:
    """All sums of one element from each set."""
    total = {0}
    for support in supports:
        total = {a + b for a in total for b in support}
    return total


def local_lowerings(local, L: int, spin: float) -> set:
    """The values of the total lowering m that the local state occupies."""
    if isinstance(local, ProductSpins):
        return _support_sum(set(np.flatnonzero(np.abs(v) > 0).tolist()) for v in local.vectors)
    if isinstance(local, PairedSpins):
        pair = {int(a + b) for a, b in zip(*np.nonzero(local.pair), strict=True)}
        return _support_sum([pair] * (L // 2))
    if local.lowered is None:
        return set(range(round(2 * spin) * L + 1))
    return {local.lowered}


def component_keys(problem) -> list[list]:
    """Block keys of each component of the initial state."""
    model = problem.model
    N, L, S, K = model.N, model.L, model.spin, problem.n_electrons
    if not model.conserves_sz:
        return [all_keys(N, L, S, K)]
    downs = problem.electrons.n_down_values()
    sectors = sorted({d + m for d in downs for m in local_lowerings(problem.local, L, S)})
    return [keys for q in sectors if (keys := sector_keys(N, L, S, K, q))]


def dimensions(problem) -> list[int]:
    """Dimension of each component, computed without building anything."""
    model = problem.model
    return [space_dimension(model.N, model.L, model.spin, keys)
            for keys in component_keys(problem)]


def determinants(packets: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """det[φ_i(sites[c, j])]_{ij} for every configuration c: the amplitude of Π_i c†_{φ_i}|0⟩
    on the sorted configuration (packets: (k, N); sites: (C, k))."""
    if packets.shape[0] == 0:
        return np.ones(len(sites), dtype=complex)
    return np.linalg.det(packets[:, sites].transpose(1, 0, 2))


def lowest(H) -> tuple[np.ndarray, np.ndarray]:
    """The lowest eigenvalues (at least two, ascending, eV) and their vectors (columns) of a
    Hermitian sparse H: dense below dimension 400, Lanczos (``eigsh``) above."""
    if H.shape[0] <= 400:
        return np.linalg.eigh(H.toarray())
    energies, vectors = sla.eigsh(H, k=2, which="SA", tol=1e-14)
    order = np.argsort(energies)
    return energies[order], vectors[:, order]


def box_ground_amplitudes(problem) -> np.ndarray:
    """The correlated box (:class:`~qst_mps.problem.electrons.BoxGround`) by Lanczos in its
    (n↑, n↓) sector with the local spins left out: amplitudes (C↑, C↓) in the block order.

    Raises
    ------
    ConfigError
        When its two lowest energies lie within ``DEGENERACY`` of each other.
    """

    box, N = problem.electrons, problem.model.N
    space = Space(N, 0, problem.model.spin, [(box.n_up, box.n_down, 0)])
    H = matrix([p for t in box.terms for p in t.products()], space)
    energies, vectors = lowest(H)
    refused = degenerate_box(box, energies[1] - energies[0]) if space.dim > 1 else None
    if refused:
        raise refused
    block = space.blocks[0]
    return vectors[:, 0].reshape(len(block.up), len(block.down)).astype(complex)


def electron_amplitudes(electrons, block, box_ground=None) -> np.ndarray:
    """Amplitudes (C↑, C↓) of the electrons on the ↑ ⊗ ↓ configurations of a block: for every
    spin assignment, the sign of ordering its ↑ creators first, times two determinants; for a
    correlated box, ``box_ground`` (:func:`box_ground_amplitudes`) on its own sector."""
    if isinstance(electrons, BoxGround):
        if (block.n_up, block.n_down) != (electrons.n_up, electrons.n_down):
            return np.zeros((len(block.up), len(block.down)), dtype=complex)
        return box_ground
    phi = np.array(electrons.packets)
    total = np.zeros((len(block.up), len(block.down)), dtype=complex)
    for spins, amplitude in electrons.spin_terms():
        if sum(spins) != block.n_down:
            continue
        spins = np.asarray(spins)
        swaps = sum(int(a > b) for i, a in enumerate(spins) for b in spins[i + 1:])
        up = determinants(phi[spins == 0], block.up.sites)
        down = determinants(phi[spins == 1], block.down.sites)
        total += (-1) ** swaps * amplitude * np.outer(up, down)
    return total


def local_ground_state(problem) -> tuple[Space, np.ndarray, float]:
    """The ground state of the local spins alone (Lanczos): (space, vector, energy in eV).

    Raises
    ------
    ConfigError
        When the two lowest energies lie within
        :data:`~qst_mps.constants.DEGENERACY` of each other.
    """
    model, local = problem.model, problem.local
    L, S = model.L, model.spin
    keys = ([(0, 0, local.lowered)] if local.lowered is not None
            else [(0, 0, m) for m in range(round(2 * S) * L + 1)])
    space = Space(model.N, L, S, keys)
    H = matrix([p for t in model.local_terms() for p in t.products()], space)
    energies, vectors = lowest(H)
    if space.dim > 1 and energies[1] - energies[0] < DEGENERACY:
        raise degenerate_ground(energies[1] - energies[0], local.lowered, L * S)
    return space, vectors[:, 0], float(energies[0])


class LocalAmplitudes:
    """Amplitudes of the local state on the local configurations with m lowerings."""

    def __init__(self, problem):
        self.local = problem.local
        self.L, self.spin = problem.model.L, problem.model.spin
        self.ground = None
        if isinstance(self.local, GroundSpins):
            self.ground = local_ground_state(problem)

    def __call__(self, m: int) -> np.ndarray:
        configs = cached_local(self.L, self.spin, m).lowerings
        if isinstance(self.local, ProductSpins):
            columns = [self.local.vectors[j, configs[:, j]] for j in range(self.L)]
            return np.prod(columns, axis=0) if columns else np.ones(len(configs), complex)
        if isinstance(self.local, PairedSpins):
            pairs = [self.local.pair[configs[:, j], configs[:, j + 1]]
                     for j in range(0, self.L, 2)]
            return np.prod(pairs, axis=0)
        space, vector, _ = self.ground
        block = space.block((0, 0, m))
        if block is None:
            return np.zeros(len(configs), dtype=complex)
        return vector[space.slice(block)].astype(complex)


def initial_components(problem) -> list[tuple[Space, np.ndarray]]:
    """The normalized initial state: (space, vector) for each component with weight."""
    model = problem.model
    local = LocalAmplitudes(problem)
    box_ground = (box_ground_amplitudes(problem) if isinstance(problem.electrons, BoxGround)
                  else None)
    components = []
    for keys in component_keys(problem):
        space = Space(model.N, model.L, model.spin, keys)
        psi = np.zeros(space.dim, dtype=complex)
        for block in space.blocks:
            electrons = electron_amplitudes(problem.electrons, block, box_ground)
            if np.any(electrons):
                psi[space.slice(block)] = np.kron(electrons.ravel(), local(block.m))
        components.append((space, psi))
    norm = np.sqrt(sum(np.vdot(psi, psi).real for _, psi in components))
    return [(space, psi / norm) for space, psi in components
            if np.vdot(psi, psi).real > 1e-28 * norm**2]
