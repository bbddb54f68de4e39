"""Initial conduction-electron states of SPEC §2, in a form every backend can build from.

A state is described by its packets φ_i(x) and a spin matrix w: the two-electron state is

    |Ψ⟩ = Σ_{s,s'} w[s, s'] c†_{φ1 s} c†_{φ2 s'} |0⟩ / norm,     c†_{φ s} = Σ_x φ(x) c†_{x s},

with s = 0 (↑), 1 (↓); a one-electron state is Σ_s w[s] c†_{φ2 s}|0⟩. Antisymmetry is then
automatic, and the norm is taken after antisymmetrizing (φ₁ and φ₂ may overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .geometry import packet_centres

UP, DOWN = 0, 1


def gaussian_packet(
    N: int, centre: float, k_e: float, sigma_d: float, periodic: bool
) -> np.ndarray:
    """Paper Eq. 4 on sites 0 … N-1: (σ_d √π)^(-1/2) exp(i k_e Δx − Δx²/(2σ_d²)).

    On a ring Δx is the minimal-image displacement, so a packet near site 0 wraps around.
    The packet is not renormalized on the lattice (its lattice norm is 1 up to ~1e-16 for σ_d ≳ 1).
    """
    dx = np.arange(N) - centre
    if periodic:
        dx = (dx + N / 2) % N - N / 2
    return np.exp(1j * k_e * dx - dx**2 / (2 * sigma_d**2)) / np.sqrt(sigma_d * np.sqrt(np.pi))


def pair_spin_matrix(pair: str, theta: float = 0.0) -> np.ndarray:
    """Spin amplitudes w[s, s'] of c†_{φ1 s} c†_{φ2 s'} (w[s] of c†_{φ2 s} for single_down)."""
    w = np.zeros((2, 2), dtype=complex)
    if pair in ("singlet", "triplet_0", "theta"):
        phase = {"singlet": 1.0, "triplet_0": -1.0}.get(pair, np.exp(1j * theta))
        w[UP, DOWN], w[DOWN, UP] = 1 / np.sqrt(2), -phase / np.sqrt(2)
    elif pair == "triplet_minus":
        w[DOWN, DOWN] = 1.0
    elif pair == "triplet_plus":
        w[UP, UP] = 1.0
    elif pair == "single_down":
        return np.array([0.0, 1.0], dtype=complex)
    else:
        raise ValueError(f"unknown pair state {pair!r}")
    return w


@dataclass
class ElectronState:
    """Packets and spin amplitudes of the initial conduction electrons.

    Attributes
    ----------
    packets : list of ndarray
        [φ₁, φ₂] for pairs, [φ₂] for one electron; each of length N.
    spin : ndarray
        w[s, s'] (pairs) or w[s] (one electron).
    """

    packets: list
    spin: np.ndarray

    @property
    def n_electrons(self) -> int:
        return len(self.packets)

    def mode_amplitudes(self) -> np.ndarray:
        """Amplitudes on the modes m = s·N + x (↑ modes first, then ↓ modes).

        One electron: vector A[m] of length 2N. Two electrons: antisymmetric matrix A[m, m'] with
        |Ψ⟩ = Σ_{m<m'} A[m, m'] c†_m c†_m' |0⟩, normalized so that Σ_{m<m'} |A|² = 1.
        """
        if self.n_electrons == 1:
            amp = np.kron(self.spin, self.packets[0])
            return amp / np.linalg.norm(amp)
        phi1, phi2 = self.packets
        C = np.kron(self.spin, np.outer(phi1, phi2))  # C[(s,x),(s',y)] = w[s,s'] φ1(x) φ2(y)
        amp = C - C.T
        norm = np.sqrt(0.5 * np.sum(np.abs(amp) ** 2))
        if norm < 1e-8:
            raise ValueError("the antisymmetrized pair vanishes (identical packets in a triplet)")
        return amp / norm


def pair_norm(state: ElectronState) -> float:
    """‖Σ w[s,s'] c†_{φ1 s} c†_{φ2 s'} |0⟩‖² from the packets alone, in O(N).

    ⟨Ψ|Ψ⟩ = ⟨φ1|φ1⟩⟨φ2|φ2⟩ Σ|w[s,s']|² − |⟨φ1|φ2⟩|² Σ w[s,s']* w[s',s]; one electron: ‖φ‖².
    """
    if state.n_electrons == 1:
        return float(np.vdot(state.packets[0], state.packets[0]).real)
    phi1, phi2 = state.packets
    w = state.spin
    direct = np.vdot(phi1, phi1).real * np.vdot(phi2, phi2).real * np.sum(np.abs(w) ** 2)
    exchange = abs(np.vdot(phi1, phi2)) ** 2 * np.sum(np.conj(w) * w.T)
    return float(direct - exchange.real)


def initial_electrons(config: dict) -> ElectronState:
    """The initial electrons of a resolved configuration (SPEC §2)."""
    model, state = config["model"], config["state"]
    periodic = model["boundary"] == "periodic"
    x1, x2 = packet_centres(config)
    phi2 = gaussian_packet(model["N"], x2, state["k_e"], state["sigma_d"], periodic)
    spin = pair_spin_matrix(state["pair"], state["theta"])
    if state["pair"] == "single_down":
        return ElectronState([phi2], spin)
    phi1 = gaussian_packet(model["N"], x1, state["k_e"], state["sigma_d"], periodic)
    return ElectronState([phi1, phi2], spin)


def lowered_quanta(config: dict) -> int:
    """Spin quanta below the fully polarized state: number of ↓ electrons (local spins all up).

    This is the conserved sector q of the total S_z: S_z_total = n_e/2 + L·S − q.
    """
    return {"singlet": 1, "triplet_0": 1, "theta": 1, "triplet_minus": 2, "triplet_plus": 0,
            "single_down": 1}[config["state"]["pair"]]


def electron_spin_factor(model: dict) -> float:
    """Factor of the electron spin operator: 1 for s (``electron_spin = "half"``), 2 for the
    Pauli matrices σ = 2s (``"pauli"``), in the coupling and in the reported electron spin."""
    return 2.0 if model["electron_spin"] == "pauli" else 1.0


def n_electrons(config: dict) -> int:
    """Number of conduction electrons of the configured state."""
    return 1 if config["state"]["pair"] == "single_down" else 2
