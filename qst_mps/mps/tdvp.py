"""Two-site TDVP that sweeps only over a window of the chain.

Far from the packets the MPS is a product (bond dimension 1) of empty sites and local spins
that have not been reached yet: an eigenstate of its part of H, which TDVP would only multiply
by a phase. TeNPy's two-site TDVP still spends ~5 ms per site and sweep there (Krylov set-up,
SVD, environments), most of a step on the long chains of the scaling family. Sweeping over a
window that holds every entangled bond (``MPSBackend.window``), plus a margin, gives the same
state: the amplitude that can leak past a margin of m sites in one interval of length τ is
~ (t_h τ / ħ)^m / m! times the (small: ≲ 10 svd_min or 10 × the step's error estimate)
amplitude at the window's edge.
"""

from __future__ import annotations

from tenpy.algorithms.tdvp import TwoSiteTDVPEngine
from tenpy.linalg.truncation import svd_theta

#: Above this step (fs) two-site TDVP warns: its splitting error grows like dt², and on the
#: paper's single electron Δσ_z was off by 1.7e-2 (by 67.5 fs) at dt = 0.5 fs and by 3e-4 (by
#: 50 fs) at 0.1 fs (docs/notes/performance.md).
TDVP_DT_WARN = 0.1


class WindowTwoSiteTDVPEngine(TwoSiteTDVPEngine):
    """TeNPy's two-site TDVP restricted to the sites ``window = (first, last)`` (inclusive).

    With ``window = (0, L - 1)`` this is exactly :class:`TwoSiteTDVPEngine`. The sites outside
    are left unchanged; their environments stay cached.
    """

    def __init__(self, psi, model, options, **kwargs):
        super().__init__(psi, model, options, **kwargs)
        self.window = (0, psi.L - 1)

    def get_sweep_schedule(self):
        first, last = self.window
        right = list(range(first, last - 1))
        left = list(range(last - 1, first, -1))
        i0s = right + left + [first]
        move_right = [True] * len(right) + [False] * len(left) + [None]
        update = [[True, False]] * len(right) + [[False, True]] * len(left) + [[False, False]]
        return zip(i0s, move_right, update, strict=True)

    def update_local(self, theta, **kwargs):
        """TeNPy 1.1.1's ``TwoSiteTDVPEngine.update_local`` with the window's last bond in place
        of the chain's (where the two half steps of the turning point are done as one)."""
        i0 = self.i0
        dt = -0.5j * self.dt
        if i0 == self.window[1] - 1:
            dt = 2.0 * dt
        theta, N = self._krylov_evolve(self.eff_H, theta, dt)
        if self.combine:
            theta.itranspose(["(vL.p0)", "(p1.vR)"])
        else:
            theta = theta.combine_legs([["vL", "p0"], ["p1", "vR"]], new_axes=[0, 1],
                                       qconj=[+1, -1])
        qtotal_i0 = self.psi.get_B(i0, form=None).qtotal
        U, S, VH, err, renorm = svd_theta(theta, self.trunc_params, qtotal_LR=[qtotal_i0, None],
                                          inner_labels=["vR", "vL"])
        self.psi.norm *= renorm
        self.psi.set_B(i0, U.split_legs(["(vL.p0)"]).replace_label("p0", "p"), form="A")
        self.psi.set_B(i0 + 1, VH.split_legs(["(p1.vR)"]).replace_label("p1", "p"), form="B")
        self.psi.set_SR(i0, S)
        update_data = {"err": err, "N": N, "U": U, "VH": VH}
        super(TwoSiteTDVPEngine, self).update_env(**update_data)
        if self.move_right:
            self.one_site_update(i0 + 1, 0.5j * self.dt)
        elif self.move_right is False:
            self.one_site_update(i0, 0.5j * self.dt)
        return update_data
