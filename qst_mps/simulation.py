"""Driving a run: choose the backend, evolve through the output times, record, checkpoint.

The driver knows nothing about the physics of a backend: it uses what the contract of
qst_mps/backend.py declares (``evolve``, ``measure``, ``checkpoint``, ``restore``).
"""

from __future__ import annotations

import os
import time as clock
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from . import observables
from . import results as result_files
from .backend import Backend
from .config import RESUMABLE_KEYS, resolve
from .errors import ConfigError
from .forecast import Forecast
from .problem import Problem
from .problem import build as build_problem
from .safeguards import health
from .safeguards.lock import exclusive
from .safeguards.signals import INTERRUPTED, Interrupted, StopRequest  # noqa: F401 (re-exported)
from .spec import RunSpec

#: Dataset with one value per output time: the wall time (s) the run had taken by then (building
#: the backend included), summed over resumed parts. Not an observable: ``compare`` skips it.
ELAPSED = "elapsed_wall_time"


def physical_memory() -> int:
    """Bytes of physical memory of this machine."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def choose_backend(spec: RunSpec, problem: Problem | None = None) -> tuple[str, str]:
    """(backend name, reason) for a resolved configuration; refuses what cannot run.

    ``auto`` takes the exact backend when its state needs at most a quarter of the memory, and
    the mps backend otherwise.
    """
    from .exact.backend import memory_estimate

    problem = problem or build_problem(spec)
    requested = spec.evolution.backend
    dim, needed = memory_estimate(problem)
    gib = needed / 2**30
    fits = needed <= 0.8 * physical_memory()
    comfortable = needed <= 0.25 * physical_memory()
    if requested == "exact" or (requested == "auto" and comfortable):
        if not fits:
            raise ConfigError(
                "evolution.backend",
                f"the exact state has dimension {dim:,} and needs ~{gib:.1f} GiB, more than this "
                f"machine's {physical_memory() / 2**30:.0f} GiB; use backend = \"mps\"",
            )
        reason = (f"requested; its state of dimension {dim:,} needs ~{gib:.2g} GiB"
                  if requested == "exact" else f"state of dimension {dim:,} fits ({gib:.2g} GiB)")
        return "exact", reason
    if requested == "mps":
        return "mps", "requested"
    return "mps", f"the exact state of dimension {dim:,} would need ~{gib:.1f} GiB"


def check_state(problem: Problem) -> None:
    """Refuse an initial state that vanishes (e.g. a triplet with both packets identical):
    its norm before normalizing, against the product of its packets' norms."""
    scale = np.prod([np.vdot(p, p).real for p in problem.electrons.packets])
    if problem.electrons.norm_squared() < 1e-8 * scale:
        raise ConfigError(
            "state.d", "the antisymmetrized electrons vanish: packets of equal spin in the same "
            "place (a triplet with d = 0, or copies of a train on top of each other); use d > 0 "
            "or a larger state.spacing"
        )


def make_backend(spec: RunSpec, options: dict | None = None) -> Backend:
    """Build the backend for a resolved configuration (after :func:`choose_backend`), with
    ``options`` for its constructor (the mps backend's integrator and ring policies)."""
    problem = build_problem(spec)
    name, _ = choose_backend(spec, problem)
    check_state(problem)
    optional = spec.output.observables
    observables.check_requested(optional, problem, name)
    if name == "exact":
        from .exact.backend import ExactBackend

        return ExactBackend(problem, optional=optional, **(options or {}))
    from .mps.backend import MPSBackend

    return MPSBackend(problem, spec.evolution, optional=optional, **(options or {}))


