"""A second process for TEBD: the gates of every layer split between two processes.

The gates of one TEBD layer act on disjoint pairs of sites, and the gate on bond i (sites
i − 1, i) reads only those two B tensors and the Schmidt values to their left. So the gates of a
layer can be applied anywhere and in any order, and give the same state bit for bit. With
``evolution.processes = 2`` the TEBD window (first, last) is split at a bond m: this process
applies the gates on the bonds first < i < m, a second process those on m ≤ i ≤ last.

For the steps of one output interval the second process holds the sites m − 1 … last as an MPS
segment. Only bond m couples the two halves: at every layer that includes it, this process sends
site m − 1's B and the Schmidt values to its left, and gets the new B back as soon as the second
process has applied that gate. After the last layer the second process sends its sites back.
The split is placed where the two halves' gates, as timed in the last interval, take equally long
(:meth:`SecondProcess.split`).

Threads cannot do this: most of a gate's time at chi ≤ 100 is Python, which holds the GIL
(docs/notes/performance.md). The second process is started once per run (a fresh interpreter that
runs this module: it imports TeNPy once, about 2 s), keeps the gates it was sent, ignores
SIGTERM and SIGINT (the run stops at the end of the interval and writes its checkpoint; the
second process then exits when its pipe closes) and stops with the run.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection

import numpy as np
from tenpy.linalg.truncation import TruncationError
from tenpy.networks.mps import MPS
from threadpoolctl import threadpool_limits

from .bond_update import update_bond
from .tenpy_internals import settings

#: the smallest number of bonds in a TEBD window that is split between the two processes: below
#: it the messages cost more than the second process saves
MIN_BONDS = 24

#: the shortest time (s) the gates of an output interval took, on one process or on both
#: together, at which the next interval is split: the smallest measured, about 0.4 s of gates
#: per interval (the paper's model at 4 fs, the L = 128 singlet at 5 fs), gained 1.6-1.75x;
#: below it the fixed cost of the messages is untested (docs/notes/performance.md)
MIN_WORK_SECONDS = 0.25

#: the cost of a gate on a bond of dimension chi that has not been timed yet, in units of the
#: fixed cost of a gate (1 + (chi / CHI_FIXED)³): about 1 ms of Python per gate, and about
#: 1 ns·chi³ of arithmetic (docs/notes/performance.md)
CHI_FIXED = 100.0


class _Sender:
    """Sends on a pipe from a thread of its own, in order, so that neither process waits for
    the other to read a message larger than the pipe's buffer (a B tensor at chi 200 is a few
    MB)."""

    def __init__(self, pipe):
        self.pipe, self.error = pipe, None
        self.queue = queue.Queue()
        threading.Thread(target=self._run, daemon=True, name="qst_mps sender").start()

    def _run(self) -> None:
        while True:
            message = self.queue.get()
            try:
                if message is not None and self.error is None:
                    self.pipe.send(message)
            except (OSError, ValueError) as error:
                self.error = error
            finally:
                self.queue.task_done()
            if message is None:
                return

    def send(self, message) -> None:
        if self.error is not None:
            raise RuntimeError("the TEBD second process's pipe broke") from self.error
        self.queue.put(message)

    def close(self) -> None:
        """Send what is queued, then stop the thread."""
        self.queue.put(None)
        self.queue.join()


class SecondProcess:
    """The second process, and this side of its pipe."""

    def __init__(self):
        # a fresh interpreter that runs this module (not multiprocessing's spawn, which imports
        # the user's __main__ again, nor fork, which would share the run's open files and lock)
        self._pipe, child = multiprocessing.Pipe()
        package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [package, os.environ.get("PYTHONPATH")]))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "qst_mps.mps.parallel", str(child.fileno())],
            pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL)
        child.close()
        self._sender = _Sender(self._pipe)
        self._gates = set()  # the keys (version, U index, bond) of the gates it holds
        self._held = {}  # site -> (site, B, Schmidt values to its left) as it holds them
        #: the seconds the gates of the last interval took (on both processes together)
        self.work_seconds = 0.0
        #: bond -> the seconds its gates took in an interval that split the window (averaged)
        self.bond_seconds = {}
        #: the seconds this process waited for the second one, and computed, since the start
        self.waited = self.computed = 0.0

    def close(self) -> None:
        """Stop the second process."""
        if self.process.poll() is None:
            try:
                self._sender.send(("stop",))
                self._sender.close()
                self.process.wait(timeout=10)
            except (OSError, RuntimeError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self._pipe.close()

    def split(self, first: int, last: int, chi) -> int | None:
        """The bond m at which the window's bonds first < i ≤ last are split (this process:
        i < m; the second: i ≥ m) so that both take equally long; None if the window has
        fewer than :data:`MIN_BONDS` bonds or the last interval's gates took less than
        :data:`MIN_WORK_SECONDS` (the first interval runs on one process). A bond's time is
        what its gates took in the last intervals (:attr:`bond_seconds`, measured by whichever
        process had it), or, for a bond not measured yet, 1 + (chi_i / CHI_FIXED)³ scaled to
        the measured bonds' times."""
        if last - first < MIN_BONDS or self.work_seconds < MIN_WORK_SECONDS:
            return None
        bonds = np.arange(first + 1, last + 1)
        model = 1.0 + (np.asarray(chi, float)[bonds] / CHI_FIXED) ** 3
        measured = np.array([self.bond_seconds.get(int(i), np.nan) for i in bonds])
        known = np.isfinite(measured)
        scale = np.median(measured[known] / model[known]) if known.any() else 1.0
        cost = np.where(known, measured, model * scale)
        here = np.cumsum(cost) - cost  # this process's time with the split before each bond
        there = cost.sum() - here
        # at least two bonds on each side, so that both have gates in every layer
        choice = 2 + int(np.argmin(np.maximum(here, there)[2:-1]))
        return int(bonds[choice])

    def timed(self, seconds: dict) -> None:
        """Record what each bond's gates took in an interval (bond -> seconds), averaged with
        the interval before (the same gates vary by 10–30 % from one interval to the next on a
        shared machine)."""
        self.bond_seconds = {i: 0.5 * (t + self.bond_seconds[i]) if i in self.bond_seconds else t
                             for i, t in seconds.items()}

    def send_gates(self, gates: dict) -> None:
        """Send the gates (keyed by (version, U index, bond)) the second process lacks."""
        missing = {key: U for key, U in gates.items() if key not in self._gates}
        if missing:
            self._sender.send(("gates", missing))
            self._gates.update(missing)

    def forget_gates(self, version) -> None:
        """Drop the gates of an older ``version`` here and in the second process."""
        self._gates = {key for key in self._gates if key[0] == version}
        self._sender.send(("forget", version))

    def start_steps(self, psi, m: int, last: int, layers, version, trunc_params) -> None:
        """Hand the sites m − 1 … last of ``psi`` to the second process for ``layers`` (the
        (U index, odd) of TeNPy's Suzuki–Trotter sequence): those it does not hold already
        (the very objects it sent back last time, still in ``psi``)."""
        new = {}
        for j in range(m - 1, last + 1):
            entry = (psi.sites[j], psi.get_B(j, None), psi.get_SL(j))
            held = self._held.get(j)
            if held is None or any(a is not b for a, b in zip(entry, held, strict=True)):
                new[j] = entry
        self._sender.send(("steps", m, last, new, psi.get_SR(last), layers, version,
                           dict(trunc_params)))

    def hold(self, psi, m: int, last: int) -> None:
        """Record that the second process holds the sites m … last of ``psi`` as they are now
        (what it has just sent back)."""
        self._held = {j: (psi.sites[j], psi.get_B(j, None), psi.get_SL(j))
                      for j in range(m, last + 1)}

    def send_left(self, B, S) -> None:
        """Site m − 1's B and the Schmidt values to its left, for the next layer with bond m."""
        self._sender.send(("left", B, S))

    def receive(self, kind: str):
        """The next message, which must be ``kind``; raises if the second process failed."""
        start = time.perf_counter()
        try:
            message = self._pipe.recv()
        except EOFError:
            raise RuntimeError("the TEBD second process stopped") from None
        self.waited += time.perf_counter() - start
        if message[0] == "error":
            raise RuntimeError(f"the TEBD second process failed:\n{message[1]}")
        if message[0] != kind:
            raise RuntimeError(f"the TEBD second process sent {message[0]!r}, not {kind!r}")
        return message[1:]


