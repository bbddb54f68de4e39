"""Accuracy of TEBD's closing gate on a filled ring (qst_mps/mps/tebd.py), against the exact
backend; the numbers behind docs/notes/performance.md ("The ring on TEBD").

    python runs/bench/ring_closing.py gate        # 24 sites, the pair across the closing bond
    python runs/bench/ring_closing.py threshold   # 32 sites, the packet ever closer to it

``gate``: the closing gate in every even layer, once per step, left out and with its sign
flipped, at several dt. ``threshold``: once per step against every layer, as a function of the
density on the two sites the gate joins (the constant behind CLOSING_CENTRAL_DENSITY in
qst_mps/mps/backend.py). In both the MPS starts at site 0 (the search for an empty stretch is
switched off), so that the packets run across the closing bond.
"""

from __future__ import annotations

import argparse
import sys
import warnings

import numpy as np

KEYS = ("density", "current", "sigma_el", "S_loc", "energy", "delta_sigma_z")


def ring(N, n_first, state, dt, t_max):
    from qst_mps.config import resolve

    return resolve({
        "model": {"N": N, "L": 2, "n_first": n_first, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"sigma_d": 1.5, "k_e": 1.5, **state},
        "evolution": {"backend": "mps", "t_max": t_max, "dt_out": 0.5, "dt": dt,
                      "svd_min": 1e-10},
        "output": {"observables": ["current"]},
    })


def largest_error(config, exact, gate):
    """Largest |mps − exact| over KEYS with the closing gate as ``gate``: 'auto' (the
    backend's rule), 'every' (every even layer), 'once' (once per step), 'none', 'flip'."""
    from qst_mps.mps.model import SpinTransferChain
    from qst_mps.simulation import simulate

    closing_bond = SpinTransferChain.closing_bond
    options = {"start_where_empty": False,  # the MPS starts at site 0
               "closing_gate": {"every": "every_layer", "once": "once"}.get(gate, "auto")}
    try:
        if gate in ("none", "flip"):  # a wrong gate, to show what the right one is worth
            sign = 0.0 if gate == "none" else -1.0
            SpinTransferChain.closing_bond = lambda self: sign * closing_bond(self)
        mps = simulate(config, backend_options=options)
    finally:
        SpinTransferChain.closing_bond = closing_bond
    return max(float(np.max(np.abs(mps[k] - exact[k]))) for k in KEYS if k in exact)


def exact_of(config):
    from qst_mps.config import resolve
    from qst_mps.simulation import simulate

    return simulate(resolve(dict(config, evolution=dict(config["evolution"], backend="exact"))))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=["gate", "threshold"])
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    if args.study == "gate":
        print("| gate | dt fs | max abs error |\n|---|---|---|")
        for gate, steps in (("every", (0.5, 0.25, 0.1)), ("once", (0.5, 0.1)),
                            ("none", (0.1,)), ("flip", (0.1,))):
            for dt in steps:
                config = ring(24, 8, {"pair": "singlet", "x2": 22.0, "d": 5.0}, dt, 1.0)
                error = largest_error(config, exact_of(config), gate)
                print(f"| {gate} | {dt:g} | {error:.1e} |", flush=True)
    else:
        print("| x2 | density on the closing bond | once per step | every layer |")
        print("|---|---|---|---|")
        for x2 in (6.0, 4.5, 3.5, 2.5, 1.5, 0.5):
            config = ring(32, 14, {"pair": "single_down", "x2": x2}, 0.5, 2.0)
            exact = exact_of(config)
            density = float(np.max(exact["density"][:, [0, 31]].sum(axis=1)))
            print(f"| {x2:g} | {density:.1e} | {largest_error(config, exact, 'once'):.1e} | "
                  f"{largest_error(config, exact, 'every'):.1e} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
