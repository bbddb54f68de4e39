"""What sets the cost and the accuracy of the mps backend along the scaling family.

    python runs/scaling/analysis.py cost     # cost per fs against window and bond dimensions
    python runs/scaling/analysis.py chi      # the chi_max convergence study against exact

``cost`` reads every mps result of runs/scaling/run.py and of the chi_max study. Each file
records, per output time, the wall time so far (``elapsed_wall_time``) and every bond dimension
(``bond_dimensions``), so the cost of every 0.5 fs interval can be set against what TEBD had
to do in it: the observables on the whole chain at two outputs per fs, and one gate per bond
of the window (bonds with chi > 1 plus the margins), each costing a fixed part plus a part that
grows like chi³. It fits wall s per fs = c · N + a · window + b · Σ chi³, prints one row per run
with the share of each term, and plots the cost per fs against time and against the fit
(runs/scaling/out/cost.png).

``chi`` reads the points of runs/scaling/chi_max.toml (L = 8, chi_max 16 … 128) and the
family's own L = 8 runs (chi_max 256) and prints the largest |ΔΔσ_z| and |ΔP| against the
exact backend, with the wall time, the largest bond dimension reached and the accumulated
truncation error (discarded weight), which is what a run without an exact reference can show.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import LENGTHS, result_path, save_figure  # noqa: E402


def cost_terms(result) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per output interval: sites of the chain, bonds in the window, Σ chi³ over them, and
    wall s per fs.

    The window is every bond with bond dimension > 1 plus the backend's margin of 10 sites on
    each side (``MPSBackend.window``); both are averaged over the interval's two ends.
    """
    bonds = result["bond_dimensions"].astype(float)
    entangled = bonds > 1
    first = np.argmax(entangled, axis=1)
    last = bonds.shape[1] - np.argmax(entangled[:, ::-1], axis=1)
    window = np.minimum(last - first + 20.0, bonds.shape[1])
    cubes = np.sum(np.where(entangled, bonds, 0.0) ** 3, axis=1)
    rate = np.diff(result["elapsed_wall_time"]) / np.diff(result["time"])
    sites = np.full(rate.size, float(bonds.shape[1] + 1))
    return sites, 0.5 * (window[1:] + window[:-1]), 0.5 * (cubes[1:] + cubes[:-1]), rate


def fit(terms: list) -> np.ndarray:
    """(c, a, b) of wall s per fs = c · N + a · window + b · Σ chi³, least squares, all ≥ 0,
    over the :func:`cost_terms` of several runs.

    c · N: what every output costs on the whole chain (the observables, two outputs per fs);
    a · window: the fixed part of every gate; b · Σ chi³: the part of the gates that grows with
    the bond dimension. Intervals above 3x the median rate are left out: the first interval of
    a resumed part carries the new process's start-up (imports, the engine's gates)."""
    from scipy.optimize import nnls

    *features, rate = (np.concatenate(column) for column in zip(*terms, strict=True))
    keep = rate < 3 * np.median(rate)
    coefficients, _ = nnls(np.stack(features, axis=1)[keep], rate[keep])
    return coefficients


