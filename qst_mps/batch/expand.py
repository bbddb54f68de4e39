"""Sweep files (docs/usage.md): a run configuration plus a ``[sweep]`` table of dotted keys.

    [sweep]
    "state.pair" = ["singlet", "triplet_0"]
    "state.theta" = {start = 0.0, stop = 6.283185307179586, num = 9}   # inclusive linspace

The sweep is the Cartesian product of the lists, in the order the keys are written. Every point
is resolved (validated) before anything runs. Point i writes ``<folder>/<name_i>.h5``; names are
deterministic, so a re-run skips complete points and resumes interrupted ones. A point that fails
leaves ``<name_i>.failed`` with the error beside it.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import apply_overrides, load_toml, resolve
from ..errors import ConfigError


@dataclass
class Sweep:
    """An expanded sweep.

    Attributes
    ----------
    axes : dict
        Dotted key -> list of values, in file order.
    configs : list of dict
        Resolved configuration of every point (Cartesian product, last key fastest).
    folder : Path
        Where the points' result files go.
    source : Path
        The sweep file.
    overrides : tuple of str
        ``section.key=value`` applied to the file's base configuration (kept, so that worker
        processes and SLURM tasks that re-read the file see the same points).
    notes : tuple of str
        What the expansion did not do as written: swept keys that a point ignores (reset to
        their defaults, see ``config.CONDITIONAL``) and points that describe the same run.
    """

    axes: dict
    configs: list
    folder: Path
    source: Path
    overrides: tuple = ()
    notes: tuple = ()

    def path(self, index: int) -> Path:
        return Path(self.configs[index].output.path)

    def status(self, index: int) -> str:
        """'complete', 'running' (started or interrupted), 'failed' or 'pending'. A damaged
        result file counts as failed (:meth:`failure` says why); nothing is written."""
        from .. import results

        path = self.path(index)
        if path.with_suffix(".failed").exists():
            return "failed"
        if not path.exists():
            return "pending"
        try:
            return results.status(path)
        except results.DamagedFile:
            return "failed"

    def failure(self, index: int) -> str | None:
        """Why point ``index`` failed: its ``.failed`` record, or what makes its result file
        unreadable; None when it has not failed."""
        from .. import results

        path = self.path(index)
        marker = path.with_suffix(".failed")
        if marker.exists():
            return f"see {marker}"
        if path.exists():
            try:
                results.status(path)
            except results.DamagedFile as err:
                return str(err)
        return None


def _values(key: str, spec) -> list:
    if isinstance(spec, list) and spec:
        return spec
    if isinstance(spec, dict) and {"start", "stop"} <= set(spec) and len(spec) == 3:
        if "num" in spec and isinstance(spec["num"], int) and spec["num"] >= 1:
            return [float(v) for v in np.linspace(spec["start"], spec["stop"], spec["num"])]
        if "step" in spec and spec["step"] > 0:
            count = int(math.floor((spec["stop"] - spec["start"]) / spec["step"] + 1e-9)) + 1
            return [float(spec["start"] + i * spec["step"]) for i in range(count)]
    raise ConfigError(
        f"sweep.{key}", "expected a non-empty list, or {start, stop, num} or {start, stop, step}"
    )

def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):  # a per-copy list such as state.theta = [0.0, 3.14]
        return "_".join(_label(v) for v in value)
    return str(value).replace("/", "_").replace(" ", "")

def load(path: str | Path, folder: str | Path | None = None,
         overrides: list[str] | None = None) -> Sweep:
    """Read and expand a sweep file; every point is resolved here (ConfigError on any).

    ``overrides`` (``section.key=value``) change the base configuration of every point.
    """
    path = Path(path)
    partial = load_toml(path)
    table = partial.pop("sweep", None)
    partial = apply_overrides(partial, overrides or [])
    if not isinstance(table, dict) or not table:
        raise ConfigError("sweep", "a sweep file needs a [sweep] table of dotted keys and lists")
    axes = {key: _values(key, spec) for key, spec in table.items()}
    folder = Path(folder) if folder is not None else path.with_suffix("")
    configs, notes = [], []
    for index, point in enumerate(itertools.product(*axes.values())):
        merged = {s: dict(t) if isinstance(t, dict) else t for s, t in partial.items()}
        name = [f"p{index:04d}"]
        for key, value in zip(axes, point, strict=True):
            if key.count(".") != 1:
                raise ConfigError(f"sweep.{key}", "sweep keys are written section.key")
            section, name_of_key = key.split(".")
            merged.setdefault(section, {})
            if not isinstance(merged[section], dict):
                raise ConfigError(section, "expected a table of keys")
            merged[section][name_of_key] = value
            name.append(f"{name_of_key}={_label(value)}")
        merged.setdefault("output", {})["path"] = str(folder / ("_".join(name) + ".h5"))
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(axes, point, strict=True))
        point_notes = []
        try:
            configs.append(resolve(merged, point_notes))
        except ConfigError as err:
            raise ConfigError(err.key, f"{err.message} (sweep point {index}: {shown})") from None
        notes += [text for text in point_notes if text not in notes]
    return Sweep(axes, configs, folder, path, tuple(overrides or ()),
                 tuple(notes + _same_runs(configs)))

def _same_runs(configs: list) -> list[str]:
    """Notes on points whose configurations differ only in their output path."""
    first: dict[str, int] = {}
    same: dict[int, list[int]] = {}
    for index, config in enumerate(configs):
        key = repr(config.updated(output={"path": ""}))
        if key in first:
            same.setdefault(first[key], []).append(index)
        else:
            first[key] = index
    return [f"sweep points {', '.join(map(str, [i, *rest]))} describe the same run"
            for i, rest in same.items()]
