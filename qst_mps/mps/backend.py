"""The mps backend: the initial state as an exact MPS, evolved with TeNPy's fourth-order TEBD
(open chains; the optimized sequence of Barthel and Zhang) or two-site TDVP (the ring)."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
from tenpy.networks.mps import MPS
from threadpoolctl import threadpool_limits

from ..geometry import HBAR
from ..states import electron_spin_factor, initial_electrons, n_electrons
from .model import SpinTransferChain
from .tdvp import WindowTwoSiteTDVPEngine
from .tebd import WindowTEBDEngine

#: Above this step (fs) two-site TDVP warns: its splitting error grows like dt², and on the
#: paper's single electron Δσ_z was off by 1.7e-2 (by 67.5 fs) at dt = 0.5 fs and by 3e-4 (by
#: 50 fs) at 0.1 fs (docs/performance.md).
TDVP_DT_WARN = 0.1


class MPSBackend:
    """SPEC §1 on an MPS (TeNPy), observables of SPEC §3 plus bond dimension and truncation
    error.

    Numerics from ``[evolution]``: ``dt`` (fs), ``chi_max``, ``svd_min``.

    Parameters
    ----------
    config : dict
        The resolved configuration.
    integrator : {"tebd", "tdvp", None}
        ``"tebd"``: TeNPy's TEBD with the optimized fourth-order sequence of Barthel and Zhang
        (TeNPy's ``order = '4_opt'``); needs an open chain with the local spins on consecutive
        sites (nearest-neighbour H). ``"tdvp"``:
        two-site TDVP, for any geometry. None: :attr:`default_integrator`. Why TEBD where it
        applies: docs/performance.md (smaller time-step error at dt = 0.5 fs, and several
        times cheaper per fs at the same bond dimension).
    """

    name = "mps"
    #: The integrator of runs built without one (by the command line and sweeps); None: TEBD
    #: where it applies, else TDVP.
    default_integrator: str | None = None

    def __init__(self, config: dict, integrator: str | None = None):
        self.config = config
        self.model = SpinTransferChain(config["model"])
        integrator = integrator or self.default_integrator
        if integrator is None:
            integrator = "tdvp" if self.model.H_bond is None else "tebd"
        if integrator not in ("tebd", "tdvp"):
            raise ValueError(f"integrator {integrator!r}: choose 'tebd' or 'tdvp'")
        if integrator == "tebd" and self.model.H_bond is None:
            raise ValueError("TEBD needs an open chain with the local spins on consecutive sites")
        self.integrator = integrator
        if integrator == "tdvp" and config["evolution"]["dt"] > TDVP_DT_WARN:
            warnings.warn(f"mps: two-site TDVP at evolution.dt = {config['evolution']['dt']} fs; "
                          f"its time-step error reached 1.7e-2 in Δσ_z at 0.5 fs on the paper's "
                          f"model: use dt <= {TDVP_DT_WARN} fs, or an open chain where TEBD "
                          f"applies (docs/performance.md)", stacklevel=2)
        self.scale = electron_spin_factor(config["model"])
        self.psi = self.initial_state()
        self.pair_mpos = self.model.pair_mpos() if n_electrons(config) == 2 else None
        self.dt = config["evolution"]["dt"]
        self.engine = None  # built at the first step, from the current MPS
        self.time = 0.0
        self.truncation_error = 0.0

    def _engine(self) -> WindowTEBDEngine | WindowTwoSiteTDVPEngine:
        evolution = self.config["evolution"]
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

    def initial_state(self) -> MPS:
        """Vacuum with all local spins up, then Σ w[s,s'] c†_{φ1 s} c†_{φ2 s'} (exact MPS)."""
        model = self.model
        labels = ["empty_f up_s" if x in model.decorated else "empty"
                  for x in range(self.config["model"]["N"])]
        vacuum = MPS.from_product_state(model.lat.mps_sites(), labels, bc="finite")
        electrons = initial_electrons(self.config)
        names = ("u", "d")
        total = None
        if electrons.n_electrons == 1:
            terms = [((), s, weight) for s, weight in enumerate(electrons.spin) if weight != 0]
        else:
            terms = [((s1,), s2, weight) for (s1, s2), weight in np.ndenumerate(electrons.spin)
                     if weight != 0]
        for first, second, weight in terms:
            psi = vacuum.copy()
            model.creation_mpo(electrons.packets[-1], names[second]).apply_naively(psi)
            if first:
                model.creation_mpo(electrons.packets[0], names[first[0]]).apply_naively(psi)
            psi.canonical_form()
            psi.norm *= weight
            total = psi if total is None else total.add(psi, 1.0, 1.0)
        total.canonical_form()
        total.norm = 1.0  # canonical_form does not reset the norm (TeNPy 1.1.1)
        return total

    def save_state(self) -> dict:
        """The MPS, the time and the accumulated truncation error (saved with hdf5_io)."""
        return {"psi": self.psi, "time": self.time, "truncation_error": self.truncation_error}

    def load_state(self, saved: dict) -> None:
        """Continue from :meth:`save_state` output."""
        self.psi = saved["psi"]
        self.time = float(saved["time"])
        self.truncation_error = float(saved["truncation_error"])
        self.engine = None

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
            steps = math.ceil(span / self.dt - 1e-9)
            if steps > 0:
                if self.engine is None:
                    self.engine = self._engine()
                self.engine.window = self.window(span)
                with threadpool_limits(threads, user_api="blas"):
                    self.engine.run_evolution(steps, span / steps / HBAR)
                self.truncation_error += self.engine.trunc_err.eps
                self.engine.trunc_err = type(self.engine.trunc_err)()
            self.time = float(t)
            yield self.time

    def window(self, span: float) -> tuple[int, int]:
        """Sites (first, last) that TEBD or TDVP must update for the next ``span`` fs.

        Every bond with bond dimension > 1, plus a margin of m ≥ 10 sites on each side with
        (t_h τ/ħ)^m / m! < 1e-10 (the most amplitude that hops m sites in time τ = ``span``),
        joined with the previous window. Outside, the MPS is a product of empty sites and
        unreached local spins, an eigenstate of its part of H.
        """
        chi = np.asarray(self.psi.chi)  # chi[i]: bond between sites i and i + 1
        entangled = np.flatnonzero(chi > 1)
        L = self.psi.L
        hops = self.config["model"]["t_h"] * span / HBAR
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

    def observables(self) -> dict:
        """SPEC §3 observables of the current MPS, plus ``chi_max_bond``, ``bond_dimensions``
        (every bond, left to right) and ``truncation_error``."""
        model, N = self.model, self.config["model"]["N"]
        # TDVP leaves the canonical form slightly broken (Σ⟨S_z⟩ off by up to 1e-4 at svd_min
        # 1e-6), and local expectation values assume it: measure on a re-canonicalized copy.
        # TEBD keeps it (every gate's SVD re-establishes it locally).
        psi = self.psi
        if self.integrator == "tdvp":
            psi = psi.copy()
            psi.canonical_form()
        s_z = np.real(psi.expectation_value([model.op("Sz", x) for x in range(N)]))
        density = np.real(psi.expectation_value([model.op("Ntot", x) for x in range(N)]))
        local = np.array([np.real(psi.expectation_value_term([("Szs", int(n))]))
                          for n in model.spin_sites])
        sigma_z = float(s_z.sum()) * self.scale
        bonds = np.asarray(psi.chi, dtype=np.int32)
        result = {
            "sigma_z_el": sigma_z,
            "S_z_loc": local,
            "S_z_total": sigma_z / self.scale + local.sum(),
            "density": density,
            "norm": float(np.real(self.psi.overlap(self.psi))),
            "energy": float(np.real(model.H_MPO.expectation_value(psi))),
            "chi_max_bond": int(bonds.max()),
            "bond_dimensions": bonds,
            "truncation_error": float(self.truncation_error),
        }
        if self.pair_mpos is not None:
            result["pair_spin_probabilities"] = self.pair_probabilities(psi, density / 2 + s_z)
        return result

    def pair_probabilities(self, psi: MPS, n_up: np.ndarray) -> np.ndarray:
        """[singlet, T+, T0, T−] of two electrons from two MPO expectation values.

        With N↑ + N↓ = 2: P(N↑ = 2) = ⟨Σ_{x<y} n↑_x n↑_y⟩ (MPO) is P(T+), P(N↑ = 1) =
        ⟨N↑⟩ − 2 P(T+) (``n_up``: ⟨n↑_x⟩ per site), P(T−) = 1 − P(N↑ = 1) − P(T+);
        P(singlet) = 1 − ⟨S_el²⟩/2 (MPO), and P(T0) = P(N↑ = 1) − P(singlet). ``psi`` is in
        canonical form.
        """
        value = {k: float(np.real(m.expectation_value(psi))) for k, m in self.pair_mpos.items()}
        both_up = value["up_pairs"]
        one_up = float(n_up.sum()) - 2 * both_up
        singlet = 1 - value["S2"] / 2
        return np.array([singlet, both_up, one_up - singlet, 1 - one_up - both_up])
