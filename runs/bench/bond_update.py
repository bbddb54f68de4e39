"""One TEBD gate on the mps backend: TeNPy's ``TEBDEngine.update_bond`` against
qst_mps/mps/bond_update.py, at a given bond dimension (issue: speed, item 3;
docs/notes/performance.md).

    python runs/bench/bond_update.py [--chi 16 64 128 256] [--N 60] [--rounds 3] [--svd-min 1e-8]

The states are runs/bench/measurement_cost.py's: six electrons and four spins on an open chain
of N sites, scrambled by TeNPy's charge-conserving random gates until half the bonds are at
chi. On each, both update the same bonds (a layer of the model's 0.5 fs gates on every odd
bond, then every even one) from copies of the same state, in turn, ``rounds`` times; the median
time per gate of each and their ratio are printed, with the largest difference of their
Schmidt values and the fidelity of the two final states (both must agree to rounding).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from measurement_cost import scrambled


def layer(update, psi, gates) -> float:
    """Seconds per gate of one odd and one even layer of ``gates`` through ``update``."""
    bonds = [i for parity in (1, 0) for i in range(2 - parity, psi.L, 2)]
    started = time.perf_counter()
    for i in bonds:
        update(psi, i, gates[i])
    return (time.perf_counter() - started) / len(bonds)


def compare(chi: int, N: int, rounds: int, svd_min: float = 1e-8) -> dict:
    from tenpy.algorithms.tebd import TEBDEngine
    from threadpoolctl import threadpool_limits

    from qst_mps.constants import HBAR
    from qst_mps.mps.bond_update import update_bond
    from qst_mps.mps.tebd import WindowTEBDEngine

    backend, psi = scrambled(chi, N)
    trunc_params = {"chi_max": max(psi.chi), "svd_min": svd_min}
    engine = WindowTEBDEngine(psi.copy(), backend.model, {
        "order": "4_opt", "trunc_params": trunc_params,
        "max_N_sites_per_ring": backend.model.lat.N_sites_per_ring})
    engine.calc_U("4_opt", 0.5 / HBAR)
    gates = engine._U[1]

    def tenpy(state, i, gate):
        engine.psi = state
        TEBDEngine.update_bond(engine, i, gate)

    def ours(state, i, gate):
        update_bond(state, i, gate, engine.trunc_params)

    times = {"tenpy": [], "qst_mps": []}
    with threadpool_limits(1, user_api="blas"):
        for _ in range(rounds):
            finals = {}
            for name, update in (("tenpy", tenpy), ("qst_mps", ours)):
                finals[name] = psi.copy()
                times[name].append(layer(update, finals[name], gates))
    a, b = finals["tenpy"], finals["qst_mps"]
    dS = max(np.max(np.abs(a.get_SL(i) - b.get_SL(i))) for i in range(1, a.L))
    fidelity = abs(a.overlap(b)) / np.sqrt(abs(a.overlap(a) * b.overlap(b)))
    median = {name: statistics.median(values) for name, values in times.items()}
    return {"chi": max(psi.chi), **median, "ratio": median["tenpy"] / median["qst_mps"],
            "dS": dS, "infidelity": 1 - fidelity}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chi", type=int, nargs="+", default=[16, 64, 128, 256])
    parser.add_argument("--N", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--svd-min", type=float, default=1e-8,
                        help="the cut of both; from 1e-7 on ours takes the Gram matrix")
    args = parser.parse_args()
    print("| chi | TeNPy update_bond (ms per gate) | bond_update.py (ms per gate) | ratio "
          "| max \\|ΔS\\| | 1 − fidelity |")
    print("|---|---|---|---|---|---|")
    for chi in args.chi:
        r = compare(chi, args.N, args.rounds, args.svd_min)
        print(f"| {r['chi']} | {1e3 * r['tenpy']:.2f} | {1e3 * r['qst_mps']:.2f} | "
              f"{r['ratio']:.2f} | {r['dS']:.1e} | {r['infidelity']:.1e} |", flush=True)


if __name__ == "__main__":
    main()
