"""The problem's initial state as an MPS: the local-spin state (a product, pairs, or the DMRG
ground state of the spin chain alone) with empty conduction sites, then the electrons added by
creation-operator MPOs. Both steps are exact up to the compression of sums (svd_min 1e-14)."""

from __future__ import annotations

import time as clock

import numpy as np
from tenpy.algorithms.dmrg import TwoSiteDMRGEngine
from tenpy.networks.mps import MPS
from tenpy.networks.site import SpinHalfFermionSite, SpinSite

from ..constants import DEGENERACY
from ..exact.basis import local_count
from ..problem.electrons import BoxGround, degenerate_box
from ..problem.local_spins import PairedSpins, ProductSpins, degenerate_ground
from .model import UniformChain

#: DMRG of the local spins: tight enough that energies agree with Lanczos to ~1e-10 eV.
DMRG_OPTIONS = {
    "mixer": True,
    "trunc_params": {"chi_max": 512, "svd_min": 1e-12},
    "max_E_err": 1e-13,
    "max_S_err": 1e-8,
    "min_sweeps": 4,
    "max_sweeps": 60,
}


#: Compression after each creation MPO and sum: drops Schmidt values below 1e-14 only. Without
#: it, each creation MPO doubles the bond dimension (a train of ten electrons reached chi 369
#: for a state of Schmidt rank 2, and the first TEBD step dropped the rest).
EXACT_COMPRESSION = {"chi_max": 10**6, "svd_min": 1e-14, "trunc_cut": None}


def spin_label(lowering: int, spin: float) -> str:
    """TeNPy's state label of a spin's basis state with lowering l (m = S − l)."""
    return str(float(spin - lowering))


