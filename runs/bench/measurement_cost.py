"""What one measurement of the always-recorded observables costs on the mps backend at a given
bond dimension (issue: speed, item 2; docs/notes/performance.md).

    python runs/bench/measurement_cost.py [--chi 64 128 256] [--N 60] [--repeats 3]

The state: six electrons (three ↑) and L = 4 spins in the middle of an open chain of N sites
(the problem's own sites, charges and operators; two electrons would cap chi at the size of
their sectors, about 66 here), scrambled by TeNPy's RandomUnitaryEvolution (charge-conserving random
two-site gates) until half the bonds are at chi. A run's MPS is at
its largest chi only inside its window; this is the cost of a window of N sites at chi.

Reported, median of ``repeats``: the whole measurement (Measurement.measure), and its parts:
three whole-chain one-site expectation values (as σ_el, S_loc and density take), each MPO
expectation value (⟨H⟩, ⟨S_el²⟩, and Σ n↑n↑ which only a pair needs), and P(N↑ = n) by the
characteristic function (K > 2).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def scrambled(chi: int, N: int):
    from tenpy.algorithms.tebd import RandomUnitaryEvolution

    from qst_mps.config import resolve
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.problem import build

    config = resolve({"model": {"N": N, "L": 4, "n_first": N // 2 - 2, "boundary": "open"},
                      "state": {"electrons": "box", "box": [0, 11], "n_up": 3, "n_down": 3},
                      "evolution": {"backend": "mps", "t_max": 1.0}})
    backend = MPSBackend(build(config), config["evolution"])
    psi = backend.psi
    engine = RandomUnitaryEvolution(psi, {"N_steps": 1,
                                          "trunc_params": {"chi_max": chi, "svd_min": 1e-14}})
    for _ in range(40):  # each run applies one layer of random gates to every bond
        engine.run()
        if np.median(psi.chi) >= chi:
            break
    psi.canonical_form()
    return backend, psi


def timed(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def costs(chi: int, N: int, repeats: int) -> dict:
    """Seconds (median of ``repeats``, one BLAS thread) of the measurement and its parts."""
    from threadpoolctl import threadpool_limits

    backend, psi = scrambled(chi, N)
    measurement = backend.measurement
    sites = [measurement.chain.op("Sz", x) for x in range(N)]
    mpos = measurement.chain.pair_mpos()  # Σ n↑n↑ is a pair's; not measured for K > 2
    characteristic = [measurement.chain.up_characteristic_mpo(angle)
                      for angle in measurement.angles]
    parts = {
        "whole": lambda: measurement.measure(psi),
        "one-site": lambda: [psi.expectation_value(sites) for _ in range(3)],
        "H": lambda: measurement.chain.H_MPO.expectation_value(psi),
        "S2": lambda: mpos["S2"].expectation_value(psi),
        "up_pairs": lambda: mpos["up_pairs"].expectation_value(psi),
        "P(N_up)": lambda: [mpo.expectation_value(psi) for mpo in characteristic],
    }
    with threadpool_limits(1, user_api="blas"):
        out = {name: timed(function, repeats) for name, function in parts.items()}
    out["max_chi"] = max(psi.chi)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chi", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--N", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'chi':>4s} {'max chi':>7s} {'whole s':>8s} {'one-site':>8s} {'<H>':>7s} "
          f"{'S_el^2':>7s} {'n_up n_up':>9s} {'P(N_up), K > 2':>14s}")
    for chi in args.chi:
        c = costs(chi, args.N, args.repeats)
        print(f"{chi:4d} {c['max_chi']:7d} {c['whole']:8.2f} {c['one-site']:8.3f} "
              f"{c['H']:7.2f} {c['S2']:7.2f} {c['up_pairs']:9.2f} {c['P(N_up)']:14.2f}",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