def run_configuration(config=None, path=None, *, overrides=(), force=False, progress=True,
                      note=None):
    """Resolve a configuration (dict of sections, TOML path or None), refuse an existing output
    unless ``force``, run it into its file and return (results, resolved config, path, the
    backend's (name, reason) from :func:`choose_backend`).

    ``note`` (a callable taking a str) gets what the user should know: keys left out of the
    configuration, a stale lock taken over; without it these become warnings.
    """
    import warnings

    from .config import apply_overrides, load_toml

    if config is None:
        partial = {}
    elif isinstance(config, Mapping):
        partial = config
    else:
        partial = load_toml(config)
    partial = apply_overrides(partial, list(overrides))
    if path is not None:
        partial.setdefault("output", {})["path"] = str(path)
    tell = note or (lambda text: warnings.warn(text, stacklevel=4))
    notes = []
    spec = resolve(partial, notes)
    path = Path(spec.output.path)
    if path.exists() and not force:
        raise ConfigError("output.path", f"{path} exists; pass --force to overwrite it")
    problem = build_problem(spec)
    chosen = choose_backend(spec, problem)  # refuses what cannot run before anything is written
    if chosen[0] == "exact":
        from .exact.backend import memory_estimate

        dim, needed = memory_estimate(problem)
        if needed >= 2**30:  # said before a long run, not only in the summary after it
            notes.append(f"the exact state has dimension {dim:,} and needs ~"
                         f"{needed / 2**30:.1f} GiB")
    for text in notes:
        tell(text)
    notes.clear()
    out = simulate(spec, path, progress=progress, notes=notes)
    for text in notes:
        tell(text)
    return out, spec, path, chosen


def resume(path, overrides=(), *, progress: bool = True, note=None):
    """Continue the interrupted run in the result file ``path``, or extend a complete one (a
    larger ``evolution.t_max`` among the ``overrides``), in the same file and on the backend it
    started on. Returns (its results, the backend), or (None, backend) when a complete run has
    nothing left to do.

    ``note`` (a callable taking a str) gets what the user should know: a damaged file set aside
    for its previous version, a stale lock taken over, a run already complete.

    Raises
    ------
    BadInput
        No such file, a damaged one with nothing earlier to continue from, a key a resume may
        not change (only :data:`RESUMABLE_KEYS`), or a t_max the run has already passed.
    """
    import warnings

    from .config import apply_overrides, parse_override
    from .problem.geometry import final_time

    tell = note or (lambda text: warnings.warn(text, stacklevel=3))
    path = Path(path)
    if not path.exists():
        raise ConfigError("result", f"{path} does not exist")
    for text in overrides:
        key = text.split("=", 1)[0].strip()
        if key not in RESUMABLE_KEYS:
            raise ConfigError(key, "cannot change on resume; allowed: "
                                   + ", ".join(sorted(RESUMABLE_KEYS)))
    saved, what = result_files.recover(path)
    if what:
        tell(what)
    spec = resolve(apply_overrides(saved.config, list(overrides))).updated(
        output={"path": str(path)})
    reached = float(saved["time"][-1])
    asked = any(parse_override(text)[:2] == ("evolution", "t_max") for text in overrides)
    if final_time(spec) < reached - 1e-9 and (asked or saved.status != "complete"):
        raise ConfigError("evolution.t_max", f"the run already reached {reached:g} fs; a resume "
                                             "can extend a run, not shorten it")
    if saved.status == "complete" and final_time(spec) <= reached + 1e-9:
        # also a complete file whose t_max = "auto" now resolves to less than it ran
        tell(f"{path} is already complete at {reached:g} fs; nothing to do (raise "
             "evolution.t_max to extend it)")
        return None, saved.backend
    notes = []
    out = simulate(spec, path, progress=progress, resume=True, notes=notes)
    for text in notes:
        tell(text)
    return out, saved.backend


def simulate(config: RunSpec | Mapping, path: str | Path | None = None, progress: bool = False,
             resume: bool = False, notes: list | None = None,
             backend_options: dict | None = None) -> result_files.Results | dict:
    """Run (or, with ``resume``, continue) the simulation of a configuration: a
    :class:`~qst_mps.spec.RunSpec`, or a dict of sections, which is resolved first.

    Without ``path`` nothing is written and the observables are returned as a dict. With a path,
    the result file is written at the start, at every checkpoint and at the end, under its lock
    (one writer per output, qst_mps/safeguards/lock.py). ``notes`` gets what the user should know
    (such as a stale lock taken over). ``backend_options`` go to the backend's constructor
    (:class:`~qst_mps.mps.backend.MPSBackend`: ``integrator``, ``start_where_empty``,
    ``move_cut``, ``closing_gate``).

    Raises
    ------
    Interrupted
        On SIGTERM/SIGINT once stepping, after the checkpoint is written.
    NumericalFailure
        When the numbers go bad (qst_mps/safeguards/health.py), before writing them; the file keeps
        its last good checkpoint.
    """
    spec = resolve(config)
    if path is None:
        return _simulate(spec, None, progress, resume, lambda: None, backend_options)
    with exclusive(path, notes) as refresh:
        return _simulate(spec, path, progress, resume, refresh, backend_options)


