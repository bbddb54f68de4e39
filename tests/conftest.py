"""Shared helpers: small configurations that run in well under a second on the exact backend."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # tests/quspin_reference.py


SWEEP_BASE = """
[model]
N = 24
L = 2
J_sd = 1.0
[state]
sigma_d = 1.2
d = 4.0
[evolution]
"""
"""Head of the small sweep files of the sweep tests; a t_max line and a [sweep] table follow."""


def small(pair="singlet", boundary="periodic", sd_terms="full", **sections):
    """A resolved small configuration (N = 24, L = 2, σ_d = 1.2, strong J_sd), as a dict.

    Keyword arguments are extra sections: small(model={"L": 3}, state={"theta": 1.0}).
    """
    from qst_mps.config import resolve

    partial = {
        "model": {"N": 24, "L": 2, "boundary": boundary, "sd_terms": sd_terms, "J_sd": 1.0},
        "state": {"pair": pair, "sigma_d": 1.2, "d": 4.0},
        "evolution": {"t_max": 12.0, "dt_out": 0.5},
    }
    for section, table in sections.items():
        partial.setdefault(section, {}).update(table)
    return resolve(partial)


@pytest.fixture
def small_config():
    return small


def exact_backend(config):
    """The exact backend of a resolved configuration."""
    from qst_mps.exact.backend import ExactBackend
    from qst_mps.problem import build

    return ExactBackend(build(config), optional=config["output"]["observables"])


def mps_backend(config, integrator=None, **options):
    """The mps backend of a resolved configuration, with the constructor's ``options``."""
    from qst_mps.mps.backend import MPSBackend
    from qst_mps.problem import build

    return MPSBackend(build(config), config["evolution"], integrator,
                      optional=config["output"]["observables"], **options)


def assert_same_run(resumed, direct, tolerance):
    """A resumed run has the datasets of the uninterrupted one, and its per-output wall time
    runs on from the interrupted part instead of restarting at zero."""
    import numpy as np

    from qst_mps.simulation import ELAPSED

    for key in direct:
        if key != ELAPSED:
            assert np.max(np.abs(resumed[key] - direct[key])) < tolerance, key
    assert np.all(np.diff(resumed[ELAPSED]) >= 0)
