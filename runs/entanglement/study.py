"""The studies of docs/entanglement.md.

    python runs/entanglement/study.py states     # electron–magnet entanglement, paper's model
    python runs/entanglement/study.py ends       # first and last spin after a pair, against L
    python runs/entanglement/study.py profile    # entanglement profile of an mps run, L = 64
    python runs/entanglement/study.py report     # tables and figures (runs/entanglement/out)

Result files go to runs/entanglement/out/; complete ones are not run again.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parent / "magnets"))
from common import configuration, run  # noqa: E402

STATES = ["single_down", "singlet", "triplet_0", "triplet_minus"]
ENDS_L = [2, 4, 6, 8, 10, 12]
ENDS_PAIRS = ["single_down", "singlet", "triplet_0", "triplet_minus", "pulse"]
#: "pulse": a short current pulse, a train of two ↓ electrons (state.repeat = 2)
EVERY = ["magnet_entropy", "local_concurrence", "local_mutual_information"]


def states_config(pair: str) -> dict:
    """The paper's model (ring, N = 200, L = 4, 0–100 fs), exact."""
    from qst_mps.config import resolve

    return resolve({"state": {"pair": pair}, "evolution": {"backend": "exact"},
                    "output": {"observables": EVERY}})


def ends_config(L: int, pair: str) -> dict:
    train = {"state.pair": "single_down", "state.repeat": 2} if pair == "pulse" else {
        "state.pair": pair}
    return configuration(L, {**train, "evolution.backend": "exact",
                             "output.observables": EVERY})


def profile_config() -> dict:
    return configuration(64, {"state.pair": "singlet", "evolution.backend": "mps",
                              "output.observables": ["entanglement_entropy"]})


def ends_concurrence(config: dict, path: Path) -> float:
    """Concurrence of the first and last local spin at the end of a complete exact run, from
    its checkpointed state (the observable local_concurrence holds neighbours only)."""
    import qst_mps
    from qst_mps.exact.entanglement import LocalDensityMatrix
    from qst_mps.exact.states import initial_components
    from qst_mps.problem import build
    from qst_mps.quantum_info import concurrence

    problem = build(config)
    spaces = [space for space, _ in initial_components(problem)]
    saved = qst_mps.load(path, checkpoint=True)["checkpoint"]["backend"]["psi"]
    states = [part[None, :] for part in np.split(saved, np.cumsum([s.dim for s in spaces])[:-1])]
    L = problem.model.L
    rdm = LocalDensityMatrix(problem, spaces, {"local_mutual_information"})
    return concurrence(rdm.reduced(rdm.blocks(states, 0), (0, L - 1)))


def do_states(args):
    for pair in STATES:
        print(pair, run(states_config(pair), OUT / f"states_{pair}.h5"), flush=True)


def do_ends(args):
    for L in ENDS_L:
        for pair in ENDS_PAIRS:
            print(L, pair, run(ends_config(L, pair), OUT / f"ends_L{L:02d}_{pair}.h5"),
                  flush=True)


def do_profile(args):
    print(run(profile_config(), OUT / "profile_L064_singlet_mps.h5"), flush=True)


