"""The TeNPy internals that qst_mps reaches into are the ones it was written against.

qst_mps/mps/tebd.py and qst_mps/mps/tdvp.py override four methods of TeNPy's engines with
copies of TeNPy 1.1.1's code, restricted to a window of the chain, and tebd.py's closing gate
relies on the layout of TeNPy's '4_opt' sequence, qst_mps/mps/ring.py builds the fermionic swap
operator of ``MPS.swap_sites`` itself, and qst_mps/mps/bond_update.py redoes the SVD step of
``TEBDEngine.update_bond`` and ``MPS.swap_sites`` on TeNPy's block storage. A later TeNPy may
change those methods; the copies would then silently mix old and new code. Each fingerprint
below is the SHA-256 (first 16 hex digits) of ``inspect.getsource`` of the method in
physics-tenpy 1.1.1, the version the copies were made from. When this test fails, compare the
new method with the copy named in the message, bring the copy up to date, check the mps tests,
and record the new fingerprint here. The installed version only matters through these sources:
a TeNPy release that leaves them alone passes.
"""

import hashlib
import inspect

import pytest
from tenpy.algorithms.tdvp import TwoSiteTDVPEngine
from tenpy.algorithms.tebd import TEBDEngine
from tenpy.networks.mps import MPS

REACHED = {  # (method, where qst_mps copies or relies on it): fingerprint in TeNPy 1.1.1
    (TEBDEngine.evolve_step, "WindowTEBDEngine.evolve_step in qst_mps/mps/tebd.py"):
        "1aaca4f4e988a918",
    (TEBDEngine.update_bond,
     "update_bond and store in qst_mps/mps/bond_update.py (its gate, SVD, truncation and "
     "norm; tests/test_bond_update.py compares the two)"): "c2893e968149534d",
    (TEBDEngine.prepare_evolve, "WindowTEBDEngine.prepare_evolve in qst_mps/mps/tebd.py"):
        "2a144c3cb0c48f9a",
    (TEBDEngine.suzuki_trotter_decomposition,
     "WindowTEBDEngine.CENTRAL_EVEN in qst_mps/mps/tebd.py (b3, the central even layer of "
     "'4_opt', is time step 5)"): "928d3aa7a5342bff",
    (TEBDEngine.suzuki_trotter_time_steps,
     "WindowTEBDEngine.calc_U in qst_mps/mps/tebd.py (the closing gate's time steps)"):
        "283f2f613597d3b7",
    (MPS.swap_sites,
     "swap_sites in qst_mps/mps/ring.py (TeNPy's swap_op='auto' operator, built once per "
     "pair of sites)"): "017adea0343c841b",
    (TwoSiteTDVPEngine.update_local,
     "WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py"): "36250afc533a36e2",
    (TwoSiteTDVPEngine.get_sweep_schedule,
     "WindowTwoSiteTDVPEngine.get_sweep_schedule in qst_mps/mps/tdvp.py"): "b90f2ee41877135d",
}


@pytest.mark.parametrize("reached", list(REACHED), ids=lambda r: r[0].__qualname__)
def test_the_copied_tenpy_methods_are_unchanged(reached):
    method, copy = reached
    fingerprint = hashlib.sha256(inspect.getsource(method).encode()).hexdigest()[:16]
    assert fingerprint == REACHED[reached], (
        f"TeNPy's {method.__qualname__} is not the one {copy} was copied from; "
        "compare the two and update the copy (see this file's docstring)")


@pytest.mark.parametrize("conserve_sz, conserve", [(True, True), (False, True), (False, False)])
def test_the_grouped_site_keeps_the_fermions_jordan_wigner_string(conserve_sz, conserve):
    """Each local spin is grouped with its conduction site (TeNPy's ``GroupedSite`` of a fermion
    and a spin site, whose Jordan–Wigner parities differ: the case of TeNPy PR 630, merged as
    PR 646 after 1.1.1). Whatever TeNPy does there, the grouped site's JW must be the fermion's
    JW times the spin's identity, and its creation operators must carry the spin's identity
    (reference: numpy's kron of the separate sites' matrices)."""
    import numpy as np
    from conftest import small

    from qst_mps.mps.model import SpinTransferChain
    from qst_mps.problem import build

    problem = build(small())
    chain = SpinTransferChain(problem.model, conserve_sz=conserve_sz, conserve=conserve)
    grouped = chain.lat.mps_sites()[chain.spin_sites[0]]
    fermion, spin = grouped.sites

    def dense(site, name):
        return site.get_op(name).to_ndarray()

    # the grouped basis, ordered by charge, as positions in the kron product (from the labels
    # "<fermion state>_f <spin state>_s")
    order = np.zeros(grouped.dim, int)
    for label, index in grouped.state_labels.items():
        f_label, s_label = label.split(" ")
        order[index] = (fermion.state_labels[f_label.removesuffix("_f")] * spin.dim
                        + spin.state_labels[s_label.removesuffix("_s")])

    def kron(a, b):
        return np.kron(a, b)[np.ix_(order, order)]

    identity = np.eye(spin.dim)
    assert np.allclose(dense(grouped, "JW"), kron(dense(fermion, "JW"), identity))
    for name in ("Cu", "Cdd", "Nu"):
        assert np.allclose(dense(grouped, name + "f"), kron(dense(fermion, name), identity))
    assert np.allclose(dense(grouped, "Szs"), kron(np.eye(fermion.dim), dense(spin, "Sz")))
