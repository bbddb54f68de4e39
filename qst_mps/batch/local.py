"""A sweep's points run here: one after another or in a pool of worker processes, each point
resumed where it stopped, a failing point recorded beside its file without stopping the others.
"""

from __future__ import annotations

import traceback

from .expand import Sweep, load


def run_point(sweep: Sweep, index: int) -> str:
    """Run, resume or skip point ``index``; return its final status. Failures are recorded."""
    from .. import results
    from ..simulation import Interrupted, simulate

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

    from ..simulation import Interrupted

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