def _simulate(spec: RunSpec, path, progress, resume, refresh, backend_options):
    started = clock.perf_counter()
    if resume:
        saved = result_files.load(path, checkpoint=True)
        # "auto" chose by this machine's memory when the run started; a resume elsewhere must
        # continue on that backend, whose checkpoint it is
        spec = spec.updated(evolution={"backend": saved.backend})
    backend = make_backend(spec, backend_options)
    problem = backend.problem
    all_times = problem.times
    records, done, elapsed_before = [], [], 0.0
    if resume:
        backend.restore(saved["checkpoint"]["backend"])
        keep = saved["time"] <= backend.time + 1e-9
        done = list(saved["time"][keep])
        saved = observables.upgrade_legacy(saved, problem)
        per_time = [*observables.measured(problem, backend.name,
                                          spec.output.observables), ELAPSED]
        records = [{k: saved[k][i] for k in per_time if k in saved} for i in np.nonzero(keep)[0]]
        elapsed_before = float(records[-1].get(ELAPSED, 0.0))

    # the output times that record the heavy observables too (output.dt_heavy)
    heavy_times = observables.heavy_times(all_times, spec.output.dt_heavy)

    def measure(t):
        heavy = bool(heavy_times[np.argmin(np.abs(all_times - t))])
        record = backend.measure(heavy=heavy)
        if not heavy:
            record = observables.leave_out_heavy(record)
        record[ELAPSED] = elapsed_before + clock.perf_counter() - started
        health.check(record, records[0] if records else record, backend.name,
                     problem.model.conserves_sz, problem.model.electron_scale, heavy)
        return record

    if not resume:
        records, done = [measure(all_times[0])], [0.0]
    remaining = [t for t in all_times if t > done[-1] + 1e-9]
    every = spec.output.checkpoint_every
    last_checkpoint = done[-1]

    def save(status):
        if path is not None:
            result_files.write(
                path, observables.assemble(records, done, problem), spec, backend.name, status,
                checkpoint={"backend": backend.checkpoint()},
                extra_attrs={**backend.info, "t_final": all_times[-1],
                             "wall_time": clock.perf_counter() - started},
            )

    bar = None
    with StopRequest() as stop:  # from here on a signal ends the run with a checkpoint
        save("running" if remaining else "complete")
        if progress:
            from tqdm import tqdm

            # counts simulated fs; the time left comes from the growth of the cost per fs
            # (qst_mps/forecast.py), not from tqdm's pace, which promised mps runs too little
            bar = tqdm(total=float(all_times[-1]), initial=float(done[-1]) if done else 0.0,
                       desc=backend.name, dynamic_ncols=True, postfix="time left ?",
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.4g}/{total:.4g} fs "
                                  "simulated [{elapsed}{postfix}]")
            forecast = Forecast(all_times[-1], grows=backend.cost_grows)
        for t in backend.evolve(remaining):
            try:
                record = measure(t)
            except health.NumericalFailure as failure:
                raise health.NumericalFailure(
                    f"{failure} at t = {t:g} fs; stopped before writing it, the file keeps its "
                    f"checkpoint at {last_checkpoint:g} fs") from None
            records.append(record)
            done.append(t)
            refresh()
            if bar is not None:
                forecast.add(t, clock.perf_counter())
                left = forecast.remaining()
                if left is not None:
                    bar.set_postfix_str(f"time left ~{bar.format_interval(left)}", refresh=False)
                bar.update(float(t) - bar.n)
            if stop.signal is not None:
                save("running")
                raise Interrupted(f"stopped by signal {stop.signal} at t = {t:g} fs")
            if every and t - last_checkpoint >= every - 1e-9 and t < all_times[-1]:
                save("running")
                last_checkpoint = t
        if bar is not None:
            bar.close()
        save("complete")
    out = observables.assemble(records, done, problem)
    out["wall_time"] = clock.perf_counter() - started
    return out
