"""The optional observables (spin_density, current, entanglement_entropy, magnet_entropy,
local_concurrence, local_mutual_information): the exact backend against a brute-force Fock
space with explicit partial traces and the textbook formulas, analytic limits, and the mps
backend against exact."""

import warnings

import numpy as np
import pytest
from conftest import exact_backend, mps_backend
from fock_reference import HBAR, Fock, packet
from scipy.sparse.linalg import expm_multiply

from qst_mps.config import ConfigError, resolve
from qst_mps.simulation import ELAPSED, simulate

warnings.filterwarnings("ignore", message="unused option")
OPTIONAL = ["spin_density", "current", "entanglement_entropy", "magnet_entropy",
            "local_concurrence", "local_mutual_information"]


def von_neumann(rho):
    p = np.linalg.eigvalsh(rho)
    p = p[p > 1e-14]
    return float(-np.sum(p * np.log(p)))


def wootters(rho):
    """C = max(0, λ1 − λ2 − λ3 − λ4), λ the eigenvalues of √(√ρ ρ̃ √ρ), ρ̃ = (σy⊗σy) ρ* (σy⊗σy)
    (Wootters, PRL 80, 2245 (1998))."""
    yy = np.kron([[0, -1j], [1j, 0]], [[0, -1j], [1j, 0]])
    w, v = np.linalg.eigh(rho)
    root = v @ np.diag(np.sqrt(np.clip(w, 0, None))) @ v.conj().T
    lam = np.sqrt(np.clip(np.linalg.eigvalsh(root @ yy @ rho.conj() @ yy @ root), 0, None))
    lam = np.sort(lam)[::-1]
    return max(0.0, lam[0] - lam[1] - lam[2] - lam[3])


def brute_force(config):
    """Every optional observable at every output time, in the site-ordered Fock space: the cut
    of the chain after site x is a tensor-product cut, the local spins are bosons whose tensor
    factor can be moved next to their site, and density matrices are explicit partial traces."""
    model, state = config["model"], config["state"]
    N, L, periodic = model["N"], model["L"], model["boundary"] == "periodic"
    fock = Fock(N, L, order="site")
    H = fock.hamiltonian(model, model["spin_sites"])
    x2 = state["x2"]
    x1 = (x2 - state["d"]) % N if periodic else x2 - state["d"]
    phi1 = packet(N, x1, state["k_e"], state["sigma_d"], periodic)
    phi2 = packet(N, x2, state["k_e"], state["sigma_d"], periodic)

    def create(phi, s):
        return sum(phi[x] * fock.cdag(x, s) for x in range(N))

    vacuum = np.zeros(fock.dim, dtype=complex)
    vacuum[0] = 1.0
    w = {"singlet": [(1, 0, 1), (-1, 1, 0)], "triplet_0": [(1, 0, 1), (1, 1, 0)]}
    if state["pair"] == "single_down":
        psi = create(phi2, 1) @ vacuum
    else:
        psi = sum(c * (create(phi1, a) @ (create(phi2, b) @ vacuum))
                  for c, a, b in w[state["pair"]])
    psi /= np.linalg.norm(psi)
    times = np.arange(0, config["evolution"]["t_max"] + 1e-9, config["evolution"]["dt_out"])
    states = expm_multiply(-1j * H / HBAR, psi, start=0, stop=times[-1], num=len(times),
                           endpoint=True)
    # tensor axes: 2N modes in site order, then the L spins; move spin j after its site's modes
    order = []
    for x in range(N):
        order += [2 * x, 2 * x + 1]
        order += [2 * N + j for j, n in enumerate(model["spin_sites"]) if n == x]
    out = {k: [] for k in OPTIONAL}
    def reduced(rho, keep):  # partial trace of the spins' ρ (axes s…, s'…) onto ``keep``
        rest = 2 ** (L - len(keep))
        moved = np.moveaxis(rho, [*keep, *[L + j for j in keep]], list(range(2 * len(keep))))
        return moved.reshape(2 ** len(keep), 2 ** len(keep), rest, rest).trace(axis1=2, axis2=3)

    for v in states:
        density = [[np.vdot(v, fock.s_plus(x) @ v).real, np.vdot(v, fock.s_plus(x) @ v).imag,
                    np.vdot(v, fock.s_z(x) @ v).real] for x in range(N)]
        out["spin_density"].append(density)
        hops = [sum(np.vdot(v, fock.cdag(x, s) @ fock.an(x + 1, s) @ v) for s in (0, 1)).imag
                for x in range(N - 1)]
        out["current"].append(2 * model["t_h"] / HBAR * np.array(hops))
        tensor = v.reshape([2] * (2 * N) + [2] * L).transpose(order)
        cuts = []
        for x in range(N - 1):
            left = 2 * (x + 1) + sum(1 for n in model["spin_sites"] if n <= x)
            M = tensor.reshape(2**left, -1)
            small_side = M @ M.conj().T if M.shape[0] <= M.shape[1] else M.conj().T @ M
            cuts.append(von_neumann(small_side))
        out["entanglement_entropy"].append(cuts)
        spins = v.reshape(2 ** (2 * N), 2**L)
        rho = spins.T @ spins.conj()  # ρ_{s s'} = Σ_modes ψ(m, s) ψ*(m, s')
        out["magnet_entropy"].append(von_neumann(rho))
        rho = rho.reshape([2] * (2 * L))
        singles = [reduced(rho, [j]) for j in range(L)]
        info = np.diag([von_neumann(r) for r in singles])
        concurrences = []
        for j in range(L):
            for k in range(j + 1, L):
                pair = reduced(rho, [j, k])
                info[j, k] = info[k, j] = (von_neumann(singles[j]) + von_neumann(singles[k])
                                           - von_neumann(pair))
                if k == j + 1:
                    concurrences.append(wootters(pair))
        out["local_mutual_information"].append(info)
        out["local_concurrence"].append(concurrences)
    return {k: np.array(v) for k, v in out.items()}


