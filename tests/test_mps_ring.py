"""TEBD on the ring (qst_mps/mps/ring.py): the MPS cut open at an empty bond and the cut moved
across the ring, against the exact backend on the closed ring."""

import warnings

import numpy as np
from conftest import mps_backend

import qst_mps.mps.ring as ring_module
from qst_mps.config import resolve
from qst_mps.mps.backend import MPSBackend
from qst_mps.mps.model import SpinTransferChain
from qst_mps.mps.ring import rotate_mps, shift_mps, swap_sites
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


def small_ring(N, t_max, dt=0.1):
    """An N-site ring with a singlet pair across the bond (N − 1, 0), too small to cut open
    (the window covers it)."""
    return resolve({
        "model": {"N": N, "L": 2, "n_first": 8, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"pair": "singlet", "sigma_d": 1.5, "x2": N - 2.0, "d": 5.0, "k_e": 1.5},
        "evolution": {"backend": "mps", "t_max": t_max, "dt_out": 0.5, "dt": dt,
                      "svd_min": 1e-10},
        "output": {"observables": ["current", "spin_density"]},
    })


def assert_follows_exact(mps, config):
    exact = simulate(resolve(dict(config, evolution=dict(config["evolution"], backend="exact"))))
    assert np.abs(exact["current"][-1]).max() > 1e-2
    for key in exact:
        if key in ("wall_time", ELAPSED):
            continue
        error = np.max(np.abs(mps[key] - exact[key]))
        assert error < 1e-5, f"{key}: max |mps − exact| = {error:.1e}"


def test_the_hop_across_the_ends_of_the_mps_as_a_gate_follows_the_exact_ring(monkeypatch):
    """A 24-site ring run closed from the start, its MPS starting at site 0 (the search for an
    empty stretch switched off), so that the pair runs across the bond between the MPS's two
    ends, which TEBD applies as a gate of its own (fermionic swaps, tebd.py), here in every
    even layer (the pair sits on it): every observable, the current across that bond
    included, follows the exact ring over 0–1 fs. (Leaving the gate out, or flipping its
    sign, gives errors of order 1e-1 here; the gate once per step, in its middle, 1e-3.)"""
    at_zero = {"start_where_empty": False, "move_cut": False}  # and the cut stays there
    config = small_ring(24, 1.0, dt=0.25)
    backend = mps_backend(config, **at_zero)
    assert (backend.integrator, backend.closing, backend.model.offset) == ("tebd", True, 0)
    assert_follows_exact(simulate(config, backend_options=at_zero), config)


def test_rotating_an_entangled_mps_keeps_the_state(monkeypatch):
    """Moving occupied, entangled sites from one end of the MPS to the other by fermionic swaps
    (ring.rotate_mps), the pair across the cut: the same density site by site and the same
    energy (the model built for the new start), and the state itself back to 1e-12 after
    moving them back."""
    backend = mps_backend(small_ring(24, 1.0), start_where_empty=False)
    psi, chain = backend.psi, backend.model
    assert max(psi.chi) > 1 and density(psi, chain)[[0, -1]].sum() > 0.1
    exact = {"chi_max": 1000, "svd_min": 1e-14}
    swaps = []
    monkeypatch.setattr(ring_module, "swap_sites", lambda *args: swaps.append(args[1])
                        or swap_sites(*args))
    for shift in (5, -7):
        moved = psi.copy()
        swaps.clear()
        assert rotate_mps(moved, shift, exact).eps < 1e-20
        assert len(swaps) == abs(shift) * (24 - abs(shift))  # no moved site crosses another
        moved_chain = SpinTransferChain(chain.problem_model, chain.conserve_sz,
                                        offset=chain.offset + shift, cut=True)
        moved.sites = list(moved_chain.lat.mps_sites())
        assert np.allclose(np.roll(density(moved, moved_chain), moved_chain.offset),
                           np.roll(density(psi, chain), chain.offset), atol=1e-13)
        assert abs(moved_chain.H_MPO.expectation_value(moved)
                   - chain.H_MPO.expectation_value(psi)) < 1e-12
        rotate_mps(moved, -shift, exact)
        assert abs(abs(moved.overlap(psi)) - 1) < 1e-12


