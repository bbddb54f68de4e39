"""Error estimates of truncated mps runs: convergence in chi_max, and an observable extrapolated
to zero discarded weight (``qst-mps converge``).

    qst-mps converge A.h5 B.h5 [C.h5 ...] [--exact E.h5] [--observable NAME] [--plot out.png]

The files are one problem run at several ``chi_max``: the same model, state, dt and svd_min;
only ``chi_max``, ``processes`` and ``output`` may differ. Each records, per output time,
Δσ_z and the discarded weight ε summed over every truncation so far (``truncation_error``).
Two estimates of each run's error in Δσ_z, at every output time:

- **chi step**: |Δσ_z(chi_max) − Δσ_z(the next smaller chi_max)|. It bounds the larger run's
  error if the error at least halves from one chi_max to the next (then |e₂| ≤ |e₁| − |e₂| ≤
  |Δσ_z₂ − Δσ_z₁|). The ratio of successive steps shows whether it does. The smallest run has
  no estimate of this kind.
- **ε line**: the straight line through the two runs of smallest ε, taken to ε = 0, is the
  extrapolation; its uncertainty (three runs or more) is how far it moves when the third run
  replaces the second, |a(1, 2) − a(1, 3)|; a run's estimate is its distance from the
  extrapolation plus that uncertainty. This assumes the error is a fixed multiple of ε (the
  chi_max study at L = 8 found 0.2–0.4 × ε, docs/notes/scaling.md). Where the error changes sign
  from one chi_max to the next it does not hold, and the chi step is the estimate to trust.

Two runs whose ε differ by less than ``SAME_WEIGHT`` have not truncated differently: their
line is flat. The Trotter error of the step is the same in every run and is in neither
estimate (about 1e-4 at dt = 0.5 fs; docs/notes/performance.md).

With ``--exact`` the actual errors are printed beside the estimates: the check of the estimates
where the exact backend reaches (L ≤ 32).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import BadInput

SAME_WEIGHT = 1e-10  # discarded weights closer than this: the runs truncated alike
FREE_KEYS = {"chi_max", "processes"}  # what may differ between the runs of one extrapolation


def line_at_zero(weights, values) -> np.ndarray:
    """Value at ε = 0 of the straight line through (ε₁, y₁) and (ε₂, y₂), per output time.

    ``weights`` and ``values`` have shape (2, times). Where |ε₂ − ε₁| < SAME_WEIGHT the two
    runs have truncated alike and the first run's value is returned."""
    (w1, w2), (y1, y2) = np.asarray(weights, float), np.asarray(values, float)
    apart = np.abs(w2 - w1) >= SAME_WEIGHT
    slope = np.divide(y2 - y1, w2 - w1, out=np.zeros_like(y1), where=apart)
    return y1 - slope * w1


def extrapolate(weights, values) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extrapolation to ε = 0, its uncertainty, and each run's error estimate.

    ``weights`` (ε) and ``values`` (Δσ_z) have shape (runs, times). At each time the runs are
    ordered by ε; the extrapolation uses the two smallest, and the third smallest (if there is
    one) gives the uncertainty. Returns (extrapolated, uncertainty, estimates), the last with
    shape (runs, times), in the order of the input."""
    weights, values = np.asarray(weights, float), np.asarray(values, float)
    if weights.shape[0] < 2:
        raise ValueError("an extrapolation needs two runs or more")
    order = np.argsort(weights, axis=0, kind="stable")
    w = np.take_along_axis(weights, order, axis=0)
    y = np.take_along_axis(values, order, axis=0)
    extrapolated = line_at_zero(w[[0, 1]], y[[0, 1]])
    uncertainty = np.zeros_like(extrapolated)
    if w.shape[0] > 2:
        uncertainty = np.abs(extrapolated - line_at_zero(w[[0, 2]], y[[0, 2]]))
    return extrapolated, uncertainty, np.abs(values - extrapolated) + uncertainty


def chi_steps(values) -> np.ndarray:
    """|Δσ_z(run k) − Δσ_z(run k − 1)| per output time, for runs in increasing chi_max; the first
    run's row is NaN (no smaller run to compare with). Shape (runs, times)."""
    values = np.asarray(values, float)
    steps = np.full_like(values, np.nan)
    steps[1:] = np.abs(np.diff(values, axis=0))
    return steps


def problem(result) -> tuple:
    """What must be the same in the runs of one estimate: model, state, and evolution but for
    FREE_KEYS."""
    spec = result.config
    evolution = {k: v for k, v in spec.evolution.items() if k not in FREE_KEYS}
    return spec.model, spec.state, evolution