def report(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import qst_mps
    from qst_mps.plot import STYLE

    tables = {}
    # 1. the paper's four states
    rows = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for pair in STATES:
        path = OUT / f"states_{pair}.h5"
        if not path.exists():
            continue
        r = qst_mps.load(path)
        style = dict(STYLE[pair])
        axes[0].plot(r["time"], r["magnet_entropy"], lw=1.6, **style)
        axes[1].plot(r["time"], r["delta_sigma_z"], lw=1.6, **style)
        rows.append({"pair": pair, "entropy": float(r["magnet_entropy"][-1]),
                     "entropy_max": float(r["magnet_entropy"].max()),
                     "transfer": float(r["delta_sigma_z"][-1]),
                     "concurrence_max": float(r["local_concurrence"].max()),
                     "concurrence_final": [float(c) for c in r["local_concurrence"][-1]]})
    axes[0].set_ylabel("electron–magnet entanglement\n(entropy of the local spins, nat)")
    axes[1].set_ylabel(r"$\Delta\sigma_z$")
    for ax in axes:
        ax.set_xlabel("time (fs)")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(r"The paper's model: entanglement of the magnet with the electrons, and "
                 r"$\Delta\sigma_z$", fontsize=10)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "entanglement_states.png", dpi=150)
    tables["states"] = rows
    print(f"{'pair':14s} {'S(t_max)':>9s} {'max S':>7s} {'Δσ_z':>7s} {'max C':>7s}")
    for row in rows:
        print(f"{row['pair']:14s} {row['entropy']:9.4f} {row['entropy_max']:7.4f} "
              f"{row['transfer']:7.4f} {row['concurrence_max']:7.4f}")

    # 2. the ends of the magnet after a pair
    rows = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for pair in ENDS_PAIRS:
        points = []
        for L in ENDS_L:
            path = OUT / f"ends_L{L:02d}_{pair}.h5"
            if not path.exists() or qst_mps.results.status(path) != "complete":
                continue
            r = qst_mps.load(path)
            info = float(r["local_mutual_information"][-1][0, L - 1])
            c = ends_concurrence(r.config, path)
            points.append((L, info, c))
            rows.append({"pair": pair, "L": L, "mutual_information": info, "concurrence": c,
                         "magnet_entropy": float(r["magnet_entropy"][-1]),
                         "transfer": float(r["delta_sigma_z"][-1])})
        if points:
            L_values, info, c = np.array(points).T
            style = (dict(STYLE[pair]) if pair in STYLE
                     else dict(color="tab:purple", linestyle="--", label="pulse of two ↓"))
            axes[0].plot(L_values, c, marker="o", ms=4, **style)
            axes[1].plot(L_values, info, marker="o", ms=4, **style)
    axes[0].set_ylabel("concurrence of spins 0 and L−1")
    axes[1].set_ylabel("mutual information of spins 0 and L−1 (nat)")
    for ax in axes:
        ax.set_xlabel("local spins L")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("The two ends of the magnet after the electrons have passed", fontsize=10)
    fig.tight_layout()
    fig.savefig(OUT / "entanglement_ends.png", dpi=150)
    tables["ends"] = rows
    print(f"{'pair':14s} {'L':>3s} {'C(0,L−1)':>9s} {'I(0:L−1)':>9s} {'S_magnet':>9s}")
    for row in rows:
        print(f"{row['pair']:14s} {row['L']:3d} {row['concurrence']:9.2e} "
              f"{row['mutual_information']:9.2e} {row['magnet_entropy']:9.4f}")

    # 3. the entanglement profile of an mps run
    path = OUT / "profile_L064_singlet_mps.h5"
    if path.exists():
        r = qst_mps.load(path)
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        sites = r.config["model"]["spin_sites"]
        for t in (20.0, 60.0, 100.0, float(r["time"][-1])):
            i = int(np.argmin(np.abs(r["time"] - t)))
            axes[0].plot(r["entanglement_entropy"][i], lw=1.2, label=f"t = {r['time'][i]:g} fs")
            axes[1].plot(np.log2(r["bond_dimensions"][i]), lw=1.2)
        for ax in axes:
            ax.axvspan(min(sites), max(sites), color="0.9", zorder=0)
            ax.set_xlabel("bond x (between sites x and x + 1)")
        axes[0].set_ylabel("entanglement entropy (nat)")
        axes[1].set_ylabel(r"$\log_2$ bond dimension")
        axes[0].legend(frameon=False, fontsize=8)
        fig.suptitle(f"Singlet through L = 64 spins (mps, N = {r.config['model']['N']}); "
                     "shaded: the magnet", fontsize=10)
        fig.tight_layout()
        fig.savefig(OUT / "entanglement_profile.png", dpi=150)
        i = int(np.argmax(r["entanglement_entropy"].max(axis=1)))
        tables["profile"] = {
            "status": r.status, "t_reached": float(r["time"][-1]),
            "max_entropy": float(r["entanglement_entropy"].max()),
            "at_time": float(r["time"][i]),
            "at_bond": int(np.argmax(r["entanglement_entropy"][i])),
            "chi_max": int(r["chi_max_bond"].max()),
            "ln_chi_bound_ok": bool(np.all(r["entanglement_entropy"]
                                           <= np.log(r["bond_dimensions"]) + 1e-9)),
            "wall_s": float(r["elapsed_wall_time"][-1])}
        print(tables["profile"])
    (OUT / "tables.json").write_text(json.dumps(tables, indent=1))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["states", "ends", "profile", "report"])
    args = parser.parse_args(argv)
    {"states": do_states, "ends": do_ends, "profile": do_profile, "report": report}[
        args.part](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
