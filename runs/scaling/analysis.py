"""What sets the cost and the accuracy of the mps backend along the scaling family.

    python runs/scaling/analysis.py cost     # cost per fs against bond dimension, every mps run
    python runs/scaling/analysis.py chi      # the chi_max convergence study against exact

``cost`` reads every mps result of runs/scaling/run.py. Each file records, per output time, the
wall time so far (``elapsed_wall_time``) and the largest bond dimension (``chi_max_bond``), so
the cost of every 0.5 fs interval can be set against the bond dimension at that time, whatever
L. It fits cost per fs = a · chi^p over all runs, prints one row per run (t_max, largest chi,
wall time, and the wall time this fit predicts from the run's own chi(t)), writes
runs/scaling/out/cost.png, and extrapolates the wall time of the next L from the runs before it.

``chi`` reads the points of runs/scaling/chi_max.toml (L = 8, chi_max 16 … 128) and the
family's own L = 8 runs (chi_max 256) and prints the largest |ΔΔσ_z| and |ΔP| against the
exact backend, with the wall time and the largest bond dimension reached.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
from run import LENGTHS, result_path  # noqa: E402


def h5_keys(path) -> set:
    import h5py

    with h5py.File(path, "r") as f:
        return set(f)


def cost_per_fs(result) -> tuple[np.ndarray, np.ndarray]:
    """(bond dimension, wall seconds per fs) of every output interval of one mps run."""
    time, elapsed = result["time"], result["elapsed_wall_time"]
    rate = np.diff(elapsed) / np.diff(time)
    return result["chi_max_bond"][1:], rate


def cost_terms(result) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per output interval: bonds in the entangled window, Σ chi³ over them, wall s per fs.

    The window is every bond with bond dimension > 1 (the MPS backend adds a margin of ~10
    sites each side); both are averaged over the interval's two ends.
    """
    bonds = result["bond_dimensions"].astype(float)
    entangled = bonds > 1
    first = np.argmax(entangled, axis=1)
    last = bonds.shape[1] - np.argmax(entangled[:, ::-1], axis=1)
    window = last - first + 20.0
    cubes = np.sum(np.where(entangled, bonds, 0.0) ** 3, axis=1)
    rate = np.diff(result["elapsed_wall_time"]) / np.diff(result["time"])
    return 0.5 * (window[1:] + window[:-1]), 0.5 * (cubes[1:] + cubes[:-1]), rate


