"""Initial states of the conduction electrons (docs/physics.md, "Initial states").

Electrons in packets are described by units. A unit is a few packets φ_i(x) and a spin tensor w:

    U = Σ_{s1 … sr} w[s1, …, sr] c†_{φ1 s1} … c†_{φr sr},      c†_{φ s} = Σ_x φ(x) c†_{x s},

with s = 0 (↑) or 1 (↓). The state is U_0 U_1 … |0⟩ / norm: products of creation operators on the
vacuum, so it is antisymmetric, and the norm is taken after antisymmetrizing (packets may overlap).
The paper's pair is one unit of two packets, a single electron one unit of one packet.

A released box at U = 0 (or fully polarized) is a Slater determinant: one unit per electron, whose
"packet" is one of the box's lowest orbitals, with a definite spin. A box holding both spins at
U ≠ 0 has a correlated ground state, no single determinant: :class:`BoxGround` describes it by
the terms of its Hamiltonian, and each backend finds it (exact: Lanczos; mps: DMRG).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from ..constants import DEGENERACY
from ..errors import ConfigError

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


def pair_spin_tensor(pair: str, theta: float = 0.0) -> np.ndarray:
    """Spin amplitudes w[s, s'] of c†_{φ1 s} c†_{φ2 s'} for the pair states of docs/physics.md."""
    w = np.zeros((2, 2), dtype=complex)
    if pair in ("singlet", "triplet_0", "theta"):
        phase = {"singlet": 1.0, "triplet_0": -1.0}.get(pair, np.exp(1j * theta))
        w[UP, DOWN], w[DOWN, UP] = 1 / np.sqrt(2), -phase / np.sqrt(2)
    elif pair == "triplet_minus":
        w[DOWN, DOWN] = 1.0
    elif pair == "triplet_plus":
        w[UP, UP] = 1.0
    else:
        raise ValueError(f"unknown pair state {pair!r}")
    return w


def single_spin_vector(theta: float, phi: float) -> np.ndarray:
    """Amplitudes (↑, ↓) of a spin ½ along (θ, φ): (cos θ/2, e^{iφ} sin θ/2); amplitudes of
    rounding size (cos π/2 = 6e-17) are exact zeros, so that θ = π is a definite ↓."""
    vector = np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)], dtype=complex)
    vector[np.abs(vector) < 1e-14] = 0.0
    return vector


@dataclass(frozen=True)
class PacketUnit:
    """Packets (each an array of N amplitudes) and their spin tensor (one axis per packet)."""

    packets: tuple
    spin: np.ndarray


@dataclass(frozen=True)
class Packets:
    """Electrons in Gaussian packets: the product of the ``units`` on the vacuum."""

    units: tuple

    @property
    def packets(self) -> list:
        """Every packet, in the order of the creation operators."""
        return [p for unit in self.units for p in unit.packets]

    @property
    def n_electrons(self) -> int:
        return len(self.packets)

    def spin_terms(self):
        """Yield (spins, amplitude) for every nonzero entry of the product of the units' spin
        tensors: the state is Σ amplitude · Π_i c†_{φ_i spins[i]} |0⟩ / norm."""
        per_unit = [[(s, w) for s, w in np.ndenumerate(u.spin) if w != 0] for u in self.units]
        for combination in itertools.product(*per_unit):
            spins = tuple(s for unit_spins, _ in combination for s in unit_spins)
            yield spins, complex(np.prod([w for _, w in combination]))

    def n_down_values(self) -> set:
        """The numbers of ↓ electrons the state holds."""
        return {sum(spins) for spins, _ in self.spin_terms()}

    def norm_squared(self) -> float:
        """⟨Ψ|Ψ⟩ of Σ amplitude Π c†|0⟩ before normalizing: Σ_{a,b} w_a* w_b det G_ab, with
        G_ab[i, j] = δ(a_i, b_j) ⟨φ_i|φ_j⟩ (Wick's theorem)."""
        phi = np.array(self.packets)
        overlap = phi.conj() @ phi.T
        terms = list(self.spin_terms())
        total = 0.0
        for a, wa in terms:
            for b, wb in terms:
                same = np.equal.outer(np.asarray(a), np.asarray(b))
                total += np.conj(wa) * wb * np.linalg.det(np.where(same, overlap, 0.0))
        return float(np.real(total))


def packet_state(N: int, centres, k_e: float, sigma_d: float, periodic: bool,
                 spin: np.ndarray) -> PacketUnit:
    """One unit: packets at ``centres`` (a) with the spin tensor ``spin``."""
    packets = tuple(gaussian_packet(N, c, k_e, sigma_d, periodic) for c in centres)
    return PacketUnit(packets, np.asarray(spin, dtype=complex))


def box_orbitals(model, box, depth) -> tuple[np.ndarray, np.ndarray]:
    """Orbitals (N × n, columns) and energies (eV, ascending) of one electron in the box.

    The single-particle Hamiltonian is the model's hopping and potential (the terms of H on the
    electrons alone without spin: no sd coupling, no field). ``depth = 'inf'``: hard walls, the
    box's sites alone (n = its size); a number: a well of −depth eV on the box's sites of the whole
    chain (n = N). The orbitals are real, each with its largest component positive.
    """
    from .terms import Hopping, Potential

    first, last = box
    h = np.zeros((model.N, model.N))
    for term in model.electron_terms():
        if isinstance(term, Hopping):
            for x, y in term.bonds:
                h[x, y] -= term.t
                h[y, x] -= term.t
        elif isinstance(term, Potential):
            for x, V in term.values:
                h[x, x] += V
    sites = np.arange(first, last + 1)
    if depth == "inf":
        energies, vectors = np.linalg.eigh(h[np.ix_(sites, sites)])
        orbitals = np.zeros((model.N, len(sites)))
        orbitals[sites] = vectors
    else:
        h[sites, sites] -= depth
        energies, orbitals = np.linalg.eigh(h)
    largest = np.argmax(np.abs(orbitals), axis=0)
    orbitals *= np.sign(orbitals[largest, np.arange(orbitals.shape[1])])
    return orbitals, energies


#: Potential (eV) that shuts the sites outside a hard-walled box (``depth = 'inf'``) in the
#: many-body ground-state search: no bond leaves the box either, so no amplitude gets out.
WALL = 1e3


@dataclass(frozen=True)
class BoxGround:
    """The ground state of ``n_up`` ↑ and ``n_down`` ↓ electrons of the Hamiltonian ``terms``
    (the electrons alone: the model's hopping, potential and U, with the box's well or walls).

    ``packets`` are the U = 0 orbitals it would fill: where the electrons are, for estimates and
    checks, not the state.
    """

    terms: tuple
    n_up: int
    n_down: int
    packets: tuple

    @property
    def n_electrons(self) -> int:
        return self.n_up + self.n_down

    def n_down_values(self) -> set:
        return {self.n_down}

    def norm_squared(self) -> float:
        """A ground state never vanishes."""
        return 1.0


def degenerate_box(box: BoxGround, gap: float) -> ConfigError | None:
    """The error refusing a correlated box whose ground state has a gap (eV) below
    :data:`~qst_mps.constants.DEGENERACY` to the next state; None when it is unique."""
    if gap >= DEGENERACY:
        return None
    return ConfigError("state.n_up", f"the box's ground state with {box.n_up} ↑ and "
                       f"{box.n_down} ↓ electrons is degenerate (gap {gap:.2g} eV); change the "
                       "numbers or the box")


def box_terms(model, box, depth) -> tuple:
    """The terms of the box's many-body Hamiltonian: the model's hopping (inside the box only,
    with hard walls), its potential plus the well (−depth on the box's sites) or, with hard
    walls, :data:`WALL` outside, and its U."""
    from .terms import Hopping, Hubbard, Potential

    first, last = box
    inside = range(first, last + 1)
    V = np.zeros(model.N)
    terms = []
    for term in model.electron_terms():
        if isinstance(term, Hopping):
            bonds = term.bonds
            if depth == "inf":
                bonds = tuple((x, y) for x, y in bonds if x in inside and y in inside)
            terms.append(Hopping(term.t, bonds))
        elif isinstance(term, Potential):
            for x, value in term.values:
                V[x] += value
        elif isinstance(term, Hubbard):
            terms.append(term)
    if depth == "inf":
        V[[x for x in range(model.N) if x not in inside]] += WALL
    else:
        V[first:last + 1] -= depth
    terms.append(Potential(tuple((x, float(v)) for x, v in enumerate(V) if v)))
    return tuple(terms)


def box_state(model, box, depth, n_up: int, n_down: int) -> Packets | BoxGround:
    """The box's ground state: at U = 0, or with one spin only, the n_up and n_down lowest
    orbitals filled, ↑ first; otherwise a :class:`BoxGround`."""
    from .terms import Hubbard

    orbitals, _ = box_orbitals(model, box, depth)
    correlated = any(isinstance(t, Hubbard) and t.U for t in model.terms)
    if correlated and n_up and n_down:
        filled = tuple(orbitals[:, k].astype(complex) for k in range(max(n_up, n_down)))
        return BoxGround(box_terms(model, box, depth), n_up, n_down, filled)
    units = [PacketUnit((orbitals[:, k].astype(complex),), np.eye(2, dtype=complex)[s])
             for s, n in ((UP, n_up), (DOWN, n_down)) for k in range(n)]
    return Packets(tuple(units))
