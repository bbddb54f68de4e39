"""Benchmark: does the mps backend gain from more than one BLAS/LAPACK thread?

    python runs/bench/mps_threads.py runs/scaling/out/mps/singlet_L064.h5 --fs 2 --threads 1 2

Takes the saved MPS of an mps result file (its last checkpoint, i.e. a state of realistic bond
dimension) and evolves it for ``--fs`` femtoseconds with each thread count in turn, in this
one process, alternating twice so that a change of load on a shared machine shows up as a
spread. Prints the wall time per fs and the speed-up against one thread. Use it on an otherwise
idle machine: the second thread needs the second core.
"""

from __future__ import annotations

import argparse
import os
import time

from threadpoolctl import threadpool_limits


def time_per_fs(path: str, fs: float, threads: int) -> float:
    from qst_mps import results
    from qst_mps.mps.backend import MPSBackend

    saved = results.load(path, checkpoint=True)
    backend = MPSBackend(saved.config)
    backend.load_state(saved["checkpoint"]["backend"])
    times = [backend.time + saved.config["evolution"]["dt"] * (k + 1)
             for k in range(round(fs / saved.config["evolution"]["dt"]))]
    next(backend.evolve(times[:1]))  # builds the engine and its gates
    with threadpool_limits(threads):
        start = time.perf_counter()
        for _ in backend.evolve(times[1:]):
            pass
        return (time.perf_counter() - start) / (times[-1] - times[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", help="an mps result file with a checkpoint")
    parser.add_argument("--fs", type=float, default=2.0, help="femtoseconds timed per trial")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    # before numpy loads: BLAS may start this many threads, and the backend then leaves the
    # count to threadpool_limits below instead of fixing it at one
    os.environ["OMP_NUM_THREADS"] = str(max(args.threads))
    per_fs = {n: [] for n in args.threads}
    for _ in range(2):
        for n in args.threads:
            per_fs[n].append(time_per_fs(args.result, args.fs, n))
            print(f"threads {n}: {per_fs[n][-1]:.2f} s per fs", flush=True)
    base = min(per_fs[args.threads[0]])
    for n, values in per_fs.items():
        print(f"threads {n}: best {min(values):.2f} s per fs "
              f"(trials {', '.join(f'{v:.2f}' for v in values)}), "
              f"speed-up {base / min(values):.2f}x against {args.threads[0]}")


if __name__ == "__main__":
    main()
