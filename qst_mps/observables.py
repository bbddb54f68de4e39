"""Every observable, declared once: name, meaning, units, axes, and who computes it.

A *measured* observable is computed by the backend at each output time (each backend has one
function per name: ``exact/observables.py``, ``mps/observables.py``). A *derived* one is computed
here from measured ones, for every backend alike. The driver asks :func:`measured` what to
request and :func:`assemble` for the arrays of a result file; the result writer and the plots
take units and labels from :data:`REGISTRY`.

Units: energies in eV, times in fs, spins in units of ħ (the electron spin convention-scaled:
×2 with ``electron_spin = "pauli"``, see docs/physics.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class Observable:
    """One observable.

    Attributes
    ----------
    name : str
        Dataset name in result files.
    long_name : str
        What it is, for labels and the ``long_name`` attribute.
    units : str
        Units of its values.
    dims : tuple of str
        Its axes after ``time``.
    applies : callable
        ``applies(problem)``: whether a run records it.
    derive : callable or None
        ``derive(data, problem)`` from the arrays already assembled; None: measured by the
        backend.
    backends : tuple of str
        Backends that record it.
    linear : bool
        An expectation value tr(ρ O) at each time: the value of a mixture of runs is the
        weighted mean of theirs (qst_mps/incoherent.py). False for entropies, concurrences,
        Δσ_z (an absolute value) and the MPS numerics.
    """

    name: str
    long_name: str
    units: str
    dims: tuple
    applies: Callable = lambda problem: True
    derive: Callable | None = None
    backends: tuple = ("exact", "mps")
    optional: bool = False
    linear: bool = True
    limit: Callable | None = None
    """``limit(problem, backend)``: None when this backend can compute it for this problem,
    otherwise why not (and what to change)."""
    heavy: bool = False
    """Recorded only at the output times of ``output.dt_heavy`` (NaN at the others): on mps
    one contraction of MPOs through the whole updated window (:func:`heavy_times`)."""


def _two_electrons(problem) -> bool:
    return problem.n_electrons == 2


#: Largest local-spin space (2S+1)^L whose reduced density matrix the exact backend builds.
EXACT_LOCAL_SPACE = 4096
#: Largest full Fock space Π_x d_x (site-ordered) the exact backend builds for the Schmidt values
#: of the chain's bipartitions.
EXACT_FOCK_SPACE = 2**20


def _local_space(problem, backend) -> str | None:
    model = problem.model
    size = (round(2 * model.spin) + 1) ** model.L
    if backend == "exact" and size > EXACT_LOCAL_SPACE:
        return (f"the exact backend builds the local spins' density matrix of dimension "
                f"(2S+1)^L = {size:,} only up to {EXACT_LOCAL_SPACE:,}; use "
                "evolution.backend = \"mps\"")
    return None


def _spin_half_pairs(problem, backend) -> str | None:
    if problem.model.spin != 0.5:
        return "the Wootters concurrence is defined for spins S = 1/2 (model.spin)"
    return _local_space(problem, backend)


def _fock_space(problem, backend) -> str | None:
    model = problem.model
    size = 4**model.N * (round(2 * model.spin) + 1) ** model.L
    if backend == "exact" and size > EXACT_FOCK_SPACE:
        return (f"the exact backend computes the chain's Schmidt values in the full Fock space "
                f"(4^N (2S+1)^L = {size:.3g} states), only up to {EXACT_FOCK_SPACE:,}: "
                "N = 8 with L = 2; use evolution.backend = \"mps\"")
    return None


def _pair_probabilities(data, problem) -> np.ndarray:
    """P(S), P(T+), P(T0), P(T−) of two electrons: P(T±) = P(N↑ = 2 or 0),
    P(S) = 1 − ⟨S_el²⟩/2, P(T0) = P(N↑ = 1) − P(S)."""
    up = data["electron_up_probabilities"]
    singlet = 1 - data["electron_spin_squared"] / 2
    return np.stack([singlet, up[:, 2], up[:, 1] - singlet, up[:, 0]], axis=1)


def total_sz(electron_z, local_z, electron_scale: float):
    """S_z of the electrons (spin-½ units) and the local spins together, conserved when H
    conserves it: the reported electron spin ``electron_z`` (scaled by ``electron_scale``: 2
    with the Pauli convention) over its scale, plus the local spins' ``local_z`` summed over
    its last axis. The derived observable ``S_z_total``, and the health check's drift."""
    return electron_z / electron_scale + np.sum(local_z, axis=-1)


def _total_sz(data, problem) -> np.ndarray:
    return total_sz(data["sigma_z_el"], data["S_z_loc"], problem.model.electron_scale)