def test_the_closed_ring_moves_its_cut_to_where_it_is_emptiest(monkeypatch, tmp_path):
    """The 24-site ring of the test above, its MPS starting at site 0 with the pair on the
    closing bond: before the first step the cut moves (by fermionic swaps) to a nearly empty
    bond, where the closing gate acts once per step, and the run follows the exact ring in
    every observable, also after resuming from a checkpoint of the moved MPS."""
    import qst_mps
    from qst_mps.cli import main

    config = small_ring(24, 0.5, dt=0.25)
    path = tmp_path / "moved.h5"
    simulate(config, path, backend_options={"start_where_empty": False})
    saved = qst_mps.load(path, checkpoint=True)["checkpoint"]["backend"]
    assert saved["closing"] and saved["offset"] != 0
    assert main(["resume", str(path), "--set", "evolution.t_max=1.0", "-q"]) == 0
    assert_follows_exact(qst_mps.load(path), small_ring(24, 1.0, dt=0.25))


def test_an_odd_ring_too_small_to_cut_runs_tdvp_closed_where_the_mps_starts():
    """A 25-site ring too small to cut open, the pair across the bond (24, 0): an odd ring has
    no two layers of commuting bonds, so TDVP runs it closed, with the MPS starting at another
    site; every observable, the density and the current across the bond between the MPS's two
    ends included, comes back in the ring's order (against the exact ring, 0–0.5 fs)."""
    config = small_ring(25, 0.5)
    backend = mps_backend(config)
    assert backend.integrator == "tdvp" and backend.model.offset != 0
    assert_follows_exact(simulate(config), config)


def test_when_the_packets_fill_the_ring_the_hop_across_the_cut_becomes_a_gate(tmp_path):
    """On a 48-site ring the packet and its margins leave no empty stretch after 4 fs: TEBD
    goes on, at its own step and without a warning, with the hop between the MPS's ends as a
    gate of its own (tebd.py), also after resuming from a checkpoint written after that, and
    follows the exact ring in every observable (at dt = 0.25 fs TEBD's own error here is
    ~2e-6; TDVP's at 0.1 fs, which ran here before, was ~2e-4). The cut lies where the ring
    is emptiest, so little crosses it by 5 fs: the gate itself is checked by the test above."""
    import qst_mps
    from qst_mps.cli import main

    config = resolve({
        "model": {"N": 48, "L": 2, "n_first": 4, "J_sd": 1.0, "boundary": "periodic"},
        "state": {"pair": "single_down", "sigma_d": 1.5, "x2": 44.0, "k_e": 1.5},
        "evolution": {"backend": "mps", "t_max": 4.5, "dt_out": 0.5, "dt": 0.25,
                      "svd_min": 1e-10},
        "output": {"observables": ["current"]},
    })
    path = tmp_path / "filled.h5"
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="mps:")
        simulate(config, path)
        saved = qst_mps.load(path, checkpoint=True)["checkpoint"]["backend"]
        assert saved["closing"] and saved["integrator"] == "tebd" and saved["dt"] == 0.25
        assert main(["resume", str(path), "--set", "evolution.t_max=5.0", "-q"]) == 0
    mps = qst_mps.load(path)
    exact = simulate(resolve(dict(config, evolution=dict(config["evolution"], backend="exact",
                                                         t_max=5.0))))
    assert mps["time"][-1] == 5.0
    for key in exact:
        if key in ("wall_time", ELAPSED):
            continue
        error = np.max(np.abs(mps[key] - exact[key]))
        assert error < 1e-5, f"{key}: max |mps − exact| = {error:.1e}"
