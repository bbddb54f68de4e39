"""What the mps backend takes from TeNPy beyond its public API, and the settings it calls TeNPy
with.

**Reached internals.** qst_mps/mps/tebd.py and tdvp.py override methods of TeNPy's engines
with copies of TeNPy 1.1.1's code restricted to a window of the chain, and read the engines'
private state (``_U``, ``_U_param``, ``_trunc_err_bonds``, ``_update_index``); tdvp.py calls the
``update_env`` one class above TwoSiteTDVPEngine's; tebd.py's closing gate relies on the layout
of the '4_opt' sequence; ring.py builds ``MPS.swap_sites``'s operator itself; bond_update.py
redoes ``update_bond``'s SVD on ``npc.Array``'s block storage (``_data``, ``_qdata``,
``_qdata_sorted``). A later TeNPy may change any of them, and the copies would then silently
mix old and new code. :data:`REACHED` holds the SHA-256 (first 16 hex digits) of the source of
every such method in the versions tested (:data:`TESTED`); :func:`check` compares them with the
installed TeNPy once per process, at the start of the first mps run, and warns with the list of
what changed. ``pyproject.toml`` admits only the tested minor version.

When a fingerprint changes: compare the new method with the copy named beside it, bring the copy
up to date, run the mps tests, and record the new fingerprint here (tests/test_tenpy_internals.py
checks them all).

**Settings.** :func:`settings` is the context the backend calls TeNPy in: optimisation level 3
(TeNPy skips its internal argument checks: TDVP steps 1.36x faster on the paper's model, and the
mps results are checked against the exact backend by the tests) unless the environment sets
``TENPY_OPTIMIZE``; and TeNPy 1.1's warning, for every MPS and MPO built without
``unit_cell_width``, that the default is right only for a Chain lattice: ours are chains, and
six copies per run said nothing a user could act on. Both apply inside the context only:
importing qst_mps changes nothing in the process.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import warnings
from contextlib import contextmanager

TESTED = ("1.1.1",)
"""The TeNPy versions whose sources :data:`REACHED` was taken from."""

REACHED = {  # "module:qualified name" -> (where qst_mps copies or relies on it, fingerprint)
    "tenpy.algorithms.tebd:TEBDEngine.evolve_step":
        ("WindowTEBDEngine.evolve_step in qst_mps/mps/tebd.py", "1aaca4f4e988a918"),
    "tenpy.algorithms.tebd:TEBDEngine.evolve":
        ("WindowTEBDEngine.evolve in qst_mps/mps/tebd.py (the layers split between two "
         "processes)", "c85bb0ba7a861354"),
    "tenpy.algorithms.tebd:TEBDEngine.calc_U":
        ("WindowTEBDEngine.calc_U in qst_mps/mps/tebd.py (_U kept when the parameters are the "
         "same)", "fa6f503779d12ac3"),
    "tenpy.algorithms.algorithm:TimeEvolutionAlgorithm.run_evolution":
        ("WindowTEBDEngine.run_evolution in qst_mps/mps/tebd.py (_U_param['delta_t'])",
         "cef333c9d5cb8a1a"),
    "tenpy.algorithms.tebd:TEBDEngine.update_bond":
        ("update_bond and store in qst_mps/mps/bond_update.py (its gate, SVD, truncation and "
         "norm; tests/test_bond_update.py compares the two)", "c2893e968149534d"),
    "tenpy.algorithms.tebd:TEBDEngine.prepare_evolve":
        ("WindowTEBDEngine.prepare_evolve in qst_mps/mps/tebd.py", "2a144c3cb0c48f9a"),
    "tenpy.algorithms.tebd:TEBDEngine.suzuki_trotter_decomposition":
        ("WindowTEBDEngine.CENTRAL_EVEN in qst_mps/mps/tebd.py (b3, the central even layer of "
         "'4_opt', is time step 5)", "928d3aa7a5342bff"),
    "tenpy.algorithms.tebd:TEBDEngine.suzuki_trotter_time_steps":
        ("WindowTEBDEngine.calc_U in qst_mps/mps/tebd.py (the closing gate's time steps)",
         "283f2f613597d3b7"),
    "tenpy.networks.mps:MPS.swap_sites":
        ("swap_sites in qst_mps/mps/ring.py (TeNPy's swap_op='auto' operator, built once per "
         "pair of sites)", "017adea0343c841b"),
    "tenpy.linalg.np_conserved:Array.__init__":
        ("_array in qst_mps/mps/bond_update.py (_data, _qdata, _qdata_sorted set directly)",
         "db03e8f43a917dfc"),
    "tenpy.algorithms.tdvp:TwoSiteTDVPEngine.update_local":
        ("WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py", "36250afc533a36e2"),
    "tenpy.algorithms.tdvp:TwoSiteTDVPEngine.get_sweep_schedule":
        ("WindowTwoSiteTDVPEngine.get_sweep_schedule in qst_mps/mps/tdvp.py",
         "b90f2ee41877135d"),
    "tenpy.algorithms.tdvp:TwoSiteTDVPEngine.update_env":
        ("WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py (skipped: it does "
         "nothing, the copy calls the one above it)", "ae153605cf286d1e"),
    "tenpy.algorithms.mps_common:Sweep.update_env":
        ("WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py (called past "
         "TwoSiteTDVPEngine)", "138cdca077a3c7f7"),
    "tenpy.algorithms.tdvp:TwoSiteTDVPEngine.one_site_update":
        ("WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py (its back steps)",
         "f6ffa447de3ae708"),
    "tenpy.algorithms.tdvp:TDVPEngine._krylov_evolve":
        ("WindowTwoSiteTDVPEngine.update_local in qst_mps/mps/tdvp.py (its forward step)",
         "8e0487e13b895252"),
}

OPTIMIZATION_LEVEL = 3
"""TeNPy's optimisation level inside :func:`settings` (unless TENPY_OPTIMIZE is set)."""


