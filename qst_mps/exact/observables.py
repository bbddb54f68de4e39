"""The exact backend's implementation of the measured observables (qst_mps/observables.py),
for W states at once (the output times of one Lanczos window).

Diagonal quantities come from the block probabilities |ψ|², with sums over the short local
axis as BLAS products. Transverse spin components (S^x, S^y) couple neighbouring S_z sectors;
they are computed only when the state spans several sectors or H mixes them, and are zero
otherwise by symmetry.
"""

from __future__ import annotations

import numpy as np

from ..problem.operators import current_factor, hop
from ..problem.terms import Product, el, loc
from .entanglement import ChainCuts, LocalDensityMatrix
from .operators import matrix

LOCAL_RDM = ("magnet_entropy", "local_concurrence", "local_mutual_information")


def _expectation(columns_left: np.ndarray, operator, columns_right: np.ndarray) -> np.ndarray:
    """⟨a_w|O|b_w⟩ for the columns w of two (dim, W) arrays."""
    return np.einsum("iw,iw->w", columns_left.conj(), operator @ columns_right)


class Measurement:
    """Per-problem tables and operators, then ``measure(components)`` for a batch of states.

    Parameters
    ----------
    problem : Problem
    spaces : list of Space
        The components' spaces, in the order of the state's components.
    hamiltonians : list of sparse matrices
        H on each space.
    optional : sequence of str
        The optional observables to measure as well.
    """

    def __init__(self, problem, spaces, hamiltonians, optional=()):
        self.problem, self.spaces, self.hamiltonians = problem, spaces, hamiltonians
        self.optional = set(optional)
        model = problem.model
        self.scale, self.N, self.L = model.electron_scale, model.N, model.L
        self.K = problem.n_electrons
        self.transverse = len(spaces) > 1 or not model.conserves_sz
        spin_raise = [Product(1.0, (el("Sp", x),)) for x in range(model.N)]
        # S_el⁺ from each block to the block with one more ↑ (for ⟨S_el²⟩)
        self._raise_blocks = []
        from .basis import Space

        for space in spaces:
            for block in space.blocks:
                target = Space(model.N, model.L, model.spin,
                               [(block.n_up + 1, block.n_down - 1, block.m)])
                if target.dim:
                    single = Space(model.N, model.L, model.spin, [block.key])
                    self._raise_blocks.append(
                        (space, block, matrix(spin_raise, single, target)))
        self._pairs = []  # (space a, space b, S_el⁺ from b to a, [S⁺_j from b to a])
        if self.transverse:
            for a in spaces:
                for b in spaces:
                    local = [matrix([Product(1.0, (loc("Sp", j),))], b, a) for j in range(self.L)]
                    electron = matrix(spin_raise, b, a)
                    if electron.nnz or any(m.nnz for m in local):
                        self._pairs.append((a, b, electron, local))
        self._optional_tables(problem, spaces)

    def _optional_tables(self, problem, spaces) -> None:
        """Operators and tables of the requested optional observables."""
        model, wanted = problem.model, self.optional
        self._site_raise = []  # (space a, space b, [s⁺_x from b to a])
        if "spin_density" in wanted and self.transverse:
            for a in spaces:
                for b in spaces:
                    ops = [matrix([Product(1.0, (el("Sp", x),))], b, a) for x in range(self.N)]
                    if any(op.nnz for op in ops):
                        self._site_raise.append((a, b, ops))
        self._bonds = []  # per space: Σ_s c†_{x s} c_{x+1 s} for x = 0 … N−2
        if "current" in wanted:
            self._current_factor = current_factor(model.t_h)
            for space in spaces:
                self._bonds.append([matrix(hop(x, x + 1), space) for x in range(self.N - 1)])
        self._rdm = (LocalDensityMatrix(problem, spaces, wanted)
                     if wanted & set(LOCAL_RDM) else None)
        self._cuts = ChainCuts(problem, spaces) if "entanglement_entropy" in wanted else None

    def measure(self, states: list[np.ndarray]) -> dict:
        """The measured observables of W states: ``states[k]`` is (W, dim) on space k."""
        W = len(states[0])
        sigma, s_loc = np.zeros((W, 3), dtype=complex), np.zeros((W, self.L, 3), dtype=complex)
        density, norm = np.zeros((W, self.N)), np.zeros(W)
        spin_squared, up = np.zeros(W), np.zeros((W, self.K + 1))
        energy = np.zeros(W)
        spin_density = np.zeros((W, self.N, 3), dtype=complex)
        for space, psi, H in zip(self.spaces, states, self.hamiltonians, strict=True):
            for block in space.blocks:
                parts = psi[:, space.slice(block)].view(np.float64)
                squares = parts * parts
                prob = (squares[:, ::2] + squares[:, 1::2]).reshape(W, -1, block.shape[2])
                n_local = block.shape[2]
                p_electrons = (prob @ np.ones(n_local)).reshape(W, *block.shape[:2])
                p_local = np.ones(prob.shape[1]) @ prob
                weight = p_electrons.sum(axis=(1, 2))
                norm += weight
                s_z = 0.5 * (block.n_up - block.n_down)
                sigma[:, 2] += s_z * weight
                spin_squared += (s_z * s_z + s_z) * weight
                up[:, block.n_up] += weight
                s_loc[:, :, 2] += p_local @ block.local.s_z
                p_up = (block.up.occupation.T @ p_electrons.sum(axis=2).T).T
                p_down = (block.down.occupation.T @ p_electrons.sum(axis=1).T).T
                density += p_up + p_down
                spin_density[:, :, 2] += 0.5 * (p_up - p_down)
            energy += self._energy(H, psi)
        for space, block, raising in self._raise_blocks:
            raised = raising @ psi_columns(states, self.spaces, space, block)
            spin_squared += np.einsum("iw,iw->w", raised.conj(), raised).real
        for a, b, electron, local in self._pairs:
            left = states[self.spaces.index(a)].T
            right = states[self.spaces.index(b)].T
            plus = _expectation(left, electron, right)
            sigma[:, 0] += plus.real
            sigma[:, 1] += plus.imag
            for j, op in enumerate(local):
                if op.nnz:
                    plus = _expectation(left, op, right)
                    s_loc[:, j, 0] += plus.real
                    s_loc[:, j, 1] += plus.imag
        result = {
            "sigma_el": sigma.real * self.scale,
            "S_loc": s_loc.real,
            "electron_spin_squared": spin_squared,
            "electron_up_probabilities": up,
            "density": density,
            "norm": norm,
            "energy": energy,
        }
        if "spin_density" in self.optional:
            for a, b, ops in self._site_raise:
                left, right = states[self.spaces.index(a)].T, states[self.spaces.index(b)].T
                for x, op in enumerate(ops):
                    plus = _expectation(left, op, right)
                    spin_density[:, x, 0] += plus.real
                    spin_density[:, x, 1] += plus.imag
            result["spin_density"] = spin_density.real
        if "current" in self.optional:
            hops = np.zeros((W, self.N - 1))
            for psi, bonds in zip(states, self._bonds, strict=True):
                for x, op in enumerate(bonds):
                    hops[:, x] += _expectation(psi.T, op, psi.T).imag
            result["current"] = self._current_factor * hops
        per_state = []
        for w in range(W if self._rdm is not None or self._cuts is not None else 0):
            values = {}
            if self._rdm is not None:
                values.update(self._rdm.measure(self._rdm.blocks(states, w), self.optional))
            if self._cuts is not None:
                values["entanglement_entropy"] = self._cuts.entropies(states, w)
            per_state.append(values)
        for name in per_state[0] if per_state else ():
            result[name] = np.array([v[name] for v in per_state])
        return result

    @staticmethod
    def _energy(H, psi: np.ndarray) -> np.ndarray:
        """⟨ψ_w|H|ψ_w⟩ of the rows of ``psi`` in one pass over H; a real H acts on the real and
        imaginary parts as 2W real columns."""
        if np.isrealobj(H.data):
            columns = np.ascontiguousarray(psi.T).view(np.float64)
            return np.einsum("ij,ij->j", columns, H @ columns).reshape(len(psi), 2).sum(axis=1)
        columns = psi.T
        return np.einsum("iw,iw->w", columns.conj(), H @ columns).real


def psi_columns(states, spaces, space, block) -> np.ndarray:
    """The block's part of the states of ``space``, as (block size, W) columns."""
    return states[spaces.index(space)][:, space.slice(block)].T
