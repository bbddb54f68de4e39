"""TEBD on the ring (qst_mps/mps/ring.py): the MPS cut open at an empty bond and the cut moved
across the ring, against the exact backend on the closed ring."""

import warnings

import numpy as np
from conftest import mps_backend

from qst_mps.config import resolve
from qst_mps.mps.backend import MPSBackend
from qst_mps.mps.model import SpinTransferChain
from qst_mps.mps.ring import shift_mps
from qst_mps.simulation import ELAPSED, simulate

warnings.filterwarnings("ignore", message="unused option")


def ring(t_max=3.0, backend="mps", n_first=2):
    """A 64-site ring whose packet starts across the bond (63, 0), x2 = 60, and runs into the
    local spins on sites 2 and 3 (``n_first``)."""
    return resolve({
        "model": {"N": 64, "L": 2, "n_first": n_first, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"pair": "single_down", "sigma_d": 1.5, "x2": 60.0, "k_e": 1.5},
        "evolution": {"backend": backend, "t_max": t_max, "dt_out": 0.5, "dt": 0.25,
                      "svd_min": 1e-10},
        "output": {"observables": ["current", "spin_density"]},
    })


def density(psi, chain):
    return np.real(psi.expectation_value([chain.op("Ntot", p) for p in range(psi.L)]))


def test_moving_sites_across_the_ends_of_the_mps_keeps_the_state():
    """Moving the sites from an end of the MPS past the local spins (unreached and ↑, so
    charged) to the other end, and back: the same density site by site, the same energy, and
    the state itself back to 1e-12."""
    backend = mps_backend(ring(n_first=30))
    psi, chain = backend.psi, backend.model
    assert backend.integrator == "tebd" and chain.offset != 0  # started where the ring is empty
    first, last = backend.window(0.5)
    spins = np.asarray(chain.spin_sites)
    shift = spins.max() + 2 if spins.max() < first else -(psi.L - spins.min() + 1)
    assert (0 < shift <= first) or (-(psi.L - 1 - last) <= shift < 0)
    moved_chain = SpinTransferChain(chain.problem_model, chain.conserve_sz,
                                    offset=chain.offset + shift, cut=True)
    moved = shift_mps(psi, shift, moved_chain.lat.mps_sites())
    assert np.allclose(np.roll(density(moved, moved_chain), moved_chain.offset),
                       np.roll(density(psi, chain), chain.offset), atol=1e-14)
    assert abs(moved_chain.H_MPO.expectation_value(moved)
               - chain.H_MPO.expectation_value(psi)) < 1e-12
    back = shift_mps(moved, -shift, chain.lat.mps_sites())
    assert abs(abs(back.overlap(psi)) - 1) < 1e-12


def test_the_ring_cut_open_follows_the_exact_ring(monkeypatch, tmp_path):
    """The packet starts across the bond (63, 0), so the MPS starts elsewhere; before every
    interval the cut is moved once more (forced), and TEBD follows the exact closed ring in
    every observable, the current across every bond included, also after resuming from a
    checkpoint of an MPS that starts elsewhere than site 0."""
    offsets, forced = [], {"now": False}
    placed, is_empty = MPSBackend._place_cut, MPSBackend._cut_is_empty

    def cut_is_empty(self, first, last):
        if forced["now"]:
            forced["now"] = False
            return False
        return is_empty(self, first, last)

    def move_every_time(self, span):
        offsets.append(self.model.offset)
        forced["now"] = self.engine is not None  # at each interval but a run's first
        return placed(self, span)

    monkeypatch.setattr(MPSBackend, "_cut_is_empty", cut_is_empty)
    monkeypatch.setattr(MPSBackend, "_place_cut", move_every_time)
    import qst_mps
    from qst_mps.cli import main

    path = tmp_path / "ring.h5"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="mps: from t")  # no going over to TDVP
        simulate(ring(t_max=1.5), path)
        assert qst_mps.load(path, checkpoint=True)["checkpoint"]["backend"]["offset"] != 0
        assert main(["resume", str(path), "--set", "evolution.t_max=3.0", "-q"]) == 0
    mps, exact = qst_mps.load(path), simulate(ring(backend="exact"))
    assert len(set(offsets) - {0}) >= 3  # the cut moved, again and again
    assert exact["delta_sigma_z"][-1] > 1e-3  # the packet reached the spins
    for key in exact:  # TEBD's own error at dt = 0.25 fs: ~1e-6 in the density
        if key in ("wall_time", ELAPSED):
            continue
        error = np.max(np.abs(mps[key] - exact[key]))
        assert error < 1e-5, f"{key}: max |mps − exact| = {error:.1e}"


def test_a_ring_the_packets_fill_runs_tdvp_closed_where_the_mps_starts():
    """A 24-site ring is too small to cut open (the window covers it), and the pair starts
    across the bond (23, 0): TDVP on the closed ring with the MPS starting at another site,
    and every observable, the density and the current across the bond between the MPS's two
    ends included, comes back in the ring's order (against the exact ring, 0–0.5 fs)."""
    config = resolve({
        "model": {"N": 24, "L": 2, "n_first": 8, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"pair": "singlet", "sigma_d": 1.5, "x2": 22.0, "d": 5.0, "k_e": 1.5},
        "evolution": {"backend": "mps", "t_max": 0.5, "dt_out": 0.5, "dt": 0.1,
                      "svd_min": 1e-10},
        "output": {"observables": ["current", "spin_density"]},
    })
    backend = mps_backend(config)
    assert backend.integrator == "tdvp" and backend.model.offset != 0
    mps = simulate(config)
    exact = simulate(resolve(dict(config, evolution=dict(config["evolution"], backend="exact"))))
    assert np.abs(exact["current"][-1]).max() > 1e-2
    for key in exact:
        if key in ("wall_time", ELAPSED):
            continue
        error = np.max(np.abs(mps[key] - exact[key]))
        assert error < 1e-5, f"{key}: max |mps − exact| = {error:.1e}"


def test_when_the_packets_fill_the_ring_the_run_goes_over_to_tdvp_at_a_small_step():
    """On a 48-site ring the packet and its margins leave no empty stretch after 4 fs: the
    run warns, goes on with TDVP on the closed ring at steps of 0.1 fs (not TEBD's 0.25), and
    still follows the exact ring (TDVP's own error on this ring is ~2e-4)."""
    config = resolve({
        "model": {"N": 48, "L": 2, "n_first": 4, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"pair": "single_down", "sigma_d": 1.5, "x2": 44.0, "k_e": 1.5},
        "evolution": {"backend": "mps", "t_max": 5.0, "dt_out": 0.5, "dt": 0.25,
                      "svd_min": 1e-10},
    })
    backend = mps_backend(config)
    assert backend.integrator == "tebd"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        times = list(backend.evolve(np.arange(0.5, 5.01, 0.5)))
    assert times[-1] == 5.0 and backend.integrator == "tdvp" and backend.dt == 0.1
    assert any("no empty stretch" in str(w.message) for w in caught)
    exact = simulate(resolve(dict(config, evolution=dict(config["evolution"], backend="exact"))))
    ours = backend.observables()
    for key in ("density", "sigma_el", "S_loc"):
        assert np.max(np.abs(ours[key] - exact[key][-1])) < 1e-3, key