REGISTRY: dict[str, Observable] = {o.name: o for o in [
    # measured by the backends
    Observable("sigma_el", "total electron spin ⟨Σ_x s_x⟩ (convention-scaled)", "hbar",
               ("component",)),
    Observable("S_loc", "local spin ⟨S_j⟩", "hbar", ("local_spin", "component")),
    Observable("electron_spin_squared", "⟨S_el²⟩ of the electrons' total spin (spin-½ units)",
               "hbar^2", (), heavy=True),
    Observable("electron_up_probabilities", "probability that n of the electrons are up", "1",
               ("n_up",), heavy=True),
    Observable("density", "electron density ⟨n_x⟩", "1", ("site",)),
    Observable("norm", "norm ⟨ψ|ψ⟩", "1", (), heavy=True),
    Observable("energy", "energy ⟨H⟩", "eV", (), heavy=True),
    Observable("chi_max_bond", "largest MPS bond dimension", "1", (), backends=("mps",),
               linear=False),
    Observable("bond_dimensions", "MPS bond dimension of bond (x, x+1)", "1", ("bond",),
               backends=("mps",), linear=False),
    Observable("truncation_error", "discarded weight summed over all truncations so far", "1",
               (), backends=("mps",), linear=False),
    # derived here
    Observable("sigma_z_el", "electron spin ⟨Σ_x s^z_x⟩ (convention-scaled; paper Eq. 5)",
               "hbar", (), derive=lambda data, problem: data["sigma_el"][:, 2]),
    Observable("delta_sigma_z", "spin transfer Δσ_z = |σ_z(t) − σ_z(0)|", "hbar", (),
               linear=False,
               derive=lambda data, problem: np.abs(data["sigma_z_el"] - data["sigma_z_el"][0])),
    Observable("S_z_loc", "local spin ⟨S^z_j⟩", "hbar", ("local_spin",),
               derive=lambda data, problem: data["S_loc"][:, :, 2]),
    Observable("S_z_total", "total S_z, electrons in spin-½ units (conserved)", "hbar", (),
               derive=_total_sz),
    Observable("pair_spin_probabilities", "P(singlet), P(T+), P(T0), P(T−) of the pair", "1",
               ("pair_state",), applies=_two_electrons, derive=_pair_probabilities),
    # recorded on request ([output] observables)
    Observable("spin_density", "conduction-electron spin ⟨s_x⟩ per site (spin-½ units)",
               "hbar", ("site", "component"), optional=True),
    Observable("current", "particle current across bond (x, x+1), positive to the right",
               "1/fs", ("bond",), optional=True),
    Observable("entanglement_entropy", "von Neumann entropy of sites 0 … x (with their local "
               "spins) against the rest", "nat", ("bond",), optional=True, limit=_fock_space,
               linear=False),
    Observable("magnet_entropy", "von Neumann entropy of the local spins' reduced density "
               "matrix: their entanglement with the electrons", "nat", (), optional=True,
               limit=_local_space, linear=False),
    Observable("local_concurrence", "Wootters concurrence of local spins (j, j+1)", "1",
               ("local_bond",), optional=True, limit=_spin_half_pairs, linear=False),
    Observable("local_mutual_information", "mutual information S_j + S_k − S_jk of local "
               "spins j and k", "nat", ("local_spin", "local_spin"), optional=True,
               limit=_local_space, linear=False),
]}

OPTIONAL = tuple(o.name for o in REGISTRY.values() if o.optional)
HEAVY = tuple(o.name for o in REGISTRY.values() if o.heavy)


def heavy_times(times, dt_heavy: float | None) -> np.ndarray:
    """Which of the output ``times`` (fs) record the heavy observables: all without
    ``dt_heavy``; else the multiples of ``dt_heavy`` (t = 0 among them) and the final time."""
    times = np.asarray(times, dtype=float)
    if dt_heavy is None:
        return np.ones(len(times), dtype=bool)
    ratio = times / dt_heavy
    heavy = np.abs(ratio - np.round(ratio)) < 1e-9
    heavy[-1:] = True
    return heavy


def leave_out_heavy(record: dict) -> dict:
    """``record`` with its heavy observables set to NaN (not measured at this time)."""
    return {k: np.full_like(np.asarray(v, dtype=float), np.nan) if k in HEAVY else v
            for k, v in record.items()}


def measured(problem, backend: str, requested=()) -> list[str]:
    """Names the backend measures at every output time for this problem: every observable
    that is always recorded, plus the ``requested`` optional ones."""
    return [o.name for o in REGISTRY.values()
            if o.derive is None and backend in o.backends and o.applies(problem)
            and (not o.optional or o.name in requested)]


def check_requested(requested, problem, backend: str) -> None:
    """Refuse (ConfigError on ``output.observables``) an optional observable that this
    backend cannot compute for this problem."""

    for name in requested:
        reason = REGISTRY[name].limit(problem, backend) if REGISTRY[name].limit else None
        if reason is not None:
            raise ConfigError("output.observables", f"{name!r} on the {backend} backend: {reason}")


def assemble(records: list[dict], times, problem) -> dict:
    """Arrays (time first) of the measured records, then every derived observable that
    applies; other per-time entries of the records (such as wall times) are kept as they are."""
    data = {"time": np.asarray(times, dtype=float)}
    for key in records[0]:
        data[key] = np.asarray([r[key] for r in records])
    for o in REGISTRY.values():
        if o.derive is not None and o.applies(problem):
            data[o.name] = o.derive(data, problem)
    return data


def upgrade_legacy(saved: dict, problem) -> dict:
    """The measured observables of a result file written before ``sigma_el`` existed (S_z
    conserving runs of one or two electrons), from the datasets it has; other files unchanged."""
    if "sigma_el" in saved or "sigma_z_el" not in saved:
        return saved
    upgraded = dict(saved)
    zeros = np.zeros_like(saved["sigma_z_el"])
    upgraded["sigma_el"] = np.stack([zeros, zeros, saved["sigma_z_el"]], axis=-1)
    local = saved["S_z_loc"]
    upgraded["S_loc"] = np.stack([np.zeros_like(local), np.zeros_like(local), local], axis=-1)
    norm = saved["norm"]
    if problem.n_electrons == 2:
        singlet, plus, zero, minus = saved["pair_spin_probabilities"].T
        upgraded["electron_spin_squared"] = 2 * (norm - singlet)
        upgraded["electron_up_probabilities"] = np.stack([minus, singlet + zero, plus], axis=1)
    else:
        up = saved["sigma_z_el"] / problem.model.electron_scale + norm / 2
        upgraded["electron_spin_squared"] = 0.75 * norm
        upgraded["electron_up_probabilities"] = np.stack([norm - up, up], axis=1)
    return upgraded
