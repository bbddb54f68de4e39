"""Parameter sweeps (docs/usage.md): a run configuration plus a ``[sweep]`` table of dotted keys.

    [sweep]
    "state.pair" = ["singlet", "triplet_0"]
    "state.theta" = {start = 0.0, stop = 6.283185307179586, num = 9}   # inclusive linspace

The sweep is the Cartesian product of the lists, in the order the keys are written. Every point
is resolved (validated) before anything runs. Point i writes ``<folder>/<name_i>.h5``; names are
deterministic, so a re-run skips complete points and resumes interrupted ones. A point that fails
leaves ``<name_i>.failed`` with the error beside it.
"""

from __future__ import annotations

import itertools
import math
import shlex
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import ConfigError, apply_overrides, load_toml, resolve


@dataclass
class Sweep:
    """An expanded sweep.

    Attributes
    ----------
    axes : dict
        Dotted key -> list of values, in file order.
    configs : list of dict
        Resolved configuration of every point (Cartesian product, last key fastest).
    folder : Path
        Where the points' result files go.
    source : Path
        The sweep file.
    overrides : tuple of str
        ``section.key=value`` applied to the file's base configuration (kept, so that worker
        processes and SLURM tasks that re-read the file see the same points).
    notes : tuple of str
        What the expansion did not do as written: swept keys that a point ignores (reset to
        their defaults, see ``config.CONDITIONAL``) and points that describe the same run.
    """

    axes: dict
    configs: list
    folder: Path
    source: Path
    overrides: tuple = ()
    notes: tuple = ()

    def path(self, index: int) -> Path:
        return Path(self.configs[index].output.path)

    def status(self, index: int) -> str:
        """'complete', 'running' (started or interrupted), 'failed' or 'pending'. A damaged
        result file counts as failed, with the reason in its ``.failed`` file."""
        from . import results

        path = self.path(index)
        if path.with_suffix(".failed").exists():
            return "failed"
        if not path.exists():
            return "pending"
        try:
            return results.status(path)
        except results.DamagedFile as err:
            path.with_suffix(".failed").write_text(f"{err}\n")
            return "failed"


def _values(key: str, spec) -> list:
    if isinstance(spec, list) and spec:
        return spec
    if isinstance(spec, dict) and {"start", "stop"} <= set(spec) and len(spec) == 3:
        if "num" in spec and isinstance(spec["num"], int) and spec["num"] >= 1:
            return [float(v) for v in np.linspace(spec["start"], spec["stop"], spec["num"])]
        if "step" in spec and spec["step"] > 0:
            count = int(math.floor((spec["stop"] - spec["start"]) / spec["step"] + 1e-9)) + 1
            return [float(spec["start"] + i * spec["step"]) for i in range(count)]
    raise ConfigError(
        f"sweep.{key}", "expected a non-empty list, or {start, stop, num} or {start, stop, step}"
    )


def _label(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list):  # a per-copy list such as state.theta = [0.0, 3.14]
        return "_".join(_label(v) for v in value)
    return str(value).replace("/", "_").replace(" ", "")


def load(path: str | Path, folder: str | Path | None = None,
         overrides: list[str] | None = None) -> Sweep:
    """Read and expand a sweep file; every point is resolved here (ConfigError on any).

    ``overrides`` (``section.key=value``) change the base configuration of every point.
    """
    path = Path(path)
    partial = load_toml(path)
    table = partial.pop("sweep", None)
    partial = apply_overrides(partial, overrides or [])
    if not isinstance(table, dict) or not table:
        raise ConfigError("sweep", "a sweep file needs a [sweep] table of dotted keys and lists")
    axes = {key: _values(key, spec) for key, spec in table.items()}
    folder = Path(folder) if folder is not None else path.with_suffix("")
    configs, notes = [], []
    for index, point in enumerate(itertools.product(*axes.values())):
        merged = {s: dict(t) if isinstance(t, dict) else t for s, t in partial.items()}
        name = [f"p{index:04d}"]
        for key, value in zip(axes, point, strict=True):
            if key.count(".") != 1:
                raise ConfigError(f"sweep.{key}", "sweep keys are written section.key")
            section, name_of_key = key.split(".")
            merged.setdefault(section, {})
            if not isinstance(merged[section], dict):
                raise ConfigError(section, "expected a table of keys")
            merged[section][name_of_key] = value
            name.append(f"{name_of_key}={_label(value)}")
        merged.setdefault("output", {})["path"] = str(folder / ("_".join(name) + ".h5"))
        shown = ", ".join(f"{k}={v!r}" for k, v in zip(axes, point, strict=True))
        point_notes = []
        try:
            configs.append(resolve(merged, point_notes))
        except ConfigError as err:
            raise ConfigError(err.key, f"{err.message} (sweep point {index}: {shown})") from None
        notes += [text for text in point_notes if text not in notes]
    return Sweep(axes, configs, folder, path, tuple(overrides or ()),
                 tuple(notes + _same_runs(configs)))


def _same_runs(configs: list) -> list[str]:
    """Notes on points whose configurations differ only in their output path."""
    first: dict[str, int] = {}
    same: dict[int, list[int]] = {}
    for index, config in enumerate(configs):
        key = repr(config.updated(output={"path": ""}))
        if key in first:
            same.setdefault(first[key], []).append(index)
        else:
            first[key] = index
    return [f"sweep points {', '.join(map(str, [i, *rest]))} describe the same run"
            for i, rest in same.items()]


