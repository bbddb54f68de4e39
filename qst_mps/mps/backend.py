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
from ..problem.electrons import BoxGround
from ..tolerance import error_estimate
from .model import SpinTransferChain
from .observables import Measurement
from .parallel import SecondProcess
from .ring import rotate_mps, shift_mps
from .states import initial_mps
from .tdvp import WindowTwoSiteTDVPEngine
from .tebd import WindowTEBDEngine
from .tenpy_internals import check as check_tenpy
from .tenpy_internals import settings as tenpy_settings

if TYPE_CHECKING:
    from ..spec import EvolutionSpec

#: Above this step (fs) two-site TDVP warns: its splitting error grows like dt², and on the
#: paper's single electron Δσ_z was off by 1.7e-2 (by 67.5 fs) at dt = 0.5 fs and by 3e-4 (by
#: 50 fs) at 0.1 fs (docs/performance.md).
TDVP_DT_WARN = 0.1


#: A bond counts as entangled for the window when its second Schmidt value exceeds this many
#: times svd_min, and this many times the step's error estimate (tolerance.py). TEBD's
#: even/odd splitting scatters a packet at k into k + π, a ghost that runs the other way
#: with a Schmidt value of about twice the error estimate (2e-5 on the paper's singlet at
#: 0.5 fs); counting it, the window covered the whole 200-site chain from 20 fs on (the
#: packets: 130 sites), and on the ring it left no empty stretch to cut open
#: (docs/performance.md). Outside the window it is frozen instead of carried along.
WINDOW_SCHMIDT = 10.0


