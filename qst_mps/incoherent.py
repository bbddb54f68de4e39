"""The incoherent limit of a train of pairs: every pair with its own random phase θ
(docs/currents.md, "Incoherent trains").

A pair whose relative phase θ (Eq. 8) is unknown, uniformly distributed, is the mixture of the
θ-states. A train of R such pairs (``state.repeat = R``) with independent phases is the mixture
over θ = (θ_0 … θ_{R−1}) on the torus. Its observables at every time are averages of the runs of
single members, each a 'theta' train with ``state.theta`` a list of R phases:

- **exact** (2^R runs): the state is Π_m (c†_{φ1↑} c†_{φ2↓} − e^{iθ_m} c†_{φ1↓} c†_{φ2↑})_m |0⟩,
  so an expectation value carries each θ_m only through e^{±iθ_m} (ket and bra), once the norm
  does not depend on θ (no two packets overlap). Its torus average is then exactly the average
  over the 2^R corners θ_m ∈ {0, π}: every pair singlet or triplet_0, ½(ρ_S + ρ_T0)
  per pair (docs/physics.md, "Initial states": the incoherent pair). :func:`run` checks the
  norm condition and refuses the exact mode otherwise.
- **sampled** (any R, overlapping packets too): ``samples`` members with θ_m drawn uniformly
  from [0, 2π), their mean and its standard error (sample standard deviation / √samples).

Only observables linear in the density matrix (``Observable.linear``) are averaged; those
derived from them (Δσ_z, S_z_total, …) are derived again from the averages, as a run derives
them. Entropies and concurrences of a mixture are not the mean of its members' and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .spec import RunSpec

#: Largest number of pairs whose exact average (2^R runs) :func:`run` makes by default.
EXACT_PAIRS = 3


def phases(repeat: int, samples: int | None = None, seed: int = 0) -> np.ndarray:
    """Phases (rad) of the members, shape (members, repeat): the 2^repeat corners of {0, π}
    without ``samples``, otherwise ``samples`` rows uniform in [0, 2π) from ``seed``."""
    if samples is None:
        corners = np.array(np.meshgrid(*[[0.0, math.pi]] * repeat, indexing="ij"))
        return corners.reshape(repeat, -1).T
    return np.random.default_rng(seed).uniform(0.0, 2 * math.pi, (samples, repeat))


def norm_depends_on_phase(config: RunSpec, tolerance: float = 1e-10) -> float:
    """Relative spread of the unnormalized norm ⟨Ψ(θ)|Ψ(θ)⟩ over a few phases: zero when no
    two packets overlap (then the exact average over the corners holds)."""
    from .problem import build

    repeat = config.state.repeat
    rng = np.random.default_rng(1)
    trial = np.vstack([phases(repeat)[:4], rng.uniform(0, 2 * math.pi, (3, repeat))])
    norms = [build(member(config, theta)).electrons.norm_squared() for theta in trial]
    return float((max(norms) - min(norms)) / max(norms))


def member(config: RunSpec, theta) -> RunSpec:
    """The resolved configuration of one member: a 'theta' train with these phases."""
    from .config import resolve

    spec = resolve(config)
    state = {**spec.state.as_dict(), "pair": "theta", "theta": [float(t) for t in theta]}
    return resolve({**spec.as_dict(), "state": state})


@dataclass
class Mixture:
    """The average over the members: ``mean[name]`` (time first, the units of a run's result),
    ``standard_error[name]`` (sampled mode only), the members' ``phases`` (rad) and ``mode``
    ("exact" or "sampled")."""

    mode: str
    phases: np.ndarray
    mean: dict = field(default_factory=dict)
    standard_error: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.mean[name]


def average(members: list, problem, mode: str, theta: np.ndarray) -> Mixture:
    """The :class:`Mixture` of equally weighted members (results or dicts of arrays)."""
    from .observables import REGISTRY

    names = [name for name, o in REGISTRY.items()
             if o.linear and all(name in m for m in members)]
    mixture = Mixture(mode, theta, {"time": np.asarray(members[0]["time"])})
    for name in names:
        stack = np.stack([np.asarray(m[name]) for m in members])
        mixture.mean[name] = stack.mean(axis=0)
        if mode == "sampled":
            mixture.standard_error[name] = stack.std(axis=0, ddof=1) / math.sqrt(len(members))
    for o in REGISTRY.values():
        if o.derive is not None and not o.linear and o.applies(problem):
            mixture.mean[o.name] = o.derive(mixture.mean, problem)
    if mode == "sampled" and "sigma_z_el" in names:
        change = np.stack([m["sigma_z_el"] - m["sigma_z_el"][0] for m in members])
        mixture.standard_error["delta_sigma_z"] = (change.std(axis=0, ddof=1)
                                                   / math.sqrt(len(members)))
    return mixture


def run(config, folder, samples: int | None = None, seed: int = 0,
        progress: bool = True) -> Mixture:
    """Run every member of the incoherent train of ``config`` into ``folder`` (one result file
    each, ``member_000.h5`` …; complete files are reused, interrupted ones resumed) and return
    their :class:`Mixture`.

    Parameters
    ----------
    config : dict or str or Path
        A configuration (as :func:`qst_mps.run` takes it) of a train of pairs: its ``pair`` and
        ``theta`` are replaced by each member's phases.
    samples : int or None
        None: the exact average over the 2^repeat corners, refused (ValueError) beyond
        :data:`EXACT_PAIRS` pairs or when packets overlap; a number (≥ 2): that many sampled
        members, with standard errors.
    """
    from . import results
    from .config import differences, load_toml, resolve
    from .problem import build
    from .simulation import simulate

    config = resolve(load_toml(config) if isinstance(config, str | Path) else config)
    repeat = config.state.repeat
    if config.state.electrons != "packets" or config.state.pair in (
            "single", "single_down"):
        raise ValueError("the incoherent average is over the phases of a train of pairs "
                         "(state.electrons = 'packets', a two-electron pair)")
    if samples is None:
        if repeat > EXACT_PAIRS:
            raise ValueError(f"the exact average takes 2^{repeat} runs; give samples")
        spread = norm_depends_on_phase(config)
        if spread > 1e-10:
            raise ValueError(f"packets overlap (the norm varies by {spread:.1e} with θ), so "
                             "the corners do not give the θ-average; give samples")
    elif samples < 2:
        raise ValueError("samples must be at least 2 (for a standard error)")
    theta = phases(repeat, samples, seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    members = []
    for index, row in enumerate(theta):
        path = folder / f"member_{index:03d}.h5"
        status = results.status(path) if path.exists() else None
        member_config = member(config, row).updated(output={"path": str(path)})
        stored = results.load(path, checkpoint=status == "running") if status else None
        if stored is not None:
            changed = differences(member_config, stored.config)
            if changed:
                raise ValueError(f"{path} holds another run (it differs in "
                                 f"{', '.join(changed)}); use another folder")
        if status != "complete":
            simulate(member_config, path, progress=progress, resume=status == "running")
            stored = results.load(path)
        members.append(stored)
    return average(members, build(member(config, theta[0])),
                   "exact" if samples is None else "sampled", theta)
