"""qst_mps: quantum spin transfer from conduction electrons (single or spin-correlated pairs)
to a chain of quantum local spins, by exact state-vector evolution and by MPS (TeNPy).

Units: energies in eV, times in fs, lengths in lattice spacings a (docs/physics.md).

Importing the package is cheap and changes nothing in the process: TeNPy, h5py and matplotlib
are imported when first used.
"""

from .version import __version__


def load(path, checkpoint: bool = False):
    """Read a result file (see :func:`qst_mps.results.load`)."""
    from .results import load as load_file

    return load_file(path, checkpoint)


def run(config=None, path=None, *, overrides=(), force=False, progress=True):
    """Run one simulation as ``qst-mps run`` does, and return its results.

    Parameters
    ----------
    config : dict, str, Path or None
        A configuration: a dict of sections (``{"model": {"L": 8}, "state": {"pair":
        "triplet_0"}}``, any key left out takes its default), the path of a TOML file (such as
        ``models/paper.toml``), or None for the built-in default, the paper's model. Every key
        is described in docs/usage.md.
    path : str, Path or None
        The result file (HDF5, docs/usage.md "Result files"); default: ``output.path``.
    overrides : sequence of str
        ``"section.key=value"`` changes, as ``--set`` takes them.
    force : bool
        Overwrite an existing result file (otherwise it is refused).
    progress : bool
        Show a progress bar.

    Returns
    -------
    Results
        The observables of the run (name -> array, times in fs, energies in eV, spins in ħ), with
        ``.config``, ``.backend``, ``.status`` and ``.attrs``; the same as :func:`load` of the file.

    Raises
    ------
    ConfigError
        A configuration that cannot run; ``.key`` names the key at fault. What the configuration
        sets but the chosen state does not read is left out with a warning.
    """
    from .simulation import run_configuration

    _, _, written, _ = run_configuration(config, path, overrides=overrides, force=force,
                                         progress=progress)
    return load(written)


def resume(path, overrides=(), *, progress=True):
    """Continue an interrupted run, or extend a complete one, in its result file, as
    ``qst-mps resume`` does; ``overrides`` may change only ``evolution.t_max``,
    ``output.checkpoint_every`` and ``evolution.processes``. Returns what :func:`load` returns
    (the file as it was when a complete run had nothing left to do)."""
    from .simulation import resume as resume_file

    resume_file(path, overrides, progress=progress)
    return load(path)


def compare(a, b):
    """The largest difference of every observable two result files share, over the output
    times they share, and the configuration keys they differ in, as ``qst-mps compare`` prints
    them (a :class:`qst_mps.comparison.Comparison`)."""
    from .comparison import compare as compare_files

    return compare_files(a, b)


def sweep(path, *, jobs=1, folder=None, overrides=(), progress=True):
    """Run every point of a sweep file that is not complete yet (``jobs`` worker processes), as
    ``qst-mps sweep`` does; returns the number of points by status ("complete", "running",
    "failed", "pending")."""
    from . import batch

    return batch.run_local(batch.load(path, folder, list(overrides)), workers=jobs,
                           progress=progress)


def collect(path, folder=None, overrides=()):
    """Plateau values of a sweep file's points against its swept keys (``qst-mps collect``; a
    :class:`qst_mps.batch.SweepTable`)."""
    from . import batch

    return batch.collect(batch.load(path, folder, list(overrides)))


def load_sweep(path, folder=None):
    """The same as :func:`collect` (its name before it had one)."""
    return collect(path, folder)


#: Submodules reachable as attributes (``qst_mps.results.status(...)``), imported on first use.
SUBMODULES = ("analysis", "backend", "batch", "cli", "comparison", "config", "constants", "errors",
              "exact", "incoherent", "mps", "observables", "plot", "problem", "quantum_info",
              "results", "safeguards", "simulation", "spec")


def __getattr__(name):
    if name in SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'qst_mps' has no attribute {name!r}")


__all__ = ["__version__", "collect", "compare", "load", "load_sweep", "resume", "run", "sweep"]
