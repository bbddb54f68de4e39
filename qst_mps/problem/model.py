"""The model: the lattice (conduction sites, local spins and where they sit) and the terms of H.

Built once from the resolved ``[model]`` table; both backends translate :attr:`Model.terms`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from .geometry import spin_sites
from .terms import (
    ElectronField,
    Exchange,
    Hopping,
    Hubbard,
    LocalField,
    Potential,
    SdExchange,
    SingleIon,
    changes_sz,
)

if TYPE_CHECKING:
    from ..spec import ModelSpec


@dataclass(frozen=True)
class Model:
    """N conduction sites, L local spins S on the sites ``spin_sites``, and the terms of H.

    ``electron_scale`` is 1 for s = σ/2 and 2 for the Pauli convention (``electron_spin``); it
    scales the reported electron spin. ``S_z_total`` is always in spin-½ units.
    """

    N: int
    L: int
    spin: float
    spin_sites: tuple
    periodic: bool
    electron_scale: float
    terms: tuple

    def products(self):
        """Every operator product of every term."""
        for term in self.terms:
            yield from term.products()

    @cached_property
    def conserves_sz(self) -> bool:
        """Whether H commutes with the total S_z (no transverse field)."""
        return not any(changes_sz(p) for p in self.products())

    @cached_property
    def nearest_neighbour(self) -> bool:
        """Whether every term joins at most two neighbouring MPS sites, each local spin grouped
        with its conduction site: then TEBD applies on the mps backend (else two-site TDVP)."""
        return self._neighbours_only(cut=False)

    @cached_property
    def nearest_neighbour_when_cut(self) -> bool:
        """Whether every term but the ring's closing hop joins neighbouring sites: then the mps
        backend runs TEBD on the ring cut open where its state is empty (qst_mps/mps/ring.py)."""
        return self._neighbours_only(cut=self.periodic)

    @cached_property
    def t_h(self) -> float:
        """The hopping amplitude t_h (eV); 0 if H has no hopping term."""
        return next((t.t for t in self.terms if isinstance(t, Hopping)), 0.0)

    def _neighbours_only(self, cut: bool) -> bool:
        sites = list(self.spin_sites)
        for product in self.products():
            where = [sites[op.index] if op.on == "loc" else op.index for op in product.ops]
            if cut and joins_ends(product, where, self.N):
                continue  # the closing hop (N − 1, 0)
            if max(where) - min(where) > 1:
                return False
        return True

    def local_terms(self) -> tuple:
        """The terms that act on the local spins alone."""
        return tuple(t for t in self.terms if isinstance(t, Exchange | SingleIon | LocalField))

    def electron_terms(self) -> tuple:
        """The terms that act on the conduction electrons alone."""
        return tuple(t for t in self.terms
                     if isinstance(t, Hopping | Hubbard | Potential | ElectronField))


def joins_ends(product, where, N: int) -> bool:
    """Whether an operator product, whose operators sit at the positions ``where`` of a chain
    of N conduction sites, is a hop between its two ends, 0 and N − 1 (the ring's closing hop
    when the ring is cut open there)."""
    return (all(op.on != "loc" for op in product.ops)
            and min(where) == 0 and max(where) == N - 1)


def build_model(model: ModelSpec) -> Model:
    """The :class:`Model` of a resolved ``[model]`` table (docs/physics.md, "Hamiltonian")."""
    N, L = model.N, model.L
    periodic = model.boundary == "periodic"
    sites = tuple(int(n) for n in spin_sites(model))
    scale = 2.0 if model.electron_spin == "pauli" else 1.0
    bonds = [(x, x + 1) for x in range(N - 1)]
    if periodic and N > 2:
        bonds.append((N - 1, 0))
    terms = [Hopping(model.t_h, tuple(bonds))]
    J_z = model.J_ex if model.J_ex_z is None else model.J_ex_z
    if L > 1 and (model.J_ex or J_z):
        terms.append(Exchange(model.J_ex, J_z, tuple((j, j + 1) for j in range(L - 1))))
    if model.D:
        terms.append(SingleIon(model.D, tuple(range(L))))
    if any(model.B_loc):
        terms.append(LocalField(tuple(model.B_loc), tuple(range(L))))
    J_sd = model.J_sd * scale
    zz, flip = model.sd_terms in ("full", "zz"), model.sd_terms in ("full", "flip")
    if J_sd:
        terms.append(SdExchange(J_sd if zz else 0.0, J_sd if flip else 0.0,
                                tuple((x, j) for j, x in enumerate(sites))))
    if any(model.B_el):
        terms.append(ElectronField(tuple(model.B_el), tuple(range(N))))
    if model.U:
        terms.append(Hubbard(model.U, tuple(range(N))))
    if model.potential:
        values = [0.0] * N
        for first, last, V in model.potential:
            for x in range(first, last + 1):
                values[x] += V
        terms.append(Potential(tuple((x, v) for x, v in enumerate(values) if v)))
    return Model(N, L, model.spin, sites, periodic, scale, tuple(terms))