def run_point(sweep: Sweep, index: int) -> str:
    """Run, resume or skip point ``index``; return its final status. Failures are recorded."""
    from . import results
    from .simulation import Interrupted, simulate

    status = sweep.status(index)
    if status == "complete":
        return status
    path = sweep.path(index)
    marker = path.with_suffix(".failed")
    marker.unlink(missing_ok=True)
    try:
        status = "pending"
        if path.exists():  # resume from the last good state; a damaged file is kept aside
            try:
                results.recover(path)
                status = "running"
            except results.DamagedFile:  # and nothing earlier to continue from: start again
                pass
        simulate(sweep.configs[index], path, resume=status == "running")
    except Interrupted:
        raise
    except Exception:  # noqa: BLE001 - a failing point must not stop the others
        path.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(traceback.format_exc())
        return "failed"
    return "complete"


def _run_point_by_file(args: tuple) -> tuple[int, str]:
    source, folder, overrides, index = args
    return index, run_point(load(source, folder, list(overrides)), index)


def run_local(sweep: Sweep, workers: int = 1, progress: bool = True) -> dict[str, int]:
    """Run every point not yet complete in a process pool; return counts by status.

    Raises
    ------
    Interrupted
        On SIGTERM/SIGINT (to this process or to a worker): the running points write their
        checkpoints, the points not yet started stay pending, and the sweep stops.
    """
    todo = [i for i in range(len(sweep.configs)) if sweep.status(i) != "complete"]
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(sweep.configs), initial=len(sweep.configs) - len(todo), unit="run")
    jobs = [(str(sweep.source), str(sweep.folder), sweep.overrides, i) for i in todo]
    try:
        if workers <= 1:
            for job in jobs:
                _run_point_by_file(job)
                if bar is not None:
                    bar.update(1)
        else:
            _run_in_pool(jobs, workers, bar)
    finally:
        if bar is not None:
            bar.close()
    return counts(sweep)


def _note_worker(pids) -> None:
    """Pool initializer: tell the parent this worker's process id."""
    import os

    pids.put(os.getpid())


def _run_in_pool(jobs: list, workers: int, bar) -> None:
    """Run ``jobs`` in worker processes; a signal stops the pool instead of draining it: the
    workers (their ids come through a queue the pool's initializer fills) get SIGTERM, so that
    running points write their checkpoints."""
    import multiprocessing
    import os
    import signal
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from .simulation import Interrupted

    stop = []
    handlers = {s: signal.signal(s, lambda signum, frame: stop.append(signum))
                for s in (signal.SIGTERM, signal.SIGINT)}
    context = multiprocessing.get_context()
    pids = context.SimpleQueue()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_note_worker,
                               initargs=(pids,))
    queue, running = list(jobs), set()
    try:
        while (queue or running) and not stop:
            while queue and len(running) < workers:  # never more queued than workers run
                running.add(pool.submit(_run_point_by_file, queue.pop(0)))
            done, running = wait(running, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()  # re-raises a worker's Interrupted
                if bar is not None:
                    bar.update(1)
        if stop:
            raise Interrupted(f"sweep stopped by signal {stop[0]}")
    except Interrupted:
        while not pids.empty():  # running points: checkpoint and stop
            try:
                os.kill(pids.get(), signal.SIGTERM)
            except ProcessLookupError:
                pass
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for s, handler in handlers.items():
            signal.signal(s, handler)


def counts(sweep: Sweep) -> dict[str, int]:
    """Number of points by status."""
    tally = {"complete": 0, "running": 0, "failed": 0, "pending": 0}
    for i in range(len(sweep.configs)):
        tally[sweep.status(i)] += 1
    return tally


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
    from .estimate import estimate

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
        # steps slower (docs/performance.md); use the cores for more points at once
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


@dataclass
class SweepTable:
    """Plateau values of a sweep against its swept keys (a plain labelled array).

    ``values[name]`` has shape ``tuple(len(v) for v in axes.values())`` (plus trailing observable
    axes), NaN where a point is not complete.
    """

    axes: dict
    values: dict


def collect(sweep: Sweep) -> SweepTable:
    """Final-time (plateau) Δσ_z, σ_z, ⟨S_el²⟩, P(N↑ = n) (padded with NaN to the largest number
    of electrons of the sweep) and, for two electrons, the pair probabilities of every complete
    point."""
    from . import results

    shape = tuple(len(v) for v in sweep.axes.values())
    done = {}
    for index, position in enumerate(np.ndindex(*shape)):
        if sweep.status(index) == "complete":
            done[position] = results.load(sweep.path(index))
    K = max((r["electron_up_probabilities"].shape[1] - 1 for r in done.values()
             if "electron_up_probabilities" in r), default=2)
    values = {"delta_sigma_z": np.full(shape, np.nan), "sigma_z_el": np.full(shape, np.nan),
              "electron_spin_squared": np.full(shape, np.nan),
              "electron_up_probabilities": np.full(shape + (K + 1,), np.nan),
              "pair_spin_probabilities": np.full(shape + (4,), np.nan),
              "t_final": np.full(shape, np.nan)}
    for position, r in done.items():
        values["delta_sigma_z"][position] = r["delta_sigma_z"][-1]
        values["sigma_z_el"][position] = r["sigma_z_el"][-1]
        values["t_final"][position] = r["time"][-1]
        if "electron_spin_squared" in r:
            values["electron_spin_squared"][position] = r["electron_spin_squared"][-1]
        if "electron_up_probabilities" in r:
            up = r["electron_up_probabilities"][-1]
            values["electron_up_probabilities"][position][:up.size] = up
        if "pair_spin_probabilities" in r:
            values["pair_spin_probabilities"][position] = r["pair_spin_probabilities"][-1]
    return SweepTable(dict(sweep.axes), values)
