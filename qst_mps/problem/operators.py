"""The operators of the observables, written once as data, the way the terms of H are
(qst_mps/problem/terms.py): each backend translates the products, not the formulas.

Units: the current in 1/fs. (S_z_total, derived from measured observables, is
qst_mps/observables.py ``total_sz``.)
"""

from __future__ import annotations

from ..constants import HBAR
from .terms import Product, el


def hop(x: int, y: int) -> tuple[Product, ...]:
    """Σ_s c†_{x s} c_{y s}: one electron hops from site y to site x (either spin)."""
    return tuple(Product(1.0, (el(f"Cd{s}", x), el(f"C{s}", y))) for s in ("u", "d"))


def current_factor(t_h: float) -> float:
    """The particle current across the bond (x, x+1), positive to the right, is
    (2 t_h/ħ) Im⟨hop(x, x+1)⟩: this factor (1/fs) for the hopping t_h (eV)."""
    return 2 * t_h / HBAR

