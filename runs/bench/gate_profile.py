"""Where the time of one TEBD gate goes (issue: speed, item 3; docs/notes/performance.md).

    python runs/bench/gate_profile.py [--L 64] [--pair singlet] [--t0 0] [--span 5]

Evolves the scaling family's member (runs/scaling/family.py) on the mps backend to ``t0`` fs
without profiling, then ``span`` fs under cProfile, and sorts the time spent inside functions
(cProfile's tottime) into what it is: SVD (LAPACK through numpy/scipy), tensordot (BLAS and
np_conserved's block matching), charge and leg bookkeeping (LegCharge, LegPipe, combine and
split of legs, Array construction and checks), and the rest (Python in TeNPy's engine and
here). No measurement is profiled. The same span is first run without the profiler, for the
true time per gate; cProfile's own overhead inflates the share of small Python functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "runs" / "scaling"))

#: (category, substrings of "file:function") in the order they are tried.
CATEGORIES = [
    ("SVD", ("svd", "gesdd", "gesvd", "_svd")),
    ("tensordot", ("tensordot", "_tensordot", "dot", "matmul", "inner")),
    ("legs and charges", ("charges.py", "combine_legs", "split_legs", "LegPipe", "LegCharge",
                          "_combine", "_split", "itranspose", "transpose", "_set_shape",
                          "np_conserved.py:__init__", "test_sanity", "copy", "ireplace",
                          "get_leg", "_imake_contiguous", "make_pipe", "sort_legcharge",
                          "to_qflat", "from_", "_iter_", "_find_")),
]


def categorize(stats: pstats.Stats) -> dict:
    totals = {name: 0.0 for name, _ in CATEGORIES} | {"rest": 0.0}
    calls = {name: 0 for name in totals}
    for (file, _, function), (_, ncalls, tottime, _, _) in stats.stats.items():
        where = f"{Path(file).name}:{function}"
        name = next((category for category, keys in CATEGORIES
                     if any(key in where for key in keys)), "rest")
        totals[name] += tottime
        calls[name] += ncalls
    return totals, calls


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--L", type=int, default=64)
    parser.add_argument("--pair", default="singlet")
    parser.add_argument("--t0", type=float, default=0.0)
    parser.add_argument("--span", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)

    from family import family

    from qst_mps.config import resolve
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.problem import build

    config = family(args.L)
    config = resolve({**config, "state": {**config.get("state", {}), "pair": args.pair},
                      "evolution": {**config.get("evolution", {}), "backend": "mps",
                                    "t_max": args.t0 + args.span}})
    def started_backend():
        backend = MPSBackend(build(config), config["evolution"])
        if args.t0 > 0:
            for _ in backend.evolve([args.t0]):
                pass
        return backend

    backend = started_backend()
    started = time.perf_counter()
    for _ in backend.evolve([args.t0 + args.span]):
        pass
    unprofiled = time.perf_counter() - started
    backend = started_backend()
    from qst_mps.mps.tebd import WindowTEBDEngine

    gates = {"count": 0}
    update = WindowTEBDEngine.update_bond

    def counting(self, i, U_bond):
        gates["count"] += 1
        return update(self, i, U_bond)

    WindowTEBDEngine.update_bond = counting
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    for _ in backend.evolve([args.t0 + args.span]):
        pass
    profile.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile)
    totals, calls = categorize(stats)
    chi = max(backend.psi.chi)
    print(f"L = {args.L}, {args.pair}, {args.t0:g} → {args.t0 + args.span:g} fs: "
          f"{gates['count']} gates, largest chi {chi}, window {backend.engine.window}, "
          f"{unprofiled:.2f} s ({1e3 * unprofiled / max(gates['count'], 1):.2f} ms per gate), "
          f"{wall:.2f} s profiled")
    for name, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {name:18s} {seconds:7.2f} s  {100 * seconds / wall:5.1f} %  "
              f"{calls[name] / max(gates['count'], 1):7.1f} calls per gate")
    stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
