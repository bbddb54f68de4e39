"""Benchmark of the mps backend: plain two-site TDVP, qst_mps's TDVP and the default (TEBD),
side by side, each measured against the exact backend (issue: MPS backend).

    python runs/bench/mps_speed.py                        # paper's singlet, 0–30 fs
    python runs/bench/mps_speed.py --t-max 100 --pair triplet_minus
    python runs/bench/mps_speed.py --variants tuned       # only the default (validation)
    python runs/bench/mps_speed.py --t-max 100 --variants baseline tuned ring
                                  # issue 19: the default on the open chain and on the ring
                                  # against plain TDVP over its first 3 fs, per simulated fs

Variants (each in its own subprocess, so that wall time and peak memory are its own):

- ``plain``: what a first TeNPy script does. The ring as it is (the closing hop a long-range
  MPO term), TeNPy's ``TwoSiteTDVPEngine`` as it comes (every bond swept, Lanczos to 1e-14),
  TeNPy's default truncation (chi_max 100, svd_min = trunc_cut = 1e-14), TeNPy's default
  optimisation level, dt = 0.1 fs.
- ``tdvp``: qst_mps's two-site TDVP (window of entangled bonds, Lanczos to 1e-10) at dt 0.1 fs,
  svd_min 1e-8, on the open chain.
- ``baseline``: issue 19's reference, ``plain`` with svd_min 1e-10, run over 0–3 fs only.
- ``tuned``: qst_mps's defaults (dt 0.5 fs, svd_min 1e-8, TENPY_OPTIMIZE=3) on the open chain,
  where the default integrator is fourth-order TEBD.
- ``ring``: qst_mps's defaults on the paper's model as written (the ring): fourth-order TEBD on
  the ring cut open where it is empty (qst_mps/mps/ring.py). Its density is compared with the
  exact ring's too.

The open chain has the ring's N: the exact backend shows that both give the same Δσ_z, S_z_loc
and pair probabilities to 1e-15 over 0–100 fs (the density near the ends differs). Errors are
against the exact backend on the ring (the paper's model), for those shared observables; the
S_z_total drift is the variant's own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import warnings

import numpy as np

VARIANTS = {
    "plain": {"env": {"TENPY_OPTIMIZE": "1"},
              "overrides": {"evolution": {"dt": 0.1, "chi_max": 100, "svd_min": 1e-14}}},
    "tdvp": {"env": {"TENPY_OPTIMIZE": "3"},
             "overrides": {"model": {"boundary": "open"}, "evolution": {"dt": 0.1}}},
    "baseline": {"env": {"TENPY_OPTIMIZE": "1"}, "t_max": 3.0,
                 "overrides": {"evolution": {"dt": 0.1, "chi_max": 100, "svd_min": 1e-10}}},
    "tuned": {"env": {"TENPY_OPTIMIZE": "3"},
              "overrides": {"model": {"boundary": "open"}}},
    "ring": {"env": {"TENPY_OPTIMIZE": "3"}, "overrides": {}},
}
SHARED = ["delta_sigma_z", "S_z_loc", "pair_spin_probabilities"]


def configuration(variant: str, pair: str, t_max: float) -> dict:
    from qst_mps.config import resolve

    partial = {"state": {"pair": pair}, "evolution": {"t_max": t_max, "backend": "exact"}}
    if variant != "exact":
        for section, values in VARIANTS[variant]["overrides"].items():
            partial.setdefault(section, {}).update(values)
        partial["evolution"]["backend"] = "mps"
    return resolve(partial)


def use_stock_tdvp() -> None:
    """Make the mps backend evolve with TeNPy's TwoSiteTDVPEngine as it comes."""
    from tenpy.algorithms.tdvp import TwoSiteTDVPEngine

    from qst_mps.mps.backend import MPSBackend

    def stock(self):
        evolution = self.evolution
        return TwoSiteTDVPEngine(self.psi, self.model, {
            "max_N_sites_per_ring": self.model.lat.N_sites_per_ring, "max_dt": 10.0,
            "trunc_params": {"chi_max": evolution["chi_max"], "svd_min": evolution["svd_min"]}})

    MPSBackend._engine = stock
    MPSBackend.window = lambda self, span: (0, self.psi.L - 1)  # ignored by the stock engine


def one(variant: str, pair: str, t_max: float) -> dict:
    """Run one variant in this process; return its wall time, memory and curves."""
    from qst_mps.simulation import simulate

    if variant in ("plain", "baseline"):
        use_stock_tdvp()
    options = {"integrator": "tdvp"} if variant == "tdvp" else {}
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = simulate(configuration(variant, pair, t_max), progress=True,
                       backend_options=options)
    keep = SHARED + ["S_z_total", "chi_max_bond", "density", "time"]
    return {
        "variant": variant, "wall_s": time.perf_counter() - start, "t_max": t_max,
        "warnings": [str(w.message) for w in caught if str(w.message).startswith("mps:")],
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **{k: np.asarray(out[k]).tolist() for k in keep if k in out},
    }


def in_subprocess(variant: str, pair: str, t_max: float) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", **VARIANTS.get(variant, {}).get("env", {}))
    command = [sys.executable, __file__, "--one", variant, "--pair", pair, "--t-max", str(t_max)]
    done = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", default="singlet")
    parser.add_argument("--t-max", type=float, default=30.0, help="fs")
    parser.add_argument("--variants", nargs="+", default=["plain", "tuned"],
                        choices=list(VARIANTS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(one(args.one, args.pair, args.t_max)))
        return 0
    exact = in_subprocess("exact", args.pair, args.t_max)
    print(f"\n{args.pair}, 0–{args.t_max:g} fs; exact {exact['wall_s']:.1f} s")
    print("| variant | fs | wall s | s per fs | max chi | peak MiB | max abs ΔΔσ_z | max abs ΔP "
          "| max abs ΔS_z_loc | max abs Δdensity (ring) | S_z_total drift | warnings |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    rows = []
    for variant in args.variants:  # each row as soon as its variant is done
        t_max = min(args.t_max, VARIANTS[variant].get("t_max", args.t_max))
        result = in_subprocess(variant, args.pair, t_max)
        upto = len(result["time"])  # a variant may stop before the others
        compared = SHARED + (["density"] if variant not in ("tuned", "tdvp") else [])
        errors = {k: float(np.max(np.abs(np.subtract(result[k], exact[k][:upto]))))
                  for k in compared}
        drift = float(np.ptp(result["S_z_total"]))
        rows.append((variant, result, errors, drift))
        density = f"{errors['density']:.1e}" if "density" in errors else "—"
        print(f"| {variant} | {result['t_max']:g} | {result['wall_s']:.0f} | "
              f"{result['wall_s'] / result['t_max']:.2f} | "
              f"{max(result['chi_max_bond'])} | {result['max_rss_mib']:.0f} | "
              f"{errors['delta_sigma_z']:.1e} | {errors['pair_spin_probabilities']:.1e} | "
              f"{errors['S_z_loc']:.1e} | {density} | {drift:.1e} | "
              f"{len(result['warnings'])} |", flush=True)
    per_fs = {variant: result["wall_s"] / result["t_max"] for variant, result, _, _ in rows}
    for reference in ("baseline", "plain"):
        for variant in sorted(per_fs.keys() - {"baseline", "plain"}):
            if reference in per_fs:
                print(f"per simulated fs, {variant} against {reference}: "
                      f"{per_fs[reference] / per_fs[variant]:.2f}× faster")
    for variant, result, _, _ in rows:
        for message in result["warnings"]:
            print(f"{variant} warned: {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
