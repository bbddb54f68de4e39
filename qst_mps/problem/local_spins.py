"""Initial states of the local spins (docs/physics.md, "Initial states").

A local spin's basis state is labelled by its lowering l = S − m ∈ 0 … 2S (l = 0 is m = S, "up").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg as la

from ..constants import DEGENERACY
from ..errors import ConfigError

if TYPE_CHECKING:
    from ..spec import StateSpec


def spin_matrices(spin: float) -> dict[str, np.ndarray]:
    """S^z, S⁺, S⁻, S^y of one spin S in the basis l = 0 … 2S (m = S, S − 1, …, −S)."""
    m = spin - np.arange(round(2 * spin) + 1)
    plus = np.diag(np.sqrt(spin * (spin + 1) - m[1:] * (m[1:] + 1)), k=1)  # |m+1⟩⟨m|
    return {"Sz": np.diag(m), "Sp": plus, "Sm": plus.T.copy(), "Sy": (plus - plus.T) / 2j}


def coherent_state(spin: float, theta: float, phi: float) -> np.ndarray:
    """The spin-coherent state along (θ, φ): e^{−iφ S^z} e^{−iθ S^y} |S, S⟩, amplitudes by l;
    amplitudes of rounding size are exact zeros (θ = 0 or π gives a definite S^z)."""
    ops = spin_matrices(spin)
    up = np.zeros(round(2 * spin) + 1, dtype=complex)
    up[0] = 1.0
    vector = la.expm(-1j * phi * ops["Sz"]) @ la.expm(-1j * theta * ops["Sy"]) @ up
    vector[np.abs(vector) < 1e-14] = 0.0
    return vector


PAIR_STATES = {  # amplitude of (l_first, l_second) for two spins ½: l = 0 is ↑
    "singlet": np.array([[0, 1], [-1, 0]]) / np.sqrt(2),
    "triplet_0": np.array([[0, 1], [1, 0]]) / np.sqrt(2),
    "triplet_plus": np.array([[1, 0], [0, 0]]),
    "triplet_minus": np.array([[0, 0], [0, 1]]),
}


@dataclass(frozen=True)
class ProductSpins:
    """Every local spin j in its own state ``vectors[j]`` (amplitudes by lowering l)."""

    vectors: np.ndarray

    def lowering(self) -> int | None:
        """Total lowering Σ l_j if the state has a definite one, else None."""
        support = [np.flatnonzero(np.abs(v) > 0) for v in self.vectors]
        if all(s.size == 1 for s in support):
            return int(sum(s[0] for s in support))
        return None

    def polarized_along_z(self) -> bool:
        """All spins up, or all spins down."""
        lowering, two_s = self.lowering(), self.vectors.shape[1] - 1
        return lowering is not None and lowering in (0, two_s * len(self.vectors)) and all(
            np.abs(v[0 if lowering == 0 else two_s]) > 0 for v in self.vectors)


@dataclass(frozen=True)
class PairedSpins:
    """Spins (0, 1), (2, 3), … each in the two-spin state ``pair`` (amplitudes by (l, l'))."""

    pair: np.ndarray
    L: int

    def lowering(self) -> int | None:
        support = {int(a + b) for a, b in zip(*np.nonzero(self.pair), strict=True)}
        return support.pop() * (self.L // 2) if len(support) == 1 else None

    def polarized_along_z(self) -> bool:
        return False


@dataclass(frozen=True)
class GroundSpins:
    """The ground state of the local spins alone (their exchange, anisotropy and field), in the
    sector with ``lowered`` quanta (L·S − local S^z), or over all sectors when None."""

    lowered: int | None

    def lowering(self) -> int | None:
        return self.lowered

    def polarized_along_z(self) -> bool:
        return False


def degenerate_ground(gap: float, lowered: int | None, total: float):
    """The error refusing a ground state whose gap (eV) is below
    :data:`~qst_mps.constants.DEGENERACY`, in the sector with ``lowered`` quanta of
    L·S = ``total`` (None: all sectors)."""

    sector = "" if lowered is None else f"in the sector of state.local_Sz = {total - lowered:g} "
    return ConfigError(
        "state.local",
        f"the ground state of the local spins is degenerate {sector}(gap {gap:.1e} eV < "
        f"{DEGENERACY:g} eV); lift it with a term that splits it (model.J_ex, model.J_ex_z, "
        "model.D, a field model.B_loc) or pick another sector with state.local_Sz",
    )


def local_state(state: StateSpec, L: int, spin: float, fields_along_z: bool):
    """The local-spin state of a resolved ``[state]`` table."""
    two_s = round(2 * spin)
    kind = state.local
    if kind == "pairs":
        return PairedSpins(PAIR_STATES[state.local_pair].astype(complex), L)
    if kind == "ground":
        if not fields_along_z:
            return GroundSpins(None)
        total = L * spin
        local_sz = state.local_Sz
        if local_sz is None:
            local_sz = 0.0 if float(total).is_integer() else 0.5
        return GroundSpins(int(round(total - local_sz)))
    vectors = np.zeros((L, two_s + 1), dtype=complex)
    if kind == "up":
        vectors[:, 0] = 1.0
    elif kind == "down":
        vectors[:, two_s] = 1.0
    elif kind == "neel":
        vectors[0::2, 0] = 1.0
        vectors[1::2, two_s] = 1.0
    elif kind == "tilted":
        vectors[:] = coherent_state(spin, state.local_theta, state.local_phi)
    else:
        raise ValueError(f"unknown local state {kind!r}")
    return ProductSpins(vectors)
