"""Benchmarks of the mps backend on a saved state: BLAS threads, N/S_z conservation, and the
cost of an output interval (the SVD or the Gram matrix; every observable or dt_heavy).

    python runs/bench/mps_state.py threads runs/scaling/out/mps/singlet_L064.h5 --fs 1
    python runs/bench/mps_state.py conservation runs/scaling/out/mps/singlet_L008.h5 --fs 0.5
    python runs/bench/mps_state.py interval runs/scaling/out/mps/singlet_L128.h5 --fs 1
    python runs/bench/mps_state.py processes runs/scaling/out/mps/singlet_L128.h5 --fs 5
    python runs/bench/mps_state.py evolve runs/scaling/out/mps/singlet_L128.h5 --fs 5
    python runs/bench/mps_state.py gates runs/scaling/out/mps/singlet_L128.h5
    python runs/bench/mps_state.py sectors runs/scaling/out/mps/singlet_L128.h5

Both take the MPS of an mps result file (its last checkpoint, a state of realistic bond
dimension) and time its evolution over ``--fs`` femtoseconds, after one untimed step that builds
the engine's gates, in this one process.

``threads``: once per thread count (``--threads``, default 1 2), twice over, so that a change
of load on a shared machine shows up as a spread; prints the wall time per fs and the speed-up
against the first count. Run it on an otherwise idle machine: a second thread needs a second
core.

``conservation``: as saved, with TeNPy's block-sparse tensors labelled by N and 2 S_z, and with
the charges dropped (the same tensors as dense blocks, the model built with ``conserve=False``).
Prints the wall time per fs of each, their ratio, and the overlap of the two evolved states
(they must agree: dropping charges changes the storage, not the numbers).

``interval``: output intervals of ``dt_out`` (each its steps, then the measurement a run
takes there) over ``--fs`` femtoseconds, in four variants, each its own copy of the saved
state, one interval of each in turn (so that a change of load hits them alike): the bond's SVD
or its Gram matrix (bond_update.GRAM_SVD_MIN moved out of reach for the SVD; the run's own
svd_min must be ≥ 1e-7 for the Gram matrix), with the heavy observables measured at every
output time or at none of them (as between two times of output.dt_heavy). Prints each one's
median wall time per fs, its step and measurement parts, the median over the intervals of its
ratio to the SVD with every observable (the code before either change), and how far the
Gram-matrix state is from the SVD one at the end.

``processes``: output intervals (steps and measurement, the heavy observables every
``--heavy-every`` intervals) of two copies of the saved state, one evolved with
``evolution.processes = 1`` and one with 2, in turn; prints each one's median wall time per fs,
the median and range of the per-interval speed-ups, and whether the two states are the same bit
for bit. Run it on an otherwise idle machine: the second process needs the second core.
``--min-work-seconds 0`` splits every interval, however little work it has (the measurement
behind ``parallel.MIN_WORK_SECONDS``).

``evolve``: output intervals of the saved state, as in ``processes``, with ``--processes``
processes only; prints the wall time per fs. For the same benchmark at two commits, run by
``farm-bench`` (each in a fresh interpreter, the package from its own PYTHONPATH).

``gates``: TeNPy's ``calc_U`` for every bond of the saved state's chain, as TeNPy runs it for
each new step length (best of three).

``sectors``: the charge-sector matrices θ whose decomposition one step of the saved state
takes, every tenth of them timed as a batch (best of three, one BLAS thread) through numpy's SVD
and through the Gram matrix (bond_update._right_factors), with the largest difference of their
singular values and of V V† from the identity (weighted by S_i S_j, as they enter a state).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np


def saved_backend(path: str, conserve: bool = True, processes: int | None = None):
    """An MPSBackend holding the last checkpoint of the mps result file ``path`` (with
    ``evolution.processes`` set to ``processes`` when given)."""
    from qst_mps import results
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.mps.model import SpinTransferChain
    from qst_mps.problem import build

    saved = results.load(path, checkpoint=True)
    backend = MPSBackend(build(saved.config), saved.config["evolution"])
    backend.restore(saved["checkpoint"]["backend"])
    if processes is not None:
        backend.evolution = dataclasses.replace(backend.evolution, processes=processes)
    if not conserve:
        backend.model = SpinTransferChain(backend.problem.model, conserve=False)
        backend.psi = without_charges(backend.psi, backend.model.lat.mps_sites())
    return backend


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


def seconds_per_fs(backend, fs: float, threads: int | None = None) -> float:
    """Wall seconds per fs of ``fs`` femtoseconds in steps of evolution.dt (after one step)."""
    from threadpoolctl import threadpool_limits

    dt = backend.evolution.dt
    times = [backend.time + dt * (k + 1) for k in range(round(fs / dt) + 1)]
    next(backend.evolve(times[:1]))  # builds the engine and its gates
    with threadpool_limits(threads):
        start = time.perf_counter()
        for _ in backend.evolve(times[1:]):
            pass
        return (time.perf_counter() - start) / (times[-1] - times[0])


def threads(args) -> None:
    per_fs = {n: [] for n in args.threads}
    for _ in range(2):
        for n in args.threads:
            per_fs[n].append(seconds_per_fs(saved_backend(args.result), args.fs, n))
            print(f"threads {n}: {per_fs[n][-1]:.2f} s per fs", flush=True)
    base = min(per_fs[args.threads[0]])
    for n, values in per_fs.items():
        print(f"threads {n}: best {min(values):.2f} s per fs "
              f"(trials {', '.join(f'{v:.2f}' for v in values)}), "
              f"speed-up {base / min(values):.2f}x against {args.threads[0]}")


def conservation(args) -> None:
    per_fs, final = {}, {}
    for conserve in (True, False):
        backend = saved_backend(args.result, conserve)
        per_fs[conserve] = seconds_per_fs(backend, args.fs)
        final[conserve] = backend.psi
        print(f"conserve N, S_z = {conserve}: {per_fs[conserve]:.2f} s per fs, "
              f"max chi {max(backend.psi.chi)}", flush=True)
    overlap = without_charges(final[True], final[False].sites).overlap(final[False])
    print(f"dropping the charges: {per_fs[False] / per_fs[True]:.1f}x the wall time per fs; "
          f"|1 - <conserved|dropped>| = {abs(1 - overlap):.1e}")


def timed_interval(backend, dt_out: float, heavy: bool) -> tuple[float, float]:
    """One output interval of ``backend``: its steps, then the measurement a run takes there
    (the heavy observables or not). Returns the wall seconds of each."""
    start = time.perf_counter()
    next(backend.evolve([backend.time + dt_out]))
    middle = time.perf_counter()
    backend.measure(heavy=heavy)
    return middle - start, time.perf_counter() - middle


def interleaved_intervals(backends: dict, args) -> dict:
    """Output intervals over ``args.fs`` of each of ``backends`` in turn (the heavy observables
    every ``args.heavy_every``th), the first one left out (it builds the engines): the
    (evolve, measure) seconds of each interval, per backend."""
    dt_out = next(iter(backends.values())).evolution.dt_out
    seconds = {key: [] for key in backends}
    for k in range(round(args.fs / dt_out) + 1):
        heavy = k % args.heavy_every == 0
        for key, backend in backends.items():
            timed = timed_interval(backend, dt_out, heavy)
            if k:
                seconds[key].append(timed)
    return seconds


def interval(args) -> None:
    import statistics

    from qst_mps.mps import bond_update

    gram = bond_update.GRAM_SVD_MIN
    variants = {("SVD", True): np.inf, ("Gram", True): gram, ("SVD", False): np.inf,
                ("Gram", False): gram}
    backends = {variant: saved_backend(args.result) for variant in variants}
    dt_out = next(iter(backends.values())).evolution.dt_out
    seconds = {variant: [] for variant in variants}  # per interval: (evolve, measure)
    for k in range(round(args.fs / dt_out) + 1):  # the first interval builds the engines
        for variant, threshold in variants.items():
            backend, heavy = backends[variant], variant[1]
            bond_update.GRAM_SVD_MIN = threshold
            timed = timed_interval(backend, dt_out, heavy)
            if k:
                seconds[variant].append(timed)
    bond_update.GRAM_SVD_MIN = gram
    base = [sum(pair) for pair in seconds[("SVD", True)]]
    print(f"{len(base)} intervals of {dt_out:g} fs, the variants in turn in each")
    print("| split | heavy observables | s per fs | evolve | measure | speed-up (median of "
          "the intervals' ratios) |")
    print("|---|---|---|---|---|---|")
    for (split, heavy), pairs in seconds.items():
        evolving = statistics.median(e for e, _ in pairs) / dt_out
        measuring = statistics.median(m for _, m in pairs) / dt_out
        ratio = statistics.median(b / sum(pair) for b, pair in zip(base, pairs, strict=True))
        print(f"| {split} | {'every output' if heavy else 'none'} | "
              f"{statistics.median(sum(p) for p in pairs) / dt_out:.2f} | {evolving:.2f} | "
              f"{measuring:.2f} | {ratio:.2f}x |")
    final = {variant: backend.psi for variant, backend in backends.items()}
    overlap = abs(final[("Gram", True)].overlap(final[("SVD", True)]))
    print(f"|1 − ⟨Gram|SVD⟩| after the last interval: {abs(1 - overlap):.1e}")


def processes(args) -> None:
    import statistics

    from qst_mps.mps import parallel

    if args.min_work_seconds is not None:
        parallel.MIN_WORK_SECONDS = args.min_work_seconds
    backends = {count: saved_backend(args.result, processes=count) for count in (1, 2)}
    dt_out = backends[1].evolution.dt_out
    seconds = interleaved_intervals(backends, args)  # per interval: (evolve, measure)
    base = [sum(pair) for pair in seconds[1]]
    print(f"{len(base)} intervals of {dt_out:g} fs, one process and two in turn in each, the "
          f"heavy observables in every {args.heavy_every}th")
    print("| processes | s per fs | evolve | measure | speed-up (median of the intervals' "
          "ratios) | range |")
    print("|---|---|---|---|---|---|")
    for count, pairs in seconds.items():
        ratios = [b / sum(pair) for b, pair in zip(base, pairs, strict=True)]
        print(f"| {count} | {statistics.median(sum(p) for p in pairs) / dt_out:.2f} | "
              f"{statistics.median(e for e, _ in pairs) / dt_out:.2f} | "
              f"{statistics.median(m for _, m in pairs) / dt_out:.2f} | "
              f"{statistics.median(ratios):.2f}x | {min(ratios):.2f}–{max(ratios):.2f} |")
    one, two = backends[1].psi, backends[2].psi
    same = all(np.array_equal(one.get_SL(j), two.get_SL(j))
               and np.array_equal(one.get_B(j, None).to_ndarray(), two.get_B(j, None).to_ndarray())
               for j in range(one.L))
    second = backends[2]._second
    print(f"every B and Schmidt value the same: {same}; window {backends[2].engine.window}; "
          f"this process waited {second.waited:.1f} s for the second and computed "
          f"{second.computed:.1f} s")


def evolve(args) -> None:
    backend = saved_backend(args.result, processes=args.processes)
    dt_out = backend.evolution.dt_out
    seconds = [sum(timed) for timed in interleaved_intervals({0: backend}, args)[0]]
    print(f"processes {args.processes}: {sum(seconds) / (len(seconds) * dt_out):.2f} s per fs "
          f"over {len(seconds)} intervals of {dt_out:g} fs")


def gates(args) -> None:
    """What TeNPy's calc_U takes to build every gate of the saved state's chain again (as it
    does for a step that differs from the last one in its last bits), best of three."""
    backend = saved_backend(args.result, processes=1)
    next(backend.evolve([backend.time + backend.evolution.dt_out]))  # builds the engine
    engine = backend.engine
    order, dt = engine._U_param["order"], engine._U_param["delta_t"]
    seconds = []
    for _ in range(3):
        engine._U_param = {}  # as after a step of another length
        start = time.perf_counter()
        engine.calc_U(order, dt)
        seconds.append(time.perf_counter() - start)
    print(f"calc_U at N = {engine.psi.L}: {min(seconds):.2f} s (best of three; "
          f"{', '.join(f'{x:.2f}' for x in seconds)})")


def sectors(args) -> None:
    from threadpoolctl import threadpool_limits

    from qst_mps.mps import bond_update

    backend = saved_backend(args.result)
    dt = backend.evolution.dt
    next(backend.evolve([backend.time + dt]))  # builds the engine
    matrices, svd, gram = [], bond_update._svd, bond_update.GRAM_SVD_MIN
    bond_update.GRAM_SVD_MIN = np.inf  # every sector through _svd, which records it

    def recorded(matrix):
        matrices.append(matrix.copy())
        return svd(matrix)

    bond_update._svd = recorded
    next(backend.evolve([backend.time + dt]))
    bond_update._svd, bond_update.GRAM_SVD_MIN = svd, gram
    sample = matrices[::10]
    shapes = np.array([m.shape for m in sample])
    print(f"{len(matrices)} sector matrices in one step; timed: {len(sample)}, rows ≤ "
          f"{shapes[:, 0].max()}, columns ≤ {shapes[:, 1].max()}")

    def batch(decompose) -> float:
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            for matrix in sample:
                decompose(matrix)
            best = min(best, time.perf_counter() - start)
        return best

    with threadpool_limits(1, user_api="blas"):
        seconds = {"SVD": batch(lambda m: np.linalg.svd(m, full_matrices=False)),
                   "Gram": batch(bond_update._right_factors)}
    dS = overlap = 0.0
    for matrix in sample:
        expected = np.linalg.svd(matrix, compute_uv=False)
        S, V = bond_update._right_factors(matrix)
        scale = max(np.linalg.norm(matrix), 1e-300)
        dS = max(dS, np.abs(S - expected).max() / scale)
        weighted = (V @ V.conj().T - np.eye(len(S))) * np.outer(S, S)
        overlap = max(overlap, np.abs(weighted).max() / scale**2)
    print(f"SVD {seconds['SVD']:.3f} s, Gram {seconds['Gram']:.3f} s, ratio "
          f"{seconds['SVD'] / seconds['Gram']:.2f}; max |S − S_svd| / ‖θ‖ = {dS:.1e}, "
          f"max |S_i S_j (V V† − 1)_ij| / ‖θ‖² = {overlap:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["threads", "conservation", "interval", "processes",
                                         "evolve", "gates", "sectors"])
    parser.add_argument("result", help="an mps result file with a checkpoint")
    parser.add_argument("--fs", type=float, default=1.0, help="femtoseconds timed")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--processes", type=int, default=2, help="evolve: evolution.processes")
    parser.add_argument("--min-work-seconds", type=float,
                        help="processes: parallel.MIN_WORK_SECONDS (0: split every interval)")
    parser.add_argument("--heavy-every", type=int, default=10,
                        help="processes: measure the heavy observables every this many intervals "
                             "(10: output.dt_heavy = 5 at dt_out = 0.5)")
    args = parser.parse_args()
    if args.what == "threads":
        # before numpy loads: BLAS may start this many threads, and the backend then leaves
        # the count to threadpool_limits instead of fixing it at one
        os.environ["OMP_NUM_THREADS"] = str(max(args.threads))
        threads(args)
    elif args.what == "interval":
        interval(args)
    elif args.what == "processes":
        processes(args)
    elif args.what == "evolve":
        evolve(args)
    elif args.what == "gates":
        gates(args)
    elif args.what == "sectors":
        sectors(args)
    else:
        conservation(args)


if __name__ == "__main__":
    main()