def small(pair="singlet", boundary="open", backend="exact", t_max=3.0, **extra):
    """N = 6, L = 2: the full Fock space is 2^14."""
    return resolve({
        "model": {"N": 6, "L": 2, "J_sd": 1.2, "boundary": boundary, **extra.get("model", {})},
        "state": {"pair": pair, "sigma_d": 0.5, "d": 1.0, **extra.get("state", {})},
        "evolution": {"backend": backend, "t_max": t_max, "dt_out": 1.0, "dt": 0.05,
                      "chi_max": 128, "svd_min": 1e-12},
        "output": {"observables": OPTIONAL},
    })


@pytest.mark.parametrize("boundary", ["open", "periodic"])
@pytest.mark.parametrize("pair", ["singlet", "triplet_0", "single_down"])
def test_exact_against_brute_force(pair, boundary):
    config = small(pair, boundary)
    ours, reference = simulate(config), brute_force(config)
    for key in OPTIONAL:
        error = np.max(np.abs(ours[key] - reference[key]))
        assert error < 1e-8, f"{key}: max |exact − Fock| = {error:.1e}"
    assert ours["magnet_entropy"][-1] > 1e-2 and ours["entanglement_entropy"].max() > 0.1
    assert np.abs(ours["current"]).max() > 1e-2
    # the spin density adds up to the electrons' spin
    assert np.max(np.abs(ours["spin_density"].sum(axis=1) - ours["sigma_el"])) < 1e-12


@pytest.mark.parametrize("backend", ["exact", "mps"])
@pytest.mark.parametrize("local", ["up", "neel", "tilted"])
def test_a_product_of_local_spins_is_not_entangled(local, backend):
    """At t = 0 the local spins are a product, and a product with the electrons: zero
    entropy, concurrence and mutual information among them (the concurrence is a square root of
    eigenvalues that are zero to rounding, hence 1e-8)."""
    config = small(backend=backend, model={"L": 3, "N": 8},
                   state={"local": local, "local_theta": 1.2, "local_phi": 0.4})
    config = config.updated(output={"observables": ["magnet_entropy", "local_concurrence",
                                                    "local_mutual_information"]})
    backend = exact_backend(config) if backend == "exact" else mps_backend(config)
    values = backend.measure()
    for key in config["output"]["observables"]:
        assert np.max(np.abs(values[key])) < 1e-8, key


