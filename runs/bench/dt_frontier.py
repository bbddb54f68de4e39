"""The error–cost frontier of the mps backend's time step and truncation on the scaling family
(issue: speed, item 1; docs/notes/performance.md).

    python runs/bench/dt_frontier.py run [--L 4] [--pair singlet] [--dt 0.5 1.0 1.5] \\
        [--svd-min 1e-8] [--t-max auto]
    python runs/bench/dt_frontier.py report [--L 4] [--pair singlet]

Runs the scaling family's member (runs/scaling/family.py) once on the exact backend, then on
mps for every (dt, svd_min) given, one after the other in this process (result files in
runs/bench/out/frontier/; a complete run is reused). Each mps run writes its output every dt
(``evolution.dt_out = dt``): the backend reaches every output time exactly, so a step longer
than the output interval would be cut to it. Reported for each: the largest
|Δσ_z(mps) − Δσ_z(exact)| up to t_max, the discarded weight, the largest bond dimension, the run's
own wall time and its ratio to the dt = 0.5 fs, svd_min = 1e-8 run (the default), and the fit
error ≈ C dt⁴ of the fourth-order sequence over the runs at the smallest svd_min given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "out" / "frontier"
sys.path.insert(0, str(ROOT / "runs" / "magnets"))

from common import complete, configuration, run  # noqa: E402


def path(L: int, pair: str, backend: str, dt: float | None = None,
         svd_min: float | None = None, t_max="auto") -> Path:
    name = f"{pair}_L{L:03d}_{backend}"
    if backend == "mps":
        name += f"_dt{dt:g}_svd{svd_min:.0e}"
    if t_max != "auto":
        name += f"_t{t_max:g}"
    return OUT / f"{name}.h5"


def overrides(pair: str, backend: str, t_max) -> dict:
    return {"state.pair": pair, "evolution.backend": backend, "evolution.t_max": t_max}


def do_run(args) -> None:
    exact = path(args.L, args.pair, "exact", t_max=args.t_max)
    print(f"exact: {run(configuration(args.L, overrides(args.pair, 'exact', args.t_max)), exact)}",
          flush=True)
    for svd_min in args.svd_min:
        for dt in args.dt:
            config = configuration(args.L, {**overrides(args.pair, "mps", args.t_max),
                                            "evolution.dt": dt, "evolution.dt_out": dt,
                                            "evolution.svd_min": svd_min})
            file = path(args.L, args.pair, "mps", dt, svd_min, args.t_max)
            print(f"mps dt {dt:g} fs, svd_min {svd_min:g}: {run(config, file)}", flush=True)


def report(args) -> dict:
    exact = complete(path(args.L, args.pair, "exact", t_max=args.t_max))
    if exact is None:
        raise SystemExit("run the exact reference first (dt_frontier.py run)")
    rows = []
    for file in sorted(OUT.glob(f"{args.pair}_L{args.L:03d}_mps_*.h5")):
        result = complete(file)
        if result is None:
            continue
        evolution = result.config["evolution"]
        if file != path(args.L, args.pair, "mps", evolution["dt"], evolution["svd_min"],
                        args.t_max):  # a run to another t_max
            continue
        # the exact run's output times are every 0.5 fs; compare at the times both have
        index = np.searchsorted(exact["time"], result["time"])
        index = np.minimum(index, len(exact["time"]) - 1)
        shared = np.abs(exact["time"][index] - result["time"]) < 1e-9
        error = np.max(np.abs(result["delta_sigma_z"][shared]
                              - exact["delta_sigma_z"][index[shared]]))
        rows.append({"dt": evolution["dt"], "svd_min": evolution["svd_min"],
                     "error": float(error), "wall": float(result["elapsed_wall_time"][-1]),
                     "chi": int(np.max(result["chi_max_bond"])),
                     "discarded": float(result["truncation_error"][-1])})
    base = next((r for r in rows if r["dt"] == 0.5 and r["svd_min"] == 1e-8), None)
    rows.sort(key=lambda r: (r["svd_min"], r["dt"]))
    print(f"{args.pair}, L = {args.L}, t_max = {args.t_max}: error = max |Δσ_z(mps) − exact|")
    print(f"{'dt fs':>6s} {'svd_min':>8s} {'error':>9s} {'discarded':>9s} {'chi':>4s} "
          f"{'wall s':>8s} {'cost vs default':>15s}")
    for r in rows:
        ratio = r["wall"] / base["wall"] if base else float("nan")
        print(f"{r['dt']:6g} {r['svd_min']:8.0e} {r['error']:9.1e} {r['discarded']:9.1e} "
              f"{r['chi']:4d} {r['wall']:8.0f} {ratio:15.2f}")
    tightest = min((r["svd_min"] for r in rows), default=None)
    fit = [r for r in rows if r["svd_min"] == tightest]
    out = {"L": args.L, "pair": args.pair, "t_max": args.t_max, "rows": rows}
    if len(fit) >= 2:
        dts, errors = np.array([r["dt"] for r in fit]), np.array([r["error"] for r in fit])
        slope, intercept = np.polyfit(np.log(dts), np.log(errors), 1)
        C = float(np.exp(np.mean(np.log(errors) - 4 * np.log(dts))))
        print(f"svd_min {tightest:g}: error ∝ dt^{slope:.2f}; with the slope fixed at 4, "
              f"error ≈ {C:.2e} · (dt / fs)⁴")
        out.update({"slope": float(slope), "C": C})
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{args.pair}_L{args.L:03d}.json").write_text(json.dumps(out, indent=1))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("--L", type=int, default=4)
    parser.add_argument("--pair", default="singlet")
    parser.add_argument("--dt", type=float, nargs="+", default=[0.5, 1.0, 1.5])
    parser.add_argument("--svd-min", type=float, nargs="+", default=[1e-8])
    parser.add_argument("--t-max", type=lambda v: v if v == "auto" else float(v), default="auto")
    args = parser.parse_args(argv)
    if args.command == "run":
        do_run(args)
    else:
        report(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
