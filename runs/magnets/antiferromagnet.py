"""Study: a single ↓ electron and the singlet and triplet_0 pairs against an antiferromagnet
(J_ex = −0.2 eV) in its ground state, L = 4 … 32, beside the paper's ferromagnet and a Néel
product state (docs/magnets.md).

    python runs/magnets/antiferromagnet.py run [--backend exact|mps] [--magnet afm neel fm]
                                               [--L 4 8] [--pair single_down]
    python runs/magnets/antiferromagnet.py report      # table, and figures in runs/magnets/out

Every run is a member of the scaling family (runs/scaling/family.py: the paper's couplings and
packets, an open chain long enough that nothing reaches its ends, t_max = auto) with the magnet
changed. Result files go to runs/magnets/out/afm/; a run already complete is skipped, one
interrupted is resumed.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from common import OUT, complete, configuration, run, save

MAGNETS = {  # the local spins and their exchange
    "afm": {"model.J_ex": -0.2, "state.local": "ground"},
    "neel": {"model.J_ex": -0.2, "state.local": "neel"},
    "fm": {},  # the paper's: J_ex = 0.2, all up
    # the Néel state is not an eigenstate: how it evolves by itself, without the sd coupling
    "neel_alone": {"model.J_ex": -0.2, "state.local": "neel", "model.J_sd": 0.0},
}
LABELS = {"afm": "antiferromagnet, ground state", "neel": "antiferromagnet, Néel state",
          "fm": "ferromagnet (paper)", "neel_alone": "Néel state, J_sd = 0"}
PAIRS = ["single_down", "singlet", "triplet_0"]
LENGTHS = [4, 8, 12, 16, 32]

#: What runs where, in this order. exact: the ferromagnet at every L (its sectors are small),
#: and the antiferromagnet and the Néel state where their sectors fit (the single electron to
#: L = 12, the pairs at L = 4). mps: the antiferromagnet where exact checks it, then at L = 32;
#: the Néel state with a single electron at L = 8 (checked) and 32.
PLAN = [("exact", "fm", L, pair) for L in LENGTHS for pair in PAIRS]
PLAN += [("exact", magnet, L, "single_down") for magnet in ("afm", "neel") for L in (4, 8, 12)]
PLAN += [("exact", magnet, 4, pair) for magnet in ("afm", "neel") for pair in PAIRS[1:]]
PLAN += [("exact", "neel_alone", L, "single_down") for L in (4, 8, 12)]
PLAN += [("mps", "afm", 4, pair) for pair in PAIRS]
PLAN += [("mps", "afm", L, "single_down") for L in (8, 12, 32)]
PLAN += [("mps", "neel", L, "single_down") for L in (8, 32)]
PLAN += [("mps", "afm", 32, pair) for pair in PAIRS[1:]]
PLAN += [("mps", "afm", 16, "single_down"), ("mps", "neel", 16, "single_down")]


def path(backend: str, magnet: str, L: int, pair: str):
    return OUT / "afm" / f"{magnet}_L{L:03d}_{pair}_{backend}.h5"


def config(backend: str, magnet: str, L: int, pair: str) -> dict:
    return configuration(L, {**MAGNETS[magnet], "state.pair": pair,
                             "evolution.backend": backend})


def run_plan(args) -> None:
    for backend, magnet, L, pair in PLAN:
        if (backend in args.backend and magnet in args.magnet and L in args.L
                and pair in args.pair):
            print(f"{backend} {magnet} L = {L} {pair}: ", end="", flush=True)
            print(run(config(backend, magnet, L, pair), path(backend, magnet, L, pair)),
                  flush=True)


def load(backend, magnet, L, pair):
    return complete(path(backend, magnet, L, pair))


def table() -> list[dict]:
    """One row per (magnet, L, pair): final Δσ_z, pair probabilities and ⟨S_el²⟩, the local
    profile's zigzag, both backends' cost, and the largest |mps − exact| where both exist."""
    rows = []
    for magnet in MAGNETS:
        for L in LENGTHS:
            for pair in PAIRS:
                runs = {b: load(b, magnet, L, pair) for b in ("exact", "mps")}
                if not any(r is not None for r in runs.values()):
                    continue
                best = runs["exact"] if runs["exact"] is not None else runs["mps"]
                s_z = best["S_z_loc"]
                change = s_z[-1] - s_z[0]
                row = {"magnet": magnet, "L": L, "pair": pair,
                       "t_final": float(best["time"][-1]),
                       "transfer": float(best["delta_sigma_z"][-1]),
                       "S_el2": float(best["electron_spin_squared"][-1]),
                       # zigzag: how much of the change of ⟨S^z_j⟩ alternates from site to site
                       "zigzag": float(abs(np.sum(change * (-1) ** np.arange(L)))),
                       "absorbed": float(-np.sum(change))}
                if "pair_spin_probabilities" in best:
                    row["P_final"] = [float(p) for p in best["pair_spin_probabilities"][-1]]
                for backend, r in runs.items():
                    if r is not None:
                        row[f"{backend}_wall_s"] = float(r["elapsed_wall_time"][-1])
                        if backend == "mps":
                            # after t = 0: the DMRG state beside the packet is written at the
                            # product of their bond dimensions, compressed at the first step
                            row["chi"] = int(r["chi_max_bond"][1:].max())
                            row["truncation"] = float(r["truncation_error"][-1])
                            if "ground_state_wall_time" in r.attrs:
                                row["dmrg_s"] = float(r.attrs["ground_state_wall_time"])
                if all(r is not None for r in runs.values()):
                    keys = ("delta_sigma_z", "S_z_loc", "electron_spin_squared")
                    row["mps_error"] = float(max(np.max(np.abs(runs["mps"][k] - runs["exact"][k]))
                                                 for k in keys))
                rows.append(row)
    return rows


def figures(rows) -> list:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharey=True)
    for ax, pair in zip(axes, PAIRS, strict=True):
        for magnet, style in zip(("afm", "neel", "fm"), ("o-", "s--", "^:"), strict=True):
            points = sorted((r["L"], r["transfer"]) for r in rows
                            if r["magnet"] == magnet and r["pair"] == pair)
            if points:
                ax.plot(*zip(*points, strict=True), style, label=LABELS[magnet])
        ax.set_xscale("log", base=2)
        ax.set_xlabel("local spins L")
        ax.set_title(pair.replace("_", " "), fontsize=10)
    axes[0].set_ylabel(r"$\Delta\sigma_z$ after both packets left")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("Spin transfer against the length of the magnet", fontsize=10)
    fig.tight_layout()
    paths.append(save(fig, "afm_transfer"))

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for ax, L in zip(axes, (12, 32), strict=True):
        for magnet, style in zip(("afm", "neel", "fm"), ("o-", "s--", "^:"), strict=True):
            result = (load("exact", magnet, L, "single_down")
                      or load("mps", magnet, L, "single_down"))
            if result is None:
                continue
            change = result["S_z_loc"][-1] - result["S_z_loc"][0]
            label = LABELS[magnet]
            if magnet == "neel":  # take away what the Néel state does by itself
                alone = load("exact", "neel_alone", L, "single_down")
                if alone is None:
                    continue
                change = result["S_z_loc"][-1] - alone["S_z_loc"][-1]
                label += ", minus its evolution at J_sd = 0"
            ax.plot(np.arange(L), change, style, ms=3, label=label)
        ax.axhline(0, color="0.7", lw=0.8)
        ax.set_title(f"L = {L}", fontsize=9)
        ax.set_xlabel("local spin j")
    axes[0].set_ylabel(r"change of $\langle S^z_j\rangle$ at $t_{max}$")
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle(r"What a single $\downarrow$ electron leaves in the magnet, site by site",
                 fontsize=10)
    fig.tight_layout()
    paths.append(save(fig, "afm_profile"))
    return paths


def report(args) -> None:
    rows = table()
    (OUT / "afm").mkdir(parents=True, exist_ok=True)
    (OUT / "afm" / "table.json").write_text(json.dumps(rows, indent=1))
    print(f"{'magnet':6s} {'L':>3s} {'pair':12s} {'Δσ_z':>8s} {'absorbed':>9s} {'zigzag':>7s} "
          f"{'S_el²':>6s} {'P(S),P(T+),P(T0),P(T−)':>28s} {'mps−exact':>9s} {'chi':>4s} "
          f"{'mps s':>7s} {'DMRG s':>6s}")
    for r in rows:
        probabilities = ",".join(f"{p:.4f}" for p in r.get("P_final", []))
        print(f"{r['magnet']:6s} {r['L']:3d} {r['pair']:12s} {r['transfer']:8.4f} "
              f"{r['absorbed']:9.4f} {r['zigzag']:7.4f} {r['S_el2']:6.3f} {probabilities:>28s} "
              f"{r.get('mps_error', float('nan')):9.1e} {r.get('chi', 0):4d} "
              f"{r.get('mps_wall_s', float('nan')):7.0f} {r.get('dmrg_s', float('nan')):6.1f}")
    for figure in figures(rows):
        print(figure)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    runs = sub.add_parser("run")
    runs.add_argument("--backend", nargs="+", default=["exact", "mps"])
    runs.add_argument("--magnet", nargs="+", default=list(MAGNETS))
    runs.add_argument("--L", nargs="+", type=int, default=LENGTHS)
    runs.add_argument("--pair", nargs="+", default=PAIRS)
    sub.add_parser("report")
    args = parser.parse_args(argv)
    {"run": run_plan, "report": report}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
