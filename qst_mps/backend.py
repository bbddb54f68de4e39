"""The contract between the driver (qst_mps/simulation.py) and a backend (exact, mps).

A backend is built from a :class:`~qst_mps.problem.Problem` and its numerics (the exact
backend's Lanczos tolerance; the mps backend's ``[evolution]`` section and options), and
translates the problem's terms and operators itself. The driver knows nothing else about it:
it advances the backend through the output times, asks for the measured observables at each
(the names of qst_mps/observables.py ``measured``), and saves or restores a checkpoint. A new
backend conforms to :class:`Backend`; tests/test_architecture.py checks both do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .problem import Problem


@runtime_checkable
class Backend(Protocol):
    """What the driver needs of a backend.

    Attributes
    ----------
    name : str
        ``"exact"`` or ``"mps"``: the ``backend`` attribute of result files, and which
        observables apply (``Observable.backends``).
    problem : Problem
        What it simulates.
    time : float
        The time (fs) its state has reached.
    info : dict
        Scalars recorded as root attributes of the result file (dimensions, estimates, ...).
    cost_grows : bool
        Whether the wall time per simulated fs may grow as the run goes on (the progress bar's
        forecast, qst_mps/forecast.py).
    """

    name: str
    problem: Problem
    time: float
    info: dict
    cost_grows: bool

    def evolve(self, times: Iterable[float]) -> Iterator[float]:
        """Advance through the ascending output ``times`` (fs), yielding each once reached."""
        ...

    def measure(self, heavy: bool = True) -> dict:
        """The measured observables of the current state, by name (qst_mps/observables.py
        ``measured``); without ``heavy``, the heavy ones may be left NaN."""
        ...

    def checkpoint(self) -> dict:
        """What, with the configuration, continues this run exactly (saved in the result file)."""
        ...

    def restore(self, saved: dict) -> None:
        """Continue from :meth:`checkpoint` output."""
        ...
