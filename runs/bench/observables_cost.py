"""What the optional observables cost on the mps backend, measured in one script.

    python runs/bench/observables_cost.py [--t-max 20] [--runs 2]
    python runs/bench/observables_cost.py --state RESULT.h5 …   # on saved mps states

The paper's singlet on the open chain (fourth-order TEBD, the default numerics), on the default
output grid (every 0.5 fs), with no optional observable and with all six, run alternately in
fresh processes (one BLAS thread each). Also reports what each optional observable adds to one
measurement on the state the last run ends in (median of REPEATS, interleaved).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REPEATS = 5
"""Measurements of each observable on the final state (the median is reported)."""

OPTIONAL = ["spin_density", "current", "entanglement_entropy", "magnet_entropy",
            "local_concurrence", "local_mutual_information"]


def one(t_max: float, observables: list[str]) -> dict:
    """Run in this process; return the wall time and the per-observable measurement cost."""
    import warnings

    warnings.filterwarnings("ignore")
    from qst_mps.config import resolve
    from qst_mps.simulation import make_backend

    config = resolve({"model": {"boundary": "open"},
                      "evolution": {"backend": "mps", "t_max": t_max},
                      "output": {"observables": observables}})
    started = time.perf_counter()
    backend = make_backend(config)
    for _ in backend.evolve(list(config_times(config))):
        backend.measure()
    wall = time.perf_counter() - started
    costs = marginal_costs(backend, observables) if observables else {}
    return {"wall_s": wall, "chi": int(max(backend.psi.chi)), "measure_s": costs}


def marginal_costs(backend, observables: list[str]) -> dict:
    """Seconds of one measurement with no optional observable ('none') and with each alone
    (medians of REPEATS, interleaved), on the backend's current state."""
    def measure(optional):
        backend.measurement.optional = optional
        start = time.perf_counter()
        backend.measure()
        return time.perf_counter() - start

    samples = {name: [] for name in ["none", *observables]}
    for _ in range(REPEATS):  # interleaved, so that a slow spell hits every name alike
        for name in samples:
            samples[name].append(measure(set() if name == "none" else {name}))
    backend.measurement.optional = set(observables)
    return {name: statistics.median(times) for name, times in samples.items()}


def on_saved_state(path: str) -> None:
    """What each optional observable costs on the last checkpoint of an mps result file."""
    import warnings

    warnings.filterwarnings("ignore")
    import qst_mps
    from qst_mps.config import resolve
    from qst_mps.simulation import make_backend

    saved = qst_mps.load(path, checkpoint=True)
    config = resolve({**saved.config, "output": {**saved.config["output"],
                                                 "observables": OPTIONAL}})
    backend = make_backend(config)
    backend.restore(saved["checkpoint"]["backend"])
    costs = marginal_costs(backend, OPTIONAL)
    chi = backend.psi.chi
    print(f"{path}: t = {backend.time:g} fs, N = {config['model']['N']}, "
          f"L = {config['model']['L']}, largest chi {max(chi)}, "
          f"bonds with chi > 1: {sum(c > 1 for c in chi)}")
    print(f"  one measurement without optional observables: {costs['none'] * 1e3:.0f} ms")
    for name in OPTIONAL:
        print(f"  + {name:26s} {(costs[name] - costs['none']) * 1e3:8.1f} ms")


def config_times(config):
    from qst_mps.problem import build

    return build(config).times[1:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--t-max", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--one", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--state", nargs="+", help="instead: the cost of each optional "
                        "observable on the last checkpoint of these mps result files")
    args = parser.parse_args(argv)
    if args.state:
        for path in args.state:
            on_saved_state(path)
        return 0
    if args.one is not None:
        print(json.dumps(one(args.t_max, args.one)))
        return 0
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    results = {"none": [], "all": []}
    for run in range(args.runs):
        for name, observables in (("none", []), ("all", OPTIONAL)):
            command = [sys.executable, __file__, "--t-max", str(args.t_max), "--one",
                       *observables]
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            results[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"run {run + 1} {name:5s} {results[name][-1]['wall_s']:8.1f} s", flush=True)
    ratios = [a["wall_s"] / n["wall_s"] for a, n in zip(results["all"], results["none"],
                                                         strict=True)]
    print(f"all six / none: median {statistics.median(ratios):.3f} "
          f"(pairs {', '.join(f'{r:.3f}' for r in ratios)}), t_max {args.t_max:g} fs, "
          f"final chi {results['all'][-1]['chi']}")
    costs = results["all"][-1]["measure_s"]
    print(f"one measurement of the recorded observables (median of {REPEATS}), on the final "
          f"state: {costs['none'] * 1e3:.0f} ms; each optional observable adds")
    for name, seconds in costs.items():
        if name != "none":
            print(f"  {name:26s} {(seconds - costs['none']) * 1e3:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
