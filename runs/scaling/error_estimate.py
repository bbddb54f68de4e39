"""Error estimates of truncated mps runs: convergence in chi_max, and Δσ_z extrapolated to zero
discarded weight.

    python runs/scaling/error_estimate.py A.h5 B.h5 [C.h5 ...] [--exact E.h5] [--plot out.png]

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
  chi_max study at L = 8 found 0.2–0.4 × ε, docs/scaling.md). Where the error changes sign
  from one chi_max to the next it does not hold, and the chi step is the estimate to trust.

Two runs whose ε differ by less than ``SAME_WEIGHT`` have not truncated differently: their
line is flat. The Trotter error of the step is the same in every run and is in neither
estimate (about 1e-4 at dt = 0.5 fs; docs/performance.md).

With ``--exact`` the actual errors are printed beside the estimates: the check of the estimates
where the exact backend reaches (L ≤ 32).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

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
    config = result.config
    evolution = {k: v for k, v in config["evolution"].items() if k not in FREE_KEYS}
    return config["model"], config["state"], evolution


def check_comparable(runs, paths, exact, exact_path) -> int:
    """Refuse runs that differ in anything but chi_max, processes and output, two runs at one
    chi_max, an exact run of another model or state, and other output times. Returns the number
    of output times all of them have."""
    first = problem(runs[0])
    for result, path in zip(runs[1:], paths[1:], strict=True):
        if problem(result) != first:
            raise SystemExit(f"{path}: not the same problem as {paths[0]} "
                             f"(only {sorted(FREE_KEYS)} and output may differ)")
    chi_max = [r.config["evolution"]["chi_max"] for r in runs]
    if len(set(chi_max)) < len(chi_max):
        raise SystemExit(f"two runs at the same chi_max ({chi_max}): the steps need distinct ones")
    if exact is not None and problem(exact)[:2] != first[:2]:
        raise SystemExit(f"{exact_path}: not the model and state of {paths[0]}")
    results = [*runs, exact] if exact is not None else runs
    n = min(r["time"].size for r in results)
    for result, path in zip(results, [*paths, exact_path], strict=False):
        if not np.allclose(result["time"][:n], runs[0]["time"][:n]):
            raise SystemExit(f"{path}: other output times")
    return n


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="mps result files at several chi_max")
    parser.add_argument("--exact", help="an exact result file of the same problem")
    parser.add_argument("--observable", default="delta_sigma_z",
                        help="a result name with a time axis (default delta_sigma_z); for one "
                             "with components (pair_spin_probabilities, …) the largest over them")
    parser.add_argument("--plot", help="write the estimates against time to this file")
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give the runs at two chi_max or more")

    import qst_mps

    loaded = sorted(((qst_mps.load(path), path) for path in args.runs),
                    key=lambda pair: pair[0].config["evolution"]["chi_max"])
    runs, paths = [r for r, _ in loaded], [p for _, p in loaded]
    exact = qst_mps.load(args.exact) if args.exact else None
    n = check_comparable(runs, paths, exact, args.exact)
    time = runs[0]["time"][:n]
    name = args.observable
    values = np.array([r[name][:n] for r in runs]).reshape(len(runs), n, -1)  # components last
    reference = exact[name][:n].reshape(n, -1) if exact else None
    weights = np.broadcast_to(np.array([r["truncation_error"][:n] for r in runs])[..., None],
                              values.shape)
    extrapolated, uncertainty, on_line = extrapolate(weights, values)
    uncertainty, on_line = largest_component(uncertainty), largest_component(on_line)
    steps = largest_component(chi_steps(values))
    actual = largest_component(values - reference) if exact else None
    scalar = values.shape[2] == 1

    print(f"{name}, {len(runs)} runs, 0–{time[-1]:g} fs; the largest over the output times"
          + ("" if scalar else " and the components") + ":")
    print("| run | chi_max | wall s | ε at the end | value at the end | chi step | step ratio "
          "| ε line |" + (" against exact |" if exact else ""))
    print("|---|---|---|---|---|---|---|---|" + ("---|" if exact else ""))
    largest = np.array([np.nan] + [np.nanmax(step) for step in steps[1:]])
    for i, (r, path) in enumerate(zip(runs, paths, strict=True)):
        ratio = f"{largest[i] / largest[i - 1]:.2f}" if i > 1 else ""
        row = (f"| {Path(path).name} | {r.config['evolution']['chi_max']} | "
               f"{r['elapsed_wall_time'][n - 1]:.0f} | {weights[i, -1, 0]:.1e} | "
               f"{f'{values[i, -1, 0]:.5f}' if scalar else ''} | "
               f"{'' if i == 0 else f'{largest[i]:.1e}'} | {ratio} | "
               f"{np.nanmax(on_line[i]):.1e} |")
        print(row + (f" {np.nanmax(actual[i]):.1e} |" if exact else ""))
    end = f"{extrapolated[-1, 0]:.5f}" if scalar else ""
    row = f"| extrapolated to ε = 0 | | | | {end} | | | {np.nanmax(uncertainty):.1e} |"
    if exact:
        row += f" {np.nanmax(np.abs(extrapolated - reference)):.1e} |"
    print(row)
    if args.plot:
        model = runs[0].config["model"]
        title = (f"{runs[0].config['state']['pair']}, L = {model['L']}, N = {model['N']}: "
                 "chi step (solid), ε line (dashed)" + (", exact (dotted)" if exact else ""))
        plot(args.plot, title, name, time, runs, steps, on_line, actual)
    return 0


def largest_component(x: np.ndarray) -> np.ndarray:
    """The largest |x| over the components (the last axis), NaN where all are NaN."""
    with np.errstate(invalid="ignore"):
        return np.fmax.reduce(np.abs(x), axis=-1)


def plot(path, title, name, time, runs, steps, on_line, actual) -> None:
    """Each run's estimates (chi step solid, ε line dashed) and, with an exact run, its actual
    error (dotted), against time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4))
    for i, r in enumerate(runs):
        colour = f"C{i}"
        label = f"chi_max {r.config['evolution']['chi_max']}"
        if i > 0:
            ax.semilogy(time, steps[i], "-", color=colour, lw=1, label=f"{label}: chi step")
        ax.semilogy(time, on_line[i], "--", color=colour, lw=1, label=f"{label}: ε line")
        if actual is not None:
            ax.semilogy(time, actual[i], ":", color=colour, lw=1.5, label=f"{label}: against exact")
    ax.set_ylim(1e-7, 1e-1)
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(f"error in {name}")
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    print(path)


if __name__ == "__main__":
    sys.exit(main())
