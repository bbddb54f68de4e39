"""``output.dt_heavy``: energy, norm and the electron-spin observables only every dt_heavy fs
(NaN at the other output times), everything else at every output time, on both backends."""

import numpy as np
import pytest

from qst_mps.config import ConfigError, resolve
from qst_mps.observables import HEAVY, heavy_times
from qst_mps.simulation import simulate

#: the heavy observables and the pair probabilities made from them
LEFT_OUT = [*HEAVY, "pair_spin_probabilities"]


def config(backend: str, dt_heavy=None) -> dict:
    """A singlet pair through two strongly coupled spins on an open 16-site chain, 0–4 fs."""
    return resolve({
        "model": {"N": 16, "L": 2, "J_sd": 1.0, "boundary": "open"},
        "state": {"pair": "singlet", "sigma_d": 1.2, "x2": 4.4, "d": 2.5},
        "evolution": {"backend": backend, "t_max": 4.0, "dt_out": 0.5, "dt": 0.1,
                      "svd_min": 1e-12},
        "output": {"dt_heavy": dt_heavy},
    })


def test_heavy_times_are_the_multiples_and_the_end():
    times = np.arange(0, 4.01, 0.5)
    assert np.array_equal(times[heavy_times(times, 1.5)], [0.0, 1.5, 3.0, 4.0])
    assert heavy_times(times, None).all()


@pytest.mark.parametrize("backend", ["mps", "exact"])
def test_heavy_values_are_those_of_the_run_that_records_every_time(backend):
    """Against the same run without dt_heavy (the reference): at 0, 1.5, 3 and 4 fs the heavy
    observables agree to rounding, and at the other times they are NaN; every other
    observable agrees at every time. On mps the MPO environments must carry what the TEBD
    window changed over the output times that skipped them: stale ones give other energies
    and pair probabilities."""
    every, sparse = simulate(config(backend)), simulate(config(backend, dt_heavy=1.5))
    heavy = heavy_times(every["time"], 1.5)
    assert heavy.sum() == 4
    for name in LEFT_OUT:
        assert np.isnan(sparse[name][~heavy]).all(), name
        assert np.allclose(sparse[name][heavy], every[name][heavy], rtol=0, atol=1e-12), name
    for name in ("delta_sigma_z", "density", "S_z_loc", "S_z_total"):
        assert np.allclose(sparse[name], every[name], rtol=0, atol=1e-12), name
    assert np.ptp(every["pair_spin_probabilities"][heavy], axis=0).max() > 1e-3  # it moves


def test_dt_heavy_off_the_output_grid_is_refused():
    with pytest.raises(ConfigError, match="output.dt_heavy"):
        config("mps", dt_heavy=1.2)
