"""Result files (docs/usage.md): one HDF5 file per run, always written atomically.

Layout: the observables (qst_mps/observables.py) as datasets at the root (units of
docs/physics.md); root attributes
``config`` (resolved configuration, JSON), ``backend``, ``qst_mps_version``, ``status``
("running" | "complete") and ``electron_spin``; the group ``checkpoint`` holds what a run needs
to continue (the backend's ``checkpoint()``: arrays, or a TeNPy MPS), in ``tenpy.tools.hdf5_io``'s
format (arrays and numbers are written and read here in that format, without TeNPy).

Every write goes to a temporary file in the same folder, is flushed and fsynced, then moved over
the old file with ``os.replace``: a reader, or a run killed at any moment, sees either the old
complete file or the new complete file. While a run is not complete, the file it replaces is
kept as ``<name>.prev`` (a hard link, so no copy is made): the last good checkpoint, should the
new file ever be found damaged.

A file that cannot be read (truncated, corrupt, not a result file) raises
:class:`DamagedFile`, one line naming the file; :func:`recover` keeps such a file under a new
name and falls back on its ``.prev``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager
from glob import escape as glob_escape
from pathlib import Path

import h5py
import numpy as np

from .errors import BadInput, DamagedFile
from .spec import RunSpec
from .version import __version__


@contextmanager
def _hdf5_io():
    """TeNPy's hdf5_io (checkpoints holding an MPS), in the mps backend's TeNPy settings."""
    from tenpy.tools import hdf5_io

    from .mps.tenpy_internals import settings

    with settings():
        yield hdf5_io


PLAIN_TYPES = {float: "float", int: "int", bool: "bool", np.float64: "np.float64",
               np.int64: "np.int64"}
"""Scalars a checkpoint of arrays holds, with the ``type`` attribute TeNPy's hdf5_io gives them."""


