"""The mps backend: the initial state as an exact MPS, evolved with TeNPy's fourth-order TEBD
(open chains; the optimized sequence of Barthel and Zhang) or two-site TDVP (the ring)."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from ..problem.geometry import HBAR
from ..problem.terms import Hopping
from ..tolerance import error_estimate
from .model import SpinTransferChain
from .observables import Measurement
from .states import initial_mps
from .tdvp import WindowTwoSiteTDVPEngine
from .tebd import WindowTEBDEngine

#: Above this step (fs) two-site TDVP warns: its splitting error grows like dt², and on the
#: paper's single electron Δσ_z was off by 1.7e-2 (by 67.5 fs) at dt = 0.5 fs and by 3e-4 (by
#: 50 fs) at 0.1 fs (docs/performance.md).
TDVP_DT_WARN = 0.1


def steps_in(span: float, dt: float) -> int:
    """How many equal steps of at most ``dt`` cover ``span`` (fs): each interval between two
    output times is cut this way, so that every output time is reached exactly."""
    return math.ceil(span / dt - 1e-9)


class MPSBackend:
    """A :class:`~qst_mps.problem.Problem` on an MPS (TeNPy): the measured observables of
    qst_mps/observables.py, bond dimensions and truncation error.

    Particle number is always conserved, and 2S_z whenever H and the initial state allow it
    (:attr:`conserve_sz`, recorded in the result file).

    Parameters
    ----------
    problem : Problem
    evolution : dict
        The resolved ``[evolution]`` table: ``dt`` (fs), ``chi_max``, ``svd_min``.
    integrator : {"tebd", "tdvp", None}
        ``"tebd"``: TeNPy's TEBD with the optimized fourth-order sequence of Barthel and Zhang
        (TeNPy's ``order = '4_opt'``); needs an open chain with the local spins on consecutive
        sites (nearest-neighbour H). ``"tdvp"``:
        two-site TDVP, for any geometry. None: :attr:`default_integrator`. Why TEBD where it
        applies: docs/performance.md (smaller time-step error at dt = 0.5 fs, and several
        times cheaper per fs at the same bond dimension).
    optional : sequence of str
        Optional observables to measure as well (qst_mps/observables.py).
    """

    name = "mps"
    cost_grows = True  # per simulated fs: the window and the bond dimension grow (forecast.py)
    #: The integrator of runs built without one (by the command line and sweeps); None: TEBD
    #: where it applies, else TDVP.
    default_integrator: str | None = None

    def __init__(self, problem, evolution: dict, integrator: str | None = None, optional=()):
        self.problem, self.evolution = problem, evolution
        self.conserve_sz = problem.conserves_sz
        self.model = SpinTransferChain(problem.model, self.conserve_sz)
        integrator = integrator or self.default_integrator
        if integrator is None:
            integrator = "tdvp" if self.model.H_bond is None else "tebd"
        if integrator not in ("tebd", "tdvp"):
            raise ValueError(f"integrator {integrator!r}: choose 'tebd' or 'tdvp'")
        if integrator == "tebd" and self.model.H_bond is None:
            raise ValueError("TEBD needs an open chain with the local spins on consecutive sites")
        self.integrator = integrator
        if integrator == "tdvp" and evolution["dt"] > TDVP_DT_WARN:
            if problem.model.periodic:
                why = "the ring's closing bond is not a nearest-neighbour gate"
                remedy = "set evolution.dt to 0.1 or less"
            else:
                why = "the local spins are not on consecutive sites"
                remedy = ("set evolution.dt to 0.1 or less, or put the spins on consecutive "
                          "sites (model.n_first instead of model.spin_sites), where TEBD runs")
            warnings.warn(f"mps: this run needs two-site TDVP ({why}), and TDVP with a time "
                          f"step of {evolution['dt']:g} fs is inaccurate: a step of 0.5 fs "
                          f"gave an error of 1.7e-2 in Δσ_z on the paper's model "
                          f"(docs/performance.md); {remedy}", stacklevel=2)
        self.psi, self.info = initial_mps(self.model, problem)
        self.info["conserve_sz"] = self.conserve_sz
        # the time-step error that the measured frontier implies (tolerance.py), for the step
        # actually taken: the output interval cut into equal steps of at most dt
        t_h = next((t.t for t in problem.model.terms if isinstance(t, Hopping)), 0.0)
        step = evolution["dt_out"] / steps_in(evolution["dt_out"], evolution["dt"])
        self.info["error_estimate"] = error_estimate(step, t_h)
        self.measurement = Measurement(self.model, problem, optional)
        self.dt = evolution["dt"]
        self.engine = None  # built at the first step, from the current MPS
        self.time = 0.0
        self.truncation_error = 0.0
        self.changed = None  # sites updated since the last measurement; None: unknown

    def _engine(self) -> WindowTEBDEngine | WindowTwoSiteTDVPEngine:
        evolution = self.evolution
        options = {
            "max_N_sites_per_ring": self.model.lat.N_sites_per_ring,
            "trunc_params": {"chi_max": evolution["chi_max"], "svd_min": evolution["svd_min"]},
        }
        if self.integrator == "tebd":
            # '4_opt' (Barthel & Zhang 2020, Eq. 30a): as many gates per step as Suzuki's
            # order 4, a Trotter error 6-7x smaller at 0.5 fs (docs/performance.md)
            return WindowTEBDEngine(self.psi, self.model, {**options, "order": "4_opt",
                                                           "max_delta_t": 10.0})
        # P_tol 1e-10 instead of 1e-14: 1.25x faster, the state unchanged to 1e-7 per fs
        return WindowTwoSiteTDVPEngine(self.psi, self.model, {
            **options, "max_dt": 10.0, "lanczos_params": {"P_tol": 1e-10}})

    def save_state(self) -> dict:
        """The MPS, the time and the accumulated truncation error (saved with hdf5_io)."""
        return {"psi": self.psi, "time": self.time, "truncation_error": self.truncation_error}

    def load_state(self, saved: dict) -> None:
        """Continue from :meth:`save_state` output. The MPS gets the model's own site objects
        (the same local spaces and charges), so that every operator this version measures is
        there, also in a checkpoint written by a version that defined fewer."""
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
                if self.engine is None:
                    self.engine = self._engine()
                self.engine.window = self.window(span)
                self.changed = self._union(self.changed, self.engine.window)
                with threadpool_limits(threads, user_api="blas"):
                    self.engine.run_evolution(steps, span / steps / HBAR)
                self.truncation_error += self.engine.trunc_err.eps
                self.engine.trunc_err = type(self.engine.trunc_err)()
            self.time = float(t)
            yield self.time

    @staticmethod
    def _union(changed, window):
        """The sites of ``changed`` and of ``window`` (both (first, last) or None: all)."""
        if changed is None:
            return None
        return min(changed[0], window[0]), max(changed[1], window[1])

    def window(self, span: float) -> tuple[int, int]:
        """Sites (first, last) that TEBD or TDVP must update for the next ``span`` fs.

        Every bond with bond dimension > 1, the local spins unless they are a stationary
        product (``Problem.local_stationary``), plus a margin of m ≥ 10 sites on each side with
        (r τ/ħ)^m / m! < 1e-10 (the most amplitude that hops m sites in time τ = ``span`` at
        the fastest rate r: the hopping t_h, or the exchange J S), joined with the previous
        window. Outside, the MPS is a product of empty sites and local spins in an eigenstate
        of their part of H.
        """
        chi = np.asarray(self.psi.chi)  # chi[i]: bond between sites i and i + 1
        entangled = np.flatnonzero(chi > 1)
        L = self.psi.L
        if not self.problem.local_stationary:
            spins = np.asarray(self.model.spin_sites)
            chain = np.arange(max(spins.min() - 1, 0), min(spins.max() + 1, L - 1))
            entangled = np.union1d(entangled, chain)
        hops = self.hop_rate() * span / HBAR
        margin, leak = 0, 1.0
        while margin < 10 or leak >= 1e-10:  # leak = hops^margin / margin!
            margin += 1
            leak *= hops / margin
        if entangled.size == 0:
            first, last = 0, L - 1
        else:
            first = max(0, int(entangled[0]) - margin)
            last = min(L - 1, int(entangled[-1]) + 1 + margin)
        if self.engine is not None and self.engine.window != (0, L - 1):
            first, last = min(first, self.engine.window[0]), max(last, self.engine.window[1])
        if last - first < 2:
            first, last = 0, L - 1
        return first, last

    def hop_rate(self) -> float:
        """The fastest hopping amplitude (eV): t_h, or J S of the exchange between spins."""
        from ..problem.terms import Exchange

        rates = [abs(t.t) for t in self.problem.model.terms if isinstance(t, Hopping)]
        rates += [max(abs(t.J_xy), abs(t.J_z)) * self.problem.model.spin
                  for t in self.problem.model.terms if isinstance(t, Exchange)]
        return max(rates, default=0.0)

    def observables(self) -> dict:
        """The measured observables (qst_mps/observables.py) of the current MPS, plus
        ``chi_max_bond``, ``bond_dimensions`` (every bond, left to right) and
        ``truncation_error``."""
        # TDVP leaves the canonical form slightly broken (Σ⟨S_z⟩ off by up to 1e-4 at svd_min
        # 1e-6), and local expectation values assume it: measure on a re-canonicalized copy.
        # TEBD keeps it (every gate's SVD re-establishes it locally).
        # TEBD's measurements contract only the sites it updated since the last one.
        psi, changed = self.psi, self.changed
        if self.integrator == "tdvp":
            psi, changed = psi.copy(), None
            psi.canonical_form()
        result = self.measurement.measure(psi, changed)
        self.changed = (psi.L, -1)  # nothing updated since this measurement
        bonds = np.asarray(psi.chi, dtype=np.int32)
        result.update({
            "norm": float(np.real(result["norm"] if psi is self.psi
                                  else self.psi.overlap(self.psi))),
            "chi_max_bond": int(bonds.max()),
            "bond_dimensions": bonds,
            "truncation_error": float(self.truncation_error),
        })
        return result
