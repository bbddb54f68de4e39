"""The problem's model as a TeNPy model: the terms of problem/terms.py as TeNPy couplings.

Conduction sites are ``SpinHalfFermionSite``s; each local spin (``SpinSite``) is grouped with
the conduction site it couples to (``GroupedSite``, labels ``f`` and ``s``). Particle number is
always conserved; 2S_z when the caller asks for it (H and the initial state allow it).

An operator product becomes an onsite term (one MPS site) or a coupling term (two MPS sites):
its factors are ordered by MPS site, with the sign of moving fermion operators past each other,
and a fermionic left factor gets TeNPy's Jordan–Wigner string (``op JW`` … ``JW`` … ``op``).
"""

from __future__ import annotations

import itertools

import numpy as np
from tenpy.models.lattice import TrivialLattice
from tenpy.models.model import CouplingModel, MPOModel
from tenpy.networks.mpo import MPO
from tenpy.networks.site import GroupedSite, SpinHalfFermionSite, SpinSite, set_common_charges

from ..problem.model import joins_ends


def add_products(model: CouplingModel, products, where) -> None:
    """Add operator ``products`` to a TeNPy ``CouplingModel``; ``where(op)`` gives the MPS site
    and TeNPy operator name of one factor."""
    for product in products:
        factors = [(*where(op), op.fermionic) for op in product.ops]
        order = sorted(range(len(factors)), key=lambda k: factors[k][0])  # stable by site
        fermions = [k for k in order if factors[k][2]]
        swaps = sum(a > b for a, b in itertools.combinations(fermions, 2))
        coefficient = product.coefficient * (-1) ** swaps
        groups = [(site, [factors[k] for k in members])
                  for site, members in itertools.groupby(order, key=lambda k: factors[k][0])]
        names = [(site, " ".join(name for _, name, _ in group),
                  sum(f for *_, f in group) % 2) for site, group in groups]
        if len(names) == 1:
            model.add_onsite_term(coefficient, names[0][0], names[0][1])
        elif len(names) == 2:
            (i, op_i, odd), (j, op_j, _) = names
            model.add_coupling_term(coefficient, i, j, op_i + " JW" if odd else op_i, op_j,
                                    op_string="JW" if odd else "Id")
        else:
            raise NotImplementedError("operator products on more than two MPS sites")


def matrix_unit(a: int, b: int) -> str:
    """Name of the local-spin operator |a⟩⟨b| (a, b: lowerings, 0 = up) on a spin site."""
    return f"E{a}_{b}"


def add_matrix_units(site, spin: float) -> None:
    """Add the operators |a⟩⟨b| for every pair of lowerings a, b to a ``SpinSite``: the one-
    and two-spin density matrices are their expectation values."""
    d = round(2 * spin) + 1
    index = [site.state_labels[str(float(spin - lowering))] for lowering in range(d)]
    for a in range(d):
        for b in range(d):
            op = np.zeros((site.dim, site.dim))
            op[index[a], index[b]] = 1.0
            site.add_op(matrix_unit(a, b), op, permute_dense=False)