def check_comparable(runs, paths, exact, exact_path) -> int:
    """Refuse runs that differ in anything but chi_max, processes and output, two runs at one
    chi_max, an exact run of another model or state, and other output times. Returns the number
    of output times all of them have."""
    first = problem(runs[0])
    for result, path in zip(runs[1:], paths[1:], strict=True):
        if problem(result) != first:
            raise BadInput(str(path), f"not the same problem as {paths[0]} "
                                      f"(only {sorted(FREE_KEYS)} and output may differ)")
    chi_max = [r.config.evolution.chi_max for r in runs]
    if len(set(chi_max)) < len(chi_max):
        raise BadInput("runs", f"two runs at the same chi_max ({chi_max}): the steps need "
                               "distinct ones")
    if exact is not None and problem(exact)[:2] != first[:2]:
        raise BadInput(str(exact_path), f"not the model and state of {paths[0]}")
    results = [*runs, exact] if exact is not None else runs
    n = min(r["time"].size for r in results)
    for result, path in zip(results, [*paths, exact_path], strict=False):
        if not np.allclose(result["time"][:n], runs[0]["time"][:n]):
            raise BadInput(str(path), "other output times")
    return n


def largest_component(x: np.ndarray) -> np.ndarray:
    """The largest |x| over the components (the last axis), NaN where all are NaN."""
    with np.errstate(invalid="ignore"):
        return np.fmax.reduce(np.abs(x), axis=-1)




@dataclass(frozen=True)
class Convergence:
    """The estimates of :func:`converge`, per output time (the largest over an observable's
    components), runs in increasing chi_max.

    Attributes
    ----------
    name : str
        The observable.
    time : ndarray
        Output times (fs) all the runs (and the exact one) have.
    runs, paths : list
        The loaded runs and their files.
    values : ndarray
        (runs, times, components) of the observable.
    weights : ndarray
        The discarded weight ε of each run, per time, broadcast like ``values``.
    steps, on_line : ndarray
        (runs, times): the chi step (NaN for the smallest run) and the ε-line estimate.
    extrapolated, uncertainty : ndarray
        The value extrapolated to ε = 0 (times, components), and its uncertainty (times).
    actual : ndarray or None
        (runs, times): the error against the exact run, when one is given.
    reference : ndarray or None
        The exact run's values (times, components).
    """

    name: str
    time: np.ndarray
    runs: list
    paths: list
    values: np.ndarray
    weights: np.ndarray
    steps: np.ndarray
    on_line: np.ndarray
    extrapolated: np.ndarray
    uncertainty: np.ndarray
    actual: np.ndarray | None
    reference: np.ndarray | None


def converge(paths, exact=None, name: str = "delta_sigma_z") -> Convergence:
    """The error estimates of the mps result files ``paths`` (one problem at two chi_max or
    more) for the observable ``name`` (a result with a time axis), with ``exact`` (a result
    file of the same problem on the exact backend) the actual errors too.

    Raises
    ------
    BadInput
        Fewer than two runs, runs of different problems or at one chi_max, an exact run of
        another model or state, other output times, or an observable a file does not have.
    """
    from . import results

    if len(paths) < 2:
        raise BadInput("runs", "give the runs at two chi_max or more")
    loaded = sorted(((results.load(path), path) for path in paths),
                    key=lambda pair: pair[0].config.evolution.chi_max)
    runs, paths = [r for r, _ in loaded], [p for _, p in loaded]
    exact_run = results.load(exact) if exact else None
    n = check_comparable(runs, paths, exact_run, exact)
    for result, path in zip([*runs, exact_run], [*paths, exact], strict=True):
        if result is not None and name not in result:
            raise BadInput("--observable", f"{path} has no {name!r}")
    values = np.array([r[name][:n] for r in runs]).reshape(len(runs), n, -1)  # components last
    reference = exact_run[name][:n].reshape(n, -1) if exact_run is not None else None
    weights = np.broadcast_to(np.array([r["truncation_error"][:n] for r in runs])[..., None],
                              values.shape)
    extrapolated, uncertainty, on_line = extrapolate(weights, values)
    return Convergence(
        name, runs[0]["time"][:n], runs, paths, values, weights,
        largest_component(chi_steps(values)), largest_component(on_line), extrapolated,
        largest_component(uncertainty),
        largest_component(values - reference) if reference is not None else None, reference)
