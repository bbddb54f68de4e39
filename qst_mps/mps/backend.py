"""The mps backend: the initial state as an exact MPS, evolved with TeNPy's fourth-order TEBD
(the optimized sequence of Barthel and Zhang) on open chains and on the ring, cut open where it
is empty (ring.py) or closed by a gate of its own (tebd.py), or with two-site TDVP where no
nearest-neighbour form exists."""

from __future__ import annotations

import math
import os
import warnings
import weakref
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import threadpool_limits

from ..constants import HBAR
from ..tolerance import error_estimate
from .model import SpinTransferChain
from .observables import Measurement
from .parallel import SecondProcess
from .ring_cut import RingCut
from .states import initial_mps
from .tdvp import TDVP_DT_WARN, WindowTwoSiteTDVPEngine
from .tebd import WindowTEBDEngine
from .tenpy_internals import check as check_tenpy
from .tenpy_internals import settings as tenpy_settings
from .window import WINDOW_SCHMIDT, hop_rate, union, window

if TYPE_CHECKING:
    from ..spec import EvolutionSpec



def steps_in(span: float, dt: float) -> int:
    """How many equal steps of at most ``dt`` cover ``span`` (fs): each interval between two
    output times is cut this way, so that every output time is reached exactly."""
    return math.ceil(span / dt - 1e-9)