class SpinTransferChain(CouplingModel, MPOModel):
    """The conduction chain (N sites) with each local spin grouped onto its site n_j.

    MPS site p holds conduction site (p + ``offset``) mod N: on a ring the MPS may start
    anywhere (qst_mps/mps/ring.py), on an open chain ``offset`` is 0. Where every coupling
    joins neighbouring MPS sites the bond Hamiltonians ``H_bond`` (for TEBD) are built as well;
    otherwise (the ring's closing hop, exchange between spins further apart) ``H_bond`` is None.

    Parameters
    ----------
    model : Model
        The problem's model (problem/model.py); energies in eV.
    conserve_sz : bool
        Conserve 2S_z besides the particle number.
    conserve : bool
        Conserve anything at all (block-sparse tensors). False only to measure what the
        conservation saves (``runs/bench/mps_state.py conservation``).
    offset : int
        The conduction site on MPS site 0 (a ring only).
    cut : bool
        Leave out the ring's hop between MPS sites N − 1 and 0 (sites offset − 1 and offset):
        the ring cut open there, for TEBD, while both sites are empty (qst_mps/mps/ring.py).
    """

    def __init__(self, model, conserve_sz: bool = True, conserve: bool = True,
                 offset: int = 0, cut: bool = False):
        if offset and not model.periodic:
            raise ValueError("only a ring can start its MPS at another site than 0")
        self.problem_model = model
        self.offset, self.cut = offset % model.N, cut and model.periodic
        self.conserve_sz = conserve and conserve_sz
        fermion = SpinHalfFermionSite(cons_N="N" if conserve else None,
                                      cons_Sz="Sz" if self.conserve_sz else None)
        local = SpinSite(S=model.spin, conserve="Sz" if self.conserve_sz else None)
        add_matrix_units(local, model.spin)
        set_common_charges([fermion, local], "same")
        decorated = GroupedSite([fermion, local], labels=["f", "s"])
        self.spin_sites = [self.position(x) for x in model.spin_sites]
        self.decorated = set(self.spin_sites)
        sites = [decorated if x in self.decorated else fermion for x in range(model.N)]
        lattice = TrivialLattice(sites, bc_MPS="finite")
        CouplingModel.__init__(self, lattice)
        products = list(model.products())
        self.across_cut = [p for p in products if self.cut and self.crosses_cut(p)]
        bonds = [p for p in products if p not in self.across_cut]
        add_products(self, bonds, self.where)
        spans = [[self.where(op)[0] for op in p.ops] for p in bonds]
        nearest = all(max(where) - min(where) <= 1 for where in spans)
        self.H_bond = self.calc_H_bond() if nearest else None
        add_products(self, self.across_cut, self.where)  # H_MPO: the whole ring, cut or not
        MPOModel.__init__(self, lattice, self.calc_H_MPO())

    def position(self, x: int) -> int:
        """The MPS site of conduction site x."""
        return (x - self.offset) % self.problem_model.N

    def site(self, position: int) -> int:
        """The conduction site on MPS site ``position``."""
        return (position + self.offset) % self.problem_model.N

    def crosses_cut(self, product) -> bool:
        """Whether an operator product is a hop between MPS sites N − 1 and 0 (across the
        cut)."""
        return joins_ends(product, [self.where(op)[0] for op in product.ops],
                          self.problem_model.N)

    def closing_bond(self):
        """The hop across the cut (between MPS sites 0 and N − 1) as a two-site operator in eV,
        legs ``p0`` (MPS site 0) and ``p1`` (MPS site N − 1) as if side by side in this order
        (TEBD's closing gate, qst_mps/mps/tebd.py); None if nothing crosses the cut."""
        if not self.across_cut:
            return None
        last = self.problem_model.N - 1
        sites = self.lat.mps_sites()
        pair = CouplingModel(TrivialLattice([sites[0], sites[last]], bc_MPS="finite"))

        def where(op):
            position, name = self.where(op)
            return (0 if position == 0 else 1), name

        add_products(pair, self.across_cut, where)
        return pair.calc_H_bond()[1]

    def where(self, op) -> tuple[int, str]:
        """MPS site and TeNPy operator name of a problem operator."""
        if op.on == "loc":
            return self.spin_sites[op.index], op.name + "s"
        position = self.position(op.index)
        return position, self.op(op.name, position)

    def op(self, name: str, x: int) -> str:
        """Name of a conduction-electron operator on site x ('Cdu' -> 'Cduf' where grouped)."""
        return " ".join(part + ("f" if x in self.decorated else "") for part in name.split())

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

    def creation_mpo(self, packet, spin: str) -> MPO:
        """c†_{φ s} = Σ_x φ(x) c†_{x s} (s = 'u' or 'd') with its Jordan–Wigner string."""
        def grid(x):
            amplitude = complex(packet[self.site(x)])
            return [["JW", [(self.op(f"Cd{spin}", x), amplitude)]], [None, "Id"]]
        return self.sum_mpo(grid, 2, neutral=False)

    def pair_mpos(self, up_pairs: bool = True) -> dict:
        """MPOs of S_el² (``S2``) and, with ``up_pairs``, of Σ_{x<y} n↑_x n↑_y (``up_pairs``)."""
        def up_pair_terms(x):
            n_up = self.op("Nu", x)
            return [["Id", n_up, None], [None, "Id", n_up], [None, None, "Id"]]

        def spin_squared(x):  # Σ_x s_x·s_x + 2 Σ_{x<y} s_x·s_y
            sz, sp, sm = self.op("Sz", x), self.op("Sp", x), self.op("Sm", x)
            local = [(self.op("Sz Sz", x), 1.0), (self.op("Sp Sm", x), 0.5),
                     (self.op("Sm Sp", x), 0.5)]
            return [["Id", sz, sp, sm, local], [None, "Id", None, None, [(sz, 2.0)]],
                    [None, None, "Id", None, sm], [None, None, None, "Id", sp],
                    [None, None, None, None, "Id"]]

        mpos = {"S2": self.sum_mpo(spin_squared, 5)}
        if up_pairs:
            mpos["up_pairs"] = self.sum_mpo(up_pair_terms, 3)
        return mpos

    def up_characteristic_mpo(self, angle: float) -> MPO:
        """e^{iθN↑} = Π_x (1 + (e^{iθ} − 1) n↑_x), an MPO of bond dimension 1 (θ = ``angle``)."""
        factor = complex(np.exp(1j * angle) - 1)
        sites = self.lat.mps_sites()
        grids = [[[[("Id", 1.0), (self.op("Nu", x), factor)]]] for x in range(len(sites))]
        return MPO.from_grids(sites, grids, bc="finite", IdL=0, IdR=0)


class UniformChain(CouplingModel, MPOModel):
    """N copies of one TeNPy ``site`` under operator ``products`` (problem/terms.py) whose
    factors name that site's own operators at their index, plus a constant ``shift`` (eV) that
    keeps DMRG's excited-state search away from E = 0. For the ground states found alone
    before a run: the local spins (``SpinSite``s, their exchange, anisotropy and field) for
    ``state.local = "ground"``, and a correlated box (``SpinHalfFermionSite``s, the box's
    Hamiltonian, :class:`~qst_mps.problem.electrons.BoxGround`)."""

    def __init__(self, site, N: int, products, shift: float = 0.0):
        lattice = TrivialLattice([site] * N, bc_MPS="finite")
        CouplingModel.__init__(self, lattice)
        add_products(self, products, lambda op: (op.index, op.name))
        if shift:
            self.add_onsite_term(shift, 0, "Id")
        MPOModel.__init__(self, lattice, self.calc_H_MPO())
