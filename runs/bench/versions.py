"""One qst-mps command, timed on this checkout against an earlier commit, in turn.

    python runs/bench/versions.py HEAD~1 -- run --set state.pair=singlet
    python runs/bench/versions.py HEAD~1 --runs 3 -- run --set model.boundary=open \\
        --set evolution.backend=mps --set evolution.t_max=20

The earlier commit is checked out into a temporary git worktree and put first on PYTHONPATH;
both run with the same interpreter and packages, one process per run (``python -m qst_mps``,
output to a temporary file), alternately A B A B … after one warm-up each, on one BLAS thread.
Reported: each run's wall time and peak memory (the process's own rusage), the medians, and the
ratio earlier/now of each pair (> 1: this checkout is faster), whose median is the figure to
quote on a shared, noisy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def timed(command: list[str], env: dict, cwd: str) -> tuple[float, float]:
    """(wall seconds, peak memory in MiB) of one process, started in ``cwd``."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{process.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the earlier commit (e.g. HEAD~1)")
    parser.add_argument("--runs", type=int, default=5, help="counted runs of each")
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        parser.error("give the qst-mps arguments after --")
    split = argv.index("--")
    args, qst_args = parser.parse_args(argv[:split]), argv[split + 1:]
    with tempfile.TemporaryDirectory() as scratch:
        earlier = Path(scratch) / "earlier"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(earlier),
                        args.revision], check=True, capture_output=True)
        try:
            output = ["-o", str(Path(scratch) / "out.h5"), "--force", "-q"]
            command = [sys.executable, "-m", "qst_mps", *qst_args, *output]
            base = {**os.environ, "OMP_NUM_THREADS": "1"}
            envs = {"earlier": {**base, "PYTHONPATH": str(earlier)},
                    "now": {**base, "PYTHONPATH": str(ROOT)}}
            # started in the scratch folder: `python -m` puts its working directory first on
            # sys.path, ahead of PYTHONPATH, so a run started in a checkout would import that
            # checkout's qst_mps for both versions
            for env in envs.values():  # warm-up: imports compiled, files cached
                timed(command, env, scratch)
            results = {"earlier": [], "now": []}
            for run in range(args.runs):
                for name, env in envs.items():
                    results[name].append(timed(command, env, scratch))
                    wall, mib = results[name][-1]
                    print(f"run {run + 1} {name:8s} {wall:8.2f} s {mib:8.0f} MiB", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                            str(earlier)], capture_output=True)
    ratios = [e[0] / n[0] for e, n in zip(results["earlier"], results["now"], strict=True)]
    for name, values in results.items():
        print(f"{name:8s} median {statistics.median(v for v, _ in values):8.2f} s, "
              f"peak {max(m for _, m in values):.0f} MiB")
    print(f"earlier/now wall time: median {statistics.median(ratios):.2f} "
          f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
