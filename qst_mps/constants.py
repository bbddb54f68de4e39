"""Physical constants and the package's shared numerical thresholds (docs/physics.md: energies in
eV, times in fs)."""

HBAR = 0.6582119569
"""ħ in eV·fs."""

DEGENERACY = 1e-9
"""Energies (eV) closer than this count as degenerate: a ground state (of the local spins, or of
a box's orbitals) with a gap below it is not unique, and is refused."""
