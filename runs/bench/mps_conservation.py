"""Benchmark: what conserving particle number and S_z saves the mps backend.

    python runs/bench/mps_conservation.py runs/scaling/out/mps/singlet_L008.h5 --fs 1

Takes the saved MPS of an mps result file (its last checkpoint), and evolves it for ``--fs``
femtoseconds twice in this one process: as saved, with TeNPy's block-sparse tensors labelled by
N and 2 S_z, and with the charges dropped (the same tensors, dense blocks, the model built with
``conserve=False``). Prints the wall time per fs of each, their ratio, and the overlap of the two
evolved states (they must agree: dropping charges changes the storage, not the numbers).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def without_charges(psi, sites):
    """The same MPS on sites without conservation laws.

    A grouped site orders its basis by charge when it has charges: the physical leg is
    permuted from the conserved site's order to the new site's by the state labels.
    """
    from tenpy.networks.mps import MPS

    tensors = []
    for i, site in enumerate(sites):
        order = np.empty(site.dim, dtype=int)
        for label, index in site.state_labels.items():
            order[index] = psi.sites[i].state_labels[label]
        tensors.append(psi.get_B(i, "B").drop_charge().permute(order, "p"))
    return MPS(sites, tensors, [np.asarray(psi.get_SL(i)) for i in range(psi.L)] + [np.ones(1)],
               bc="finite", form="B", norm=psi.norm)


def evolve(backend, fs: float) -> float:
    """Wall seconds per fs of ``fs`` femtoseconds in steps of evolution.dt (after one step)."""
    dt = backend.config["evolution"]["dt"]
    times = [backend.time + dt * (k + 1) for k in range(round(fs / dt) + 1)]
    next(backend.evolve(times[:1]))  # builds the engine and its gates
    start = time.perf_counter()
    for _ in backend.evolve(times[1:]):
        pass
    return (time.perf_counter() - start) / (times[-1] - times[0])


def main() -> None:
    from qst_mps import results
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.mps.model import SpinTransferChain

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", help="an mps result file with a checkpoint")
    parser.add_argument("--fs", type=float, default=1.0, help="femtoseconds timed")
    args = parser.parse_args()
    saved = results.load(args.result, checkpoint=True)
    state = saved["checkpoint"]["backend"]
    per_fs, final = {}, {}
    for conserve in (True, False):
        backend = MPSBackend(saved.config)
        backend.load_state(dict(state, psi=state["psi"].copy()))
        if not conserve:
            backend.model = SpinTransferChain(saved.config["model"], conserve=False)
            backend.psi = without_charges(backend.psi, backend.model.lat.mps_sites())
        per_fs[conserve] = evolve(backend, args.fs)
        final[conserve] = backend.psi
        print(f"conserve N, S_z = {conserve}: {per_fs[conserve]:.2f} s per fs, "
              f"max chi {max(backend.psi.chi)}", flush=True)
    reference = without_charges(final[True], final[False].sites)
    overlap = reference.overlap(final[False])
    print(f"dropping the charges: {per_fs[False] / per_fs[True]:.1f}x the wall time per fs; "
          f"|1 - <conserved|dropped>| = {abs(1 - overlap):.1e}")


if __name__ == "__main__":
    main()
