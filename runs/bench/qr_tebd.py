"""TeNPy's QR-based TEBD against its SVD-based TEBD, on a saved state of large bond dimension.

    python runs/bench/qr_tebd.py runs/currents/out/pulse_chi256_dt0.1.h5 --fs 0.5 --dt 0.25
    python runs/bench/qr_tebd.py runs/currents/out/pulse_chi400_dt0.4.h5 --chi-max 400

``QRBasedTEBDEngine`` (Unfried, Hauschild, Pollmann, arXiv:2212.09782) replaces the SVD of the
two-site tensor by QR decompositions on a bond grown by ``cbe_expand`` and one SVD of the small
bond matrix. It is TeNPy's public API, so it could replace ``TEBDEngine`` in qst_mps's window
engine without code of ours. This script takes the MPS of an mps result file (its last
checkpoint), evolves it over ``--fs`` with each engine in turn (after one untimed step that
builds the gates), in this one process on one BLAS thread, and prints the wall times, their
ratio, the discarded weight of each and how far the two final states are apart.
docs/notes/performance.md has the numbers and the conclusion.
"""

from __future__ import annotations

import argparse
import time
import warnings

from mps_state import saved_backend

from qst_mps.constants import HBAR


def evolve(engine_class, backend, psi0, args, **options):
    """Wall time, final state and discarded weight of ``args.fs`` fs from ``psi0``."""
    from threadpoolctl import threadpool_limits

    psi = psi0.copy()
    engine = engine_class(psi, backend.model, {
        "trunc_params": {"chi_max": args.chi_max, "svd_min": args.svd_min}, "order": "4_opt",
        "max_delta_t": 10.0, "max_N_sites_per_ring": psi.L, **options})
    with threadpool_limits(1, user_api="blas"):
        engine.run_evolution(1, args.dt / HBAR)  # builds the gates, not timed
        engine.trunc_err = type(engine.trunc_err)()
        start = time.perf_counter()
        engine.run_evolution(round(args.fs / args.dt), args.dt / HBAR)
    return time.perf_counter() - start, psi, engine.trunc_err.eps


def main() -> None:
    from tenpy.algorithms.tebd import QRBasedTEBDEngine

    from qst_mps.mps.tebd import WindowTEBDEngine

    class WindowQRTEBDEngine(WindowTEBDEngine, QRBasedTEBDEngine):
        """The window engine with TeNPy's QR-based bond update."""

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", help="an mps result file with a checkpoint")
    parser.add_argument("--fs", type=float, default=0.5, help="fs evolved, timed")
    parser.add_argument("--dt", type=float, default=0.25, help="fs per step")
    parser.add_argument("--chi-max", type=int, default=256)
    parser.add_argument("--svd-min", type=float, default=1e-10)
    parser.add_argument("--cbe-expand", type=float, default=0.1, help="QR: TeNPy's default 0.1")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # TeNPy's notes on unit_cell_width and unused options
    backend = saved_backend(args.path)
    psi0 = backend.psi.copy()
    print(f"{args.path}: {psi0.L} sites, largest chi {max(psi0.chi)}, {args.fs} fs in steps "
          f"of {args.dt} fs, chi_max {args.chi_max}")
    svd_time, svd_psi, svd_err = evolve(WindowTEBDEngine, backend, psi0, args)
    print(f"  SVD (TEBDEngine):        {svd_time:7.1f} s  discarded {svd_err:.2e}  "
          f"largest chi {max(svd_psi.chi)}")
    for compute_err in (True, False):
        qr_time, qr_psi, qr_err = evolve(WindowQRTEBDEngine, backend, psi0, args,
                                         cbe_expand=args.cbe_expand, compute_err=compute_err)
        print(f"  QR (compute_err={compute_err!s:5}): {qr_time:7.1f} s  discarded {qr_err:.2e}  "
              f"largest chi {max(qr_psi.chi)}  SVD/QR time {svd_time / qr_time:.2f}  "
              f"1 - |<SVD|QR>| {1 - abs(svd_psi.overlap(qr_psi)):.1e}")


if __name__ == "__main__":
    main()
