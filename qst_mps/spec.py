"""The run specification: what a run is, as typed, frozen data.

A :class:`RunSpec` has one section object per table of the configuration file (``[model]``,
``[state]``, ``[evolution]``, ``[output]``, docs/usage.md). Each field of a section *is* the
configuration key: its type, default, allowed values and meaning with units are declared once,
here, with :func:`option`; the configuration reference (``qst-mps config --reference``) and the
checks of ``qst_mps/config.py`` read them from these classes. :func:`qst_mps.config.resolve`
builds a RunSpec from a TOML file, ``--set`` overrides or a dict, and nothing below the command
line reads a raw dict: the problem, the backends and the driver take these objects.

Lists of the configuration (``B_loc``, ``potential``, ``spin_sites``, …) are held as tuples, so
that a RunSpec cannot change once resolved. :meth:`RunSpec.as_dict` writes it out as the nested
dict of lists that result files store (as JSON) and TOML files hold. Sections can also be read
as mappings (``spec.model["N"]``, ``dict(spec.model)``), as stored configurations are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .observables import OPTIONAL as OPTIONAL_OBSERVABLES


@dataclass(frozen=True)
class Option:
    """One configuration key: its kind, default and meaning (with units), and what is allowed.

    ``kind`` is one of: int, float, str, str_list, spin, half_integer, int_list, vector,
    potential, float_or_auto, float_or_inf, float_or_list, path.
    """

    kind: str
    default: Any
    doc: str
    choices: tuple = ()
    minimum: float | None = None
    strict_minimum: bool = False


def frozen(value):
    """A configuration value with its lists as tuples (nested)."""
    if isinstance(value, list | tuple):
        return tuple(frozen(v) for v in value)
    return value


def thawed(value):
    """A configuration value with its tuples as lists (nested): as TOML and JSON hold it."""
    if isinstance(value, list | tuple):
        return [thawed(v) for v in value]
    return value


def option(kind: str, default, doc: str, choices=(), minimum: float | None = None,
           strict_minimum: bool = False):
    """A section field that is a configuration key (see :class:`Option`)."""
    return field(default=frozen(default), metadata={"option": Option(
        kind, default, doc, tuple(choices), minimum, strict_minimum)})


class Section(Mapping):
    """A section of the configuration: its keys as fields, readable by name as a mapping too."""

    section = ""

    @classmethod
    def options(cls) -> dict[str, Option]:
        """Key -> :class:`Option`, in the order of the configuration reference."""
        return {f.name: f.metadata["option"] for f in fields(cls)}

    def __getitem__(self, key: str):
        if key not in self.options():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self):
        return iter(self.options())

    def __len__(self) -> int:
        return len(fields(self))

    def as_dict(self) -> dict:
        """The keys and values, lists as lists."""
        return {key: thawed(getattr(self, key)) for key in self.options()}


@dataclass(frozen=True)
class ModelSpec(Section):
    """``[model]``: the lattice and the terms of H (docs/physics.md, "Hamiltonian"); energies in eV,
    sites 0-based."""

    section = "model"

    N: int = option("int", 200, "number of conduction sites x = 0 … N-1", minimum=2)
    L: int = option("int", 4, "number of local spins j = 0 … L-1", minimum=1)
    spin_sites: tuple[int, ...] | None = option(
        "int_list", None, "conduction sites n_j of the local spins (default: n_first + j)"
    )
    n_first: int | None = option("int", None, "site of the first local spin (default: N // 2)",
                                 minimum=0)
    t_h: float = option("float", 0.5, "hopping t_h (eV)")
    J_ex: float = option("float", 0.2, "exchange between neighbouring local spins J_ex (eV)")
    J_ex_z: float | None = option(
        "float", None, "exchange of the z components of neighbouring local spins (eV); "
        "default J_ex (isotropic)"
    )
    J_sd: float = option("float", 0.3, "sd exchange between conduction and local spins J_sd (eV)")
    D: float = option(
        "float", 0.0, "single-ion anisotropy D in −D Σ_j (S^z_j)² (eV); D > 0: easy axis"
    )
    B_loc: tuple[float, float, float] = option(
        "vector", [0.0, 0.0, 0.0],
        "field on the local spins, −Σ_j B_loc·S_j (eV): [Bx, By, Bz], or one number (Bz)"
    )
    B_el: tuple[float, float, float] = option(
        "vector", [0.0, 0.0, 0.0],
        "field on the electrons, −Σ_x B_el·s_x, s in spin-½ units (eV): [Bx, By, Bz], or Bz"
    )
    U: float = option("float", 0.0, "Hubbard repulsion U Σ_x n_x↑ n_x↓ (eV)")
    potential: tuple[tuple[int, int, float], ...] = option(
        "potential", [],
        "potential Σ_x V_x n_x: a list of [first, last, V], V (eV) on sites first … last"
    )
    spin: float = option("spin", 0.5, "local spin S (1/2, 1, 3/2, …)")
    boundary: str = option("str", "periodic", "conduction chain boundary", ("periodic", "open"))
    sd_terms: str = option(
        "str", "full", "sd terms kept: s·S, only s^z S^z, or only the flips",
        ("full", "zz", "flip"),
    )
    electron_spin: str = option(
        "str", "half", "electron spin operator: s (spin 1/2) or 2s (Pauli)", ("half", "pauli")
    )


@dataclass(frozen=True)
class StateSpec(Section):
    """``[state]``: the initial conduction electrons and local spins; lengths in lattice spacings a,
    angles in rad."""

    section = "state"

    electrons: str = option(
        "str", "packets", "initial conduction electrons: Gaussian packets (pair, repeat), or "
        "the ground state of a box released at t = 0 (box, n_up, n_down, box_depth)",
        ("packets", "box"),
    )
    box: tuple[int, ...] | None = option(
        "int_list", None, "'box': its sites [first, last]; they must not hold a local spin"
    )
    n_up: int = option("int", 0, "'box': number of ↑ electrons", minimum=0)
    n_down: int = option("int", 0, "'box': number of ↓ electrons", minimum=0)
    box_depth: float | str = option(
        "float_or_inf", "inf", "'box': 'inf' (hard walls: the box alone) or the depth of a "
        "well −box_depth on the box's sites of the whole chain (eV)", minimum=0.0,
        strict_minimum=True,
    )
    pair: str = option(
        "str", "singlet", "spin state of the conduction electron(s)",
        ("singlet", "triplet_0", "triplet_minus", "triplet_plus", "theta", "single_down",
         "single"),
    )
    theta: float | tuple[float, ...] = option(
        "float_or_list", 0.0, "relative phase θ of the 'theta' pair (rad), Eq. 8; in a "
        "train, one number for every copy or a list of `repeat` numbers, copy 0 first"
    )
    spin_theta: float = option(
        "float", 0.0, "'single' pair: polar angle of the electron's spin from +z (rad)"
    )
    spin_phi: float = option("float", 0.0, "'single' pair: azimuth of the electron's spin (rad)")
    k_e: float = option("float", 1.0, "packet wave vector k_e (1/a)")
    sigma_d: float = option("float", 5.0, "packet width σ_d (a)", minimum=0.0, strict_minimum=True)
    x2: float | None = option(
        "float", None, "centre of φ₂, the leading packet (a); default n_first − 4 σ_d"
    )
    d: float = option("float", 30.0, "packet separation d = x2 − x1 (a)", minimum=0.0)
    repeat: int = option(
        "int", 1, "copies of the pair (or single electron) in a train; copy m moves by "
        "−m·spacing", minimum=1
    )
    spacing: float | None = option(
        "float", None, "distance between copies of a train (a); default d + 8 σ_d for "
        "pairs, 8 σ_d for one electron", minimum=0.0
    )
    local: str = option(
        "str", "up", "initial state of the local spins",
        ("up", "down", "neel", "tilted", "pairs", "ground"),
    )
    local_theta: float = option(
        "float", 0.0, "'tilted': polar angle of every local spin from +z (rad)"
    )
    local_phi: float = option("float", 0.0, "'tilted': azimuth of every local spin (rad)")
    local_pair: str = option(
        "str", "singlet", "'pairs': two-spin state of spins (0, 1), (2, 3), … (S = ½)",
        ("singlet", "triplet_0", "triplet_plus", "triplet_minus"),
    )
    local_Sz: float | None = option(
        "half_integer", None,
        "'ground': total local S^z of the ground state (default 0, or ½ when L·S is "
        "half-integer)"
    )


@dataclass(frozen=True)
class EvolutionSpec(Section):
    """``[evolution]``: the backend, the output times and the numerics; times in fs."""

    section = "evolution"

    backend: str = option("str", "auto", "solver", ("auto", "exact", "mps"))
    t_max: float | str = option(
        "float_or_auto", 100.0,
        "final time (fs), or 'auto': both packets have left the spin chain", minimum=0.0,
        strict_minimum=True,
    )
    dt_out: float = option("float", 0.5, "interval between output times (fs)", minimum=0.0,
                     strict_minimum=True)
    chi_max: int = option("int", 256, "mps: maximal bond dimension", minimum=1)
    svd_min: float = option("float", 1e-8, "mps: discarded Schmidt values below this", minimum=0.0)
    dt: float = option("float", 0.5, "mps: time step (fs)", minimum=0.0, strict_minimum=True)
    tolerance: float | None = option(
        "float", None, "mps: target time-step error in Δσ_z (ħ); picks dt from the "
        "measured frontier unless dt is given (docs/notes/performance.md)", minimum=0.0,
        strict_minimum=True,
    )
    processes: int = option(
        "int", 1, "mps, TEBD: 2 splits every layer's gates between this process and a "
        "second one (the same state; docs/notes/performance.md)", (1, 2),
    )


@dataclass(frozen=True)
class OutputSpec(Section):
    """``[output]``: the result file, checkpoints and what is recorded besides the defaults."""

    section = "output"

    path: str = option("path", "qst_mps_run.h5", "result file (HDF5)")
    checkpoint_every: float = option(
        "float", 10.0, "simulated time between checkpoints (fs); 0 disables", minimum=0.0
    )
    observables: tuple[str, ...] = option(
        "str_list", [], "optional observables to record as well (docs/physics.md)",
        choices=OPTIONAL_OBSERVABLES,
    )
    dt_heavy: float | None = option(
        "float", None, "interval (fs) between the output times that also record energy, "
        "norm and the electron-spin observables (on mps: MPO contractions), NaN at the "
        "others; a multiple of evolution.dt_out; default: every output time", minimum=0.0,
        strict_minimum=True,
    )

SECTIONS = {cls.section: cls for cls in (ModelSpec, StateSpec, EvolutionSpec, OutputSpec)}
"""The sections of a configuration, in file order."""


@dataclass(frozen=True)
class RunSpec(Mapping):
    """A resolved configuration: every key checked, every default and derived value filled in.

    Built by :func:`qst_mps.config.resolve` (or :meth:`from_dict` for one stored in a result
    file, which was resolved when it was written).
    """

    model: ModelSpec
    state: StateSpec
    evolution: EvolutionSpec
    output: OutputSpec

    @classmethod
    def from_dict(cls, config: Mapping) -> RunSpec:
        """The RunSpec of a *resolved* configuration as a nested dict (as stored in result
        files); a key it lacks takes its default. Nothing is checked: use ``resolve`` for input."""
        return cls(**{name: section(**{key: frozen(value)
                                       for key, value in config.get(name, {}).items()
                                       if key in section.options()})
                      for name, section in SECTIONS.items()})

    def as_dict(self) -> dict:
        """The nested dict of lists that result files store (JSON) and TOML files hold."""
        return {name: getattr(self, name).as_dict() for name in SECTIONS}

    def updated(self, **changes: Mapping) -> RunSpec:
        """A copy with some keys changed, ``spec.updated(output={"path": "b.h5"})``. Nothing is
        checked: for values that are already (a run's chosen backend, its file); anything a
        user gives goes through ``resolve``."""
        return replace(self, **{
            name: replace(getattr(self, name), **{key: frozen(v) for key, v in table.items()})
            for name, table in changes.items()})

    def __getitem__(self, name: str) -> Section:
        if name not in SECTIONS:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self):
        return iter(SECTIONS)

    def __len__(self) -> int:
        return len(SECTIONS)
