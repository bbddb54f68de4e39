"""SPEC §1 as a TeNPy model: spinful fermion sites for the conduction chain, spin-S sites grouped
with the conduction site they couple to, particle number and S_z conserved."""

from __future__ import annotations

import numpy as np
from tenpy.models.lattice import TrivialLattice
from tenpy.models.model import CouplingModel, MPOModel
from tenpy.networks.mpo import MPO
from tenpy.networks.site import GroupedSite, SpinHalfFermionSite, SpinSite, set_common_charges

from ..geometry import spin_sites
from ..states import electron_spin_factor


class SpinTransferChain(CouplingModel, MPOModel):
    """The conduction chain (N sites) with local spins grouped onto their sites n_j.

    Each decorated site is a ``GroupedSite`` of a ``SpinHalfFermionSite`` (label ``f``) and a
    ``SpinSite`` (label ``s``); charges N and 2 S_z are shared. Energies in eV.

    On an open chain with the local spins on consecutive sites every term couples neighbouring
    MPS sites, and the bond Hamiltonians ``H_bond`` (for TEBD) are built as well. Otherwise
    (the ring's closing hop (0, N − 1), or exchange between spins further apart) ``H_bond`` is
    None.

    Parameters
    ----------
    model : dict
        The resolved ``[model]`` table.
    conserve : bool
        Conserve particle number and S_z (block-sparse tensors). False only to measure what
        the conservation saves (``runs/bench/mps_state.py conservation``).
    """

    def __init__(self, model: dict, conserve: bool = True):
        self.options = model
        fermion = SpinHalfFermionSite(cons_N="N" if conserve else None,
                                      cons_Sz="Sz" if conserve else None)
        local = SpinSite(S=model["spin"], conserve="Sz" if conserve else None)
        set_common_charges([fermion, local], "same")
        decorated = GroupedSite([fermion, local], labels=["f", "s"])
        self.spin_sites = spin_sites(model)
        self.decorated = set(int(n) for n in self.spin_sites)
        N = model["N"]
        sites = [decorated if x in self.decorated else fermion for x in range(N)]
        lattice = TrivialLattice(sites, bc_MPS="finite")
        CouplingModel.__init__(self, lattice)
        self._add_terms(model)
        MPOModel.__init__(self, lattice, self.calc_H_MPO())
        nearest = model["boundary"] == "open" and np.all(np.abs(np.diff(self.spin_sites)) == 1)
        self.H_bond = self.calc_H_bond() if nearest else None

    def op(self, name: str, x: int) -> str:
        """Name of a conduction-electron operator on site x ('Cdu' -> 'Cduf' where grouped)."""
        return " ".join(part + ("f" if x in self.decorated else "") for part in name.split())

    def _add_terms(self, model: dict) -> None:
        N, t_h = model["N"], model["t_h"]
        bonds = [(x, x + 1) for x in range(N - 1)]
        if model["boundary"] == "periodic" and N > 2:
            bonds.append((0, N - 1))
        for x, y in bonds:  # c†_x c_y = a†_x JW_x (JW between) a_y for x < y
            for spin in ("u", "d"):
                self.add_coupling_term(-t_h, x, y, self.op(f"Cd{spin}", x) + " JW",
                                       self.op(f"C{spin}", y), op_string="JW", plus_hc=True)
        for j in range(len(self.spin_sites) - 1):
            a, b = sorted((int(self.spin_sites[j]), int(self.spin_sites[j + 1])))
            self.add_coupling_term(-model["J_ex"], a, b, "Szs", "Szs")
            self.add_coupling_term(-model["J_ex"] / 2, a, b, "Sps", "Sms", plus_hc=True)
        J_sd = model["J_sd"] * electron_spin_factor(model)
        for x in self.decorated:
            if model["sd_terms"] in ("full", "zz"):
                self.add_onsite_term(-J_sd, x, "Szf Szs")
            if model["sd_terms"] in ("full", "flip"):
                self.add_onsite_term(-J_sd / 2, x, "Spf Sms")
                self.add_onsite_term(-J_sd / 2, x, "Smf Sps")

    def sum_mpo(self, terms_of_site, width: int, neutral: bool = True) -> MPO:
        """A finite MPO from width×width grids ``terms_of_site(x)``; the sum of all paths from
        state 0 (nothing placed yet) to state width − 1 (done).

        For a charge-neutral MPO the empty cells of the boundary row and column get a zero
        identity, so that TeNPy can derive the (zero) charges of every virtual index.
        """
        sites = self.lat.mps_sites()
        grids = [terms_of_site(x) for x in range(len(sites))]
        first, last = list(grids[0][0]), [row[width - 1] for row in grids[-1]]
        if neutral:
            first = [cell if cell is not None else [("Id", 0.0)] for cell in first]
            last = [cell if cell is not None else [("Id", 0.0)] for cell in last]
        grids[0] = [first]  # the left boundary starts in state 0 ...
        grids[-1] = [[cell] for cell in last]  # ... the right one ends in state width − 1
        L = len(sites)
        IdL = [0] * L + [None]
        IdR = [None] + [width - 1] * (L - 1) + [0]
        return MPO.from_grids(sites, grids, bc="finite", IdL=IdL, IdR=IdR)

    def creation_mpo(self, packet: np.ndarray, spin: str) -> MPO:
        """c†_{φ s} = Σ_x φ(x) c†_{x s} (s = 'u' or 'd') with its Jordan–Wigner string."""
        def grid(x):
            return [["JW", [(self.op(f"Cd{spin}", x), complex(packet[x]))]], [None, "Id"]]
        return self.sum_mpo(grid, 2, neutral=False)

    def pair_mpos(self) -> dict:
        """MPOs of Σ_{x<y} n↑_x n↑_y (``up_pairs``) and of S_el² (``S2``)."""
        def up_pairs(x):
            n_up = self.op("Nu", x)
            return [["Id", n_up, None], [None, "Id", n_up], [None, None, "Id"]]

        def spin_squared(x):  # Σ_x s_x·s_x + 2 Σ_{x<y} s_x·s_y
            sz, sp, sm = self.op("Sz", x), self.op("Sp", x), self.op("Sm", x)
            local = [(self.op("Sz Sz", x), 1.0), (self.op("Sp Sm", x), 0.5),
                     (self.op("Sm Sp", x), 0.5)]
            return [["Id", sz, sp, sm, local], [None, "Id", None, None, [(sz, 2.0)]],
                    [None, None, "Id", None, sm], [None, None, None, "Id", sp],
                    [None, None, None, None, "Id"]]

        return {"up_pairs": self.sum_mpo(up_pairs, 3), "S2": self.sum_mpo(spin_squared, 5)}
