"""Result files (docs/usage.md): one HDF5 file per run, always written atomically.

Layout: the observables (qst_mps/observables.py) as datasets at the root (units of
docs/physics.md); root attributes
``config`` (resolved configuration, JSON), ``backend``, ``qst_mps_version``, ``status``
("running" | "complete") and ``electron_spin``; the group ``checkpoint`` holds what a run needs
to continue (the backend's ``save_state``: arrays, or a TeNPy MPS), in ``tenpy.tools.hdf5_io``'s
format.

Every write goes to a temporary file in the same folder, is flushed and fsynced, then moved over
the old file with ``os.replace``: a reader, or a run killed at any moment, sees either the old
complete file or the new complete file.
"""

from __future__ import annotations

import json
import os
import tempfile
from glob import escape as glob_escape
from pathlib import Path

import h5py
import numpy as np
from tenpy.tools import hdf5_io

from . import __version__


def write(path: str | Path, results: dict, config: dict, backend: str, status: str,
          checkpoint: dict | None = None, extra_attrs: dict | None = None) -> None:
    """Atomically (re)write the result file at ``path``.

    Parameters
    ----------
    results : dict
        Observables name -> array (names of qst_mps/observables.py).
    checkpoint : dict, optional
        Arrays (or nested dicts of arrays) stored under the ``checkpoint`` group.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{glob_escape(path.name)}.*.tmp"):  # left by a killed write
        stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as f:
            for name, values in results.items():
                f.create_dataset(name, data=np.asarray(values))
            f.attrs["config"] = json.dumps(config)
            f.attrs["backend"] = backend
            f.attrs["qst_mps_version"] = __version__
            f.attrs["status"] = status
            f.attrs["electron_spin"] = config["model"]["electron_spin"]
            for key, value in (extra_attrs or {}).items():
                f.attrs[key] = value
            if checkpoint is not None:  # arrays, numbers, TeNPy MPS: TeNPy's hdf5 format
                hdf5_io.save_to_hdf5(f, checkpoint, "checkpoint")
            f.flush()
            os.fsync(f.id.get_vfd_handle())
        os.replace(temporary, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def status(path: str | Path) -> str:
    """The ``status`` attribute of a result file, without reading its datasets."""
    with h5py.File(path, "r") as f:
        return str(f.attrs["status"])


class Results(dict):
    """Observables of one run (name -> array), with ``config``, ``backend``, ``status``,
    ``attrs``."""

    config: dict
    backend: str
    status: str
    attrs: dict


def load(path: str | Path, checkpoint: bool = False) -> Results:
    """Read a result file: observables as arrays, plus ``.config``, ``.backend``, ``.status``.

    With ``checkpoint=True`` the saved backend state is returned under the key ``"checkpoint"``.
    """
    with h5py.File(path, "r") as f:
        out = Results({k: v[()] for k, v in f.items() if isinstance(v, h5py.Dataset)})
        out.attrs = dict(f.attrs)
        if checkpoint and "checkpoint" in f:
            out["checkpoint"] = hdf5_io.load_from_hdf5(f, "checkpoint")
    out.config = json.loads(out.attrs["config"])
    out.backend = str(out.attrs["backend"])
    out.status = str(out.attrs["status"])
    return out
