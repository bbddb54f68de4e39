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


#: Submodules reachable as attributes (``qst_mps.results.status(...)``), imported on first use.
SUBMODULES = ("analysis", "cli", "config", "exact", "mps", "observables", "plot", "problem",
              "quantum_info", "results", "run", "simulation", "sweep")


def __getattr__(name):
    if name in SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'qst_mps' has no attribute {name!r}")


__all__ = ["__version__", "load", "load_sweep"]
