"""SIGTERM and SIGINT at any moment.

Before a run has a state worth saving (imports, set-up, the ground state, the first file), a
signal raises :class:`Stop` at once: nothing is written, and the command exits 75. Once the run
is stepping, a signal only sets a flag that the driver checks after each output time; it then
writes a checkpoint and exits 75.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager

from ..errors import Interrupted

SIGNALS = (signal.SIGTERM, signal.SIGINT)

INTERRUPTED = Interrupted.exit_status
"""Exit status of a run stopped by SIGTERM/SIGINT (EX_TEMPFAIL): after writing its checkpoint,
or during set-up, before it had a state."""


class Stop(Exception):
    """A SIGTERM or SIGINT that arrived before the run had a state to save."""

    def __init__(self, signum: int):
        super().__init__(f"stopped by signal {signum}")
        self.signum = signum


def _raise(signum, frame):
    raise Stop(signum)


@contextmanager
def raising():
    """Within: SIGTERM and SIGINT raise :class:`Stop`."""
    old = {s: signal.signal(s, _raise) for s in SIGNALS}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


class StopRequest:
    """Within: SIGTERM and SIGINT only set :attr:`signal`, which the run loop checks."""

    def __init__(self):
        self.signal = None

    def __enter__(self):
        self._old = {s: signal.signal(s, self._handle) for s in SIGNALS}
        return self

    def _handle(self, signum, frame):
        self.signal = signum

    def __exit__(self, *exc):
        for s, handler in self._old.items():
            signal.signal(s, handler)
