"""The TeNPy internals that qst_mps reaches into are the ones it was written against.

qst_mps/mps/tebd.py and qst_mps/mps/tdvp.py override four methods of TeNPy's engines with
copies of TeNPy 1.1.1's code, restricted to a window of the chain. A later TeNPy may change those
methods; the copies would then silently mix old and new code. Each fingerprint below is the
SHA-256 (first 16 hex digits) of ``inspect.getsource`` of the method in physics-tenpy 1.1.1, the
version the copies were made from. When this test fails, compare the new method with the copy
named in the message, bring the copy up to date, check the mps tests, and record the new
fingerprint here. The installed version only matters through these sources: a TeNPy release
that leaves them alone passes.
"""

import hashlib
import inspect

import pytest
from tenpy.algorithms.tdvp import TwoSiteTDVPEngine
from tenpy.algorithms.tebd import TEBDEngine

REACHED = {  # (method, where qst_mps copies or relies on it): fingerprint in TeNPy 1.1.1
    (TEBDEngine.evolve_step, "WindowTEBDEngine.evolve_step in qst_mps/mps/tebd.py"):
        "1aaca4f4e988a918",
    (TEBDEngine.prepare_evolve, "WindowTEBDEngine.prepare_evolve in qst_mps/mps/tebd.py"):
        "2a144c3cb0c48f9a",
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
