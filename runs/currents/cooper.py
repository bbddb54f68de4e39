"""Study: Cooper-pair trains (docs/currents.md). Do the transfers of a train add up?

A train of R pairs (singlet, triplet_0, or each pair with its own random phase: the incoherent
train of qst_mps.incoherent) against 2R independent ↓ electrons in the same packets, towards
L = 2 spins ½ all ↑ (the paper's couplings: t_h = 0.5 eV, J_sd = 0.3 eV, J_ex = 0.2 eV).
Packets σ_d = 1.5 a at k_e = π/2 (the fastest, least dispersive), every packet 13.5 a behind
the one before (pairs: d = 13.5, spacing 27), the last one 4σ_d from the left end; open chain
long enough that nothing reaches its right end before t_max = auto.

    python runs/currents/cooper.py run [--backend exact mps]
    python runs/currents/cooper.py report     # table and figure in runs/currents/out

mps (fourth-order TEBD, dt 0.25 fs, chi_max 64, and 128 for the four-electron pairs as a
check of the truncation); exact where it fits (two electrons), as the check. Result files go
to runs/currents/out/cooper/; complete runs are skipped.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE.parents[0] / "magnets"))

from common import complete, run, study_main  # noqa: E402

STEP = 13.5  # a, between consecutive packets
SIGMA = 1.5
L = 2
STATES = ["singlet", "triplet_0", "single_down"]
#: (backend, state, R): R pairs, or 2R ↓ electrons (plus the lone ↓ electron, R = 0.5).
PLAN = [("exact", s, 1) for s in STATES] + [("exact", "single_down", 0.5)]
PLAN += [("mps", s, R) for R in (1, 2) for s in STATES] + [("mps", "single_down", 0.5)]
INCOHERENT = [1, 2]  # trains of R pairs with random phases, exact average over 2^R members
CHI = 64
#: Runs at a larger chi_max that check the truncation of the chi = 64 ones.
CHECKS = [("singlet", 2, 128), ("triplet_0", 2, 128), ("single_down", 2, 128)]


def config(backend: str, state: str, R: float, chi: int = CHI) -> dict:
    from qst_mps.config import resolve

    electrons = round(2 * R)
    x2 = 4 * SIGMA + (electrons - 1) * STEP
    n_first = math.ceil(x2 + 4 * SIGMA)
    keys = {"pair": state, "sigma_d": SIGMA, "k_e": math.pi / 2, "x2": x2}
    copies = electrons if state == "single_down" else round(R)
    keys.update({"repeat": copies, "d": STEP})
    if copies > 1:
        keys["spacing"] = STEP if state == "single_down" else 2 * STEP
    evolution = {"backend": backend, "t_max": "auto", "dt_out": 0.5}
    if backend == "mps":
        evolution.update({"chi_max": chi, "dt": 0.25, "svd_min": 1e-10})
    return resolve({"model": {"N": n_first + L + math.ceil(x2) + 24, "L": L,
                              "n_first": n_first, "boundary": "open"},
                    "state": keys, "evolution": evolution})


def path(backend: str, state: str, R: float, chi: int = CHI) -> Path:
    suffix = "" if backend == "exact" or chi == CHI else f"_chi{chi}"
    return OUT / "cooper" / f"{state}_K{round(2 * R)}_{backend}{suffix}.h5"


def run_plan(args) -> None:
    from qst_mps import incoherent

    for backend, state, R in PLAN:
        if backend in args.backend:
            print(f"{backend} {state} K = {round(2 * R)}: ", end="", flush=True)
            print(run(config(backend, state, R), path(backend, state, R)), flush=True)
    if "mps" in args.backend:
        for R in INCOHERENT:
            print(f"mps incoherent R = {R}: ", flush=True)
            incoherent.run(config("mps", "theta", R), OUT / "cooper" / f"incoherent_R{R}")
        for state, R, chi in CHECKS:
            print(f"mps {state} K = {round(2 * R)}, chi_max = {chi}: ", end="", flush=True)
            print(run(config("mps", state, R, chi), path("mps", state, R, chi)), flush=True)


def load(backend, state, R, chi=CHI):
    return complete(path(backend, state, R, chi))


def report(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from qst_mps import incoherent, results

    rows, curves = [], {}
    for state in STATES:
        single = load("mps", state, 0.5 if state == "single_down" else 1)
        for R in (0.5, 1, 2, 3):
            if state != "single_down" and R == 0.5:
                continue
            r = load("mps", state, R)
            if r is None:
                continue
            transfer = float(r["delta_sigma_z"][-1])
            units = 2 * R if state == "single_down" else R
            alone = float(single["delta_sigma_z"][-1]) if single is not None else np.nan
            row = {"state": state, "K": round(2 * R), "transfer": transfer,
                   "independent": units * alone,
                   "S_z_loc_final": float(r["S_z_loc"][-1].sum()),
                   "chi": int(r["chi_max_bond"].max()),
                   "discarded": float(r["truncation_error"][-1]),
                   "wall_s": float(r["elapsed_wall_time"][-1])}
            row["ratio"] = transfer / row["independent"]
            exact = load("exact", state, R)
            if exact is not None:
                row["mps_vs_exact"] = float(np.max(np.abs(r["delta_sigma_z"]
                                                          - exact["delta_sigma_z"])))
            for check_state, check_R, chi in CHECKS:
                larger = load("mps", state, R, chi) if (check_state, check_R) == (state, R) \
                    else None
                if larger is not None:
                    row[f"chi{chi}_transfer"] = float(larger["delta_sigma_z"][-1])
                    row[f"chi{chi}_discarded"] = float(larger["truncation_error"][-1])
            rows.append(row)
            curves[(state, row["K"])] = r
    one_pair = {"singlet": load("mps", "singlet", 1), "triplet_0": load("mps", "triplet_0", 1)}
    for R in INCOHERENT:
        folder = OUT / "cooper" / f"incoherent_R{R}"
        files = sorted(folder.glob("member_*.h5"))
        if len(files) < 2**R or any(results.status(f) != "complete" for f in files):
            print(f"incoherent R = {R}: not run yet")
            continue
        mixture = incoherent.run(config("mps", "theta", R), folder, progress=False)
        transfer = float(mixture["delta_sigma_z"][-1])
        independent = R * 0.5 * float(one_pair["singlet"]["delta_sigma_z"][-1]
                                      + one_pair["triplet_0"]["delta_sigma_z"][-1])
        rows.append({"state": "incoherent", "K": 2 * R, "transfer": transfer,
                     "independent": independent, "ratio": transfer / independent,
                     "S_z_loc_final": float(mixture["S_z_loc"][-1].sum())})
        curves[("incoherent", 2 * R)] = mixture
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    colours = {"singlet": "C0", "triplet_0": "C1", "single_down": "C2", "incoherent": "C3"}
    styles = {1: ":", 2: "-", 4: "--", 6: "-."}
    for (state, K), r in curves.items():
        ax.plot(r["time"], r["delta_sigma_z"], styles.get(K, "-"), color=colours[state],
                lw=1.2, label=f"{state}, K = {K}")
    ax.set_xlabel("time (fs)")
    ax.set_ylabel(r"$\Delta\sigma_z$ ($\hbar$)")
    ax.legend(frameon=False, fontsize=6, ncol=2)
    fig.tight_layout()
    OUT.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT / "cooper.png", dpi=150)
    (OUT / "cooper.json").write_text(json.dumps(rows, indent=1))
    for row in rows:
        print({k: (f"{v:.5g}" if isinstance(v, float) else v) for k, v in row.items()})


if __name__ == "__main__":
    raise SystemExit(study_main(__doc__.splitlines()[0], run_plan, report))