@pytest.mark.parametrize("backend", ["exact", "mps"])
def test_singlet_pairs_are_maximally_entangled(backend):
    """local = "pairs" with singlets: concurrence 1 and mutual information 2 ln 2 within each
    pair, nothing between pairs, and the magnet as a whole in a pure state."""
    config = small(backend=backend, model={"L": 4, "N": 8},
                   state={"local": "pairs", "local_pair": "singlet"})
    config = config.updated(output={"observables": ["magnet_entropy", "local_concurrence",
                                                    "local_mutual_information"]})
    values = (exact_backend(config) if backend == "exact" else mps_backend(config)).measure()
    assert np.allclose(values["local_concurrence"], [1, 0, 1], atol=1e-8)
    info = values["local_mutual_information"]
    assert abs(info[0, 1] - 2 * np.log(2)) < 1e-8 and abs(info[2, 3] - 2 * np.log(2)) < 1e-8
    assert abs(info[0, 2]) < 1e-8 and abs(info[1, 3]) < 1e-8
    assert abs(values["magnet_entropy"]) < 1e-8


@pytest.mark.parametrize(("boundary", "tolerance"), [("open", 1e-8), ("periodic", 1e-5)])
def test_mps_schmidt_values_are_the_exact_ones(boundary, tolerance):
    """Every bond's Schmidt values (squared) of the MPS equal those of the exact state: at t = 0
    to 1e-8, and after 2 fs to 1e-8 with TEBD (open chain) and 1e-5 with two-site TDVP (the
    ring, dt = 0.05 fs: its splitting error, measured 2e-6)."""
    config = small("singlet", boundary, backend="mps", t_max=2.0)
    exact = exact_backend(config)
    mps = mps_backend(config)
    for t in (0.0, 2.0):
        if t:
            for _ in exact.evolve([t]):
                pass
            for _ in mps.evolve([t]):
                pass
        psi = mps.psi.copy()
        psi.canonical_form()
        expected = exact.measurement._cuts.spectra([p[None, :] for p in exact.psi], 0)
        for x, squares in enumerate(expected):
            ours = np.sort(np.asarray(psi.get_SL(x + 1)) ** 2)[::-1]
            size = max(len(ours), np.count_nonzero(squares > 1e-12))
            padded = np.zeros(size)
            padded[:min(size, len(ours))] = ours[:size]
            assert np.max(np.abs(padded - squares[:size])) < (tolerance if t else 1e-8), (t, x)


CASES = {
    "paper": ({}, {}),
    "tilted magnet, tilted electron": ({"L": 3, "N": 8}, {"local": "tilted", "local_theta": 1.0,
                                                          "pair": "single", "spin_theta": 0.7}),
    "ground state": ({"L": 3, "N": 8, "J_ex": -0.3}, {"local": "ground"}),
    "S = 1": ({"spin": 1.0}, {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_mps_against_exact(case):
    model, state = CASES[case]
    config = small(backend="mps", model=model, state=state, t_max=2.0)
    if model.get("spin", 0.5) != 0.5:
        config = config.updated(output={"observables": [
            name for name in config.output.observables if name != "local_concurrence"]})
    exact = simulate(config.updated(evolution={"backend": "exact"}))
    mps = simulate(config)
    for key in config["output"]["observables"]:
        assert np.max(np.abs(mps[key][0] - exact[key][0])) < 1e-6, key
        assert np.max(np.abs(mps[key] - exact[key])) < 1e-4, key
    assert ELAPSED in mps


@pytest.mark.parametrize(("setting", "message"), [
    ({"model": {"spin": 1.0}, "observables": ["local_concurrence"]}, "S = 1/2"),
    ({"model": {"N": 40}, "observables": ["entanglement_entropy"]}, "Fock space"),
    ({"model": {"L": 13, "N": 40}, "observables": ["magnet_entropy"]}, "4,096"),
])
def test_what_a_backend_cannot_compute_is_refused_before_any_work(setting, message, tmp_path):
    config = small(model=setting["model"], t_max=1.0)
    config = config.updated(output={"observables": setting["observables"]})
    with pytest.raises(ConfigError, match=message) as err:
        simulate(config, tmp_path / "x.h5")
    assert err.value.key == "output.observables"
    assert not (tmp_path / "x.h5").exists()


@pytest.mark.parametrize("name", ["magnet_entropy", "local_concurrence",
                                  "local_mutual_information"])
def test_each_local_spin_observable_alone(name):
    """Each requested alone gives what it gives among all (the exact backend once looked up
    the neighbours' traces for the concurrence even when only the entropy was asked for)."""
    config = small("singlet", t_max=2.0)
    every = simulate(config)
    config = config.updated(output={"observables": [name]})
    alone = simulate(config)
    assert np.max(np.abs(alone[name] - every[name])) < 1e-12
