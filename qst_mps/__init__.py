"""qst_mps: quantum spin transfer from conduction electrons (single or spin-correlated pairs)
to a chain of quantum local spins, by exact state-vector evolution and by MPS (TeNPy).

Units: energies in eV, times in fs, lengths in lattice spacings a (docs/physics.md).

Importing the package is cheap and changes nothing in the process: TeNPy, h5py and matplotlib
are imported when first used.
"""

__version__ = "0.1.0"


def load(path, checkpoint: bool = False):
    """Read a result file (see :func:`qst_mps.results.load`)."""
    from .results import load as load_file

    return load_file(path, checkpoint)


def load_sweep(path, folder=None):
    """Plateau values of a sweep file's points against its swept keys (see qst_mps.sweep)."""
    from . import sweep

    return sweep.collect(sweep.load(path, folder))


__all__ = ["__version__", "load", "load_sweep"]