def local_tensors(problem, conserve_sz: bool) -> tuple[list, dict]:
    """The local-spin state as dense MPS tensors on the spin chain alone: one (2S+1, χL, χR)
    array per spin, indexed by lowering l; and what it took to make them (``info``)."""
    local, L = problem.local, problem.model.L
    info = {}
    if isinstance(local, ProductSpins):
        return [v.reshape(-1, 1, 1) for v in local.vectors], info
    if isinstance(local, PairedSpins):  # first spin: its state on the bond; second: the pair
        d = local.pair.shape[0]
        first = np.zeros((d, 1, d), dtype=complex)
        first[np.arange(d), 0, np.arange(d)] = 1.0
        second = local.pair.T.reshape(d, d, 1).astype(complex)
        return [first, second] * (L // 2), info
    return ground_tensors(problem, conserve_sz, info), info


def _spread(L: int, lowered: int) -> list[int]:
    """Lowerings of a product state with ``lowered`` quanta spread evenly over L spins."""
    return [(j + 1) * lowered // L - j * lowered // L for j in range(L)]


def ground_and_gap(chain, labels, perturb: bool = False) -> tuple[float, MPS, float]:
    """DMRG (TeNPy's ``TwoSiteDMRGEngine``) ground state of ``chain(0.0)`` from the product
    state ``labels``, and its gap to the next state: a second run, orthogonal to the first, on
    ``chain(shift)`` with shift = −|E₀| − 1 eV, which keeps it away from E = 0 (``perturb``: start
    it from a perturbed product state, when nothing is conserved). Returns (E₀, MPS, gap) in eV.
    """
    ground = chain(0.0)
    sites = ground.lat.mps_sites()
    options = {**DMRG_OPTIONS, "max_N_sites_per_ring": ground.lat.N_sites_per_ring}
    psi = MPS.from_product_state(sites, labels, bc="finite")
    energy, psi = TwoSiteDMRGEngine(psi, ground, dict(options)).run()
    shift = -abs(energy) - 1.0
    excited = MPS.from_product_state(sites, labels, bc="finite")
    if perturb:
        excited.perturb({"N_steps": 4, "trunc_params": {"chi_max": 4}}, close_1=False)
    gap_energy, _ = TwoSiteDMRGEngine(excited, chain(shift), dict(options),
                                      orthogonal_to=[psi]).run()
    return energy, psi, gap_energy - shift - energy


def ground_tensors(problem, conserve_sz: bool, info: dict) -> list:
    """DMRG ground state of the local spins alone (TeNPy's ``TwoSiteDMRGEngine``), refused when
    degenerate within :data:`~qst_mps.constants.DEGENERACY` (a second DMRG run,
    orthogonal to the first, gives the gap)."""
    model, local = problem.model, problem.local
    S, L = model.spin, model.L
    lowered = local.lowered
    if lowered is not None and local_count(L, round(2 * S), lowered) == 1:
        sole = np.zeros((L, round(2 * S) + 1), dtype=complex)
        sole[np.arange(L), _spread(L, lowered)] = 1.0
        return [v.reshape(-1, 1, 1) for v in sole]
    started = clock.perf_counter()
    if not model.local_terms():  # H of the spins alone is zero: every state is a ground state
        raise degenerate_ground(0.0, lowered, L * S)
    conserve = conserve_sz and lowered is not None
    lowerings = _spread(L, lowered if lowered is not None else 0)
    labels = [spin_label(lowering, S) for lowering in lowerings]
    site = SpinSite(S=S, conserve="Sz" if conserve else None)
    products = [p for term in model.local_terms() for p in term.products()]
    energy, psi, gap = ground_and_gap(
        lambda shift: UniformChain(site, L, products, shift), labels, perturb=not conserve)
    sites = psi.sites
    info.update({"ground_energy": energy, "ground_gap": gap,
                 "ground_chi": int(max(psi.chi)),
                 "ground_state_wall_time": clock.perf_counter() - started})
    if gap < DEGENERACY:
        raise degenerate_ground(gap, lowered, L * S)
    tensors = []
    for j, site in enumerate(sites):
        B = psi.get_B(j, form="B").to_ndarray()  # (vL, p, vR), p in the site's own basis
        dense = np.zeros((round(2 * S) + 1, B.shape[0], B.shape[2]), dtype=complex)
        for lowering in range(round(2 * S) + 1):
            dense[lowering] = B[:, site.state_labels[spin_label(lowering, S)], :]
        tensors.append(dense)
    return tensors


def embed(chain, tensors) -> MPS:
    """The MPS of the full chain: empty conduction sites, and the local spins' tensors on
    their sites (the bond index is carried through the empty sites between spins)."""
    empty = [{"empty": np.ones((1, 1), dtype=complex)}] * len(chain.lat.mps_sites())
    return combine(chain, empty, tensors)


def box_ground_tensors(problem, conserve_sz: bool, info: dict) -> list:
    """DMRG ground state of a correlated box (:class:`~qst_mps.problem.electrons.BoxGround`)
    on the conduction chain alone: per site, a dense (χL, χR) matrix for each of the states
    'empty', 'up', 'down', 'full'; refused when a second DMRG run, orthogonal to the first,
    finds it degenerate."""
    box, N = problem.electrons, problem.model.N
    started = clock.perf_counter()
    occupied = np.argsort(-np.sum(np.abs(np.array(box.packets)) ** 2, axis=0), kind="stable")
    labels = ["empty"] * N
    for rank, x in enumerate(sorted(occupied[:max(box.n_up, box.n_down)])):
        up, down = rank < box.n_up, rank < box.n_down
        labels[x] = "full" if up and down else "up" if up else "down"
    site = SpinHalfFermionSite(cons_N="N", cons_Sz="Sz" if conserve_sz else None)
    products = [p for term in box.terms for p in term.products()]
    energy, psi, gap = ground_and_gap(
        lambda shift: UniformChain(site, N, products, shift), labels)
    info.update({"box_energy": energy, "box_gap": gap, "box_chi": int(max(psi.chi)),
                 "box_state_wall_time": clock.perf_counter() - started})
    refused = degenerate_box(box, gap)
    if refused:
        raise refused
    tensors = []
    for x, site in enumerate(psi.sites):
        B = psi.get_B(x, form="B").transpose(["p", "vL", "vR"]).to_ndarray()
        tensors.append({name: B[site.state_labels[name]]
                        for name in ("empty", "up", "down", "full")})
    return tensors


def combine(chain, electron_tensors, spin_tensors) -> MPS:
    """The MPS of the full chain from the electrons' tensors on the conduction chain alone (per
    site, a (χL, χR) matrix for each conduction state it holds: 'empty', 'up', 'down', 'full')
    and the local spins' tensors: on every site the product of the two, the spins' bond carried
    through the sites between spins (a spin is a boson: no sign)."""
    sites = chain.lat.mps_sites()
    position = {x: j for j, x in enumerate(chain.spin_sites)}
    spin = chain.problem_model.spin
    bond = 1
    Bflat = []
    for x, site in enumerate(sites):
        electrons = electron_tensors[x]
        if x in position:
            spins = spin_tensors[position[x]]
            bond = spins.shape[2]
        else:
            spins = np.eye(bond).reshape(1, bond, bond)
        left, right = electrons["empty"].shape
        B = np.zeros((site.dim, left * spins.shape[1], right * spins.shape[2]), dtype=complex)
        for f_name, matrix in electrons.items():
            for lowering in range(spins.shape[0]):
                label = (f"{f_name}_f {spin_label(lowering, spin)}_s" if x in position
                         else f_name)
                B[site.state_labels[label]] = np.kron(matrix, spins[lowering])
        Bflat.append(B)
    psi = MPS.from_Bflat(sites, Bflat, bc="finite", permute=False, form=None)
    psi.canonical_form()
    return psi


def initial_mps(chain, problem) -> tuple[MPS, dict]:
    """The initial MPS: the local-spin state embedded, then each electron unit
    U = Σ w[s…] c†_{φ1 s1} … applied as a sum of creation-MPO products; or a correlated box's
    DMRG ground state beside the local spins' state. Returns (MPS, info)."""
    tensors, info = local_tensors(problem, chain.conserve_sz)
    if isinstance(problem.electrons, BoxGround):
        electrons = box_ground_tensors(problem, chain.conserve_sz, info)
        return combine(chain, electrons, tensors), info
    base = embed(chain, tensors)
    names = ("u", "d")
    total = base
    for unit in reversed(problem.electrons.units):  # the state is U_0 U_1 … |local⟩
        packets = unit.packets
        summed = None
        for spins, weight in np.ndenumerate(unit.spin):
            if weight == 0:
                continue
            psi = total.copy()
            for packet, s in reversed(list(zip(packets, spins, strict=True))):
                chain.creation_mpo(packet, names[s]).apply_naively(psi)
            psi.compress_svd(EXACT_COMPRESSION)
            psi.norm *= weight
            summed = psi if summed is None else summed.add(psi, 1.0, 1.0)
        summed.compress_svd(EXACT_COMPRESSION)
        total = summed
    total.norm = 1.0  # canonical_form does not reset the norm (TeNPy 1.1.1)
    return total, info
