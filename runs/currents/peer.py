"""Benchmark against the published peer set-up: a current pulse of five ↑ electrons released
from a well towards five ↓ local spins (models/current_pulse.toml; docs/currents.md).

    python runs/currents/peer.py run [--chi 64 128 256 400] [--dt 0.05]   # mps, one run each
    python runs/currents/peer.py small        # 3 electrons on 10 + 3 + 10 sites, exact and mps
    python runs/currents/peer.py report       # chi convergence table, agreement, figure

Result files go to runs/currents/out/; a complete run is skipped, an interrupted one resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out"
PRESET = ROOT / "models" / "current_pulse.toml"
sys.path.insert(0, str(ROOT / "runs" / "magnets"))

from common import complete, run  # noqa: E402

CHIS = [64, 128, 256, 400]

#: The smaller member that the exact backend holds: three ↑ electrons in a well over sites
#: 0 … 5, released into 10 + 3 + 10 sites towards three ↓ spins; every other key the preset's.
SMALL = {"model.N": 23, "model.L": 3, "model.n_first": 10, "state.box": [0, 5],
         "state.n_up": 3}


def config(overrides: dict) -> dict:
    from qst_mps.config import apply_overrides, load_toml, resolve

    return resolve(apply_overrides(load_toml(PRESET), [f"{k}={v!r}" if isinstance(v, str)
                                                       else f"{k}={v}"
                                                       for k, v in overrides.items()]))


def path(name: str) -> Path:
    return OUT / f"{name}.h5"


def do_run(args) -> None:
    for chi in args.chi:
        name = f"pulse_chi{chi:03d}_dt{args.dt:g}"
        print(f"mps chi_max = {chi}, dt = {args.dt:g} fs: ", end="", flush=True)
        print(run(config({"evolution.chi_max": chi, "evolution.dt": args.dt,
                          "evolution.svd_min": 1e-10}), path(name)), flush=True)


def do_small(args) -> None:
    for backend in ("exact", "mps"):
        print(f"small member, {backend}: ", end="", flush=True)
        print(run(config({**SMALL, "evolution.backend": backend}), path(f"small_{backend}")),
              flush=True)


def load(name: str):
    return complete(path(name))


def report(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from qst_mps.mps.backend import steps_in

    runs = {}
    for file in sorted(OUT.glob("pulse_chi*.h5")):
        result = load(file.stem)
        if result is not None:
            runs[file.stem] = result
    table = {"runs": [], "small": None}
    reference = max(runs, key=lambda n: (runs[n].config["evolution"]["chi_max"],
                                         -runs[n].config["evolution"]["dt"]), default=None)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    print(f"{'run':22s} {'S_z(16.45)':>10s} {'S_z(32.9)':>9s} {'max|ΔS_z|':>9s} "
          f"{'chi':>4s} {'discarded':>9s} {'wall s':>7s} {'E drift':>8s}")
    for name, r in runs.items():
        total = r["S_loc"][:, :, 2].sum(axis=1)
        half = int(np.argmin(np.abs(r["time"] - r["time"][-1] / 2)))
        row = {"name": name, "chi_max": r.config["evolution"]["chi_max"],
               "dt": r.config["evolution"]["dt"], "S_z_half": float(total[half]),
               "S_z_final": float(total[-1]), "chi": int(r["chi_max_bond"][1:].max()),
               "discarded": float(r["truncation_error"][-1]),
               "wall_s": float(r["elapsed_wall_time"][-1]),
               "energy_drift": float(np.ptp(r["energy"]))}
        if reference is not None and name != reference:
            other = runs[reference]["S_loc"][:, :, 2].sum(axis=1)
            row["error"] = float(np.max(np.abs(total - other)))
        table["runs"].append(row)
        print(f"{name:22s} {row['S_z_half']:10.5f} {row['S_z_final']:9.5f} "
              f"{row.get('error', float('nan')):9.1e} {row['chi']:4d} {row['discarded']:9.1e} "
              f"{row['wall_s']:7.0f} {row['energy_drift']:8.1e}")
        dt_out = r.config["evolution"]["dt_out"]
        row["step"] = dt_out / steps_in(dt_out, row["dt"])
        ax.plot(r["time"], total, lw=1.4, label=f"χ ≤ {row['chi_max']}, steps of "
                f"{row['step']:g} fs")
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(r"total local $S^z$ ($\hbar$)")
    ax.set_title("Five ↑ electrons released towards five ↓ spins (mps)", fontsize=9)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "current_pulse.png", dpi=150)
    small = {b: load(f"small_{b}") for b in ("exact", "mps")}
    if all(r is not None for r in small.values()):
        keys = [k for k in small["exact"] if k in small["mps"] and k not in (
            "elapsed_wall_time", "chi_max_bond", "truncation_error", "bond_dimensions")]
        errors = {k: float(np.max(np.abs(small["mps"][k] - small["exact"][k]))) for k in keys}
        table["small"] = {"max_error": max(errors.values()),
                          "worst": max(errors, key=errors.get),
                          "exact_wall_s": float(small["exact"]["elapsed_wall_time"][-1]),
                          "mps_wall_s": float(small["mps"]["elapsed_wall_time"][-1]),
                          "S_z_final": float(small["exact"]["S_loc"][-1, :, 2].sum())}
        print("small member:", table["small"])
    (OUT / "table.json").write_text(json.dumps(table, indent=1))
    print(OUT / "current_pulse.png")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    runs = sub.add_parser("run")
    runs.add_argument("--chi", nargs="+", type=int, default=CHIS)
    runs.add_argument("--dt", type=float, default=0.05)
    sub.add_parser("small")
    sub.add_parser("report")
    args = parser.parse_args(argv)
    {"run": do_run, "small": do_small, "report": report}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