def _is_plain(value) -> bool:
    """Whether ``value`` is a dict (str keys) of arrays and :data:`PLAIN_TYPES`, nested."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return value.dtype != object
    return type(value) in PLAIN_TYPES


def _save_plain(parent: h5py.Group, name: str, value) -> None:
    """Write a :func:`_is_plain` value exactly as TeNPy's ``hdf5_io.save_to_hdf5`` does (type
    attributes 'simple_dict', 'array', 'float', …), without importing TeNPy: an exact run's
    checkpoint, so that such a run never loads TeNPy (tests/test_results_cli.py checks both
    directions against hdf5_io)."""
    if isinstance(value, dict):
        group = parent.create_group(name)
        group.attrs["type"] = "simple_dict"
        for key, item in value.items():
            _save_plain(group, key, item)
        return
    dataset = parent.create_dataset(name, data=value)
    dataset.attrs["type"] = "array" if isinstance(value, np.ndarray) else PLAIN_TYPES[type(value)]


def _load_plain(item):
    """Read what :func:`_save_plain` (or hdf5_io, for such values) wrote; None if ``item``
    holds anything else (an MPS), which hdf5_io must read."""
    kind = item.attrs.get("type")
    if kind == "simple_dict" and isinstance(item, h5py.Group):
        out = {key: _load_plain(value) for key, value in item.items()}
        return None if any(v is None for v in out.values()) else out
    if not isinstance(item, h5py.Dataset):
        return None
    if kind == "array":
        return item[()]
    readers = {name: cls for cls, name in PLAIN_TYPES.items()}
    return readers[kind](item[()]) if kind in readers else None


LOCKING = ("HDF5 could not lock the file: on a network file system without file locks, set "
           "HDF5_USE_FILE_LOCKING=FALSE in the environment (docs/cluster.md)")


def _unreadable(path, err: Exception) -> BadInput:
    """The one-line error for a file h5py could not open or read."""
    text = str(err)
    if "unable to lock file" in text.lower() or "file locking" in text.lower():
        return BadInput(str(path), f"{LOCKING}; h5py said: {text.splitlines()[0]}")
    return DamagedFile(path, text.splitlines()[0] if text else type(err).__name__)


def previous(path: str | Path) -> Path:
    """Where the version of ``path`` before its last write is kept."""
    path = Path(path)
    return path.with_name(path.name + ".prev")


def _axes(spec: RunSpec, n_up_values: int) -> dict:
    """Axes of the result datasets after ``time``: name -> (coordinate values, meaning)."""
    N, L = spec.model.N, spec.model.L
    return {
        "site": (np.arange(N), "conduction site x (a)"),
        "bond": (np.arange(N - 1), "bond (x, x + 1), or the cut after site x"),
        "local_spin": (np.arange(L), "local spin j"),
        "local_spin_k": (np.arange(L), "local spin k"),
        "local_bond": (np.arange(max(L - 1, 0)), "pair of local spins (j, j + 1)"),
        "component": (np.array([b"x", b"y", b"z"]), "spin component"),
        "n_up": (np.arange(n_up_values), "number of electrons up"),
        "pair_state": (np.array([b"S", b"T+", b"T0", b"T-"]), "pair spin state"),
    }


def _description(name: str) -> tuple | None:
    """(units, long_name, axes after time) of a dataset, from the observable registry; None
    for datasets it does not describe. A matrix over local spins gets two axes of its own
    (netCDF names each axis once)."""
    from .observables import REGISTRY

    if name == "elapsed_wall_time":
        return "s", "wall time since the run started", ()
    if name not in REGISTRY:
        return None
    entry = REGISTRY[name]
    dims = (("local_spin", "local_spin_k") if name == "local_mutual_information"
            else entry.dims)
    return entry.units, entry.long_name, dims


def describe(f, spec: RunSpec) -> None:
    """Make an open result file self-describing: ``units`` and ``long_name`` on every dataset
    the observable registry knows, and HDF5 dimension scales (``time`` and the axes of
    :func:`_axes`) attached to their axes, so that netCDF readers (xarray with h5netcdf) see
    labelled coordinates instead of anonymous dimensions."""
    if "time" not in f:
        return
    f["time"].attrs.update(units="fs", long_name="time")
    f["time"].make_scale("time")
    scales = {}
    ups = f["electron_up_probabilities"].shape[1] if "electron_up_probabilities" in f else 0
    for axis, (values, meaning) in _axes(spec, ups).items():
        if len(values):
            scales[axis] = f.create_dataset(axis, data=values)
            scales[axis].attrs["long_name"] = meaning
            scales[axis].make_scale(axis)
    for name, dataset in f.items():
        if name in scales or name == "time" or not isinstance(dataset, h5py.Dataset):
            continue
        described = _description(name)
        if described is None:
            continue
        units, long_name, dims = described
        dataset.attrs.update(units=units, long_name=long_name)
        if dataset.ndim != 1 + len(dims) or dataset.shape[0] != f["time"].shape[0]:
            continue
        dataset.dims[0].attach_scale(f["time"])
        for k, axis in enumerate(dims, start=1):
            if axis in scales and scales[axis].shape[0] == dataset.shape[k]:
                dataset.dims[k].attach_scale(scales[axis])


def write(path: str | Path, results: dict, spec: RunSpec, backend: str, status: str,
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
    for pattern in ("*.tmp", "*.prevtmp"):  # left by a killed write
        for stale in path.parent.glob(f"{glob_escape(path.name)}.{pattern}"):
            stale.unlink(missing_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        with h5py.File(temporary, "w") as f:
            for name, values in results.items():
                f.create_dataset(name, data=np.asarray(values))
            describe(f, spec)
            f.attrs["config"] = json.dumps(spec.as_dict())
            f.attrs["backend"] = backend
            f.attrs["qst_mps_version"] = __version__
            f.attrs["status"] = status
            f.attrs["electron_spin"] = spec.model.electron_spin
            for key, value in (extra_attrs or {}).items():
                f.attrs[key] = value
            if checkpoint is not None and _is_plain(checkpoint):  # arrays and numbers
                _save_plain(f, "checkpoint", checkpoint)
            elif checkpoint is not None:  # with a TeNPy MPS: TeNPy's hdf5 format
                with _hdf5_io() as hdf5_io:
                    hdf5_io.save_to_hdf5(f, checkpoint, "checkpoint")
            f.flush()
            os.fsync(f.id.get_vfd_handle())
        if path.exists():  # keep what is replaced, as a hard link: path always exists
            keep = path.with_name(f"{path.name}.{os.getpid()}.prevtmp")
            try:
                os.link(path, keep)
                os.replace(keep, previous(path))
            except OSError:  # a file system without hard links: no earlier version kept
                keep.unlink(missing_ok=True)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
        if status == "complete":  # a finished run needs no earlier version
            previous(path).unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def status(path: str | Path) -> str:
    """The ``status`` attribute of a result file, without reading its datasets."""
    try:
        with h5py.File(path, "r") as f:
            return str(f.attrs["status"])
    except (OSError, KeyError, ValueError) as err:
        raise _unreadable(path, err) from None


class Results(dict):
    """Observables of one run (name -> array), with ``config``, ``backend``, ``status``,
    ``attrs``."""

    config: RunSpec
    backend: str
    status: str
    attrs: dict

    def to_xarray(self):
        """The observables as an ``xarray.Dataset``: labelled axes (time in fs, site, bond,
        local_spin, component, …), ``units`` and ``long_name`` on every variable, the run's
        attributes. Needs the optional extra: ``pip install 'qst_mps[xarray]'``."""
        try:
            import xarray
        except ImportError:
            raise ImportError("to_xarray needs xarray: pip install 'qst_mps[xarray]'") from None

        ups = self["electron_up_probabilities"].shape[1] if "electron_up_probabilities" in self \
            else 0
        axes = _axes(self.config, ups)
        coords = {"time": ("time", self["time"], {"units": "fs", "long_name": "time"})}
        variables = {}
        for name, values in self.items():
            if name == "time":
                continue
            described = _description(name)
            if described is None:
                dims, attrs = (), {}
            else:
                units, long_name, dims = described
                attrs = {"units": units, "long_name": long_name}
            if values.ndim != 1 + len(dims):
                dims = tuple(f"{name}_axis{k}" for k in range(1, values.ndim))
            for axis in dims:
                if axis in axes and axis not in coords:
                    coords[axis] = (axis, np.char.decode(axes[axis][0]) if axes[axis][0].dtype
                                    .kind == "S" else axes[axis][0], {"long_name": axes[axis][1]})
            variables[name] = (("time", *dims), values, attrs)
        attrs = {k: v for k, v in self.attrs.items() if np.isscalar(v) or isinstance(v, str)}
        return xarray.Dataset(variables, coords=coords, attrs=attrs)


def load(path: str | Path, checkpoint: bool = False) -> Results:
    """Read a result file: observables as arrays, plus ``.config``, ``.backend``, ``.status``.

    With ``checkpoint=True`` the saved backend state is returned under the key ``"checkpoint"``.

    Raises
    ------
    DamagedFile
        The file cannot be read as a result file.
    """
    try:
        with h5py.File(path, "r") as f:
            out = Results({k: v[()] for k, v in f.items() if isinstance(v, h5py.Dataset)
                           and (k == "time" or not v.is_scale)})  # not the coordinates
            out.attrs = dict(f.attrs)
            if checkpoint and "checkpoint" in f:
                out["checkpoint"] = _load_plain(f["checkpoint"])
                if out["checkpoint"] is None:
                    with _hdf5_io() as hdf5_io:
                        out["checkpoint"] = hdf5_io.load_from_hdf5(f, "checkpoint")
        out.config = RunSpec.from_dict(json.loads(out.attrs["config"]))
        out.backend = str(out.attrs["backend"])
        out.status = str(out.attrs["status"])
    except FileNotFoundError:
        raise BadInput(str(path), "no such file") from None
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as err:
        raise _unreadable(path, err) from None
    if "time" not in out:
        raise DamagedFile(path, "no 'time' dataset")
    return out


def recover(path: str | Path) -> tuple[Results, str | None]:
    """Load ``path`` with its checkpoint for a resume. A damaged file is kept under a new name
    (``<name>.damaged-<date>``, never deleted) and the previous version (``.prev``) takes its
    place when it is readable; returns (results, what was done, or None)."""
    path = Path(path)
    try:
        return load(path, checkpoint=True), None
    except DamagedFile as err:
        damaged = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        os.replace(path, damaged)
        earlier = previous(path)
        try:
            saved = load(earlier, checkpoint=True)
        except BadInput:
            raise DamagedFile(path, f"{err.message.split('(', 1)[-1].rstrip(')')}; kept as "
                                    f"{damaged.name}, and there is no readable earlier "
                                    "checkpoint to continue from") from None
        os.link(earlier, path)
        return saved, (f"{path} was damaged ({err.message}); kept as {damaged.name}, "
                       f"continuing from the previous checkpoint at {saved['time'][-1]:g} fs")