#: Below this many electrons on the two sites that the ring's closing gate joins (at steps of
#: 0.5 fs; ∝ 1/dt²), the gate acts once per step, in its middle (tebd.py); above, in every
#: even layer. Once per step adds an error of about 1e-2 × that density per fs at 0.5 fs
#: (∝ dt²), measured on a 32-site ring against the exact backend (docs/performance.md):
#: 2.5e-6 per fs at this threshold, below TEBD's own 1e-5 per fs there.
CLOSING_CENTRAL_DENSITY = 2.5e-4


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
    evolution : EvolutionSpec
        The run's ``[evolution]`` section: ``dt`` (fs), ``dt_out`` (fs), ``chi_max``,
        ``svd_min``, ``processes``.
    integrator : {"tebd", "tdvp", None}
        ``"tebd"``: TeNPy's TEBD with the optimized fourth-order sequence of Barthel and Zhang
        (TeNPy's ``order = '4_opt'``); needs the local spins on consecutive sites
        (nearest-neighbour H) and, on a ring, an empty stretch to cut it open at (ring.py)
        or an even number of sites (the hop across the cut a gate of its own, tebd.py).
        ``"tdvp"``: two-site TDVP, for any geometry (the ring closed). None:
        :attr:`default_integrator`. Why TEBD where it
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

    def __init__(self, problem, evolution: EvolutionSpec, integrator: str | None = None,
                 optional=()):
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
        integrator = integrator or self.default_integrator
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
                        or self._start_where_empty(evolution.dt_out)):
            self._close(at_start=True)  # no empty stretch: the closed ring
        if integrator is None:
            integrator = "tdvp" if self.model.H_bond is None else "tebd"
        if integrator == "tebd" and self.model.H_bond is None:
            raise ValueError("TEBD needs the local spins on consecutive sites and, on a ring, an "
                             "empty stretch to cut it open at or an even number of sites "
                             "(docs/performance.md)")
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
                          f"(docs/performance.md); {remedy}", stacklevel=3)
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
            # order 4, a Trotter error 6-7x smaller at 0.5 fs (docs/performance.md)
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

    def save_state(self) -> dict:
        """The MPS, the time, the accumulated truncation error, and on a ring the site the MPS
        starts at, the integrator, its step and whether the closing gate runs (saved with
        hdf5_io)."""
        return {"psi": self.psi, "time": self.time, "truncation_error": self.truncation_error,
                "offset": self.model.offset, "integrator": self.integrator, "dt": self.dt,
                "closing": self.closing}

    def load_state(self, saved: dict) -> None:
        """Continue from :meth:`save_state` output. The MPS gets the model's own site objects
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
        self.changed = self._union(self.changed, self.engine.window)
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

    def _keep_cut_empty(self, span: float) -> None:
        """Before TEBD runs on the ring cut open for ``span`` fs: see that both ends of the MPS
        lie outside the window and are empty; with no empty stretch left, close the ring
        (:meth:`_close`)."""
        if self.closing or self._place_cut(span):
            return
        self._close()

    def _closing_every_layer(self, step: float) -> bool:
        """Whether the closing gate must act in every even layer of the step (fourth order)
        rather than once per step in its middle (second order, five times cheaper): above
        :data:`CLOSING_CENTRAL_DENSITY` × (0.5 fs / ``step``)² electrons on the MPS's two end
        sites."""
        density = float(np.sum(self._density([0, self.psi.L - 1])))
        return density > self._once_per_step_density(step)

    @staticmethod
    def _once_per_step_density(step: float) -> float:
        """The most electrons on the closing bond's two sites for which the closing gate may
        act once per step of ``step`` fs: :data:`CLOSING_CENTRAL_DENSITY` × (0.5 fs / step)²."""
        return CLOSING_CENTRAL_DENSITY * (0.5 / step) ** 2

    def _move_cut(self, step: float) -> None:
        """On the closed ring, when the closing gate must act in every even layer
        (:meth:`_closing_every_layer`), move the cut to the bond with the fewest electrons
        (no local spin at either new end), by fermionic swaps (ring.py), if that bond holds
        at most half the density that allows the gate once per step. The move costs
        |shift| × (L − |shift|) swaps once; the gate in every even layer costs 8 (L − 2) swaps
        more per step than once per step, so the move pays within a few steps."""
        if not self._closing_every_layer(step):
            return
        L = self.psi.L
        density = self._density(range(L))
        bonds = density[:-1] + density[1:]  # bond p joins MPS sites p and p + 1
        spins = np.asarray(self.model.spin_sites)
        bonds[np.isin(np.arange(L - 1), spins) | np.isin(np.arange(1, L), spins)] = np.inf
        p = int(np.argmin(bonds))
        if bonds[p] > self._once_per_step_density(step) / 2:
            return
        shift = p + 1 if p + 1 <= L // 2 else p + 1 - L  # the MPS starts at site p + 1
        self.truncation_error += rotate_mps(self.psi, shift, self._trunc_params).eps
        self._rebuild(self.model.offset + shift, "tebd")
        self.psi.sites = list(self.model.lat.mps_sites())

    def _close(self, at_start: bool = False) -> None:
        """Run the ring closed from now on: on an even ring TEBD with the hop across the cut
        as a gate of its own (qst_mps/mps/tebd.py); on an odd ring, whose bonds do not fall
        into two layers of commuting gates, two-site TDVP, from the start at the given step
        (``__init__`` warns), later at steps of at most 0.1 fs, with a warning."""
        if self.psi.L % 2 == 0:
            self.closing, self.engine, self.changed = True, None, None
            return
        self._rebuild(self.model.offset, "tdvp")
        if at_start:
            return
        self.dt = min(self.dt, TDVP_DT_WARN)
        warnings.warn(f"mps: from t = {self.time:g} fs on the packets leave no empty stretch "
                      f"of the ring (of an odd number of sites) to cut it open for TEBD; the "
                      f"rest runs with two-site TDVP on the closed ring, at steps of at most "
                      f"{self.dt:g} fs (TDVP's splitting error: docs/performance.md), several "
                      f"times slower per fs", stacklevel=4)

    def _place_cut(self, span: float) -> bool:
        """Whether the ring's cut lies in an empty stretch for the next ``span`` fs, after
        moving empty sites across it (ring.py), as far into the stretch as the sites outside the
        window allow: no local spin moves, and none ends up at an end of the MPS."""
        first, last = self.window(span)
        if self._cut_is_empty(first, last):
            return True
        L = self.psi.L
        spins = np.asarray(self.model.spin_sites)

        def moved(shift):  # > 0: the first sites move to the end; < 0: the last to the start
            return np.arange(shift) if shift > 0 else np.arange(L + shift, L)

        def allowed(shift):  # no local spin at the MPS's new first or last site, and the
            # moved sites a product (tails below the window's threshold may not be)
            bonds = np.asarray(self.psi.chi)[:shift] if shift > 0 else \
                np.asarray(self.psi.chi)[L + shift - 1:]
            return not np.isin([shift % L, (shift - 1) % L], spins).any() and np.all(bonds == 1)

        shifts = [s for s in range(-(L - 1 - last), first + 1) if s and allowed(s)]
        if not shifts:
            return False
        shift = max(shifts, key=lambda s: (min(first - s, L - 1 - last + s), -abs(s)))
        if not self._empty(moved(shift)):
            return False
        self._rebuild(self.model.offset + shift, "tebd")
        self.psi = shift_mps(self.psi, shift, self.model.lat.mps_sites())
        return self._cut_is_empty(*self.window(span))

    def _start_where_empty(self, span: float) -> bool:
        """Build the initial MPS again, starting in the middle of the longest stretch of the
        ring without electrons (density < 1e-10) and without local spins, for packets across
        site 0; whether the ring can be cut open there for the first ``span`` fs. If not, the
        closed ring runs from there, with the least weight on the bond between the MPS's ends:
        on a 24-site ring with the pair across (23, 0), TDVP from there was more accurate than
        from site 0 (density within 2.3e-7 of exact after 0.5 fs, against 4.2e-5), and TEBD's
        closing gate is cheaper there (once per step instead of in every even layer)."""
        if isinstance(self.problem.electrons, BoxGround):  # its DMRG state is built at site 0
            return False
        L = self.psi.L
        empty = self._density(range(L)) < 1e-10
        empty[self.model.spin_sites] = False
        if empty.all() or not empty.any():
            return False
        start = int(np.argmin(empty))  # an occupied site: runs of empty sites start after it
        runs, length = [], 0
        for step in range(1, L + 1):
            p = (start + step) % L
            length = length + 1 if empty[p] else 0
            runs.append((length, p))
        length, end = max(runs)
        self._rebuild(self.model.site(end - length // 2), "tebd")
        self.psi, _ = initial_mps(self.model, self.problem)
        return self._place_cut(span)

    def _cut_is_empty(self, first: int, last: int) -> bool:
        """Whether both ends of the MPS lie outside the window (first, last) and hold no
        particle."""
        return 0 < first and last < self.psi.L - 1 and self._empty([0, self.psi.L - 1])

    def _empty(self, positions) -> bool:
        """Whether the MPS sites ``positions`` hold no conduction electron (outside the window
        a site holds a definite number of them)."""
        return bool(np.sum(self._density(positions)) < 1e-8)

    def _density(self, positions) -> np.ndarray:
        """⟨n⟩ of the conduction electrons on the MPS sites ``positions``."""
        positions = [int(p) for p in positions]
        ops = [self.model.op("Ntot", p) for p in range(self.psi.L)]
        return np.real(self.psi.expectation_value(ops, sites=positions))

    @staticmethod
    def _union(changed, window):
        """The sites of ``changed`` and of ``window`` (both (first, last) or None: all)."""
        if changed is None:
            return None
        return min(changed[0], window[0]), max(changed[1], window[1])

    def window(self, span: float) -> tuple[int, int]:
        """Sites (first, last) that TEBD or TDVP must update for the next ``span`` fs.

        Every bond whose second Schmidt value exceeds :data:`WINDOW_SCHMIDT` × (svd_min or
        the step's error estimate, the larger), the
        local spins unless they are a stationary product (``Problem.local_stationary``), plus
        a margin of m ≥ 10 sites on each side with (r τ/ħ)^m / m! < 1e-10 (the most amplitude
        that hops m sites in time τ = ``span`` at the fastest rate r: the hopping t_h, or the
        exchange J S), joined with the previous window. Outside, the MPS is a product of empty
        sites and local spins in an eigenstate of their part of H, up to an amplitude of the
        order of what the truncation discards.
        """
        threshold = WINDOW_SCHMIDT * max(self.evolution.svd_min, self.info["error_estimate"])
        entangled = np.flatnonzero(self.second_schmidt_values() > threshold)
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
        if self.closing or (self._ring_closed and (first == 0 or last == L - 1)):
            first, last = 0, L - 1  # the closed ring's hop joins the MPS's two ends
        return first, last

    def _on_sites(self, result: dict, psi) -> dict:
        """The per-site and per-bond observables of an MPS that starts at site ``offset``
        indexed by conduction site, as on the ring's own order."""
        for name in ("density", "spin_density"):
            if name in result:
                result[name] = np.roll(result[name], self.model.offset, axis=0)
        if "current" in result:  # nothing crosses the empty bond where the ring is cut open
            across = self._current_across_ends(psi) if self._ring_closed else 0.0
            result["current"] = self._on_bonds(result["current"], across)
        return result

    @property
    def _ring_closed(self) -> bool:
        """Whether H joins the MPS's two ends: a ring not cut open, or closed by the gate."""
        return self.problem.model.periodic and (self.closing or not self.model.cut)

    def _current_across_ends(self, psi) -> float:
        """The current from the MPS's last site to its first (the closed ring's bond between
        them): (2 t_h/ħ) Im Σ_s ⟨c†_{L−1 s} c_{0 s}⟩, with TeNPy's Jordan–Wigner strings."""
        L, op = psi.L, self.model.op
        total = sum(psi.correlation_function(op(f"Cd{s}", 0), op(f"C{s}", L - 1),
                                             sites1=[0], sites2=[L - 1])[0, 0]
                    for s in ("u", "d"))  # ⟨c†_0 c_{L−1}⟩ = conj ⟨c†_{L−1} c_0⟩
        return float(-2 * self.problem.model.t_h / HBAR * np.imag(total))

    def _on_bonds(self, values, across_cut):
        """Values on the MPS's bonds (p, p + 1) as values on the bonds (x, x + 1), x = 0 … N − 2,
        of the ring's order; ``across_cut`` on the bond where the MPS is cut open."""
        N = len(values) + 1
        ring = np.full(N, across_cut, dtype=np.asarray(values).dtype)
        ring[(np.arange(N - 1) + self.model.offset) % N] = values
        return ring[:N - 1]

    def second_schmidt_values(self) -> np.ndarray:
        """The second largest Schmidt value of each bond (i, i + 1), 0 where there is one."""
        values = np.zeros(self.psi.L - 1)
        for i in range(self.psi.L - 1):
            S = self.psi.get_SR(i)
            if len(S) > 1:
                values[i] = np.partition(S, -2)[-2]
        return values

    def hop_rate(self) -> float:
        """The fastest hopping amplitude (eV): t_h, or J S of the exchange between spins."""
        from ..problem.terms import Exchange

        rates = [abs(self.problem.model.t_h)]
        rates += [max(abs(t.J_xy), abs(t.J_z)) * self.problem.model.spin
                  for t in self.problem.model.terms if isinstance(t, Exchange)]
        return max(rates, default=0.0)

    def observables(self, heavy: bool = True) -> dict:
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
