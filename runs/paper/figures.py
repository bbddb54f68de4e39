"""Reproduce the figures of the paper (docs/gallery.md) from the sweep files beside this script.

    python runs/paper/figures.py                  # every figure, exact backend
                                                  # (PNGs in runs/paper/out/exact)
    python runs/paper/figures.py fig2a fig3 -j 2  # some figures, two worker processes
    python runs/paper/figures.py --backend mps    # the same on the mps backend
    python runs/paper/figures.py --gallery        # also copy the PNGs into docs/gallery
                                                  # (as fig2a_mps.png … for --backend mps)
    python runs/paper/figures.py --backend mps --set evolution.dt=1 evolution.dt_out=1
                                                  # any configuration key, for every point

Points already complete are not run again (their files are in runs/paper/out/<backend>/<fig>/).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from qst_mps import batch as sweeps  # noqa: E402
from qst_mps import load  # noqa: E402
from qst_mps import plot as qplot  # noqa: E402
from qst_mps.analysis import fit_theta, incoherent_transfer  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIGURES = ["fig2a", "fig2b", "fig3", "fig4a", "fig4b"]


# On the mps backend the ring is replaced by an open chain of the same N: for 0–100 fs both give
# the same Δσ_z, S_z_loc and pair probabilities (exact backend: 1e-15), and on the open chain H is
# nearest-neighbour, so the mps backend evolves with fourth-order TEBD instead of two-site TDVP
# (error 5e-5 instead of 1.7e-2 for the single electron at dt = 0.5 fs; docs/notes/performance.md).
MPS_LAYOUT = ["model.boundary=open"]


def run(name: str, backend: str, jobs: int, extra: list[str]):
    folder = HERE / "out" / backend / name
    overrides = [f"evolution.backend={backend}"] + (MPS_LAYOUT if backend == "mps" else [])
    overrides += extra
    sweep = sweeps.load(HERE / f"{name}.toml", folder, overrides)
    tally = sweeps.run_local(sweep, workers=jobs)
    if tally["complete"] != len(sweep.configs):
        raise SystemExit(f"{name}: {tally}; see {folder}")
    return sweep


def fig2a(sweep, out):
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    qplot.spin_transfer(ax, [load(sweep.path(i)) for i in range(len(sweep.configs))])
    ax.set_title("Fig. 2 a: spin transfer, paper's model", fontsize=10)
    return fig


def fig2b(sweep, out):
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    qplot.plateau(ax, sweeps.collect(sweep), "state.d", by="state.pair",
                  xlabel="packet separation d (a)")
    ax.set_ylim(bottom=0)
    ax.set_title("Fig. 2 b: plateau against packet separation", fontsize=10)
    return fig


def fig3(sweep, out):
    fig, axes = plt.subplots(3, 2, figsize=(9, 9), sharex=True, sharey=True)
    for i, config in enumerate(sweep.configs):
        row = ["zz", "flip", "full"].index(config["model"]["sd_terms"])
        column = ["singlet", "triplet_0"].index(config["state"]["pair"])
        ax = axes[row][column]
        qplot.pair_probabilities(ax, load(sweep.path(i)))
        ax.set_title(f"({'abcdef'[2 * row + column]}) {config['state']['pair']}, "
                     f"sd_terms = {config['model']['sd_terms']}", fontsize=9)
        ax.set_yscale("log")
        ax.set_ylim(1e-4, 1.5)
        if row < 2:  # the shared time axis is labelled once, under the bottom row
            ax.set_xlabel("")
        if column:
            ax.set_ylabel("")
    axes[0][0].legend(frameon=False, fontsize=8)
    return fig


def fig4a(sweep, out):
    table = sweeps.collect(sweep)
    theta = np.asarray(table.axes["state.theta"])
    values = table.values["delta_sigma_z"].reshape(-1)
    fit = fit_theta(theta[:-1], values[:-1])  # 2π repeats θ = 0
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.plot(theta / np.pi, values, "o", color="tab:purple", label="runs")
    fine = np.linspace(0, 2 * np.pi, 400)
    ax.plot(fine / np.pi, fit["offset"] - fit["amplitude"] * np.cos(fine - fit["phase"]),
            color="0.4", lw=1,
            label=f"fit: {fit['offset']:.4f} − {fit['amplitude']:.4f} cos(θ "
                  f"{'−' if fit['phase'] >= 0 else '+'} {abs(fit['phase']):.3f})")
    ax.set_xlabel(r"$\theta/\pi$")
    ax.set_ylabel(r"$\Delta\sigma_z$ (plateau)")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Fig. 4 a: plateau against the relative phase θ", fontsize=10)
    (out / "fig4a_fit.txt").write_text(
        "".join(f"{k} = {v:.6g}\n" for k, v in fit.items()))
    print("fig4a fit:", ", ".join(f"{k} = {v:.5g}" for k, v in fit.items()))
    return fig


def fig4b(sweep, out, fig2a_sweep):
    runs = [load(sweep.path(i)) for i in range(len(sweep.configs) - 1)]  # θ ∈ [0, 2π)
    time = runs[0]["time"]
    average = np.mean([r["delta_sigma_z"] for r in runs], axis=0)
    by_pair = {c["state"]["pair"]: load(fig2a_sweep.path(i))
               for i, c in enumerate(fig2a_sweep.configs)}
    mixture = incoherent_transfer(by_pair["singlet"]["sigma_z_el"],
                                  by_pair["triplet_0"]["sigma_z_el"])
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    qplot.shade_packets(ax, runs[0].config)
    ax.plot(time, average, color="tab:purple", lw=2, label=f"θ-average ({len(runs)} phases)")
    ax.plot(time, mixture, color="tab:green", ls="--", lw=1.5, label="½(singlet + triplet $m=0$)")
    ax.plot(by_pair["single_down"]["time"], by_pair["single_down"]["delta_sigma_z"],
            **qplot.STYLE["single_down"])
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(r"$\Delta\sigma_z$")
    ax.set_xlim(time[0], time[-1])
    ax.legend(frameon=False)
    ax.set_title("Fig. 4 b: incoherent pair against a single electron", fontsize=10)
    return fig


EXACT = dict(color="black", lw=0.7, alpha=0.8)


def largest_deviation(run, reference, name: str) -> float:
    """max |run[name] − reference[name]| over the times both files recorded."""
    time, ref_time = np.asarray(run["time"]), np.asarray(reference["time"])
    match = np.abs(time[:, None] - ref_time[None, :]) < 1e-9
    rows, columns = np.nonzero(match)
    return float(np.max(np.abs(np.asarray(run[name])[rows]
                               - np.asarray(reference[name])[columns])))


def overlay_exact(name: str, fig, sweep, exact) -> float:
    """Draw the exact backend's curves (thin black) over another backend's figure ``name`` and
    return the largest deviation of its quantity (Δσ_z; the pair probabilities for Fig. 3)."""
    runs = [load(sweep.path(i)) for i in range(len(sweep.configs))]
    references = [load(exact.path(i)) for i in range(len(exact.configs))]
    if name == "fig4b":  # the θ-average of the Fig. 4 a runs, θ ∈ [0, 2π)
        runs, references = ([{"time": group[0]["time"], "delta_sigma_z": np.mean(
            [r["delta_sigma_z"] for r in group[:-1]], axis=0)}] for group in (runs, references))
    quantity = "pair_spin_probabilities" if name == "fig3" else "delta_sigma_z"
    deviation = max(largest_deviation(r, e, quantity)
                    for r, e in zip(runs, references, strict=True))
    label = f"exact (largest deviation {deviation:.1e})"
    if name in ("fig2a", "fig4b"):
        ax = fig.axes[0]
        for i, reference in enumerate(references):
            ax.plot(reference["time"], reference["delta_sigma_z"], label=label if i == 0 else None,
                    **EXACT)
    elif name == "fig3":
        for i, reference in enumerate(references):
            ax = fig.axes[2 * ["zz", "flip", "full"].index(exact.configs[i]["model"]["sd_terms"])
                          + ["singlet", "triplet_0"].index(exact.configs[i]["state"]["pair"])]
            ax.plot(reference["time"], reference["pair_spin_probabilities"],
                    label=[label, None, None, None] if i == 0 else None, **EXACT)
    elif name in ("fig2b", "fig4a"):
        table = sweeps.collect(exact)
        key = "state.d" if name == "fig2b" else "state.theta"
        x = np.asarray(table.axes[key], dtype=float) / (np.pi if name == "fig4a" else 1.0)
        values = np.moveaxis(table.values["delta_sigma_z"], list(table.axes).index(key), 0)
        fig.axes[0].plot(x, values.reshape(len(x), -1), "x", color="black", ms=5)
        fig.axes[0].plot([], [], "x", color="black", label=label)
    fig.axes[0].legend(frameon=False, fontsize=8)
    return deviation


def main():
    parser = argparse.ArgumentParser(description="Reproduce the paper's figures.")
    parser.add_argument("figures", nargs="*", help=f"any of {', '.join(FIGURES)} (default: all)")
    parser.add_argument("--backend", default="exact", choices=["exact", "mps", "auto"])
    parser.add_argument("-j", "--jobs", type=int, default=1)
    parser.add_argument("--gallery", action="store_true", help="copy the PNGs to docs/gallery")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="configuration overrides for every point (section.key=value)")
    args = parser.parse_args()
    args.figures = args.figures or FIGURES
    unknown = set(args.figures) - set(FIGURES)
    if unknown:
        parser.error(f"unknown figures {sorted(unknown)}; choose from {', '.join(FIGURES)}")
    out = HERE / "out" / args.backend
    out.mkdir(parents=True, exist_ok=True)
    done, deviations = {}, {}
    for name in args.figures:
        needs = ["fig4a", "fig2a"] if name == "fig4b" else [name]
        for sweep_name in needs:
            if sweep_name not in done:
                done[sweep_name] = run(sweep_name, args.backend, args.jobs, args.set)
        if name == "fig4b":
            fig = fig4b(done["fig4a"], out, done["fig2a"])
        else:
            fig = globals()[name](done[name], out)
        if args.backend != "exact":  # say which backend made it (the titles name the figure)
            fig.axes[0].set_title(f"{fig.axes[0].get_title()} ({args.backend} backend)",
                                  fontsize=fig.axes[0].title.get_fontsize())
            sweep_name = "fig4a" if name == "fig4b" else name
            exact = run(sweep_name, "exact", args.jobs, [])
            deviations[name] = overlay_exact(name, fig, done[sweep_name], exact)
        fig.tight_layout()
        png = out / f"{name}.png"
        fig.savefig(png, dpi=150)
        plt.close(fig)
        print(png)
        if args.gallery:  # the exact backend's figures under their own names
            gallery = ROOT / "docs" / "gallery"
            gallery.mkdir(parents=True, exist_ok=True)
            shutil.copy(png, gallery / (png.name if args.backend == "exact"
                                        else f"{name}_{args.backend}.png"))


    if deviations:  # the figures made now replace their own lines, the others stay
        path = out / "deviations.txt"
        lines = {line.split(":")[0]: line for line in
                 (path.read_text().splitlines() if path.exists() else [])}
        lines.update({name: f"{name}: largest |{args.backend} − exact| = {value:.2e}"
                      for name, value in deviations.items()})
        path.write_text("".join(f"{lines[name]}\n" for name in sorted(lines)))
        print(*(f"{name}: largest deviation from exact {value:.2e}"
                for name, value in deviations.items()), sep="\n")


if __name__ == "__main__":
    main()
