"""Study: a spin-↑ electron against a polarized ferromagnet tilted by θ from the electron's
spin axis, θ = 0, π/4, π/2, 3π/4, π (docs/magnets.md).

    python runs/magnets/tilted.py run [--backend exact mps]
    python runs/magnets/tilted.py report

The magnet's total spin M = Σ_j ⟨S_j⟩ starts along m̂ = (sin θ, 0, cos θ). The spin it absorbs,
ΔM = M(t_max) − M(0), splits into the part along m̂ (longitudinal: the magnet's length changes,
which a classical moment of fixed length cannot do) and the part across it (transverse: the
rotation of the classical spin-transfer-torque picture). Classically the magnet absorbs the
incoming spin's transverse part, |s_⊥| = ½ sin θ, and nothing along m̂.

The L = 4 member of the scaling family (paper's couplings and packets, open chain, t_max = auto),
with ``state.pair = "single"`` along +z and ``state.local = "tilted"``.
"""

from __future__ import annotations

import json

import numpy as np
from common import OUT, configuration, run, save, study_main

ANGLES = {"0": 0.0, "π/4": np.pi / 4, "π/2": np.pi / 2, "3π/4": 3 * np.pi / 4, "π": np.pi}
L = 4


def path(backend: str, name: str):
    return OUT / "tilted" / f"theta_{list(ANGLES).index(name)}_{backend}.h5"


def config(backend: str, theta: float) -> dict:
    return configuration(L, {"state.pair": "single", "state.spin_theta": 0.0,
                             "state.local": "tilted", "state.local_theta": theta,
                             "evolution.backend": backend})


def analyse(result, theta: float) -> dict:
    """Longitudinal and transverse parts of the absorbed spin, and the magnet's length."""
    M = result["S_loc"].sum(axis=1)  # (T, 3)
    axis = np.array([np.sin(theta), 0.0, np.cos(theta)])
    absorbed = M[-1] - M[0]
    along = float(absorbed @ axis)
    across = absorbed - along * axis
    electron = result["sigma_el"][-1] - result["sigma_el"][0]
    lengths = np.linalg.norm(result["S_loc"], axis=2)  # |⟨S_j⟩| per spin
    return {"theta": theta, "longitudinal": along, "transverse": float(np.linalg.norm(across)),
            "transverse_classical": 0.5 * np.sin(theta),
            "length_change": float(np.linalg.norm(M[-1]) - np.linalg.norm(M[0])),
            "smallest_moment": float(lengths[-1].min()),
            "conservation": float(np.max(np.abs(absorbed + electron))),
            "delta_sigma_z": float(result["delta_sigma_z"][-1]),
            "wall_s": float(result["elapsed_wall_time"][-1])}


def rows() -> dict:
    import qst_mps

    out = {}
    for backend in ("exact", "mps"):
        for name, theta in ANGLES.items():
            file = path(backend, name)
            if file.exists() and qst_mps.results.status(file) == "complete":
                out[(backend, name)] = (analyse(qst_mps.load(file), theta), qst_mps.load(file))
    return out


def report(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    found = rows()
    table = []
    print(f"{'θ':5s} {'ΔM_∥':>8s} {'|ΔM_⊥|':>8s} {'½ sin θ':>8s} {'Δ|M|':>8s} "
          f"{'min |S_j|':>9s} {'|ΔM+Δσ|':>8s} {'mps−exact':>9s} {'exact s':>7s} {'mps s':>6s}")
    for name in ANGLES:
        if ("exact", name) not in found:
            continue
        r, exact = found[("exact", name)]
        error, mps_s = float("nan"), float("nan")
        if ("mps", name) in found:
            other, mps = found[("mps", name)]
            error = float(np.max(np.abs(mps["S_loc"] - exact["S_loc"])))
            mps_s = other["wall_s"]
        r.update({"name": name, "mps_error": error, "mps_wall_s": mps_s})
        table.append(r)
        print(f"{name:5s} {r['longitudinal']:8.4f} {r['transverse']:8.4f} "
              f"{r['transverse_classical']:8.4f} {r['length_change']:8.4f} "
              f"{r['smallest_moment']:9.4f} {r['conservation']:8.1e} {error:9.1e} "
              f"{r['wall_s']:7.1f} {mps_s:6.0f}")
    (OUT / "tilted").mkdir(parents=True, exist_ok=True)
    (OUT / "tilted" / "table.json").write_text(json.dumps(table, indent=1))

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    thetas = np.array([r["theta"] for r in table])
    fine = np.linspace(0, np.pi, 100)
    axes[0].plot(fine, 0.5 * np.sin(fine), "k:",
                 label=r"classical: $|s_\perp| = \frac{1}{2}\sin\theta$")
    if table and table[-1]["name"] == "π":  # the antiparallel transfer times the ↓ weight
        axes[0].plot(fine, table[-1]["longitudinal"] * np.sin(fine / 2) ** 2, "C1--", lw=0.8,
                     label=r"$\Delta M_\parallel(\pi)\,\sin^2(\theta/2)$")
    axes[0].plot(thetas, [r["transverse"] for r in table], "o-", label=r"$|\Delta M_\perp|$")
    axes[0].plot(thetas, [r["longitudinal"] for r in table], "s-", label=r"$\Delta M_\parallel$")
    axes[0].axhline(0, color="0.7", lw=0.8)
    axes[0].set_xlabel(r"tilt $\theta$ of the magnet from the electron's spin (rad)")
    axes[0].set_ylabel(r"absorbed spin ($\hbar$)")
    axes[0].legend(frameon=False, fontsize=8)
    axes[0].set_title("Transverse and longitudinal parts of the absorbed spin", fontsize=9)
    for r in table:
        result = found[("exact", r["name"])][1]
        M = np.linalg.norm(result["S_loc"].sum(axis=1), axis=1)
        axes[1].plot(result["time"], M - M[0], label=rf"$\theta$ = {r['name']}")
    axes[1].set_xlabel("time (fs)")
    axes[1].set_ylabel(r"$|M(t)| - |M(0)|$ ($\hbar$)")
    axes[1].legend(frameon=False, fontsize=8)
    axes[1].set_title("Length of the magnet's spin (a classical moment keeps it)", fontsize=9)
    fig.tight_layout()
    print(save(fig, "tilted"))


#: The mps check: one tilted angle (S_z not conserved), against exact.
MPS_ANGLES = ["π/2"]


def run_all(args) -> None:
    for backend in args.backend:
        for name, theta in ANGLES.items():
            if backend == "mps" and name not in MPS_ANGLES:
                continue
            print(f"{backend} θ = {name}: {run(config(backend, theta), path(backend, name))}",
                  flush=True)


def main(argv=None) -> int:
    return study_main(__doc__.splitlines()[0], run_all, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
