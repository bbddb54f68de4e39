"""The mps backend (TeNPy).

TeNPy reads its optimisation level once, when it is first imported. Level 3 skips its internal
argument checks: TDVP steps on the paper's model were 1.36x faster (3.26 s -> 2.40 s per step,
measured); the mps results are checked against the exact backend by the tests. It is set here,
before this package imports TeNPy, and only when the environment does not set it already.

TeNPy >= 1.1 warns, for every MPS and MPO it builds without ``unit_cell_width``, that the default
is right only for a Chain lattice. Ours are chains (one site per lattice position), and the
constructors that warn are also called inside TeNPy (MPO building, engines), so the one warning
is silenced here, by its message, once the mps backend is imported: six copies per run said
nothing a user could act on.
"""

import os
import warnings

os.environ.setdefault("TENPY_OPTIMIZE", "3")
warnings.filterwarnings("ignore", message="unit_cell_width is a new argument",
                        category=UserWarning)
