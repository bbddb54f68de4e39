"""Study: reversal of a quantum ferromagnet by a current pulse (docs/currents.md).

K spin-↓ electrons fill a box of K sites at the left end of an open chain (a band insulator,
a product state) and are released at t = 0 towards L spins ½ all ↑, two sites away; K + 6
sites follow the spins. N = 2K + L + 8. Couplings of the peer set-up (t_h = 1 eV, J_sd = 0.5 eV,
J_ex = 0.1 eV), evolved to 50 ħ/t_h = 32.9 fs: the electrons bounce off both ends and pass the
magnet several times, as in the peer's closed chain.

    python runs/currents/reversal.py run [--backend exact mps] [--beyond]
    python runs/currents/reversal.py report     # table and figures in runs/currents/out

S_z is conserved, so K ↓ electrons can lower the magnet's S_z by at most min(K, L) (from +L/2
to L/2 − min(K, L)). Result files go to runs/currents/out/reversal/; complete runs are
skipped, interrupted ones resumed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parents[0] / "magnets"))

from common import complete, run  # noqa: E402

#: (backend, L, K, chi_max): exact wherever its sector fits (L = 2 up to K = 6, L = 4 up to
#: K = 4, L = 8 at K = 4: 6.0 million states); mps on the members exact checks, then beyond.
PLAN = [("exact", 2, K, None) for K in (1, 2, 4, 6)]
PLAN += [("exact", 4, K, None) for K in (2, 4)] + [("exact", 8, 4, None)]
PLAN += [("mps", 4, 4, chi) for chi in (64, 128, 256)]
#: Beyond exact the filled box needs far more: K = 8 at chi_max 64 had discarded 0.46 of its
#: weight by 10 fs (and ran 2 h for 33 fs here); these are for a larger machine.
BEYOND = [("mps", 4, K, chi) for K in (8, 12) for chi in (256, 512)]


def config(backend: str, L: int, K: int, chi: int | None) -> dict:
    from qst_mps.config import resolve

    evolution = {"backend": backend, "t_max": 32.9, "dt_out": 0.5}
    if backend == "mps":
        evolution.update({"chi_max": chi, "dt": 0.1, "svd_min": 1e-10})
    return resolve({
        "model": {"N": 2 * K + L + 8, "L": L, "n_first": K + 2, "boundary": "open",
                  "t_h": 1.0, "J_sd": 0.5, "J_ex": 0.1},
        "state": {"electrons": "box", "box": [0, K - 1], "n_down": K},
        "evolution": evolution,
        "output": {"observables": ["magnet_entropy"]},
    })


def path(backend: str, L: int, K: int, chi: int | None) -> Path:
    suffix = "exact" if backend == "exact" else f"mps_chi{chi:03d}"
    return OUT / "reversal" / f"L{L:02d}_K{K:02d}_{suffix}.h5"


def run_plan(args) -> None:
    for backend, L, K, chi in PLAN + (BEYOND if args.beyond else []):
        if backend in args.backend:
            print(f"{backend} L = {L} K = {K} chi = {chi}: ", end="", flush=True)
            print(run(config(backend, L, K, chi), path(backend, L, K, chi)), flush=True)


def load(backend, L, K, chi):
    return complete(path(backend, L, K, chi))


def best(L: int, K: int):
    """The exact run, or the mps run of the largest chi, of (L, K)."""
    exact = load("exact", L, K, None)
    if exact is not None:
        return "exact", exact
    for chi in sorted({c for b, *_, c in PLAN if b == "mps"}, reverse=True):
        result = load("mps", L, K, chi)
        if result is not None:
            return f"mps χ ≤ {chi}", result
    return None, None


def report(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    members = sorted({(L, K) for _, L, K, _ in PLAN})
    rows = []
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for L, K in members:
        how, r = best(L, K)
        if r is None:
            continue
        spins = r["S_loc"]
        total = spins[:, :, 2].sum(axis=1)
        length = np.linalg.norm(spins, axis=2)
        floor = L / 2 - min(K, L)
        row = {"L": L, "K": K, "K/L": K / L, "how": how,
               "S_z_final": float(total[-1]), "S_z_min": float(total.min()),
               "reversed_fraction": float((L / 2 - total.min()) / L),
               "bound": floor, "max_transverse": float(np.abs(spins[:, :, :2]).max()),
               "smallest_|S_j|": float(length.min()),
               "mean_|S_j|_final": float(length[-1].mean()),
               "magnet_entropy_max": float(r["magnet_entropy"].max()),
               "entropy_bound": float(L * np.log(2)),
               "wall_s": float(r["elapsed_wall_time"][-1])}
        if how.startswith("mps"):
            row["discarded"] = float(r["truncation_error"][-1])
        chis = [chi for b, LL, KK, chi in PLAN if b == "mps" and (LL, KK) == (L, K)]
        exact = load("exact", L, K, None)
        for chi in chis:
            other = load("mps", L, K, chi)
            if other is not None:
                reference = exact if exact is not None else r
                row[f"error_chi{chi}"] = float(np.max(np.abs(
                    other["S_loc"][:, :, 2].sum(axis=1) - reference["S_loc"][:, :, 2].sum(
                        axis=1))))
        rows.append(row)
        style = {"label": f"L = {L}, K = {K}", "color": f"C{len(rows) - 1}", "lw": 1.3,
                 "ls": "-" if L == 2 else "--" if L == 4 else ":"}
        axes[0].plot(r["time"], total / (L / 2), **style)
        axes[1].plot(r["time"], length.mean(axis=1), **style)
        axes[2].plot(r["time"], r["magnet_entropy"] / (L * np.log(2)), **style)
    axes[0].set_ylabel(r"total local $S^z$ / (L/2)")
    axes[1].set_ylabel(r"mean over j of $|\langle \mathbf{S}_j \rangle|$ ($\hbar$)")
    axes[2].set_ylabel("magnet–electron entropy / (L ln 2)")
    for ax in axes:
        ax.set_xlabel("time (fs)")
    axes[0].legend(frameon=False, fontsize=7)
    fig.suptitle("K ↓ electrons released from a filled box into L ↑ spins", fontsize=10)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "reversal.png", dpi=150)
    fig2, ax = plt.subplots(figsize=(4.5, 3.4))
    for L in sorted({row["L"] for row in rows}):
        pts = [(row["K/L"], row["S_z_min"] / (L / 2)) for row in rows if row["L"] == L]
        ax.plot(*zip(*pts, strict=True), "o-", label=f"L = {L}")
    ax.axhline(-1, color="0.6", lw=0.8)
    ax.set_xlabel("K / L")
    ax.set_ylabel(r"lowest total $S^z$ / (L/2)")
    ax.legend(frameon=False, fontsize=8)
    fig2.tight_layout()
    fig2.savefig(OUT / "reversal_vs_ratio.png", dpi=150)
    (OUT / "reversal.json").write_text(json.dumps(rows, indent=1))
    for row in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    runs = sub.add_parser("run")
    runs.add_argument("--backend", nargs="+", default=["exact", "mps"])
    runs.add_argument("--beyond", action="store_true", help="also K = 8, 12 at chi 256, 512")
    sub.add_parser("report")
    args = parser.parse_args(argv)
    {"run": run_plan, "report": report}[args.command](args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
