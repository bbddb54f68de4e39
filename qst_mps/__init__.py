"""qst_mps: quantum spin transfer from conduction electrons (single or spin-correlated pairs)
to a chain of quantum local spins, by exact state-vector evolution and by MPS (TeNPy).

Units: energies in eV, times in fs, lengths in lattice spacings a (SPEC §1).
"""

__version__ = "0.1.0"

from .results import load  # noqa: E402


def load_sweep(path, folder=None):
    """Plateau values of a sweep file's points against its swept keys (see qst_mps.sweep)."""
    from . import sweep

    return sweep.collect(sweep.load(path, folder))


__all__ = ["__version__", "load", "load_sweep"]
