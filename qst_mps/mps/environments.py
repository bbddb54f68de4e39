"""Expectation values of fixed MPOs that contract only what changed since the last call.

TEBD (and the windowed TDVP) leave the MPS outside the window of updated sites as it was: its
tensors and the Schmidt values of its bonds are the same objects as before. TeNPy's environments
of those sites stay valid, so a measurement after an interval on a window of sites contracts
only that window (plus what the window gained), not the whole chain. On the long chains of the
scaling family the window covers a fraction of the chain (131 of 593 sites at the start of
L = 64), and the whole-chain contractions were a sixth of the run time at L = 128
(docs/performance.md).
"""

from __future__ import annotations

import numpy as np
from tenpy.networks.mpo import MPOEnvironment
from tenpy.networks.mps import MPSEnvironment


def forget(env, first: int, last: int) -> None:
    """Drop the cached parts of TeNPy environment ``env`` that contain a site of
    ``first … last``: LP(i) for i > first and RP(i) for i < last."""
    for i in range(first + 1, env.L):
        if env.get_LP_age(i) is not None:
            env.del_LP(i)
    for i in range(0, last):
        if env.get_RP_age(i) is not None:
            env.del_RP(i)


class CachedExpectations:
    """⟨ψ|W|ψ⟩ of each MPO of ``mpos`` (a dict name → finite MPO) and the norm ⟨ψ|ψ⟩ (name
    ``"norm"``, with TeNPy's ``MPS.norm``), with TeNPy's environments kept between calls.

    The MPOs are contracted as TeNPy's ``MPO.expectation_value`` does (``full_contraction``;
    the MPS in canonical form, its norm not included).
    """

    def __init__(self, mpos: dict):
        self.mpos = mpos
        self.psi, self.envs, self.last = None, {}, {}

    def values(self, psi, changed: tuple[int, int] | None) -> dict:
        """The values for ``psi``; ``changed = (first, last)``: the sites whose tensors (or the
        Schmidt values between them) may differ since the previous call on this same MPS
        object; None: anything may have changed."""
        if psi is self.psi and changed is not None and changed[0] > changed[1]:
            return dict(self.last)  # nothing changed
        if psi is not self.psi or changed is None:
            self.psi = psi
            self.envs = {name: MPOEnvironment(psi, mpo, psi) for name, mpo in self.mpos.items()}
            self.envs["norm"] = MPSEnvironment(psi, psi)
            first, last = 0, psi.L - 1
        else:
            first, last = changed
            for env in self.envs.values():
                forget(env, first, last)
        values = {}
        for name, env in self.envs.items():
            env.get_LP(first, store=True)  # cached: the sites left of the window ...
            env.get_RP(last, store=True)  # ... and right of it, for the next call
            values[name] = complex(np.real_if_close(env.full_contraction(first)))
        self.last = values
        return dict(values)
