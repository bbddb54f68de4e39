"""The exact backend against QuSpin (tests/quspin_reference.py, built from QuSpin's own operator
strings and read straight from the configuration keys): every observable at every output time,
to 1e-8, for every term of the Hamiltonian and every initial state."""

import numpy as np
import pytest
from conftest import small
from quspin_reference import QuSpinReference

from qst_mps.problem.geometry import output_times
from qst_mps.simulation import simulate

PAIRS = ["singlet", "triplet_0", "triplet_minus", "triplet_plus", "theta", "single_down"]


def assert_agree(config, tolerance=1e-8):
    ours = simulate(config)
    reference = QuSpinReference(config).run(output_times(config))
    compared = 0
    for key, expected in reference.items():
        assert ours[key].shape == expected.shape, key
        error = np.max(np.abs(ours[key] - expected))
        assert error < tolerance, f"{key}: max |exact − QuSpin| = {error:.2e}"
        compared += 1
    assert compared == (13 if "pair_spin_probabilities" in reference else 12)
    return ours


@pytest.mark.parametrize("sd_terms", ["full", "zz", "flip"])
@pytest.mark.parametrize("boundary", ["periodic", "open"])
@pytest.mark.parametrize("pair", PAIRS)
def test_every_state_boundary_and_sd_terms(pair, boundary, sd_terms):
    ours = assert_agree(small(pair, boundary, sd_terms,
                              state={"theta": 0.7} if pair == "theta" else {}))
    if pair not in ("triplet_plus",) and sd_terms != "zz":
        assert ours["delta_sigma_z"][-1] > 1e-3  # the comparison is not between two trivial runs


@pytest.mark.parametrize(
    "model",
    [
        {"L": 3},
        {"L": 3, "spin_sites": [11, 13, 15]},
        {"spin": 1.0},
        {"spin": 1.5, "L": 2},
        {"electron_spin": "pauli"},
        {"J_ex": 0.0, "L": 3, "boundary": "open"},
    ],
)
@pytest.mark.parametrize("pair", ["singlet", "triplet_minus", "single_down"])
def test_more_spins_larger_spin_and_pauli(model, pair):
    assert_agree(small(pair, model=model, evolution={"t_max": 8.0}))


TERMS = {  # each term of docs/physics.md "More terms", on its own
    "J_ex_z": {"J_ex_z": 0.9},
    "D": {"D": 0.4},
    "B_loc along z": {"B_loc": 0.3},
    "B_loc": {"B_loc": [0.3, -0.2, 0.1]},
    "B_el": {"B_el": [0.2, 0.3, -0.1]},
    "U": {"U": 2.0},
    "potential": {"potential": [[3, 9, 0.4], [8, 12, -0.3]]},
}


@pytest.mark.parametrize("spin", [0.5, 1.0])
@pytest.mark.parametrize("term", list(TERMS))
def test_each_term_on_its_own(term, spin):
    """A triplet_0 pair (both spins, so that U acts) against three local spins."""
    ours = assert_agree(small("triplet_0", model={"L": 3, "spin": spin, **TERMS[term]},
                              evolution={"t_max": 6.0}))
    assert ours["delta_sigma_z"].max() > 1e-3


@pytest.mark.parametrize("pair", ["singlet", "single"])
def test_every_term_together(pair):
    model = {"L": 3, "spin": 1.0, "boundary": "open"}
    for values in TERMS.values():
        model.update(values)
    assert_agree(small(pair, model=model, state={"spin_theta": 2.0, "spin_phi": 0.5},
                       evolution={"t_max": 6.0}))


LOCAL = {  # every local-spin state, with the model it needs
    "down": ({}, {"local": "down"}),
    "neel": ({"L": 3}, {"local": "neel"}),
    "tilted": ({"L": 3}, {"local": "tilted", "local_theta": 1.1, "local_phi": 0.4}),
    "tilted S = 1": ({"spin": 1.0}, {"local": "tilted", "local_theta": 2.0, "local_phi": -0.7}),
    "pairs singlet": ({"L": 4}, {"local": "pairs", "local_pair": "singlet"}),
    "pairs triplet_0": ({"L": 2}, {"local": "pairs", "local_pair": "triplet_0"}),
    "pairs triplet_minus": ({"L": 2}, {"local": "pairs", "local_pair": "triplet_minus"}),
    "ground antiferromagnet": ({"L": 4, "J_ex": -0.3}, {"local": "ground"}),
    "ground odd L": ({"L": 3, "J_ex": -0.3}, {"local": "ground"}),
    "ground ferromagnet S_z = 0": ({"L": 4, "J_ex": 0.3}, {"local": "ground", "local_Sz": 0}),
    "ground S = 1 anisotropic": ({"L": 3, "spin": 1.0, "J_ex": -0.2, "D": -0.1, "J_ex_z": -0.3},
                                 {"local": "ground", "local_Sz": 1}),
    "ground transverse field": ({"L": 3, "J_ex": -0.2, "B_loc": [0.15, 0.0, 0.05]},
                                {"local": "ground"}),
}