class MPSBackend(RingCut):
    """A :class:`~qst_mps.problem.Problem` on an MPS (TeNPy): the measured observables of
    qst_mps/observables.py, bond dimensions and truncation error.

    Particle number is always conserved, and 2S_z whenever H and the initial state allow it
    (:attr:`conserve_sz`, recorded in the result file).

    Parameters
    ----------
    problem : Problem
    evolution : EvolutionSpec
        The run's ``[evolution]`` section: ``dt`` (fs), ``dt_out`` (fs), ``chi_max``,
        ``svd_min``, ``processes``.
    integrator : {"tebd", "tdvp", None}
        ``"tebd"``: TeNPy's TEBD with the optimized fourth-order sequence of Barthel and Zhang
        (TeNPy's ``order = '4_opt'``); needs the local spins on consecutive sites
        (nearest-neighbour H) and, on a ring, an empty stretch to cut it open at (ring.py)
        or an even number of sites (the hop across the cut a gate of its own, tebd.py).
        ``"tdvp"``: two-site TDVP, for any geometry (the ring closed). None (the command
        line's choice): TEBD where it applies, else TDVP. Why TEBD where it applies:
        docs/notes/performance.md (smaller time-step error at dt = 0.5 fs, and several times cheaper
        per fs at the same bond dimension).
    optional : sequence of str
        Optional observables to measure as well (qst_mps/observables.py).
    start_where_empty : bool
        On a ring whose packets lie across site 0: build the MPS starting in the middle of the
        longest empty stretch (the default), or at site 0 all the same.
    move_cut : bool
        On the ring run closed: move the cut to the emptiest bond when the closing gate would
        have to act in every even layer (the default), or leave it where it is.
    closing_gate : {"auto", "every_layer", "once"}
        Where the closed ring's closing gate acts: in every even layer of the fourth-order
        step, once per step in its middle (second order, five times cheaper), or, "auto" (the
        default), every layer above :data:`~qst_mps.mps.ring_cut.CLOSING_CENTRAL_DENSITY`
        electrons on its bond.
    """

    name = "mps"
    cost_grows = True  # per simulated fs: the window and the bond dimension grow (forecast.py)

    def __init__(self, problem, evolution: EvolutionSpec, integrator: str | None = None,
                 optional=(), *, start_where_empty: bool = True, move_cut: bool = True,
                 closing_gate: str = "auto"):
        if closing_gate not in ("auto", "every_layer", "once"):
            raise ValueError(f"closing_gate {closing_gate!r}: choose 'auto', 'every_layer' or "
                             "'once'")
        self.start_where_empty, self.move_cut = start_where_empty, move_cut
        self.closing_gate = closing_gate
        check_tenpy()
        with tenpy_settings():
            self._build(problem, evolution, integrator, optional)

    def _build(self, problem, evolution: EvolutionSpec, integrator: str | None, optional) -> None:
        self.problem, self.evolution = problem, evolution
        self.conserve_sz = problem.conserves_sz
        self.optional = tuple(optional)
        self.dt = evolution.dt
        self.engine = None  # built at the first step, from the current MPS
        self._second = None  # the second TEBD process (evolution.processes = 2), once started
        self.time = 0.0
        self.truncation_error = 0.0
        self.changed = None  # sites updated since the last measurement; None: unknown
        self.measurement = None  # built for the model the run starts on
        #: on a ring that the packets fill: TEBD with the hop across the cut as a gate of its
        #: own (qst_mps/mps/tebd.py), from then on
        self.closing = False
        if integrator not in (None, "tebd", "tdvp"):
            raise ValueError(f"integrator {integrator!r}: choose 'tebd' or 'tdvp'")
        # the ring cut open at an empty bond, for TEBD (ring.py); entanglement_entropy (of sites
        # 0 … x) would need the cut at site 0 for good
        cut = (problem.model.periodic and integrator != "tdvp"
               and problem.model.nearest_neighbour_when_cut
               and "entanglement_entropy" not in self.optional)
        self.model = SpinTransferChain(problem.model, self.conserve_sz, cut=cut)
        self.integrator = "tebd" if cut else integrator
        self.psi, self.info = initial_mps(self.model, problem)
        # the time-step error that the measured frontier implies (tolerance.py), for the step
        # actually taken: the output interval cut into equal steps of at most dt
        step = evolution.dt_out / steps_in(evolution.dt_out, evolution.dt)
        self.info["error_estimate"] = error_estimate(step, problem.model.t_h)
        if cut and not (self._place_cut(evolution.dt_out)
                        or (self.start_where_empty
                            and self._start_where_empty(evolution.dt_out))):
            self._close(at_start=True)  # no empty stretch: the closed ring
        if integrator is None:
            integrator = "tdvp" if self.model.H_bond is None else "tebd"
        if integrator == "tebd" and self.model.H_bond is None:
            raise ValueError("TEBD needs the local spins on consecutive sites and, on a ring, an "
                             "empty stretch to cut it open at or an even number of sites "
                             "(docs/notes/performance.md)")
        self.integrator = integrator
        if integrator == "tdvp" and evolution.dt > TDVP_DT_WARN:
            if problem.model.periodic and "entanglement_entropy" in self.optional:
                why = ("it records entanglement_entropy, the entropy of sites 0 … x, and TEBD "
                       "cuts the ring open elsewhere")
                remedy = "set evolution.dt to 0.1 or less, or leave out entanglement_entropy"
            elif problem.model.periodic:
                why = ("the ring's closing bond is not a nearest-neighbour gate, and the ring "
                       "has no empty stretch to cut it open at, nor an even number of sites "
                       "for a closing gate of its own")
                remedy = "set evolution.dt to 0.1 or less"
            else:
                why = "the local spins are not on consecutive sites"
                remedy = ("set evolution.dt to 0.1 or less, or put the spins on consecutive "
                          "sites (model.n_first instead of model.spin_sites), where TEBD runs")
            warnings.warn(f"mps: this run needs two-site TDVP ({why}), and TDVP with a time "
                          f"step of {evolution.dt:g} fs is inaccurate: a step of 0.5 fs "
                          f"gave an error of 1.7e-2 in Δσ_z on the paper's model "
                          f"(docs/notes/performance.md); {remedy}", stacklevel=3)
        self.info["conserve_sz"] = self.conserve_sz
        if self.measurement is None:  # (_rebuild made one if the ring moved or closed)
            self.measurement = Measurement(self.model, problem, self.optional)

    def _engine(self) -> WindowTEBDEngine | WindowTwoSiteTDVPEngine:
        options = {
            "max_N_sites_per_ring": self.model.lat.N_sites_per_ring,
            "trunc_params": self._trunc_params,
        }
        if self.integrator == "tebd":
            # '4_opt' (Barthel & Zhang 2020, Eq. 30a): as many gates per step as Suzuki's
            # order 4, a Trotter error 6-7x smaller at 0.5 fs (docs/notes/performance.md)
            closing = self.model.closing_bond() if self.closing else None
            return WindowTEBDEngine(self.psi, self.model, {**options, "order": "4_opt",
                                                           "max_delta_t": 10.0}, closing,
                                    self._second_process())
        # P_tol 1e-10 instead of 1e-14: 1.25x faster, the state unchanged to 1e-7 per fs
        return WindowTwoSiteTDVPEngine(self.psi, self.model, {
            **options, "max_dt": 10.0, "lanczos_params": {"P_tol": 1e-10}})

    def _second_process(self) -> SecondProcess | None:
        """With ``evolution.processes = 2``: the second process that takes part of every TEBD
        layer (qst_mps/mps/parallel.py), started at the first engine and stopped with this
        backend (or at exit)."""
        if self.evolution.processes < 2:
            return None
        if self._second is None:
            self._second = SecondProcess()
            weakref.finalize(self, self._second.close)
        return self._second

    @property
    def _trunc_params(self) -> dict:
        """TeNPy's truncation parameters of every gate and swap: chi_max and svd_min."""
        return {"chi_max": self.evolution.chi_max, "svd_min": self.evolution.svd_min}

    def checkpoint(self) -> dict:
        """The MPS, the time, the accumulated truncation error, and on a ring the site the MPS
        starts at, the integrator, its step and whether the closing gate runs (saved with
        hdf5_io)."""
        return {"psi": self.psi, "time": self.time, "truncation_error": self.truncation_error,
                "offset": self.model.offset, "integrator": self.integrator, "dt": self.dt,
                "closing": self.closing}

    def restore(self, saved: dict) -> None:
        """Continue from :meth:`checkpoint` output. The MPS gets the model's own site objects
        (the same local spaces and charges), so that every operator this version measures is
        there, also in a checkpoint written by a version that defined fewer."""
        offset, integrator = int(saved.get("offset", 0)), saved.get("integrator", self.integrator)
        if self.model.cut and integrator == "tdvp":  # a ring gone over to TDVP, at its step
            self.dt = min(self.dt, float(saved.get("dt", TDVP_DT_WARN)))
        if offset != self.model.offset or integrator != self.integrator:
            self._rebuild(offset, integrator)
        self.closing = bool(saved.get("closing", False))
        self.psi = saved["psi"]
        self.psi.sites = list(self.model.lat.mps_sites())
        self.time = float(saved["time"])
        self.truncation_error = float(saved["truncation_error"])
        self.engine = None
        self.changed = None

    def evolve(self, times):
        """Advance through the ascending ``times`` (fs), yielding at each.

        Between two output times the steps are of equal length, at most ``dt``, so that
        every output time is reached exactly (``dt`` need not divide ``dt_out``).

        BLAS runs on one thread unless OMP_NUM_THREADS is set: a second thread made the steps
        slower (0.87x at chi 209, ``runs/bench/mps_state.py threads``); use the cores for
        parallel runs instead.
        """
        threads = None if "OMP_NUM_THREADS" in os.environ else 1
        for t in times:
            span = t - self.time
            steps = steps_in(span, self.dt)
            if steps > 0:
                with threadpool_limits(threads, user_api="blas"), tenpy_settings():
                    self._advance(span, steps)
            self.time = float(t)
            yield self.time

    def _advance(self, span: float, steps: int) -> None:
        """``steps`` equal steps over ``span`` fs, the ring's cut kept where it is empty."""
        if self.model.cut:
            self._keep_cut_empty(span)
        if self.closing:
            self._move_cut(span / steps)
        if self.engine is None:
            self.engine = self._engine()
        self.engine.window = self.window(span)
        if self.closing:
            self.engine.closing_every_layer = self._closing_every_layer(span / steps)
        self.changed = union(self.changed, self.engine.window)
        self.engine.run_evolution(steps, span / steps / HBAR)
        self.truncation_error += self.engine.trunc_err.eps
        self.engine.trunc_err = type(self.engine.trunc_err)()

    def _rebuild(self, offset: int, integrator: str) -> None:
        """The model for the MPS starting at conduction site ``offset`` of the ring, cut open
        there for TEBD or closed for TDVP; a new engine and new measurement caches."""
        self.model = SpinTransferChain(self.problem.model, self.conserve_sz, offset=offset,
                                       cut=integrator == "tebd")
        self.integrator = integrator
        self.measurement = Measurement(self.model, self.problem, self.optional)
        self.engine, self.changed = None, None

    def measure(self, heavy: bool = True) -> dict:
        """The measured observables (qst_mps/observables.py) of the current MPS, plus
        ``chi_max_bond``, ``bond_dimensions`` (every bond, left to right) and
        ``truncation_error``; without ``heavy``, the heavy ones (the MPO contractions) are
        not computed and their values are NaN."""
        # TDVP leaves the canonical form slightly broken (Σ⟨S_z⟩ off by up to 1e-4 at svd_min
        # 1e-6), and local expectation values assume it: measure on a re-canonicalized copy.
        # TEBD keeps it (every gate's SVD re-establishes it locally).
        # TEBD's measurements contract only the sites it updated since the last one.
        with tenpy_settings():
            return self._observables(heavy)

    def window(self, span: float) -> tuple[int, int]:
        """Sites (first, last) that TEBD or TDVP must update for the next ``span`` fs
        (qst_mps/mps/window.py): the bonds whose second Schmidt value exceeds
        :data:`~qst_mps.mps.window.WINDOW_SCHMIDT` × (svd_min or the step's error estimate, the
        larger), the local spins unless they are a stationary product
        (``Problem.local_stationary``), a margin for the fastest hopping, joined with the
        previous window; the whole ring while it runs closed."""
        if self.closing:
            return 0, self.psi.L - 1
        threshold = WINDOW_SCHMIDT * max(self.evolution.svd_min, self.info["error_estimate"])
        spins = None if self.problem.local_stationary else self.model.spin_sites
        previous = self.engine.window if self.engine is not None else None
        return window(self.psi, span, threshold, spins, hop_rate(self.problem.model), previous,
                      closed=self._ring_closed)

    def _observables(self, heavy: bool) -> dict:
        psi, changed = self.psi, self.changed
        if self.integrator == "tdvp":
            psi, changed = psi.copy(), None
            psi.canonical_form()
        result = self.measurement.measure(psi, changed, heavy)
        self.changed = (psi.L, -1)  # nothing updated since this measurement
        bonds = np.asarray(psi.chi, dtype=np.int32)
        if self.model.offset:  # MPS site p holds conduction site p + offset: back to sites
            result = self._on_sites(result, psi)
            bonds = self._on_bonds(bonds, 1)
        result.update({
            "norm": float(np.real(result["norm"] if psi is self.psi
                                  else self.psi.overlap(self.psi))),
            "chi_max_bond": int(bonds.max()),
            "bond_dimensions": bonds,
            "truncation_error": float(self.truncation_error),
        })
        return result
