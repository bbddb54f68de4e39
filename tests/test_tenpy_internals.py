"""The TeNPy internals that qst_mps reaches into are the ones it was written against.

The fingerprints and where each reached method is used are in qst_mps/mps/tenpy_internals.py
(:data:`REACHED`); that module's docstring says what to do when one changes. A run with a TeNPy
that differs in any of them warns once at its start; this test fails.
"""

import warnings

import pytest

from qst_mps.mps import tenpy_internals
from qst_mps.mps.tenpy_internals import REACHED


@pytest.mark.parametrize("path", list(REACHED), ids=lambda p: p.partition(":")[2])
def test_the_copied_tenpy_methods_are_unchanged(path):
    where, expected = REACHED[path]
    found = tenpy_internals.fingerprint(tenpy_internals._method(path))
    assert found == expected, (
        f"TeNPy's {path} is not the one {where} was copied from; compare the two and update "
        "the copy (see qst_mps/mps/tenpy_internals.py)")


def test_a_changed_method_warns_once_at_the_start_of_a_run(monkeypatch):
    """A TeNPy whose source differs in one reached method (here: a fingerprint that no source
    has) is named in one warning, at the first check only."""
    path = next(iter(REACHED))
    monkeypatch.setitem(REACHED, path, (REACHED[path][0], "0" * 16))
    monkeypatch.setattr(tenpy_internals, "_checked", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tenpy_internals.check()
        tenpy_internals.check()
    assert len(caught) == 1
    assert path.partition(":")[2] in str(caught[0].message)
    assert tenpy_internals.changed() == [f"{path.partition(':')[2]} ({REACHED[path][0]})"]


def test_the_settings_apply_inside_only():
    """TeNPy's optimisation level and the warnings filter are restored on leaving."""
    from tenpy.tools.optimization import get_level

    before, filters = get_level(), list(warnings.filters)
    with tenpy_internals.settings():
        if "TENPY_OPTIMIZE" not in __import__("os").environ:
            assert int(get_level()) == tenpy_internals.OPTIMIZATION_LEVEL
    assert get_level() == before and warnings.filters == filters


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