@pytest.mark.parametrize("pair", ["singlet", "single_down"])
@pytest.mark.parametrize("local", list(LOCAL))
def test_every_local_state(local, pair):
    model, state = LOCAL[local]
    assert_agree(small(pair, model=model, state=state, evolution={"t_max": 6.0}))


@pytest.mark.parametrize("angles", [(np.pi / 2, 0.0), (1.0, 2.5)])
def test_a_single_electron_along_any_direction(angles):
    theta, phi = angles
    ours = assert_agree(small("single", state={"spin_theta": theta, "spin_phi": phi}))
    assert abs(ours["sigma_el"][0, 0] - 0.5 * np.sin(theta) * np.cos(phi)) < 1e-12
    assert abs(ours["sigma_el"][0, 1] - 0.5 * np.sin(theta) * np.sin(phi)) < 1e-12


TRAINS = {  # (pair, copies, extra state keys, extra model keys): K = 3 and 4 electrons
    "three ↓": ("single_down", 3, {}, {}),
    "two singlets": ("singlet", 2, {}, {}),
    "three tilted": ("single", 3, {"spin_theta": 2.1, "spin_phi": 0.3}, {}),
    "two triplet_0 with U": ("triplet_0", 2, {}, {"U": 1.5}),
    "two pairs, each its own θ": ("theta", 2, {"theta": [0.7, 2.9]}, {}),
}


@pytest.mark.parametrize("train", list(TRAINS))
def test_trains_of_packets(train):
    """K = 3 and 4 electrons in trains (state.repeat), every one antisymmetrized, N = 16."""
    pair, copies, state, model = TRAINS[train]
    config = small(pair, "open", model={"N": 16, "n_first": 12, **model},
                   state={"repeat": copies, "spacing": 2.7, "x2": 8.0, "d": 1.4, **state},
                   evolution={"t_max": 3.0})
    ours = assert_agree(config)
    assert ours["electron_up_probabilities"].shape[1] == ours["density"][0].sum().round() + 1


BOXES = {  # state, model: released boxes (state.electrons = "box"), N = 16 unless given, L = 2
    "three ↑ on ↓ spins, hard walls, U": ({"n_up": 3, "local": "down"}, {"U": 1.5}),
    "two ↑ one ↓, hard walls": ({"n_up": 2, "n_down": 1}, {}),
    "two ↓ in a well, ring, potential": ({"n_down": 2, "box_depth": 3.0},
                                         {"boundary": "periodic", "potential": [[2, 3, 0.4]]}),
    "one ↑ on a Néel magnet, S = 1": ({"n_up": 1, "local": "neel"}, {"spin": 1.0}),
    "two ↑ two ↓ correlated, hard walls, U, N = 12": ({"n_up": 2, "n_down": 2},
                                                      {"U": 2.0, "N": 12}),
    "one ↑ two ↓ correlated in a well, U": ({"n_up": 1, "n_down": 2, "box_depth": 2.5},
                                            {"U": 1.2}),
}


@pytest.mark.parametrize("box", [pytest.param(box, marks=pytest.mark.slow) if "N = 12" in box
                                 else box for box in BOXES])  # dense QuSpin of 12 sites: 22 s
def test_released_boxes(box):
    """A box's ground state against QuSpin's many-body ground state of the electrons alone in
    that sector (dense diagonalization, tests/quspin_reference.py), then released."""
    from qst_mps.config import resolve

    state, model = BOXES[box]
    config = resolve({"model": {"N": 16, "L": 2, "n_first": 9, "J_sd": 1.0,
                                "boundary": "open", **model},
                      "state": {"electrons": "box", "box": [1, 6], **state},
                      "evolution": {"t_max": 3.0, "dt_out": 0.5}})
    ours = assert_agree(config)
    assert abs(ours["density"][0].sum() - state.get("n_up", 0) - state.get("n_down", 0)) < 1e-12
    assert np.max(np.abs(ours["S_loc"][-1] - ours["S_loc"][0])) > 1e-3  # the box reached them