def cost_model(results: list) -> None:
    """Fit wall s per fs = a · window + b · Σ chi³ over every interval of runs that recorded
    their bond dimensions, and say which term carries each run's cost."""
    terms = [cost_terms(r) for r in results]
    window = np.concatenate([w for w, _, _ in terms])
    cubes = np.concatenate([c for _, c, _ in terms])
    rate = np.concatenate([r for _, _, r in terms])
    keep = rate < 3 * np.median(rate)  # restarts of resumed runs
    from scipy.optimize import nnls

    (a, b), _ = nnls(np.stack([window, cubes], axis=1)[keep], rate[keep])
    predicted = a * window + b * cubes
    spread = np.median(np.abs(predicted[keep] / rate[keep] - 1))
    print(f"\nwall s per fs = {a * 1e3:.2f} ms x (bonds in window) + {b * 1e9:.3f} ns x Σ chi³ "
          f"(median misfit {spread:.0%}, {keep.sum()} intervals)")
    print("| run | L | t_max fs | mean window | max Σ chi³ | share of a·window |")
    print("|---|---|---|---|---|---|")
    for result, (w, c, _) in zip(results, terms, strict=True):
        share = np.sum(a * w) / np.sum(a * w + b * c)
        print(f"| {result.config['state']['pair']}, chi_max {result.config['evolution']['chi_max']}"
              f" | {result.config['model']['L']} | {result['time'][-1]:g} | {w.mean():.0f} | "
              f"{c.max():.2e} | {share:.0%} |")


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
                runs[pair, L] = qst_mps.load(path)
    if not runs:
        print("no complete mps runs: python runs/scaling/run.py --backend mps")
        return 1
    # a resumed run restarts the clock of its first interval with a new process (TeNPy
    # imports, the engine's gates): leave the intervals above 3x their neighbours' median out
    samples = []
    for result in runs.values():
        chi, rate = cost_per_fs(result)
        typical = np.array([np.median(rate[max(0, i - 5): i + 6]) for i in range(rate.size)])
        keep = (rate < 3 * typical) & (chi >= 16)
        samples.append((chi[keep], rate[keep]))
    chi_all = np.concatenate([c for c, _ in samples])
    rate_all = np.concatenate([r for _, r in samples])
    p, log_a = np.polyfit(np.log(chi_all), np.log(rate_all), 1)
    print(f"fit over {chi_all.size} intervals with chi >= 16: cost per fs = "
          f"{np.exp(log_a):.3g} s * chi^{p:.2f}")
    print("| pair | L | t_max fs | max chi | wall s | wall / t_max s/fs | fit from chi(t) s |")
    print("|---|---|---|---|---|---|---|")
    for (pair, L), result in runs.items():
        chi, _ = cost_per_fs(result)
        dt_out = np.diff(result["time"])
        predicted = float(np.sum(np.exp(log_a) * np.maximum(chi, 1) ** p * dt_out))
        wall = float(result["elapsed_wall_time"][-1])
        print(f"| {pair} | {L} | {result['time'][-1]:g} | {int(chi.max())} | {wall:.0f} | "
              f"{wall / result['time'][-1]:.1f} | {predicted:.0f} |")
    for pair in ("singlet", "triplet_minus"):
        done = sorted(L for p_, L in runs if p_ == pair)
        fitted = [L for L in done if L >= 8]  # below, the packets' own extent dominates
        if len(fitted) >= 2 and done[-1] != LENGTHS[-1]:
            following = LENGTHS[LENGTHS.index(done[-1]) + 1]
            walls = [runs[pair, L]["elapsed_wall_time"][-1] for L in fitted]
            slope, offset = np.polyfit(np.log(fitted), np.log(walls), 1)
            print(f"{pair}: wall ∝ L^{slope:.2f} over L = {fitted}; L = {following} "
                  f"extrapolates to {np.exp(offset) * following ** slope / 3600:.1f} h")
    recorded = [r for r in runs.values() if "bond_dimensions" in r]
    recorded += [qst_mps.load(p) for p in sorted((HERE / "chi_max").glob("*.h5"))
                 if qst_mps.results.status(p) == "complete" and "bond_dimensions" in h5_keys(p)]
    if recorded:
        cost_model(recorded)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for (pair, L), (chi, rate) in zip(runs, samples, strict=True):
        ax.plot(chi, rate, "o" if pair == "singlet" else "^", ms=2.5, alpha=0.6,
                label=f"{pair}, L = {L}")
    grid = np.linspace(16, chi_all.max(), 50)
    ax.plot(grid, np.exp(log_a) * grid**p, "k-", lw=1, label=rf"$\propto\chi^{{{p:.2f}}}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("largest bond dimension χ")
    ax.set_ylabel("wall time per fs (s)")
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    fig.savefig(OUT / "cost.png", dpi=150)
    print(OUT / "cost.png")
    return 0


def chi() -> int:
    import qst_mps

    study = HERE / "chi_max"
    print("| pair | chi_max | max chi | wall s | max \\|ΔΔσ_z\\| | max \\|ΔP\\| |")
    print("|---|---|---|---|---|---|")
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
                  f"{int(mps['chi_max_bond'].max())} | {mps['elapsed_wall_time'][-1]:.0f} | "
                  f"{error:.1e} | {pair_error:.1e} |")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["cost", "chi"])
    args = parser.parse_args(argv)
    return cost() if args.what == "cost" else chi()


if __name__ == "__main__":
    sys.exit(main())
