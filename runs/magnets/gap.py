"""Study: spin transfer against the magnon gap of a ferromagnet (docs/magnets.md).

    python runs/magnets/gap.py run [--backend exact mps]
    python runs/magnets/gap.py report

A single ↓ electron meets L = 4 local spins, all up, of spin S = ½ with a field B_loc = B ẑ,
or S = 1 and S = 5/2 (a manganese-like moment) with an easy-axis anisotropy D. Flipping the
electron lowers one local spin: a magnon, whose lowest energy above the polarized state is

    Δ = B + D (2S − 1)

(exact for this open chain: its k = 0 magnon costs no exchange). The electron pays Δ from its
kinetic energy, E(k_e) = −2 t_h cos k_e = −0.54 eV, and cannot go below the band bottom −2 t_h:
a flip is possible only for Δ ≲ 2 t_h (1 − cos k_e) = 0.46 eV, plus the packet's energy spread.

The L = 4 member of the scaling family otherwise (the paper's couplings and packets on an open
chain, t_max = auto = 91 fs).
"""

from __future__ import annotations

import json

import numpy as np
from common import OUT, configuration, run, save, study_main

GAPS = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]
MOMENTS = {  # name: (spin S, the key that opens the gap, its value for a gap Δ)
    "S = 1/2, field": (0.5, "B_loc", lambda gap: gap),
    "S = 1, anisotropy": (1.0, "D", lambda gap: gap),
    "S = 5/2, anisotropy": (2.5, "D", lambda gap: gap / 4),
}


def path(backend: str, moment: str, gap: float):
    index = list(MOMENTS).index(moment)
    return OUT / "gap" / f"moment{index}_gap{gap:.2f}_{backend}.h5"


def config(backend: str, moment: str, gap: float) -> dict:
    spin, key, value = MOMENTS[moment]
    return configuration(4, {"model.spin": spin, f"model.{key}": value(gap),
                             "state.pair": "single_down", "evolution.backend": backend})


def run_all(args) -> None:
    for backend in args.backend:
        gaps = GAPS if backend == "exact" else [0.0, 0.2]
        moments = MOMENTS if backend == "exact" else ["S = 5/2, anisotropy"]
        for moment in moments:
            for gap in gaps:
                print(f"{backend} {moment} Δ = {gap}: "
                      f"{run(config(backend, moment, gap), path(backend, moment, gap), False)}",
                      flush=True)


def magnon_gap(moment: str, gap: float) -> float:
    """The gap as the code's own Hamiltonian gives it: the local spins' lowest energy with one
    quantum lowered minus that of the polarized state (Lanczos, exact backend), in eV."""
    from qst_mps.exact.states import local_ground_state
    from qst_mps.problem import build

    spin = MOMENTS[moment][0]
    energies = []
    for lowered in (0, 1):
        member = config("exact", moment, gap)
        member["state"] = {**member["state"], "local": "ground", "local_Sz": 4 * spin - lowered}
        energies.append(local_ground_state(build(member))[2])
    return energies[1] - energies[0]


def report(args) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import qst_mps

    table = []
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for moment, (spin, _, _) in MOMENTS.items():
        points = []
        for gap in GAPS:
            file = path("exact", moment, gap)
            if not file.exists():
                continue
            result = qst_mps.load(file)
            transfer = float(result["delta_sigma_z"][-1])
            row = {"moment": moment, "S": spin, "gap": gap, "transfer": transfer}
            other = path("mps", moment, gap)
            if other.exists() and qst_mps.results.status(other) == "complete":
                mps = qst_mps.load(other)
                row["mps_error"] = float(np.max(np.abs(mps["delta_sigma_z"]
                                                       - result["delta_sigma_z"])))
            table.append(row)
            points.append((gap, transfer))
        if points:
            gaps, transfers = np.array(points).T
            axes[0].plot(gaps, transfers, "o-", label=moment)
            axes[1].plot(gaps, transfers / transfers[0], "o-", label=moment)
    band = 2 * 0.5 * (1 - np.cos(1.0))
    for ax in axes:
        ax.axvline(band, color="0.6", ls=":", lw=1)
        ax.set_xlabel(r"magnon gap $\Delta = B + D(2S-1)$ (eV)")
        ax.legend(frameon=False, fontsize=8)
    axes[0].set_ylabel(r"$\Delta\sigma_z$ after the packet left")
    axes[1].set_ylabel(r"$\Delta\sigma_z(\Delta) / \Delta\sigma_z(0)$")
    axes[0].set_title(r"Spin transfer of a single $\downarrow$ electron, L = 4", fontsize=9)
    axes[1].set_title(r"Normalized; dotted: $2t_h(1-\cos k_e)$, the band bottom", fontsize=9)
    fig.tight_layout()
    (OUT / "gap").mkdir(parents=True, exist_ok=True)
    (OUT / "gap" / "table.json").write_text(json.dumps(table, indent=1))
    print(f"{'moment':22s} " + " ".join(f"{g:6.2f}" for g in GAPS))
    for moment in MOMENTS:
        values = {r["gap"]: r["transfer"] for r in table if r["moment"] == moment}
        print(f"{moment:22s} " + " ".join(f"{values.get(g, np.nan):6.4f}" for g in GAPS))
    worst = max(abs(magnon_gap(moment, gap) - gap) for moment in MOMENTS for gap in GAPS)
    print(f"largest |Δ from the code's H − (B + D(2S − 1))|: {worst:.1e} eV")
    for r in table:
        if "mps_error" in r:
            print(f"mps against exact, {r['moment']}, Δ = {r['gap']}: {r['mps_error']:.1e}")
    print(save(fig, "gap"))


def main(argv=None) -> int:
    return study_main(__doc__.splitlines()[0], run_all, report, argv)


if __name__ == "__main__":
    raise SystemExit(main())