def cost() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import qst_mps

    runs = {}
    for pair in ("singlet", "triplet_minus"):
        for L in LENGTHS:
            path = result_path("mps", pair, L)
            if path.exists() and qst_mps.results.status(path) == "complete":
                runs[f"{pair}, L = {L}"] = qst_mps.load(path)
    for path in sorted((HERE / "chi_max").glob("*.h5")):
        if qst_mps.results.status(path) == "complete":
            result = qst_mps.load(path)
            runs[f"{result.config['state']['pair']}, L = 8, chi_max "
                 f"{result.config['evolution']['chi_max']}"] = result
    terms = {name: cost_terms(r) for name, r in runs.items() if "bond_dimensions" in r}
    if not terms:
        print("no complete mps run recorded its bond dimensions")
        return 1
    coefficients = fit(list(terms.values()))
    c, a, b = coefficients
    print(f"wall s per fs = {c * 1e3:.1f} ms x N + {a * 1e3:.1f} ms x (bonds in window) + "
          f"{b * 1e9:.1f} ns x Σ chi³, fitted over {len(terms)} runs")
    print("| run | N | t_max fs | wall s | mean window | max chi | model s | c·N | a·window "
          "| b·Σχ³ |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (*features, _) in terms.items():
        result = runs[name]
        dt = np.diff(result["time"])
        parts = [np.sum(k * f * dt) for k, f in zip(coefficients, features, strict=True)]
        model = sum(parts)
        print(f"| {name} | {result.config['model']['N']} | {result['time'][-1]:g} | "
              f"{result['elapsed_wall_time'][-1]:.0f} | {features[1].mean():.0f} | "
              f"{result['chi_max_bond'].max()} | {model:.0f} | "
              + " | ".join(f"{part / model:.0%}" for part in parts) + " |")
    fig, (rate_ax, model_ax) = plt.subplots(1, 2, figsize=(11, 4))
    colours = plt.get_cmap("viridis")
    for name, result in runs.items():
        if "chi_max" in name:
            continue
        # colour by L, solid for the singlet and dashed for triplet_minus
        L = result.config["model"]["L"]
        colour = colours(LENGTHS.index(L) / (len(LENGTHS) - 1) * 0.9)
        style = "-" if name.startswith("singlet") else "--"
        rate = np.diff(result["elapsed_wall_time"]) / np.diff(result["time"])
        rate_ax.plot(result["time"][1:], rate, style, color=colour, lw=1, label=name)
        if name in terms:
            *features, _ = terms[name]
            predicted = sum(k * f for k, f in zip(coefficients, features, strict=True))
            model_ax.plot(rate, predicted, "." if style == "-" else "x", ms=2, color=colour,
                          label=name)
    top = model_ax.get_xlim()[1]
    model_ax.plot([0, top], [0, top], "k-", lw=0.8)
    rate_ax.set_xlabel("time (fs)")
    rate_ax.set_ylabel("wall time per fs (s)")
    rate_ax.set_yscale("log")
    model_ax.set_xlabel("measured wall time per fs (s)")
    model_ax.set_ylabel(f"fit: {c * 1e3:.1f} ms·N + {a * 1e3:.1f} ms·window + "
                        f"{b * 1e9:.1f} ns·Σχ³ (s)")
    for ax in (rate_ax, model_ax):
        ax.legend(frameon=False, fontsize=7)
    save_figure(fig, "cost.png")
    return 0


def chi() -> int:
    import qst_mps

    study = HERE / "chi_max"
    print("| pair | chi_max | max chi | truncation | wall s | max \\|ΔΔσ_z\\| | max \\|ΔP\\| |")
    print("|---|---|---|---|---|---|---|")
    for pair in ("singlet", "triplet_minus"):
        reference = result_path("exact", pair, 8)
        if not reference.exists():
            print(f"{pair}: no exact reference ({reference})")
            continue
        exact = qst_mps.load(reference)
        points = sorted(study.glob(f"*pair={pair}_chi_max=*.h5"),
                        key=lambda p: int(p.stem.rsplit("=", 1)[1]))
        default = result_path("mps", pair, 8)
        for path in [*points, default]:
            if not path.exists() or qst_mps.results.status(path) != "complete":
                continue
            mps = qst_mps.load(path)
            n = min(mps["time"].size, exact["time"].size)
            error = np.max(np.abs(mps["delta_sigma_z"][:n] - exact["delta_sigma_z"][:n]))
            pair_error = np.max(np.abs(mps["pair_spin_probabilities"][:n]
                                       - exact["pair_spin_probabilities"][:n]))
            print(f"| {pair} | {mps.config['evolution']['chi_max']} | "
                  f"{int(mps['chi_max_bond'].max())} | {mps['truncation_error'][-1]:.1e} | "
                  f"{mps['elapsed_wall_time'][-1]:.0f} | "
                  f"{error:.1e} | {pair_error:.1e} |")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cost", "chi"])
    args = parser.parse_args(argv)
    return cost() if args.what == "cost" else chi()


if __name__ == "__main__":
    sys.exit(main())