def _method(path: str):
    import importlib

    module, _, name = path.partition(":")
    target = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def fingerprint(method) -> str:
    """The first 16 hex digits of the SHA-256 of a method's source."""
    return hashlib.sha256(inspect.getsource(method).encode()).hexdigest()[:16]


def changed() -> list[str]:
    """The reached TeNPy methods whose source differs from the tested one (or that are gone),
    each as "name (where qst_mps uses it)"."""
    out = []
    for path, (where, expected) in REACHED.items():
        try:
            found = fingerprint(_method(path))
        except (ImportError, AttributeError, OSError, TypeError):
            found = None
        if found != expected:
            out.append(f"{path.partition(':')[2]} ({where})")
    return out


_checked = False


def check() -> None:
    """Warn, once per process, when the installed TeNPy differs from the tested ones in a
    method the mps backend copies or reaches into."""
    global _checked
    if _checked:
        return
    _checked = True
    import tenpy

    different = changed()
    if different:
        warnings.warn(
            f"mps: TeNPy {tenpy.__version__} is not the one qst_mps was tested with "
            f"({', '.join(TESTED)}) in {len(different)} method(s) its engines copy or reach "
            f"into: {'; '.join(different)}. The results may be wrong; install "
            f"physics-tenpy=={TESTED[-1]} (qst_mps/mps/tenpy_internals.py).", stacklevel=3)


@contextmanager
def settings():
    """Within: TeNPy at :data:`OPTIMIZATION_LEVEL` (unless the environment sets
    TENPY_OPTIMIZE) and without its ``unit_cell_width`` warning; both restored on exit."""
    from tenpy.tools.optimization import temporary_level

    level = None if "TENPY_OPTIMIZE" in os.environ else OPTIMIZATION_LEVEL
    with temporary_level(level), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="unit_cell_width is a new argument",
                                category=UserWarning)
        yield