def _serve(pipe) -> None:
    """The second process: apply the gates it is sent, until "stop" or the pipe closes. BLAS
    on one thread unless OMP_NUM_THREADS is set, TeNPy in the backend's settings (as in the
    run's own process)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with (threadpool_limits(None if "OMP_NUM_THREADS" in os.environ else 1, user_api="blas"),
          settings()):
        _serve_loop(pipe)


def _serve_loop(pipe) -> None:
    gates, held, sender = {}, {}, _Sender(pipe)
    try:
        while True:
            try:
                message = pipe.recv()
            except (EOFError, OSError):
                return
            kind = message[0]
            if kind == "stop":
                return
            if kind == "gates":
                gates.update(message[1])
            elif kind == "forget":
                gates = {key: U for key, U in gates.items() if key[0] == message[1]}
            elif kind == "steps":
                held = _steps(pipe, sender, gates, held, *message[1:])
            else:  # e.g. a site m − 1 that no layer of the steps took
                raise RuntimeError(f"unexpected message {kind!r} between steps")
    except Exception:  # noqa: BLE001 - reported to the run, which raises it
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()


def _steps(pipe, sender, gates, held, m, last, new, S_right, layers, version,
           trunc_params) -> dict:
    """Apply the gates on the bonds m ≤ i ≤ last of every layer to the segment of sites
    m − 1 … last (``held`` from last time, updated by ``new``; site → (site, B, Schmidt values
    to its left)); site m − 1 comes from the other process before a layer with bond m whenever
    that process has changed it (a layer without bond m since), and goes back after bond m.
    Returns what it holds now: the sites m … last as sent back."""
    held = {**held, **new}
    offset = m - 1
    entries = [held[j] for j in range(m - 1, last + 1)]
    segment = MPS([site for site, _, _ in entries], [B for _, B, _ in entries],
                  [S for _, _, S in entries] + [S_right], bc="segment", form="B")
    errors, behind = {}, 0  # behind: the layers without bond m since this one last had it
    seconds = {}  # bond -> the time its gates took
    for U_index, odd in layers:
        shared = m % 2 == int(odd) % 2
        if not shared:
            behind += 1  # the other process changes site m − 1 and sends it
        elif behind:
            for _ in range(behind):
                _, B, S = pipe.recv()
            segment.set_B(0, B, form="B")
            segment.set_SL(0, S)
            behind = 0
        for i in range(m if shared else m + 1, last + 1, 2):
            started = time.perf_counter()
            error = update_bond(segment, i - offset, gates[version, U_index, i], trunc_params)
            seconds[i] = seconds.get(i, 0.0) + time.perf_counter() - started
            errors[i] = errors.get(i, TruncationError()) + error
            if i == m:
                sender.send(("left", segment.get_B(0, None)))
    kept = {j: (held[j][0], segment.get_B(j - offset, None), segment.get_SL(j - offset))
            for j in range(m, last + 1)}
    sender.send(("done", [B for _, B, _ in kept.values()], [S for _, _, S in kept.values()],
                 errors, segment.norm, seconds))
    return kept


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
