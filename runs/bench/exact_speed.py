"""Benchmark of the exact backend against QuSpin, side by side (issue: exact backend).

    python runs/bench/exact_speed.py                 # paper's model, four states, exact vs QuSpin
    python runs/bench/exact_speed.py --propagators   # Lanczos vs Chebyshev vs expm_multiply
    python runs/bench/exact_speed.py --large         # singlet, L = 64, N = 400, 0–200 fs

Each measurement runs in its own subprocess, so the peak memory (max RSS) is its own. Times
include building the operator, the initial state and every observable at all 201 output
times. No result file is written (I/O is not what is compared). The QuSpin solution is
tests/quspin_reference.py: QuSpin's tensor basis, Hamiltonian and observables built from its
own operator strings, evolved with QuSpin's expm_multiply_parallel, with the diagonal
observables evaluated from their diagonals.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
PAPER_STATES = ["singlet", "triplet_0", "triplet_minus", "single_down"]


def one(solver: str, pair: str, large: bool) -> dict:
    """Run one solver on one state in this process; return timings, memory and the curves."""
    from qst_mps.config import resolve
    from qst_mps.problem.geometry import output_times
    from qst_mps.simulation import simulate

    partial = {"state": {"pair": pair}}
    if large:
        partial = {"model": {"N": 400, "L": 64}, "state": {"pair": pair},
                   "evolution": {"t_max": 200.0, "backend": "exact"}}
    config = resolve(partial)
    start, phases = time.perf_counter(), {}
    if solver == "exact":
        out = simulate(config, progress=large)
    elif solver == "quspin":
        sys.path.insert(0, str(ROOT / "tests"))
        from quspin_reference import QuSpinReference

        reference = QuSpinReference(config)
        out = reference.run(output_times(config))
        phases = reference.timings
    else:
        raise ValueError(solver)
    wall = time.perf_counter() - start
    keep = ["delta_sigma_z", "pair_spin_probabilities", "S_z_total", "norm"]
    return {
        "solver": solver, "pair": pair, "wall_s": wall, "phases": phases,
        "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **{k: np.asarray(out[k]).tolist() for k in keep if k in out},
    }


def propagators() -> None:
    """Evolution only (singlet, paper's model, 200 steps of 0.5 fs), three propagators."""
    from scipy.sparse.linalg import expm_multiply
    from threadpoolctl import threadpool_limits

    from qst_mps.config import resolve
    from qst_mps.exact.backend import ExactBackend
    from qst_mps.exact.propagate import HBAR, ChebyshevPropagator, LanczosPropagator
    from qst_mps.problem import build

    backend = ExactBackend(build(resolve()))
    H, psi0 = backend.hamiltonians[0], backend.psi[0]
    times = np.arange(1, 201) * 0.5
    finals = {}
    with threadpool_limits(1, user_api="blas"):
        start = time.perf_counter()
        lanczos = LanczosPropagator(H)
        *_, (_, finals["lanczos"]) = lanczos.evolve(psi0, 0.0, times)
        t_lanczos = time.perf_counter() - start
        start = time.perf_counter()
        chebyshev, psi = ChebyshevPropagator(H), psi0
        for _ in times:
            psi = chebyshev.step(psi, 0.5)
        finals["chebyshev"], t_chebyshev = psi, time.perf_counter() - start
        start = time.perf_counter()
        psi, A = psi0, (-1j / HBAR) * H.astype(complex)
        for _ in times:
            psi = expm_multiply(0.5 * A, psi)
        finals["expm_multiply"], t_expm = psi, time.perf_counter() - start
    print(f"{'propagator':16s} {'wall (s)':>9s} {'ratio':>6s} {'H·v':>6s}  ‖ψ(100 fs) − ψ_lanczos‖")
    for name, wall, products in [("lanczos", t_lanczos, lanczos.products),
                                 ("chebyshev", t_chebyshev, chebyshev.products),
                                 ("expm_multiply", t_expm, "-")]:
        error = np.linalg.norm(finals[name] - finals["lanczos"])
        print(f"{name:16s} {wall:9.2f} {wall / t_lanczos:6.1f} {products!s:>6s}  {error:.1e}")


def spawn(solver: str, pair: str, large: bool = False) -> dict:
    command = [sys.executable, __file__, "--one", solver, pair] + (["--large"] if large else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--one", nargs=2, metavar=("SOLVER", "PAIR"), help=argparse.SUPPRESS)
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--propagators", action="store_true")
    parser.add_argument("--states", nargs="*", default=PAPER_STATES)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*args.one, large=args.large)))
        return
    if args.propagators:
        propagators()
        return
    if args.large:
        r = spawn("exact", "singlet", large=True)
        drift = np.ptp(r["S_z_total"])
        print(f"singlet L=64 N=400 0-200 fs: {r['wall_s']:.0f} s, peak {r['max_rss_mib']:.0f} MiB, "
              f"final Δσ_z {r['delta_sigma_z'][-1]:.6f}, S_z_total drift {drift:.1e}")
        return
    threads = os.environ.get("OMP_NUM_THREADS", f"unset: OpenMP's default, {os.cpu_count()} cores")
    print(f"QuSpin's OpenMP threads: OMP_NUM_THREADS={threads}; the exact backend uses one thread.")
    print("QuSpin: end to end; 'evol': evolution + evaluating the observables (operators built);")
    print("'steps': QuSpin's expm_multiply_parallel steps alone. exact: end to end (sector,")
    print("Hamiltonian, state, evolution, every observable). Ratios: QuSpin time / exact time.")
    print(f"{'state':14s} {'QuSpin':>7s} {'evol':>6s} {'steps':>6s} {'exact':>6s} {'ratio':>6s} "
          f"{'r evol':>6s} {'r steps':>7s} {'QuSpin MiB':>10s} {'exact MiB':>9s} "
          f"{'max|ΔΔσ_z|':>11s} {'max|ΔP|':>9s}")
    for pair in args.states:
        q, e = spawn("quspin", pair), spawn("exact", pair)
        dd = np.max(np.abs(np.subtract(q["delta_sigma_z"], e["delta_sigma_z"])))
        dp = (np.max(np.abs(np.subtract(q["pair_spin_probabilities"],
                                        e["pair_spin_probabilities"])))
              if "pair_spin_probabilities" in e else float("nan"))
        evolve, steps, wall = q["phases"]["evolve"], q["phases"]["propagate"], e["wall_s"]
        print(f"{pair:14s} {q['wall_s']:7.1f} {evolve:6.1f} {steps:6.1f} {wall:6.2f} "
              f"{q['wall_s'] / wall:6.1f} {evolve / wall:6.1f} {steps / wall:7.1f} "
              f"{q['max_rss_mib']:10.0f} {e['max_rss_mib']:9.0f} {dd:11.1e} {dp:9.1e}")


if __name__ == "__main__":
    main()
