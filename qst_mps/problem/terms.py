"""The terms of the Hamiltonian, as data that every backend translates.

A term is a small frozen dataclass: its coefficients (eV) and the sites it acts on. Its
:meth:`products` spell it out as a sum of operator products, ``Product(coefficient, ops)``, in the
spirit of QuSpin's static lists. Each factor is an :class:`Op`: a named operator on one
conduction site (``on = "el"``) or on one local spin (``on = "loc"``). The names are TeNPy's
(``SpinHalfFermionSite`` and ``SpinSite``):

- electrons: ``Cdu``, ``Cu``, ``Cdd``, ``Cd`` (c†↑, c↑, c†↓, c↓), ``Nu``, ``Nd``, ``Ntot``,
  ``NuNd``, and the conduction spin in spin-½ units ``Sz`` = (n↑ − n↓)/2, ``Sp`` = c†↑ c↓,
  ``Sm`` = c†↓ c↑;
- local spins: ``Sz``, ``Sp``, ``Sm``.

A product is written in operator order: the rightmost factor acts first. Hermitian conjugates
are written out, so the sum of a term's products is Hermitian by itself. A new term is a new
class here; the backends (``exact/operators.py``, ``mps/model.py``) translate the operator
names, not the terms.

Conventions (docs/physics.md): energies in eV; sites 0-based; s_x in spin-½ units.
"""

from __future__ import annotations

from dataclasses import dataclass

ELECTRON_OPS = ("Cdu", "Cu", "Cdd", "Cd", "Nu", "Nd", "Ntot", "NuNd", "Sz", "Sp", "Sm")
LOCAL_OPS = ("Sz", "Sp", "Sm")
FERMIONIC = ("Cdu", "Cu", "Cdd", "Cd")


@dataclass(frozen=True)
class Op:
    """One operator: ``name`` on conduction site ``index`` (``on = "el"``) or local spin
    ``index`` (``on = "loc"``)."""

    name: str
    on: str
    index: int

    @property
    def fermionic(self) -> bool:
        return self.on == "el" and self.name in FERMIONIC


def el(name: str, x: int) -> Op:
    return Op(name, "el", int(x))


def loc(name: str, j: int) -> Op:
    return Op(name, "loc", int(j))


@dataclass(frozen=True)
class Product:
    """``coefficient`` (eV, possibly complex) times the operator product ``ops``."""

    coefficient: complex
    ops: tuple


def _vector_parts(B) -> list[tuple[complex, str]]:
    """−B·S as coefficients of (S^z, S⁺, S⁻): −Bz S^z − (Bx − iBy)/2 S⁺ − (Bx + iBy)/2 S⁻."""
    bx, by, bz = B
    parts = [(-bz, "Sz"), (-(bx - 1j * by) / 2, "Sp"), (-(bx + 1j * by) / 2, "Sm")]
    return [(c, name) for c, name in parts if c != 0]


@dataclass(frozen=True)
class Hopping:
    """−t Σ_{(x, y) ∈ bonds} Σ_s (c†_{x s} c_{y s} + c†_{y s} c_{x s})."""

    t: float
    bonds: tuple

    def products(self):
        for x, y in self.bonds:
            for s in ("u", "d"):
                yield Product(-self.t, (el(f"Cd{s}", x), el(f"C{s}", y)))
                yield Product(-self.t, (el(f"Cd{s}", y), el(f"C{s}", x)))


@dataclass(frozen=True)
class Exchange:
    """−Σ_{(j, k) ∈ pairs} [J_xy (S^x_j S^x_k + S^y_j S^y_k) + J_z S^z_j S^z_k] between local
    spins; J_xy = J_ex, J_z = J_ex_z (J_ex > 0: ferromagnet)."""

    J_xy: float
    J_z: float
    pairs: tuple

    def products(self):
        for j, k in self.pairs:
            if self.J_z:
                yield Product(-self.J_z, (loc("Sz", j), loc("Sz", k)))
            if self.J_xy:
                yield Product(-self.J_xy / 2, (loc("Sp", j), loc("Sm", k)))
                yield Product(-self.J_xy / 2, (loc("Sm", j), loc("Sp", k)))


@dataclass(frozen=True)
class SingleIon:
    """−D Σ_j (S^z_j)² (D > 0: easy axis)."""

    D: float
    spins: tuple

    def products(self):
        for j in self.spins:
            yield Product(-self.D, (loc("Sz", j), loc("Sz", j)))


@dataclass(frozen=True)
class LocalField:
    """−Σ_j B·S_j, B = (Bx, By, Bz) in eV."""

    B: tuple
    spins: tuple

    def products(self):
        for j in self.spins:
            for coefficient, name in _vector_parts(self.B):
                yield Product(coefficient, (loc(name, j),))


@dataclass(frozen=True)
class ElectronField:
    """−Σ_x B·s_x, B = (Bx, By, Bz) in eV, s_x in spin-½ units."""

    B: tuple
    sites: tuple

    def products(self):
        for x in self.sites:
            for coefficient, name in _vector_parts(self.B):
                yield Product(coefficient, (el(name, x),))


@dataclass(frozen=True)
class SdExchange:
    """−Σ_{(x, j)} [J_z s^z_x S^z_j + J_flip/2 (s⁺_x S⁻_j + s⁻_x S⁺_j)]: the sd exchange of
    local spin j with the conduction electron on its site x (J_z = J_flip = J_sd for s·S)."""

    J_z: float
    J_flip: float
    couplings: tuple

    def products(self):
        for x, j in self.couplings:
            if self.J_z:
                yield Product(-self.J_z, (el("Sz", x), loc("Sz", j)))
            if self.J_flip:
                yield Product(-self.J_flip / 2, (el("Sp", x), loc("Sm", j)))
                yield Product(-self.J_flip / 2, (el("Sm", x), loc("Sp", j)))


@dataclass(frozen=True)
class Hubbard:
    """U Σ_x n_{x↑} n_{x↓}."""

    U: float
    sites: tuple

    def products(self):
        for x in self.sites:
            yield Product(self.U, (el("NuNd", x),))


@dataclass(frozen=True)
class Potential:
    """Σ_x V_x n_x, with ``values`` the pairs (x, V_x)."""

    values: tuple

    def products(self):
        for x, V in self.values:
            yield Product(V, (el("Ntot", x),))


#: Change of 2 S_z by each operator (c†↑ and c↓ raise the total S_z by ½).
TWICE_SZ_CHANGE = {"Sp": 2, "Sm": -2, "Cdu": 1, "Cu": -1, "Cdd": -1, "Cd": 1}


def changes_sz(product: Product) -> bool:
    """Whether a product changes the total S_z."""
    return sum(TWICE_SZ_CHANGE.get(op.name, 0) for op in product.ops) != 0
