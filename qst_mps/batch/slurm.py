"""A sweep as SLURM job arrays: one task per point, each running ``qst-mps sweep --task``; the
time limit and memory from the package's estimates (qst_mps/estimate.py).
"""

from __future__ import annotations

import math
import shlex
import sys

from .expand import Sweep

#: SLURM's MaxArraySize when ``scontrol show config`` cannot tell (its default, 1001: array
#: indices 0 … 1000).
MAX_ARRAY_SIZE = 1001

def max_array_size() -> int:
    """The cluster's MaxArraySize, from ``scontrol show config``, or :data:`MAX_ARRAY_SIZE`."""
    import shutil
    import subprocess

    if shutil.which("scontrol"):
        try:
            done = subprocess.run(["scontrol", "show", "config"], capture_output=True,
                                  text=True, timeout=20)
            for line in done.stdout.splitlines():
                if line.split("=")[0].strip() == "MaxArraySize":
                    return int(line.split("=", 1)[1].strip())
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    return MAX_ARRAY_SIZE

def slurm_resources(sweep: Sweep) -> tuple[str, str, str]:
    """(time limit, memory, what they rest on) for the tasks of a sweep: the largest point's
    estimate (qst_mps/estimate.py) with room to spare, 1.2× the memory (whole GiB) and 1.5× the
    time plus 5 minutes (at least 15 minutes)."""
    from ..estimate import estimate

    estimates = [estimate(config) for config in sweep.configs]
    largest_memory = max(estimates, key=lambda e: e.memory)
    longest = max(estimates, key=lambda e: e.seconds)
    memory = f"{max(1, math.ceil(1.2 * largest_memory.memory / 2**30))}G"
    basis = (f"largest memory {largest_memory.describe()}"
             + ("" if longest is largest_memory else f"; longest {longest.describe()}"))
    return slurm_time(max(15 * 60, 1.5 * longest.seconds + 5 * 60)), memory, basis

def slurm_time(seconds: float) -> str:
    """SLURM's [D-]HH:MM:SS for ``seconds`` (rounded up to a minute)."""
    minutes = math.ceil(seconds / 60)
    days, minutes = divmod(minutes, 24 * 60)
    text = f"{minutes // 60:02d}:{minutes % 60:02d}:00"
    return f"{days}-{text}" if days else text

def slurm_scripts(sweep: Sweep, time_limit: str | None = None, memory: str | None = None,
                  extra: list[str] | None = None, max_size: int | None = None) -> list[str]:
    """SLURM job-array scripts, one task per point, each running ``qst-mps sweep --task``; a
    sweep with more points than the cluster's MaxArraySize (indices 0 … max_size − 1) is split
    into several arrays, the task of array k running point k·max_size + SLURM_ARRAY_TASK_ID.

    ``time_limit`` and ``memory`` (SLURM's formats) default to :func:`slurm_resources`. The job
    asks for SIGTERM two minutes before its time limit; a task stopped that way writes its
    checkpoint, exits with status 75, and requeues itself to resume.
    """
    basis = "given"
    if time_limit is None or memory is None:
        estimated_time, estimated_memory, basis = slurm_resources(sweep)
        time_limit, memory = time_limit or estimated_time, memory or estimated_memory
    n = len(sweep.configs)
    size = max_size or max_array_size()
    return [_slurm_script(sweep, first, min(size, n - first), time_limit, memory, extra,
                          part=n > size, basis=basis)
            for first in range(0, n, size)]

def _slurm_script(sweep, first, count, time_limit, memory, extra, part, basis) -> str:
    logs = sweep.folder / "slurm"
    task = f"$((SLURM_ARRAY_TASK_ID + {first}))" if first else "$SLURM_ARRAY_TASK_ID"
    command = [sys.executable, "-m", "qst_mps", "sweep", str(sweep.source.resolve()),
               "--folder", str(sweep.folder.resolve()), "--task", task]
    for override in sweep.overrides:
        command += ["--set", override]
    name = f"qst-{sweep.source.stem}" + (f"-{first}" if part else "")
    processes = max(config.evolution.processes for config in sweep.configs)
    lines = [
        "#!/bin/bash",
        f"#SBATCH --job-name={name}",
        f"#SBATCH --array=0-{count - 1}",
        "#SBATCH --ntasks=1",
        # one core per point and process (evolution.processes): a second BLAS thread made the
        # steps slower (docs/notes/performance.md); use the cores for more points at once
        f"#SBATCH --cpus-per-task={processes}",
        f"#SBATCH --time={time_limit}",
        f"#SBATCH --mem={memory}",
        "#SBATCH --signal=B:TERM@120",
        "#SBATCH --requeue",
        f"#SBATCH --output={logs.resolve()}/%A_%a.out",
        *[f"#SBATCH {option}" for option in extra or []],
        f"# --time and --mem: {basis}",
        "export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}" if processes == 1
        else "export OMP_NUM_THREADS=1  # one BLAS thread in each process",
        " ".join(shlex.quote(c) if not c.startswith("$") else f'"{c}"' for c in command) + " &",
        "child=$!",
        'trap \'kill -TERM "$child"\' TERM',
        'wait "$child"; status=$?',
        '# a trapped TERM interrupts wait (status > 128): wait until the run has checkpointed',
        'while [ "$status" -gt 128 ] && kill -0 "$child" 2>/dev/null; do',
        '  wait "$child"; status=$?',
        'done',
        'if [ "$status" -eq 75 ]; then',
        '  scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"',
        "fi",
        'exit "$status"',
        "",
    ]
    return "\n".join(lines)


def submit(sweep: Sweep, time_limit: str | None = None, memory: str | None = None,
           max_size: int | None = None, dry_run: bool = False) -> tuple[list, list, int]:
    """Write the sweep's job array scripts into its folder and, unless ``dry_run``, submit each
    with sbatch; return (the scripts, what sbatch answered to each, its exit status: 0 when
    every submission worked).

    Raises
    ------
    BadInput
        sbatch is not on this machine (and not ``dry_run``).
    """
    import shutil
    import subprocess

    from ..errors import BadInput

    sweep.folder.mkdir(parents=True, exist_ok=True)
    (sweep.folder / "slurm").mkdir(exist_ok=True)
    texts = slurm_scripts(sweep, time_limit, memory, max_size=max_size)
    scripts = []
    for k, text in enumerate(texts):
        script = sweep.folder / ("sweep.sbatch" if len(texts) == 1 else f"sweep.{k}.sbatch")
        script.write_text(text)
        scripts.append(script)
    if dry_run:
        return scripts, [], 0
    if shutil.which("sbatch") is None:
        raise BadInput("--slurm", "sbatch not found on this machine (use --dry-run)")
    answers, status = [], 0
    for script in scripts:
        done = subprocess.run(["sbatch", str(script)], capture_output=True, text=True)
        answers.append(done.stdout.strip() or done.stderr.strip())
        status = status or done.returncode
    return scripts, answers, status
